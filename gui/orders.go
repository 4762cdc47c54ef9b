package gui

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func init() { screens = append(screens, screenEntry{order: 40, build: newOrdersScreen}) }

const (
	ordersTitle = "Orders"
	anyKind     = "All kinds"
	anyState    = "All states"
)

// ordersScreen lists the tenant's orders with filters, search, a detail pane and a CSV export.
type ordersScreen struct {
	marketScreen
	u    *UI
	view marketView[api.Order]
	save savePicker

	search       *widget.Entry
	kind, state  *widget.Select
	export       *widget.Button
	count        *widget.Label
	toolbar      *fyne.Container // refreshed when the count's width changes
	status       *widget.Label
	list         *widget.List
	detailTitle  *widget.Label
	detailFacts  *fyne.Container
	detail       fyne.CanvasObject
	empty        fyne.CanvasObject
	lastExported string // the path of the last export, for the status line

	// UI thread.
	shown    []api.Order // after filters and search
	selected string
}

func newOrdersScreen(u *UI) Screen {
	s := &ordersScreen{u: u, save: fileSaveDialog}
	s.marketScreen = marketScreen{title: ordersTitle, icon: theme.ListIcon(), views: []refresher{&s.view},
		kinds: []string{"order", "delivery"}, draw: s.redraw}
	s.view = marketView[api.Order]{u: u, what: "orders", shown: s.redraw, id: orderID,
		fetch: func(ctx context.Context) ([]api.Order, error) {
			return collectMax(u.market.Orders(ctx, mclient.ListOptions{PageSize: 200}), marketViewMaxRows)
		}}

	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search by title, product or order number")
	s.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.search.OnChanged = func(string) { s.refilter() }
	s.kind = widget.NewSelect(append([]string{anyKind}, mapSlice(orderKinds, words)...), func(string) { s.refilter() })
	s.kind.SetSelectedIndex(0)
	s.state = widget.NewSelect(append([]string{anyState}, mapSlice(orderStates, words)...), func(string) { s.refilter() })
	s.state.SetSelectedIndex(0)
	s.export = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), s.exportCSV)
	reload := s.reloadButton()
	s.count = widget.NewLabel("")
	s.status = newStatusLabel()

	s.list = newPickList(func() []api.Order { return s.shown }, orderID, newOrderRow, s.bindRow, func(id string) {
		s.selected = id
		s.updateDetail()
		s.reloadSelected()
	})

	s.detailTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.detailTitle.SizeName = theme.SizeNameSubHeadingText
	s.detailTitle.Wrapping = fyne.TextWrapWord
	s.detailFacts = container.New(layout.NewFormLayout())
	s.detail = container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentIcon()), nil, s.detailTitle),
		widget.NewSeparator(), s.detailFacts)
	var split *container.Split
	split, s.empty = detailSplit(s.list, s.detail, "Select an order to see its details.", 0.6)

	s.toolbar = container.NewBorder(nil, nil, nil, container.NewHBox(s.kind, s.state, s.count, s.export, reload), s.search)
	top := container.NewVBox(s.toolbar, s.status)
	s.content = container.NewBorder(top, nil, nil, nil, split)
	s.redraw()
	return s
}

func newOrderRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Order title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("kind · state · date")
	sub.Importance = widget.MediumImportance
	sub.Truncation = fyne.TextTruncateEllipsis
	amount := widget.NewLabelWithStyle("0.00 EUR", fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
	return container.NewBorder(nil, nil, nil, amount, container.NewVBox(title, sub))
}

func (s *ordersScreen) bindRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(s.shown) {
		return
	}
	ord := s.shown[id]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(ord.Title)
	texts[1].(*widget.Label).SetText(fmt.Sprintf("%s · %s · %s", words(ord.Kind), words(ord.State), day(ord.CreatedAt)))
	row.Objects[1].(*widget.Label).SetText(money(ord.AmountCents, ord.Currency))
}

// filterValue maps a filter's label back to the wire value ("" for any).
func filterValue(sel *widget.Select, values []string) string {
	i := sel.SelectedIndex()
	if i <= 0 || i > len(values) {
		return ""
	}
	return values[i-1]
}

// refilter applies the filters and the search, keeping the selection when it is still shown.
func (s *ordersScreen) refilter() {
	if s.list == nil || s.kind == nil || s.state == nil || s.toolbar == nil {
		return // still being built
	}
	s.shown = filterOrders(s.view.items, filterValue(s.kind, orderKinds), filterValue(s.state, orderStates), s.search.Text)
	reselect(s.list, indexOf(s.shown, s.selected, orderID))
	if count := fmt.Sprintf("%d of %d", len(s.shown), len(s.view.items)); count != s.count.Text {
		s.count.SetText(count)
		s.toolbar.Refresh()
	}
	s.export.Disable()
	if len(s.shown) > 0 {
		s.export.Enable()
	}
	s.list.Refresh()
	s.updateDetail()
}

// redraw shows the view's items and status. UI thread.
func (s *ordersScreen) redraw() {
	text, imp := s.view.status()
	if s.lastExported != "" && s.view.err == nil {
		text += " Exported to " + s.lastExported + "."
	}
	setStatus(s.status, text, imp)
	s.refilter()
}

// selectedOrder is the order in the detail pane, nil when none.
func (s *ordersScreen) selectedOrder() *api.Order { return s.view.byID(s.selected) }

func orderID(o api.Order) string { return o.ID }

func (s *ordersScreen) updateDetail() {
	o := s.selectedOrder()
	showDetail(s.detail, s.empty, o != nil)
	if o == nil {
		return
	}
	s.detailTitle.SetText(o.Title)
	facts := [][2]string{
		{"Order", o.ID},
		{"Kind", words(o.Kind)},
		{"State", words(o.State)},
		{"Amount", money(o.AmountCents, o.Currency)},
		{"Product", cmpOrDash(o.Product)},
		{"Ordered", dayTime(o.CreatedAt)},
		{"Last change", dayTime(o.UpdatedAt)},
		{"Ordered by", o.UserID},
	}
	if me := s.u.me; me != nil && me.UserID == o.UserID {
		facts[len(facts)-1][1] = "You (" + cmp.Or(me.DisplayName, me.Username) + ")"
	}
	s.detailFacts.Objects = factObjects(facts)
	s.detailFacts.Refresh()
}

// reloadSelected fetches the selected order afresh: its state may have moved since the list.
func (s *ordersScreen) reloadSelected() {
	id, u := s.selected, s.u
	u.load(func(ctx context.Context) {
		o, err := u.market.Order(ctx, id)
		u.do(func() {
			u.marketResult(err)
			if err != nil {
				return // the list's copy stays; the status line and banner tell of trouble
			}
			if cur := s.selectedOrder(); cur != nil && cur.ID == o.ID {
				*cur = *o
				s.refilter()
			}
		})
	})
}

// exportCSV asks where to save the orders shown (filters applied) and writes them there.
func (s *ordersScreen) exportCSV() {
	orders := slices.Clone(s.shown)
	if len(orders) == 0 {
		return
	}
	name := "iscdesk-orders-" + s.u.opts.Now().Format("2006-01-02") + ".csv"
	s.save(s.u.win, "", name, func(path string) { s.writeCSV(path, orders) })
}

// writeCSV writes orders to path in a goroutine and says how it went.
func (s *ordersScreen) writeCSV(path string, orders []api.Order) {
	u := s.u
	u.load(func(context.Context) {
		var buf bytes.Buffer
		err := WriteOrdersCSV(&buf, orders)
		if err == nil {
			err = saveFile(path, buf.Bytes(), 0o644)
		}
		u.do(func() {
			if err != nil {
				u.showError("Exporting the orders", err)
				return
			}
			s.lastExported = fmt.Sprintf("%s (%d orders, %s)", path, len(orders), u.opts.Now().Format("15:04"))
			s.redraw()
		})
	})
}

// factObjects lays out label/value pairs for a form layout; values wrap and can be selected.
func factObjects(facts [][2]string) []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, 0, 2*len(facts))
	for _, f := range facts {
		k := widget.NewLabelWithStyle(f[0], fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		v := widget.NewLabel(f[1])
		v.Wrapping = fyne.TextWrapWord
		v.Selectable = true
		out = append(out, k, v)
	}
	return out
}

func cmpOrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
