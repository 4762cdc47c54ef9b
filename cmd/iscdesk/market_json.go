package main

import (
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// orEmpty gives [] rather than null for an empty list.
func orEmpty[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

func (p *jsonPrinter) SignedIn(s signedIn) error { return p.doc(s) }

func (p *jsonPrinter) SignedOut(market string) error {
	return p.doc(struct {
		Market   string `json:"market"`
		SignedIn bool   `json:"signed_in"`
	}{market, false})
}

func (p *jsonPrinter) Owned(rows []ownedRow) error { return p.doc(orEmpty(rows)) }

func (p *jsonPrinter) Ticket(*api.TicketResponse) error { return nil }

func (p *jsonPrinter) Licenses(items []api.License) error  { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) License(l *api.License) error        { return p.doc(l) }
func (p *jsonPrinter) LicensePlaced(r licensePlaced) error { return p.doc(r) }

func (p *jsonPrinter) Orders(items []api.Order) error { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) Order(o *api.Order) error       { return p.doc(o) }
func (p *jsonPrinter) Exported(e exported) error      { return p.doc(e) }

func (p *jsonPrinter) Images(items []api.ImageDelivery) error          { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) HardwareList(items []api.HardwareDelivery) error { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) Hardware(h *api.HardwareDelivery) error          { return p.doc(h) }

func (p *jsonPrinter) APIPackages(items []api.APIPackage) error { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) APIPackage(a *api.APIPackage) error       { return p.doc(a) }

func (p *jsonPrinter) Admins(items []api.OrgAdmin) error { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) Admin(a *api.OrgAdmin) error       { return p.doc(a) }

func (p *jsonPrinter) AdminRemoved(user string) error {
	return p.doc(struct {
		Removed string `json:"removed"`
	}{user})
}

func (p *jsonPrinter) Notifications(items []api.Notification) error { return p.doc(orEmpty(items)) }
func (p *jsonPrinter) Notification(n api.Notification) error        { return p.line(n) }
