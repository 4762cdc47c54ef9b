package gui

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

func init() { screens = append(screens, screenEntry{order: 20, build: newSoftwareScreen}) }

const softwareTitle = "Software"

// maxLogBytes bounds the log shown in the log dialog (its last lines are what matter).
const maxLogBytes = 1 << 20

// softwareScreen lists what the tenant owns and what is installed, with a detail pane that
// installs, removes, repairs and follows the jobs.
type softwareScreen struct {
	u *UI

	search *widget.Entry
	filter *widget.Select
	count  *widget.Label
	hint   *widget.Label
	list   *widget.List

	// The detail pane.
	name, sub, status, progressLine, reboot, facts *widget.Label
	progress                                       *widget.ProgressBar
	install, uninstall, repair, overwrite, cancel  *widget.Button
	showLog                                        *widget.Button
	detail, top, buttons                           *fyne.Container
	empty                                          fyne.CanvasObject
	content                                        *fyne.Container

	// UI thread.
	items    []swItem
	shown    []int // indexes into items, after search and filter
	selected string
	pending  map[string]string // product → what is being asked for ("Requesting a ticket…")
	srcSW    []apitype.Software
	srcEnts  []api.Entitlement
	srcDemo  int
	filtered struct {
		q string
		f swFilter
	}
}

func newSoftwareScreen(u *UI) Screen {
	s := &softwareScreen{u: u, pending: map[string]string{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search by name, publisher or id")
	s.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.search.OnChanged = func(string) { s.refilter() }
	s.filter = widget.NewSelect(swFilters, func(string) { s.refilter() })
	s.filter.SetSelected(string(filterAll))
	s.count = widget.NewLabel("")
	s.hint = widget.NewLabel("")
	s.hint.Wrapping = fyne.TextWrapWord
	s.hint.Importance = widget.MediumImportance

	s.list = widget.NewList(func() int { return len(s.shown) }, newSoftwareRow, s.bindRow)
	s.list.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(s.shown) {
			s.selected = s.items[s.shown[id]].ID
			s.updateDetail()
		}
	}

	s.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.name.SizeName = theme.SizeNameSubHeadingText
	s.sub = widget.NewLabel("")
	s.status = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.status.Wrapping = fyne.TextWrapWord
	s.progress = widget.NewProgressBar()
	s.progressLine = widget.NewLabel("")
	s.progressLine.Wrapping = fyne.TextWrapWord
	s.reboot = widget.NewLabel("")
	s.reboot.Wrapping = fyne.TextWrapWord
	s.reboot.Importance = widget.WarningImportance
	s.facts = widget.NewLabel("")
	s.facts.Wrapping = fyne.TextWrapWord
	s.install = widget.NewButtonWithIcon("Install", theme.DownloadIcon(), func() { s.act(apitype.ActionInstall) })
	s.install.Importance = widget.HighImportance
	s.uninstall = widget.NewButtonWithIcon("Uninstall", theme.DeleteIcon(), func() { s.act(apitype.ActionUninstall) })
	s.repair = widget.NewButtonWithIcon("Repair", theme.ViewRefreshIcon(), func() { s.act(apitype.ActionRepair) })
	s.overwrite = widget.NewButtonWithIcon("Overwrite install", theme.MediaReplayIcon(), func() { s.act(apitype.ActionOverwrite) })
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.cancelJob)
	s.showLog = widget.NewButtonWithIcon("Show log", theme.DocumentIcon(), s.openLog)

	// Wrapped: the pane stays narrow enough for the list beside it, whatever is offered.
	s.buttons = container.NewGridWrap(fyne.NewSize(170, s.install.MinSize().Height), s.install, s.uninstall, s.repair, s.overwrite, s.cancel, s.showLog)
	s.detail = container.NewVBox(
		container.NewHBox(widget.NewIcon(theme.ComputerIcon()), container.NewVBox(s.name, s.sub)),
		widget.NewSeparator(),
		s.status, s.progress, s.progressLine, s.reboot,
		s.buttons,
		widget.NewSeparator(),
		s.facts,
	)
	emptyText := widget.NewLabel("Select a product to see its details.")
	emptyText.Alignment = fyne.TextAlignCenter
	s.empty = container.NewCenter(emptyText)

	s.top = container.NewBorder(nil, s.hint, nil, container.NewHBox(s.filter, s.count), s.search)
	// No scroll around the pane: wrapped labels in a scroll measure themselves one word wide.
	right := container.NewStack(container.NewPadded(s.detail), s.empty)
	split := container.NewHSplit(s.list, widget.NewCard("", "", right))
	split.Offset = 0.58
	s.content = container.NewBorder(s.top, nil, nil, nil, split)
	return s
}

func (s *softwareScreen) Title() string              { return softwareTitle }
func (s *softwareScreen) Icon() fyne.Resource        { return theme.StorageIcon() }
func (s *softwareScreen) Content() fyne.CanvasObject { return s.content }

// Refresh merges the marketplace's and the agent's lists when either changed, then redraws.
func (s *softwareScreen) Refresh() {
	u := s.u
	sw, ents := u.agentSt.software, u.marketSt.entitlements
	if !sameSlice(sw, s.srcSW) || !sameSlice(ents, s.srcEnts) || s.srcDemo != u.opts.DemoItems || s.items == nil {
		s.srcSW, s.srcEnts, s.srcDemo = sw, ents, u.opts.DemoItems
		if n := u.opts.DemoItems; n > 0 {
			ents = append(append([]api.Entitlement(nil), ents...), demoItems(n)...)
		}
		s.items = mergeSoftware(ents, sw)
		s.refilter()
		return
	}
	s.redraw()
}

// sameSlice reports whether a and b are the same slice (not equal contents: identity is what
// says that a list was replaced).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// refilter applies the search and the filter. UI thread.
func (s *softwareScreen) refilter() {
	if s.list == nil || s.filter == nil {
		return // still being built
	}
	s.filtered.q, s.filtered.f = s.search.Text, swFilter(s.filter.Selected)
	s.shown = filterSoftware(s.items, s.filtered.q, s.filtered.f, s.u.jobOf)
	s.list.UnselectAll()
	found := false
	for i, k := range s.shown {
		if s.items[k].ID == s.selected {
			s.list.Select(i)
			found = true
			break
		}
	}
	if !found && s.selected == "" && len(s.shown) > 0 {
		s.list.Select(0) // like a store app: open on the first product rather than on nothing
	}
	s.redraw()
}

// redraw updates the count, the hint, the visible rows and the detail pane. UI thread.
func (s *softwareScreen) redraw() {
	u := s.u
	s.count.SetText(fmt.Sprintf("%d of %d", len(s.shown), len(s.items)))
	switch {
	case u.me == nil && u.marketSt.checked:
		s.hint.SetText("Sign in (Account) to see the software your organisation owns. Below is what this computer has installed.")
		s.hint.Show()
	case u.me != nil && !u.marketSt.loaded && u.marketSt.offline:
		s.hint.SetText("The marketplace cannot be reached, so your organisation's software is not shown yet.")
		s.hint.Show()
	case !u.agentSt.up() && !u.agentSt.loaded:
		s.hint.SetText("The agent is not running: installed software and installs are not available.")
		s.hint.Show()
	default:
		s.hint.Hide()
	}
	s.content.Refresh() // a child shown or hidden changes the layout only on its container's refresh
	s.list.Refresh()
	s.updateDetail()
}

// selectedItem is the product shown in the detail pane, nil when none.
func (s *softwareScreen) selectedItem() *swItem {
	for i := range s.items {
		if s.items[i].ID == s.selected {
			return &s.items[i]
		}
	}
	return nil
}

// updateDetail redraws the detail pane of the selected product. UI thread.
func (s *softwareScreen) updateDetail() {
	it := s.selectedItem()
	if it == nil {
		s.detail.Hide()
		s.empty.Show()
		return
	}
	if !s.detail.Visible() {
		s.empty.Hide()
		s.detail.Show()
	}
	u := s.u
	j := u.jobOf(it.ID)
	s.name.SetText(it.Name)
	s.sub.SetText(joinNonEmpty(" · ", it.Publisher, it.ID))
	text, _ := itemStatus(it, j)
	if j != nil && !j.Final() {
		text = actionWord(j.Action) + " " + it.Name // the line under the bar has the details
	}
	if p := s.pending[it.ID]; p != "" {
		text = p
	}
	s.status.SetText(text)

	running := j != nil && !j.Final()
	if running {
		if f := fraction(j); f >= 0 {
			s.progress.SetValue(f)
		} else {
			s.progress.SetValue(stepFraction(j))
		}
		s.progress.Show()
		s.progressLine.SetText(progressText(j))
		s.progressLine.Show()
	} else {
		s.progress.Hide()
		s.progressLine.Hide()
	}
	switch {
	case j != nil && j.Final() && j.RebootRequired && j.Action != apitype.ActionUninstall,
		it.Installed != nil && it.Installed.RebootRequired:
		s.reboot.SetText("A restart is required: restart the computer to finish " + strings.ToLower(actionWord(jobAction(j))) + " " + it.Name + ".")
		s.reboot.Show()
	default:
		s.reboot.Hide()
	}

	a := itemActions(it, j, u.agentSt.up())
	if s.pending[it.ID] != "" {
		a = actions{log: a.log}
	}
	// Only what can be done is shown, as in a store app; Install stays, greyed, when it cannot be.
	showIf(s.install, a.install, !a.uninstall && !a.cancel)
	showIf(s.uninstall, a.uninstall, false)
	showIf(s.repair, a.repair, false)
	showIf(s.overwrite, a.overwrite, false)
	showIf(s.cancel, a.cancel, false)
	showIf(s.showLog, a.log, false)
	s.facts.SetText(factsText(it, j))
	s.detail.Refresh()
}

func jobAction(j *apitype.Job) apitype.Action {
	if j == nil {
		return apitype.ActionInstall
	}
	return j.Action
}

// stepFraction places a job without a byte count on a rough scale of its steps.
func stepFraction(j *apitype.Job) float64 {
	switch j.State {
	case apitype.StateQueued, apitype.StateWaitingRetry:
		return 0
	case apitype.StateFetching:
		return 0.1
	case apitype.StateStaging, apitype.StateStaged:
		return 0.5
	case apitype.StateInstalling:
		return 0.7
	case apitype.StateDetecting:
		return 0.95
	}
	return 1
}

// factsText is the detail pane's small print.
func factsText(it *swItem, j *apitype.Job) string {
	var lines []string
	if it.Owned {
		if it.Expires != nil {
			lines = append(lines, "Owned by your organisation until "+it.Expires.Format("2 Jan 2006"))
		} else {
			lines = append(lines, "Owned by your organisation")
		}
	}
	if sw := it.Installed; sw != nil && sw.Detected {
		lines = append(lines, "Installed in "+sw.InstallDir)
		if !sw.InstalledAt.IsZero() {
			lines = append(lines, "Installed on "+sw.InstalledAt.Local().Format("2 Jan 2006 15:04"))
		}
	}
	if j != nil && j.Final() {
		lines = append(lines, fmt.Sprintf("Last job: %s, %s on %s", j.Action, outcomeText(j), j.Updated.Local().Format("2 Jan 2006 15:04")))
		for _, w := range j.Warnings {
			lines = append(lines, "Warning: "+w)
		}
		for _, l := range j.Leftovers {
			lines = append(lines, "Left behind: "+l)
		}
	}
	return strings.Join(lines, "\n")
}

// showIf shows b enabled when on, else hides it, or shows it disabled when keep.
func showIf(b *widget.Button, on, keep bool) {
	setEnabled(b, on)
	if on || keep {
		b.Show()
	} else {
		b.Hide()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// softwareRow is one line of the list: a status dot, name and publisher, status, progress.
type softwareRow struct {
	widget.BaseWidget
	dot          *canvas.Circle
	name, status *widget.Label
	bar          *widget.ProgressBar
	content      fyne.CanvasObject
}

func newSoftwareRow() fyne.CanvasObject {
	r := &softwareRow{
		dot:    canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		name:   widget.NewLabelWithStyle("Product name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		status: widget.NewLabel("Installed 1.0.0"),
		bar:    widget.NewProgressBar(),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.status.Truncation = fyne.TextTruncateEllipsis
	r.status.SizeName = theme.SizeNameCaptionText
	r.bar.TextFormatter = func() string { return "" }
	r.content = container.NewBorder(nil, nil,
		container.NewCenter(container.NewGridWrap(fyne.NewSize(10, 10), r.dot)),
		container.NewCenter(container.NewGridWrap(fyne.NewSize(110, 12), r.bar)),
		container.NewVBox(r.name, r.status))
	r.ExtendBaseWidget(r)
	return r
}

func (r *softwareRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

func (s *softwareScreen) bindRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.shown) {
		return
	}
	it := &s.items[s.shown[id]]
	j := s.u.jobOf(it.ID)
	r := o.(*softwareRow)
	r.name.SetText(it.Name)
	status, kind := itemStatus(it, j)
	if p := s.pending[it.ID]; p != "" {
		status, kind = p, statusBusy
	}
	r.status.SetText(status)
	r.dot.FillColor = statusColor(kind)
	r.dot.Refresh()
	if j != nil && !j.Final() {
		if f := fraction(j); f >= 0 {
			r.bar.SetValue(f)
		} else {
			r.bar.SetValue(stepFraction(j))
		}
		r.bar.Show()
	} else {
		r.bar.Hide()
	}
}

func statusColor(k statusKind) color.Color {
	switch k {
	case statusOK:
		return theme.Color(theme.ColorNameSuccess)
	case statusBusy:
		return theme.Color(theme.ColorNamePrimary)
	case statusAttention:
		return theme.Color(theme.ColorNameWarning)
	}
	return theme.Color(theme.ColorNameDisabled)
}

// act asks for a job on the selected product, confirming the ones that remove things.
func (s *softwareScreen) act(action apitype.Action) {
	it := s.selectedItem()
	if it == nil {
		return
	}
	item := *it
	switch action {
	case apitype.ActionUninstall:
		dialog.ShowConfirm("Uninstall "+item.Name+"?",
			"The vendor's uninstaller removes "+item.Name+" from this computer. What it cannot remove is listed when it ends.",
			func(ok bool) {
				if ok {
					s.submit(action, item)
				}
			}, s.u.win)
	case apitype.ActionOverwrite:
		dialog.ShowConfirm("Overwrite install of "+item.Name+"?",
			"The installed copy is removed, then the newest release is installed fresh. Settings kept inside the install folder are lost.",
			func(ok bool) {
				if ok {
					s.submit(action, item)
				}
			}, s.u.win)
	default:
		s.submit(action, item)
	}
}

// submit gets a release ticket when the action needs one and posts the job to the agent. UI thread.
func (s *softwareScreen) submit(action apitype.Action, it swItem) {
	u := s.u
	s.pending[it.ID] = actionWord(action) + ": asking the agent…"
	needTicket := action == apitype.ActionInstall || action == apitype.ActionOverwrite
	if needTicket {
		s.pending[it.ID] = actionWord(action) + ": requesting a release ticket from the marketplace…"
	}
	s.redraw()
	u.load(func(ctx context.Context) {
		req := apitype.JobRequest{Action: action, Product: it.ID}
		if needTicket {
			t, err := u.market.Ticket(ctx, it.ID, "", "")
			if err != nil {
				u.do(func() {
					u.marketResult(err)
					delete(s.pending, it.ID)
					u.showError(actionWord(action)+" "+it.Name, fmt.Errorf("the marketplace gave no release ticket for %s: %w", it.Name, err))
					u.changed()
				})
				return
			}
			u.do(func() { u.marketResult(nil) })
			req.Ticket, req.Product = t.Ticket, ""
		}
		j, err := u.agent.Submit(ctx, req)
		u.do(func() {
			delete(s.pending, it.ID)
			if err != nil {
				u.showError(actionWord(action)+" "+it.Name, err)
			} else {
				u.storeJob(j)
			}
			u.changed()
		})
	})
}

// cancelJob asks the agent to cancel the selected product's job.
func (s *softwareScreen) cancelJob() {
	it := s.selectedItem()
	if it == nil {
		return
	}
	j := s.u.jobOf(it.ID)
	if j == nil || j.Final() {
		return
	}
	u, id, name := s.u, j.ID, it.Name
	u.load(func(ctx context.Context) {
		got, err := u.agent.Cancel(ctx, id)
		u.do(func() {
			if err != nil {
				u.showError("Cancelling "+name, err)
				return
			}
			u.storeJob(got)
			u.changed()
		})
	})
}

// openLog shows the selected product's last job's log.
func (s *softwareScreen) openLog() {
	it := s.selectedItem()
	if it == nil {
		return
	}
	j := s.u.jobOf(it.ID)
	if j == nil {
		return
	}
	u, id, title := s.u, j.ID, fmt.Sprintf("Log of %s (%s, job %s)", it.Name, j.Action, j.ID)
	u.load(func(ctx context.Context) {
		text, err := readLog(ctx, u.agent, id)
		u.do(func() {
			if err != nil {
				u.showError("Reading the log of job "+id, err)
				return
			}
			grid := widget.NewTextGridFromString(text)
			scroll := container.NewScroll(grid)
			scroll.ScrollToBottom()
			d := dialog.NewCustom(title, "Close", scroll, u.win)
			d.Resize(fyne.NewSize(820, 520))
			d.Show()
		})
	})
}

// readLog reads the last maxLogBytes of a job's log.
func readLog(ctx context.Context, agent AgentAPI, id string) (string, error) {
	rc, err := agent.Log(ctx, id, 0, false)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return "", fmt.Errorf("reading the log of job %s: %w", id, err)
	}
	if len(data) > maxLogBytes {
		data = data[len(data)-maxLogBytes:]
	}
	if len(data) == 0 {
		return "(the log is empty)", nil
	}
	return strings.ReplaceAll(string(data), "\t", "    "), nil
}
