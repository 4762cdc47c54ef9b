package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func init() { screens = append(screens, screenEntry{order: 60, build: newAPIPackagesScreen}) }

const apiPackagesTitle = "API packages"

// Choices of the Set alert dialog's mode.
const (
	modePercent  = "Percentage of all calls"
	modeAbsolute = "Number of calls left"
)

// apiPackagesScreen shows each bought API call quota as a bar of the calls left, with its alert.
type apiPackagesScreen struct {
	marketScreen
	u    *UI
	view marketView[api.APIPackage]

	status *widget.Label
	cards  *fyne.Container

	// UI thread.
	alertButtons map[string]*widget.Button // package id → its Set alert button, rebuilt with the cards
	alerting     *alertDialog              // the open Set alert dialog, nil when none
}

func newAPIPackagesScreen(u *UI) Screen {
	s := &apiPackagesScreen{u: u, alertButtons: map[string]*widget.Button{}}
	// A quota alert or an order (a package bought or topped up) changes the calls left.
	s.marketScreen = marketScreen{title: apiPackagesTitle, icon: theme.GridIcon(), views: []refresher{&s.view},
		kinds: []string{"quota", "order"}, draw: s.redraw}
	s.view = marketView[api.APIPackage]{u: u, what: "API packages", shown: s.redraw,
		id: func(p api.APIPackage) string { return p.ID },
		fetch: func(ctx context.Context) ([]api.APIPackage, error) {
			return collectMax(u.market.APIPackages(ctx, mclient.ListOptions{PageSize: 200}), marketViewMaxRows)
		}}
	s.status = newStatusLabel()
	reload := s.reloadButton()
	s.cards = container.NewVBox()
	top := container.NewBorder(nil, nil, nil, reload, s.status)
	s.content = container.NewBorder(top, nil, nil, nil, container.NewVScroll(s.cards))
	s.redraw()
	return s
}

// redraw rebuilds the cards; there are few packages, so a plain box does. UI thread.
func (s *apiPackagesScreen) redraw() {
	text, imp := s.view.status()
	setStatus(s.status, text, imp)
	s.alertButtons = map[string]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, len(s.view.items))
	for _, p := range s.view.items {
		objs = append(objs, s.card(p))
	}
	if len(objs) == 0 && s.u.me != nil && !s.view.loadedAt.IsZero() {
		none := widget.NewLabel("Your organisation has no API packages. Buy one on the marketplace to call its APIs from your software.")
		none.Wrapping = fyne.TextWrapWord
		objs = append(objs, none)
	}
	s.cards.Objects = objs
	s.cards.Refresh()
}

// card shows one package: its bar of calls left, its alert and what can be done.
func (s *apiPackagesScreen) card(p api.APIPackage) fyne.CanvasObject {
	bar := widget.NewProgressBar()
	if p.TotalCalls > 0 {
		bar.SetValue(float64(p.RemainingCalls) / float64(p.TotalCalls))
	}
	line := quotaLine(p)
	bar.TextFormatter = func() string { return line }
	alert := widget.NewLabel(alertText(p.Alert))
	alert.Wrapping = fyne.TextWrapWord
	if belowAlert(p) {
		alert.SetText("Below the alert threshold. " + alertText(p.Alert))
		alert.Importance = widget.WarningImportance
	}
	meta := joinNonEmpty(" · ", "API "+p.API, "package "+p.ID)
	if p.ExpiresAt != nil {
		meta += " · valid until " + day(*p.ExpiresAt)
	}
	metaLabel := widget.NewLabel(meta)
	metaLabel.Importance = widget.MediumImportance
	set := widget.NewButtonWithIcon("Set alert…", theme.SettingsIcon(), func() { s.openAlert(p.ID) })
	s.alertButtons[p.ID] = set
	buttons := container.NewHBox(layout.NewSpacer(), set)
	if p.Alert != nil {
		buttons.Add(widget.NewButtonWithIcon("Remove alert", theme.DeleteIcon(), func() { s.confirmClear(p) }))
	}
	return widget.NewCard(p.Name, "", container.NewVBox(metaLabel, bar, alert, buttons))
}

func (s *apiPackagesScreen) pkg(id string) *api.APIPackage { return s.view.byID(id) }

// put replaces a package in the list and redraws; a package gone from the list stays gone. UI thread.
func (s *apiPackagesScreen) put(p api.APIPackage) {
	if cur := s.pkg(p.ID); cur != nil {
		*cur = p
	}
	s.redraw()
}

// confirmClear asks before removing a package's alert, then removes it. UI thread.
func (s *apiPackagesScreen) confirmClear(p api.APIPackage) {
	u := s.u
	dialog.ShowConfirm("Remove the alert of "+p.Name+"?", "You will no longer be told when its calls run low.", func(ok bool) {
		if !ok {
			return
		}
		u.load(func(ctx context.Context) {
			err := u.market.ClearAlert(ctx, p.ID)
			u.do(func() {
				u.marketResult(err)
				if err != nil {
					u.showError("Removing the alert of "+p.Name, err)
					return
				}
				if cur := s.pkg(p.ID); cur != nil {
					cur.Alert = nil
				}
				s.redraw()
			})
		})
	}, u.win)
}
