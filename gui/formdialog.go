package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// The dialogs that send a form to the marketplace (Set alert, Apply for a license, Unsubscribe)
// share this: a problem line, Cancel beside the button that sends, and a send that keeps the
// dialog open, saying what is wrong, until the marketplace accepts the form.

// newProblemLabel is a dialog's problem line, hidden until there is a problem.
func newProblemLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

// showProblem shows text in a dialog's problem line, or hides the line when text is empty.
func showProblem(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// showInvalid says in a dialog's problem line why the form was not sent.
func showInvalid(l *widget.Label, err error) { showProblem(l, capitalise(err.Error())+".") }

// newFormDialog makes a dialog of body, width wide and extra taller than body, with Cancel and
// send as its buttons. The caller shows it.
func newFormDialog(win fyne.Window, title string, body fyne.CanvasObject, width, extra float32, send *widget.Button) *dialog.CustomDialog {
	cancel := widget.NewButton("Cancel", nil)
	dlg := dialog.NewCustomWithoutButtons(title, container.NewGridWrap(fyne.NewSize(width, body.MinSize().Height+extra), body), win)
	cancel.OnTapped = dlg.Hide
	dlg.SetButtons([]fyne.CanvasObject{cancel, send})
	return dlg
}

// sendForm runs call off the UI thread with buttons disabled meanwhile. The marketplace's error
// goes to the problem line and the dialog stays open; its answer goes to done. UI thread.
func sendForm[T any](u *UI, problem *widget.Label, call func(ctx context.Context) (T, error), done func(T), buttons ...*widget.Button) {
	showProblem(problem, "")
	for _, b := range buttons {
		b.Disable()
	}
	u.load(func(ctx context.Context) {
		got, err := call(ctx)
		u.do(func() {
			for _, b := range buttons {
				b.Enable()
			}
			u.marketResult(err)
			if err != nil {
				showProblem(problem, errorText(err))
				return
			}
			done(got)
		})
	})
}
