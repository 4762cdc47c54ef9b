package gui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func init() { screens = append(screens, screenEntry{order: 50, build: newDeliveriesScreen}) }

const deliveriesTitle = "Deliveries"

// deliveriesScreen shows the cloud images and the hardware the tenant bought: images with their
// billing and an id to copy, hardware with its shipping and the unsubscribe (refund or return) flow.
type deliveriesScreen struct {
	marketScreen
	u        *UI
	images   marketView[api.ImageDelivery]
	hardware marketView[api.HardwareDelivery]

	tabs      *container.AppTabs
	status    *widget.Label
	imageList *widget.List
	copied    *widget.Label

	hwList         *widget.List
	hwName, hwLine *widget.Label
	hwReview       *widget.Label
	hwFacts        *fyne.Container
	unsubscribe    *widget.Button
	hwDetail       fyne.CanvasObject
	hwEmpty        fyne.CanvasObject

	// UI thread.
	selected string           // hardware delivery id
	unsub    *unsubscribeFlow // the open Unsubscribe dialog, nil when none
}

func newDeliveriesScreen(u *UI) Screen {
	s := &deliveriesScreen{u: u}
	// A delivery moves with its order: both kinds reload both lists.
	s.marketScreen = marketScreen{title: deliveriesTitle, icon: theme.MailSendIcon(), views: []refresher{&s.images, &s.hardware},
		kinds: []string{"delivery", "order"}, draw: s.redraw}
	s.images = marketView[api.ImageDelivery]{u: u, what: "image deliveries", shown: s.redraw,
		id: func(d api.ImageDelivery) string { return d.ID },
		fetch: func(ctx context.Context) ([]api.ImageDelivery, error) {
			return collectMax(u.market.ImageDeliveries(ctx, mclient.ListOptions{PageSize: 200}), marketViewMaxRows)
		}}
	s.hardware = marketView[api.HardwareDelivery]{u: u, what: "hardware deliveries", shown: s.redraw, id: hardwareID,
		fetch: func(ctx context.Context) ([]api.HardwareDelivery, error) {
			return collectMax(u.market.HardwareDeliveries(ctx, mclient.ListOptions{PageSize: 200}), marketViewMaxRows)
		}}
	s.status = newStatusLabel()
	reload := s.reloadButton()

	s.copied = widget.NewLabel("")
	s.copied.Importance = widget.SuccessImportance
	s.imageList = widget.NewList(func() int { return len(s.images.items) }, newImageRow, s.bindImageRow)
	imagesTab := container.NewBorder(nil, s.copied, nil, nil, s.imageList)

	s.hwList = newPickList(func() []api.HardwareDelivery { return s.hardware.items }, hardwareID, newHardwareRow, s.bindHardwareRow,
		func(id string) {
			s.selected = id
			s.updateHardwareDetail()
		})
	s.hwName = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.hwName.SizeName = theme.SizeNameSubHeadingText
	s.hwName.Wrapping = fyne.TextWrapWord
	s.hwLine = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.hwLine.Wrapping = fyne.TextWrapWord
	s.hwReview = widget.NewLabel("")
	s.hwReview.Wrapping = fyne.TextWrapWord
	s.hwFacts = container.New(layout.NewFormLayout())
	s.unsubscribe = widget.NewButtonWithIcon("Unsubscribe…", theme.ContentUndoIcon(), s.startUnsubscribe)
	s.hwDetail = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.ComputerIcon()), nil, s.hwName),
		widget.NewSeparator(), s.hwLine, s.hwReview, container.NewHBox(s.unsubscribe),
		widget.NewSeparator(), s.hwFacts)
	var hwSplit *container.Split
	hwSplit, s.hwEmpty = detailSplit(s.hwList, s.hwDetail, "Select a delivery to see its shipping and to unsubscribe.", 0.55)

	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Images", theme.StorageIcon(), imagesTab),
		container.NewTabItemWithIcon("Hardware", theme.ComputerIcon(), hwSplit),
	)
	s.tabs.OnSelected = func(*container.TabItem) { s.redraw() }
	top := container.NewBorder(nil, nil, nil, reload, s.status)
	s.content = container.NewBorder(top, nil, nil, nil, s.tabs)
	s.redraw()
	return s
}

// redraw shows the status of the tab on top, the lists and the selected delivery. UI thread.
func (s *deliveriesScreen) redraw() {
	if s.tabs == nil {
		return // still being built
	}
	text, imp := s.images.status()
	if s.tabs.SelectedIndex() == 1 {
		text, imp = s.hardware.status()
	}
	setStatus(s.status, text, imp)
	s.imageList.Refresh()
	reselect(s.hwList, indexOf(s.hardware.items, s.selected, hardwareID))
	s.hwList.Refresh()
	s.updateHardwareDetail()
}

func newImageRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("Image name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	id := widget.NewLabelWithStyle("img-0000000000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	id.Truncation = fyne.TextTruncateEllipsis
	billing := widget.NewLabel("Pay per use · 0.00 EUR per hour")
	billing.Importance = widget.MediumImportance
	billing.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabelWithStyle("Provisioning", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	copyID := widget.NewButtonWithIcon("Copy ID", theme.ContentCopyIcon(), nil)
	return container.NewBorder(nil, nil, widget.NewIcon(theme.StorageIcon()), container.NewVBox(state, copyID),
		container.NewVBox(name, id, billing))
}

func (s *deliveriesScreen) bindImageRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.images.items) {
		return
	}
	img := s.images.items[id]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(img.Name)
	texts[1].(*widget.Label).SetText(joinNonEmpty(" · ", img.ImageID, img.Region))
	texts[2].(*widget.Label).SetText(billingText(img))
	right := row.Objects[2].(*fyne.Container).Objects
	state := right[0].(*widget.Label)
	state.Importance = imageStateImportance(img.State)
	state.SetText(words(img.State))
	right[1].(*widget.Button).OnTapped = func() { s.copyImageID(img) }
}

// copyImageID puts an image's id on the clipboard, for the cloud console. UI thread.
func (s *deliveriesScreen) copyImageID(img api.ImageDelivery) {
	s.u.app.Clipboard().SetContent(img.ImageID)
	s.copied.SetText("Copied " + img.ImageID + " (" + img.Name + ") to the clipboard.")
}

// billingText is how an image is paid for: "Pay per use · 0.42 EUR per hour · cloud server cs-1".
func billingText(img api.ImageDelivery) string {
	mode := map[string]string{api.BillingPayPerUse: "Pay per use", api.BillingMonthly: "Monthly", api.BillingYearly: "Yearly"}[img.BillingMode]
	if mode == "" {
		mode = words(img.BillingMode)
	}
	price := money(img.PriceCents, img.Currency)
	if img.PriceUnit != "" {
		price += " per " + img.PriceUnit
	}
	extra := ""
	switch {
	case img.BillingMode == api.BillingPayPerUse && img.CloudServerID != "":
		extra = "cloud server " + img.CloudServerID
	case img.ExpiresAt != nil:
		extra = "paid until " + day(*img.ExpiresAt)
	}
	return joinNonEmpty(" · ", mode, price, extra)
}

func imageStateImportance(state string) widget.Importance {
	switch state {
	case api.ImageActive:
		return widget.SuccessImportance
	case api.ImageExpired:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

func newHardwareRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Hardware title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("Carrier · tracking")
	sub.Importance = widget.MediumImportance
	sub.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabelWithStyle("In transit", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	review := widget.NewLabelWithStyle("Refund under review", fyne.TextAlignTrailing, fyne.TextStyle{})
	return container.NewBorder(nil, nil, widget.NewIcon(theme.ComputerIcon()), container.NewVBox(state, review),
		container.NewVBox(title, sub))
}

func (s *deliveriesScreen) bindHardwareRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.hardware.items) {
		return
	}
	d := s.hardware.items[id]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(fmt.Sprintf("%s × %d", d.Title, max(d.Quantity, 1)))
	texts[1].(*widget.Label).SetText(joinNonEmpty(" · ", money(d.PaidCents, d.Currency), d.Carrier, d.TrackingNumber))
	right := row.Objects[2].(*fyne.Container).Objects
	state := right[0].(*widget.Label)
	state.Importance = hardwareStateImportance(d.State)
	state.SetText(words(d.State))
	review := right[1].(*widget.Label)
	review.SetText(reviewBadge(d.Unsubscribe))
}

// reviewBadge is the short form of an unsubscribe request's state, for the list.
func reviewBadge(u *api.HardwareUnsubscribe) string {
	if u == nil {
		return ""
	}
	kind := map[string]string{api.UnsubscribeNotReceived: "Refund", api.UnsubscribeReceived: "Return"}[u.Type]
	return strings.TrimSpace(kind + " " + map[string]string{
		api.ReviewPending: "under review", api.ReviewApproved: "approved", api.ReviewRejected: "rejected",
	}[u.ReviewState])
}

func hardwareStateImportance(state string) widget.Importance {
	switch state {
	case api.HardwareDelivered:
		return widget.SuccessImportance
	}
	return widget.MediumImportance
}

func (s *deliveriesScreen) selectedHardware() *api.HardwareDelivery {
	return s.hardware.byID(s.selected)
}

func hardwareID(d api.HardwareDelivery) string { return d.ID }

// updateHardwareDetail redraws the hardware detail pane. UI thread.
func (s *deliveriesScreen) updateHardwareDetail() {
	d := s.selectedHardware()
	showDetail(s.hwDetail, s.hwEmpty, d != nil)
	if d == nil {
		return
	}
	s.hwName.SetText(d.Title)
	s.hwLine.SetText(shippingText(*d))
	s.hwLine.Importance = hardwareStateImportance(d.State)
	s.hwLine.Refresh()
	s.hwReview.SetText(reviewText(d.Unsubscribe, d.Currency))
	if d.Unsubscribe == nil {
		s.hwReview.Hide()
	} else {
		s.hwReview.Show()
	}
	if d.Unsubscribe != nil && d.Unsubscribe.ReviewState == api.ReviewRejected {
		s.hwReview.Importance = widget.DangerImportance
	} else {
		s.hwReview.Importance = widget.MediumImportance
	}
	s.hwReview.Refresh()
	if len(unsubscribeTypes(*d)) > 0 {
		s.unsubscribe.Enable()
	} else {
		s.unsubscribe.Disable()
	}
	facts := [][2]string{
		{"Delivery", d.ID},
		{"Order", cmpOrDash(d.OrderID)},
		{"Quantity", fmt.Sprint(d.Quantity)},
		{"Paid", money(d.PaidCents, d.Currency)},
		{"Carrier", cmpOrDash(d.Carrier)},
		{"Tracking", cmpOrDash(d.TrackingNumber)},
		{"Shipped", dayTime(ptrTime(d.ShippedAt))},
		{"Delivered", dayTime(ptrTime(d.DeliveredAt))},
	}
	if u := d.Unsubscribe; u != nil {
		if u.ReturnTracking != "" {
			facts = append(facts, [2]string{"Return tracking", u.ReturnTracking})
		}
		facts = append(facts, [2]string{"Request reason", u.Reason}) // last: it may wrap
	}
	s.hwFacts.Objects = factObjects(facts)
	s.hwFacts.Refresh()
}

// shippingText says where a hardware delivery is, for people.
func shippingText(d api.HardwareDelivery) string {
	track := joinNonEmpty(" ", d.Carrier, d.TrackingNumber)
	switch d.State {
	case api.HardwarePending:
		return "Waiting to be shipped."
	case api.HardwareShipped, api.HardwareInTransit:
		text := words(d.State)
		if d.ShippedAt != nil {
			text += " since " + day(*d.ShippedAt)
		}
		if track != "" {
			text += ", tracking " + track
		}
		return text + "."
	case api.HardwareDelivered:
		return "Delivered " + day(ptrTime(d.DeliveredAt)) + "."
	case api.HardwareReturned:
		return "Returned: the merchant accepted the return."
	case api.HardwareRefunded:
		return "Refunded: the merchant accepted the refund."
	}
	return words(d.State) + "."
}

// putHardware replaces a delivery in the list (after an unsubscribe) and redraws. UI thread.
func (s *deliveriesScreen) putHardware(d api.HardwareDelivery) {
	s.hardware.put(d)
	s.redraw()
}
