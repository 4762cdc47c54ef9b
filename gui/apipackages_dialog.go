package gui

import (
	"context"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// alertDialog is the open Set alert dialog of one package. UI thread.
type alertDialog struct {
	pkg       api.APIPackage
	mode      *widget.RadioGroup
	threshold *widget.Entry
	help      *widget.Label
	channels  *widget.CheckGroup
	problem   *widget.Label
	save      *widget.Button
	dlg       *dialog.CustomDialog
}

// openAlert opens the Set alert dialog of package id, filled with its alert if it has one. UI thread.
func (s *apiPackagesScreen) openAlert(id string) {
	p := s.pkg(id)
	if p == nil {
		return
	}
	d := &alertDialog{pkg: *p}
	d.help = widget.NewLabel("")
	d.help.Importance = widget.MediumImportance
	d.help.Wrapping = fyne.TextWrapWord
	d.threshold = widget.NewEntry()
	d.mode = widget.NewRadioGroup([]string{modePercent, modeAbsolute}, func(string) { d.updateHelp() })
	d.mode.Horizontal = true
	labels := make([]string, len(alertChannels))
	for i, c := range alertChannels {
		labels[i] = c.label
	}
	d.channels = widget.NewCheckGroup(labels, nil)
	d.channels.Horizontal = true
	if a := p.Alert; a != nil {
		d.threshold.SetText(strconv.FormatInt(a.Threshold, 10))
		d.mode.SetSelected(map[string]string{api.AlertPercent: modePercent, api.AlertAbsolute: modeAbsolute}[a.Mode])
		var on []string
		for _, c := range alertChannels {
			if slices.Contains(a.Channels, c.value) {
				on = append(on, c.label)
			}
		}
		d.channels.SetSelected(on)
	} else {
		d.threshold.SetText("20")
		d.mode.SetSelected(modePercent)
		d.channels.SetSelected([]string{alertChannels[0].label})
	}
	d.problem = newProblemLabel()

	now := widget.NewLabel("Now: " + quotaLine(*p) + ".")
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Alert on"), d.mode,
		widget.NewLabel("Threshold"), container.NewVBox(d.threshold, d.help),
		widget.NewLabel("Tell me by"), d.channels)
	body := container.NewVBox(now, form, d.problem)

	d.save = widget.NewButtonWithIcon("Save alert", theme.ConfirmIcon(), func() { s.saveAlert(d) })
	d.save.Importance = widget.HighImportance
	d.dlg = newFormDialog(s.u.win, "Alert for "+p.Name, body, 540, 50, d.save)
	d.dlg.SetOnClosed(func() {
		if s.alerting == d {
			s.alerting = nil
		}
	})
	s.alerting = d
	d.dlg.Show()
}

// modeValue is the wire value of the chosen mode.
func (d *alertDialog) modeValue() string {
	return map[string]string{modePercent: api.AlertPercent, modeAbsolute: api.AlertAbsolute}[d.mode.Selected]
}

func (d *alertDialog) updateHelp() {
	if d.help == nil {
		return
	}
	switch d.modeValue() {
	case api.AlertPercent:
		d.help.SetText("Percent of the " + grouped(d.pkg.TotalCalls) + " calls, from 1 to 99.")
	case api.AlertAbsolute:
		d.help.SetText("Calls left, from 1 to " + grouped(max(d.pkg.TotalCalls-1, 1)) + ".")
	default:
		d.help.SetText("")
	}
}

// saveAlert checks the dialog and sets the alert; the dialog stays open, saying what is wrong,
// until the marketplace accepts it. UI thread.
func (s *apiPackagesScreen) saveAlert(d *alertDialog) {
	var chans []string
	for _, c := range alertChannels {
		if slices.Contains(d.channels.Selected, c.label) {
			chans = append(chans, c.value)
		}
	}
	alert, err := quotaAlert(d.pkg, d.modeValue(), d.threshold.Text, chans)
	if err != nil {
		showInvalid(d.problem, err)
		return
	}
	u, id := s.u, d.pkg.ID
	sendForm(u, d.problem, func(ctx context.Context) (*api.APIPackage, error) { return u.market.SetAlert(ctx, id, alert) },
		func(p *api.APIPackage) {
			d.dlg.Hide()
			s.put(*p)
		}, d.save)
}
