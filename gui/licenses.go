package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

func init() { screens = append(screens, screenEntry{order: 30, build: newLicensesScreen}) }

const licensesTitle = "Licenses"

// licenseWaitInterval is how often a pending license is asked after; the notification stream
// usually says it sooner.
const licenseWaitInterval = 2 * time.Second

// licensesScreen lists the tenant's licenses; it applies for new ones (bound to this device's
// fingerprint), follows them until issued and installs the issued file where the software finds it.
type licensesScreen struct {
	marketScreen
	u    *UI
	view marketView[api.License]
	save savePicker
	// fingerprint reads this device's fingerprint; fingerprint.Compute except in tests.
	fingerprint func(ctx context.Context) (fingerprint.Fingerprint, error)

	apply       *widget.Button
	status      *widget.Label
	list        *widget.List
	name, state *widget.Label
	waiting     *widget.ProgressBarInfinite
	facts       *fyne.Container
	install     *widget.Button
	installNote *widget.Label
	detail      fyne.CanvasObject
	empty       fyne.CanvasObject

	// UI thread.
	selected  string
	following map[string]bool          // pending licenses being waited for
	installed map[string]string        // license id → where it was saved, this session
	fp        *fingerprint.Fingerprint // read once, on the first Apply
	applying  *applyDialog             // the open Apply dialog, nil when none
}

func newLicensesScreen(u *UI) Screen {
	s := &licensesScreen{u: u, save: fileSaveDialog, fingerprint: fingerprint.Compute,
		following: map[string]bool{}, installed: map[string]string{}}
	s.marketScreen = marketScreen{title: licensesTitle, icon: theme.DocumentIcon(), views: []refresher{&s.view},
		kinds: []string{"license"}, draw: s.redraw}
	s.view = marketView[api.License]{u: u, what: "licenses", shown: s.loaded, id: licenseID,
		fetch: func(ctx context.Context) ([]api.License, error) {
			return collectMax(u.market.Licenses(ctx, mclient.ListOptions{PageSize: 200}), marketViewMaxRows)
		}}

	s.apply = widget.NewButtonWithIcon("Apply for a license…", theme.ContentAddIcon(), s.startApply)
	s.apply.Importance = widget.HighImportance
	reload := s.reloadButton()
	s.status = newStatusLabel()

	s.list = newPickList(func() []api.License { return s.view.items }, licenseID, newLicenseRow, s.bindRow, func(id string) {
		s.selected = id
		s.updateDetail()
	})

	s.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.name.SizeName = theme.SizeNameSubHeadingText
	s.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.state.Wrapping = fyne.TextWrapWord
	s.waiting = widget.NewProgressBarInfinite()
	s.waiting.Stop()
	s.facts = container.New(layout.NewFormLayout())
	s.install = widget.NewButtonWithIcon("Install license…", theme.DownloadIcon(), s.installSelected)
	s.install.Importance = widget.HighImportance
	s.installNote = widget.NewLabel("")
	s.installNote.Wrapping = fyne.TextWrapWord
	s.detail = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.ConfirmIcon()), nil, s.name),
		widget.NewSeparator(),
		s.state, s.waiting,
		container.NewHBox(s.install), s.installNote,
		widget.NewSeparator(),
		s.facts,
	)
	var split *container.Split
	split, s.empty = detailSplit(s.list, s.detail, "Select a license to see its details.", 0.55)

	top := container.NewBorder(nil, nil, nil, container.NewHBox(s.apply, reload), s.status)
	s.content = container.NewBorder(top, nil, nil, nil, split)
	s.redraw()
	return s
}

// loaded follows the pending licenses of a fresh list, then redraws.
func (s *licensesScreen) loaded() {
	for _, l := range s.view.items {
		if l.State == api.LicensePending {
			s.follow(l.ID)
		}
	}
	s.redraw()
}

// redraw shows the list, its status and the selected license. UI thread.
func (s *licensesScreen) redraw() {
	text, imp := s.view.status()
	setStatus(s.status, text, imp)
	if s.u.me == nil {
		s.apply.Disable()
	} else {
		s.apply.Enable()
	}
	reselect(s.list, indexOf(s.view.items, s.selected, licenseID))
	s.list.Refresh()
	s.updateDetail()
}

func newLicenseRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("Product name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("2026-01-01 → 2027-01-01")
	sub.Importance = widget.MediumImportance
	badge := widget.NewLabelWithStyle("Expires in 30 days", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	icon := widget.NewIcon(theme.ConfirmIcon())
	return container.NewBorder(nil, nil, icon, badge, container.NewVBox(name, sub))
}

func (s *licensesScreen) bindRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.view.items) {
		return
	}
	l := s.view.items[id]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(s.productName(l.Product))
	texts[1].(*widget.Label).SetText(day(l.EffectiveAt) + " → " + day(l.ExpiresAt))
	badgeText, imp := licenseBadge(l, s.u.opts.Now())
	badge := row.Objects[2].(*widget.Label)
	badge.Importance = imp
	badge.SetText(badgeText)
	row.Objects[1].(*widget.Icon).SetResource(licenseIcon(l.State, imp))
}

func licenseIcon(state string, imp widget.Importance) fyne.Resource {
	switch {
	case state == api.LicensePending:
		return theme.HistoryIcon()
	case imp == widget.DangerImportance:
		return theme.ErrorIcon()
	case imp == widget.WarningImportance:
		return theme.WarningIcon()
	}
	return theme.ConfirmIcon()
}

// productName is a product's name from the entitlements, else its id.
func (s *licensesScreen) productName(product string) string {
	for _, e := range s.u.marketSt.entitlements {
		if e.Product == product && e.Name != "" {
			return e.Name
		}
	}
	return product
}

func (s *licensesScreen) selectedLicense() *api.License { return s.view.byID(s.selected) }

func licenseID(l api.License) string { return l.ID }

// updateDetail redraws the detail pane. UI thread.
func (s *licensesScreen) updateDetail() {
	l := s.selectedLicense()
	showDetail(s.detail, s.empty, l != nil)
	if l == nil {
		return
	}
	s.name.SetText(s.productName(l.Product))
	badge, imp := licenseBadge(*l, s.u.opts.Now())
	state := map[string]string{
		api.LicensePending:  "Waiting for the marketplace to issue this license. It usually takes a few seconds; you can leave this screen.",
		api.LicenseRejected: "The marketplace rejected this application: " + cmpOrDash(l.Reason) + ". Apply again with other dates, or ask your administrator.",
		api.LicenseIssued:   "Issued " + dayTime(ptrTime(l.IssuedAt)) + ", valid until " + day(l.ExpiresAt) + ".",
	}[l.State]
	if l.State == api.LicenseIssued && badge != "Issued" {
		state = badge + ". " + state
	}
	if l.State == api.LicenseIssued && imp == widget.WarningImportance {
		state += " Apply for a new license before it ends, so that the software keeps running."
	}
	s.state.SetText(state)
	s.state.Importance = imp
	s.state.Refresh()
	if l.State == api.LicensePending {
		s.waiting.Show()
		s.waiting.Start()
	} else {
		s.waiting.Stop()
		s.waiting.Hide()
	}
	if l.State == api.LicenseIssued && imp != widget.DangerImportance {
		s.install.Enable()
	} else {
		s.install.Disable()
	}
	if where := s.installed[l.ID]; where != "" {
		s.installNote.SetText("Installed to " + where + " (SHA-256 checked).")
	} else {
		s.installNote.SetText("")
	}
	facts := [][2]string{
		{"License", l.ID},
		{"Product", l.Product},
		{"Valid from", dayTime(l.EffectiveAt)},
		{"Valid until", dayTime(l.ExpiresAt)},
		{"Applied", dayTime(l.CreatedAt)},
	}
	facts = append(facts, fingerprintFacts(l.Fingerprint)...)
	if l.State == api.LicenseIssued {
		facts = append(facts, [2]string{"Delivered as", words(cmpOrDash(l.Kind))})
		if l.FileName != "" {
			facts = append(facts, [2]string{"File", l.FileName})
		}
		facts = append(facts, [2]string{"SHA-256", l.SHA256})
	}
	s.facts.Objects = factObjects(facts)
	s.facts.Refresh()
}

// fingerprintFacts shows a "MAC|disk|board|cpu" fingerprint one part a row, short enough not to wrap.
func fingerprintFacts(fp string) [][2]string {
	parts := strings.SplitN(fp, "|", 4)
	if len(parts) != 4 {
		return [][2]string{{"Bound to", fp}}
	}
	return [][2]string{{"Bound to MAC", parts[0]}, {"Disk", parts[1]}, {"Board", parts[2]}, {"CPU", parts[3]}}
}

func ptrTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// follow waits, in a goroutine of the UI, until the marketplace issues or rejects license id.
// UI thread.
func (s *licensesScreen) follow(id string) {
	if s.following[id] {
		return
	}
	s.following[id] = true
	session, u := s.u.marketSt.session, s.u
	u.goRun(func(ctx context.Context) {
		lic, err := u.market.WaitLicense(ctx, id, licenseWaitInterval)
		if ctx.Err() != nil {
			return
		}
		u.do(func() {
			delete(s.following, id) // a failed wait is taken up again by the next load
			if session != u.marketSt.session {
				return
			}
			u.marketResult(err)
			if err != nil {
				return
			}
			s.put(*lic)
		})
	})
}

// put replaces (or adds, first) a license in the list and redraws. UI thread.
func (s *licensesScreen) put(l api.License) {
	s.view.put(l)
	s.redraw()
}

// installSelected downloads the selected license, checks it, and asks where to save it: the
// installed product's folder is offered first.
func (s *licensesScreen) installSelected() {
	l := s.selectedLicense()
	if l == nil {
		return
	}
	lic, u := *l, s.u
	dir := ""
	for _, sw := range u.agentSt.software {
		if sw.ID == lic.Product && sw.InstallDir != "" {
			dir = sw.InstallDir
		}
	}
	s.install.Disable()
	s.installNote.SetText("Downloading the license…")
	u.load(func(ctx context.Context) {
		content, err := u.market.LicenseContentOf(ctx, lic.ID)
		if err == nil && lic.SHA256 != "" && !strings.EqualFold(content.SHA256, lic.SHA256) {
			err = fmt.Errorf("the license downloaded has SHA-256 %s, but the marketplace lists %s for license %s; try again, and tell your administrator if it persists",
				content.SHA256, lic.SHA256, lic.ID)
		}
		u.do(func() {
			u.marketResult(err)
			s.updateDetail()
			if err != nil {
				s.installNote.SetText("")
				u.showError("Installing license "+lic.ID, err)
				return
			}
			name := licenseFileName(lic, content.FileName, content.IsText)
			s.save(u.win, dir, name, func(path string) { s.saveLicense(lic.ID, path, content.Data) })
		})
	})
}

// saveLicense writes a downloaded license to path in a goroutine. UI thread.
func (s *licensesScreen) saveLicense(id, path string, data []byte) {
	u := s.u
	u.load(func(context.Context) {
		err := saveFile(path, data, 0o644)
		u.do(func() {
			if err != nil {
				u.showError("Saving license "+id, err)
				return
			}
			s.installed[id] = path
			s.updateDetail()
		})
	})
}

// startApply reads the device fingerprint (once) off the UI thread, then opens the Apply dialog.
func (s *licensesScreen) startApply() {
	if s.fp != nil {
		s.showApply(*s.fp)
		return
	}
	u := s.u
	s.apply.Disable()
	u.load(func(ctx context.Context) {
		fp, err := s.fingerprint(ctx)
		u.do(func() {
			s.apply.Enable()
			if err != nil {
				u.showError("Reading this computer's fingerprint", err)
				return
			}
			s.fp = &fp
			s.showApply(fp)
		})
	})
}

// errNoProducts is why Apply cannot go on: the tenant owns nothing to license.
var errNoProducts = errors.New("your organisation owns no products yet; buy one on the marketplace, then apply for its license")
