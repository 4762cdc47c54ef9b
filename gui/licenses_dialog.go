package gui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

// applyDialog is the open "Apply for a license" dialog. UI thread.
type applyDialog struct {
	product     *widget.Select
	from, until *widget.Entry
	problem     *widget.Label
	submit      *widget.Button
	dlg         *dialog.CustomDialog
	products    []string // product ids, in the order of product's options
	key         string   // Idempotency-Key: a retried submission is the same application
}

// showApply opens the Apply dialog for the device fp. UI thread.
func (s *licensesScreen) showApply(fp fingerprint.Fingerprint) {
	u := s.u
	ents := u.marketSt.entitlements
	if len(ents) == 0 {
		u.showError("Applying for a license", errNoProducts)
		return
	}
	d := &applyDialog{key: mclient.NewIdempotencyKey()}
	var names []string
	for _, e := range ents {
		if slices.Contains(d.products, e.Product) {
			continue
		}
		d.products = append(d.products, e.Product)
		names = append(names, cmpOrDash(e.Name)+" ("+e.Product+")")
	}
	d.product = widget.NewSelect(names, nil)
	d.product.PlaceHolder = "Choose a product"
	if l := s.selectedLicense(); l != nil {
		for i, p := range d.products {
			if p == l.Product {
				d.product.SetSelectedIndex(i)
			}
		}
	}
	if len(names) == 1 {
		d.product.SetSelectedIndex(0)
	}
	now := u.opts.Now()
	d.from = widget.NewEntry()
	d.from.SetText(now.Format(dateLayout))
	d.from.SetPlaceHolder("YYYY-MM-DD")
	d.until = widget.NewEntry()
	d.until.SetText(now.AddDate(1, 0, 0).Format(dateLayout))
	d.until.SetPlaceHolder("YYYY-MM-DD")

	fpLine := widget.NewLabelWithStyle(fp.String(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	fpLine.Wrapping = fyne.TextWrapBreak
	fpLine.Selectable = true
	parts := container.New(layout.NewFormLayout(), factObjects([][2]string{
		{"Network adapter", fp.MAC}, {"Disk", fp.Disk}, {"Board", fp.Board}, {"CPU", fp.CPU},
	})...)
	note := widget.NewLabel("")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.WarningImportance
	if unknown := fp.Unknown(); len(unknown) > 0 {
		note.SetText("This computer does not reveal its " + strings.Join(unknown, ", ") +
			" to ISCDesk; a code made from its system id stands in for each. The license still binds to this computer.")
	} else {
		note.Hide()
	}
	d.problem = newProblemLabel()

	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Product"), d.product,
		widget.NewLabel("Valid from"), d.from,
		widget.NewLabel("Valid until"), d.until)
	intro := widget.NewLabel("The license will work on this computer only. It is bound to this device fingerprint (MAC|disk|board|cpu):")
	intro.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(form, widget.NewSeparator(), intro, fpLine, parts, note, d.problem)

	d.submit = widget.NewButtonWithIcon("Apply", theme.ConfirmIcon(), func() { s.submitApply(d, fp) })
	d.submit.Importance = widget.HighImportance
	d.dlg = newFormDialog(u.win, "Apply for a license", body, 560, 40, d.submit)
	d.dlg.SetOnClosed(func() {
		if s.applying == d {
			s.applying = nil
		}
	})
	s.applying = d
	d.dlg.Show()
}

// submitApply checks the dialog and sends the application; the dialog stays open, saying what
// is wrong, until the marketplace accepts it. UI thread.
func (s *licensesScreen) submitApply(d *applyDialog, fp fingerprint.Fingerprint) {
	u := s.u
	product := ""
	if i := d.product.SelectedIndex(); i >= 0 && i < len(d.products) {
		product = d.products[i]
	}
	app, err := licenseApplication(product, d.from.Text, d.until.Text, fp, u.opts.Now())
	if err != nil {
		showInvalid(d.problem, err)
		return
	}
	session := u.marketSt.session
	sendForm(u, d.problem, func(ctx context.Context) (*api.License, error) { return u.market.ApplyLicense(ctx, app, d.key) },
		func(lic *api.License) {
			d.dlg.Hide()
			if session != u.marketSt.session {
				return
			}
			s.selected = lic.ID
			s.put(*lic)
			if lic.State == api.LicensePending {
				s.follow(lic.ID)
			}
		}, d.submit)
}
