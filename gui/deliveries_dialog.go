package gui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Choices of the first step of the Unsubscribe dialog.
const (
	choiceNotReceived = "I have not received it: ask for a refund"
	choiceReceived    = "I received it and am sending it back: ask for a return"
)

// unsubscribeFlow is the open Unsubscribe dialog: choose refund or return, then the amount, the
// reason and (for a return) the return tracking, then the merchant's review state. UI thread.
type unsubscribeFlow struct {
	d        api.HardwareDelivery
	choice   *widget.RadioGroup
	amount   *widget.Entry
	reason   *widget.Entry
	tracking *widget.Entry
	problem  *widget.Label
	outcome  *widget.Label
	next     *widget.Button
	send     *widget.Button
	dlg      *dialog.CustomDialog

	steps                  [3]fyne.CanvasObject
	trackingRow            []fyne.CanvasObject // the label and entry of the return tracking
	cancel, back, closeBtn *widget.Button
}

// startUnsubscribe opens the Unsubscribe dialog for the selected delivery. UI thread.
func (s *deliveriesScreen) startUnsubscribe() {
	d := s.selectedHardware()
	if d == nil {
		return
	}
	types := unsubscribeTypes(*d)
	if len(types) == 0 {
		s.u.showError("Unsubscribing "+d.Title, errors.New("this delivery has a request under review, or has ended; nothing more can be asked for now"))
		return
	}
	f := &unsubscribeFlow{d: *d}
	var options []string
	for _, t := range types {
		options = append(options, map[string]string{api.UnsubscribeNotReceived: choiceNotReceived, api.UnsubscribeReceived: choiceReceived}[t])
	}
	intro := widget.NewLabel("Did you receive " + d.Title + "?")
	intro.Wrapping = fyne.TextWrapWord
	f.choice = widget.NewRadioGroup(options, func(string) { f.updateNext() })
	hint := widget.NewLabel("")
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.MediumImportance
	if len(types) == 1 && types[0] == api.UnsubscribeNotReceived {
		hint.SetText("A return is possible once the delivery has arrived; until then you can ask for a refund.")
	}
	f.steps[0] = container.NewVBox(intro, f.choice, hint)

	f.amount = widget.NewEntry()
	f.amount.SetText(csvAmount(d.PaidCents))
	amountHelp := widget.NewLabel("More than 0 and at most the " + money(d.PaidCents, d.Currency) + " you paid.")
	amountHelp.Importance = widget.MediumImportance
	f.reason = widget.NewMultiLineEntry()
	f.reason.SetPlaceHolder("Why? The merchant reads this when reviewing the request.")
	f.reason.SetMinRowsVisible(3)
	f.reason.Wrapping = fyne.TextWrapWord
	f.tracking = widget.NewEntry()
	f.tracking.SetPlaceHolder("Tracking number of the parcel you sent back")
	trackingLabel := widget.NewLabel("Return tracking")
	f.trackingRow = []fyne.CanvasObject{trackingLabel, f.tracking}
	f.problem = newProblemLabel()
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Refund amount ("+d.Currency+")"), container.NewVBox(f.amount, amountHelp),
		widget.NewLabel("Reason"), f.reason,
		trackingLabel, f.tracking)
	f.steps[1] = container.NewVBox(form, f.problem)

	f.outcome = widget.NewLabel("")
	f.outcome.Wrapping = fyne.TextWrapWord
	f.steps[2] = container.NewVBox(widget.NewIcon(theme.ConfirmIcon()), f.outcome)

	f.cancel = widget.NewButton("Cancel", nil)
	f.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { f.show(0) })
	f.next = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), func() { f.show(1) })
	f.next.Importance = widget.HighImportance
	f.send = widget.NewButtonWithIcon("Send request", theme.MailSendIcon(), func() { s.submitUnsubscribe(f) })
	f.send.Importance = widget.HighImportance
	f.closeBtn = widget.NewButton("Close", nil)

	body := container.NewStack(f.steps[0], f.steps[1], f.steps[2])
	size := fyne.NewSize(520, max(f.steps[0].MinSize().Height, f.steps[1].MinSize().Height)+60)
	f.dlg = dialog.NewCustomWithoutButtons("Unsubscribe "+d.Title, container.NewGridWrap(size, body), s.u.win)
	f.cancel.OnTapped, f.closeBtn.OnTapped = f.dlg.Hide, f.dlg.Hide
	f.dlg.SetOnClosed(func() {
		if s.unsub == f {
			s.unsub = nil
		}
	})
	if len(options) == 1 {
		f.choice.SetSelected(options[0])
	}
	f.show(0)
	s.unsub = f
	f.dlg.Show()
}

// kind is the request type chosen in the first step, "" when none.
func (f *unsubscribeFlow) kind() string {
	switch f.choice.Selected {
	case choiceNotReceived:
		return api.UnsubscribeNotReceived
	case choiceReceived:
		return api.UnsubscribeReceived
	}
	return ""
}

func (f *unsubscribeFlow) updateNext() {
	if f.next == nil {
		return
	}
	if f.kind() == "" {
		f.next.Disable()
	} else {
		f.next.Enable()
	}
}

// show switches the dialog to step i (0 choose, 1 details, 2 sent).
func (f *unsubscribeFlow) show(i int) {
	for j, st := range f.steps {
		if j == i {
			st.Show()
		} else {
			st.Hide()
		}
	}
	switch i {
	case 0:
		f.updateNext()
		f.dlg.SetButtons([]fyne.CanvasObject{f.cancel, f.next})
	case 1:
		for _, o := range f.trackingRow {
			if f.kind() == api.UnsubscribeReceived {
				o.Show()
			} else {
				o.Hide()
			}
		}
		showProblem(f.problem, "")
		f.dlg.SetButtons([]fyne.CanvasObject{f.back, f.send})
	case 2:
		f.dlg.SetButtons([]fyne.CanvasObject{f.closeBtn})
	}
}

// submitUnsubscribe checks the request here first, then sends it; the dialog says what is wrong
// and stays open until the marketplace accepts the request. UI thread.
func (s *deliveriesScreen) submitUnsubscribe(f *unsubscribeFlow) {
	req, err := unsubscribeRequest(f.d, f.kind(), f.amount.Text, f.reason.Text, f.tracking.Text)
	if err != nil {
		showInvalid(f.problem, err)
		return
	}
	u, id := s.u, f.d.ID
	sendForm(u, f.problem, func(ctx context.Context) (*api.HardwareDelivery, error) { return u.market.Unsubscribe(ctx, id, req) },
		func(d *api.HardwareDelivery) {
			f.d = *d
			f.outcome.SetText("Your request was sent. " + reviewText(d.Unsubscribe, d.Currency) +
				" You will get a notification when the merchant decides.")
			f.show(2)
			s.putHardware(*d)
		}, f.send, f.back)
}
