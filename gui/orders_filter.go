package gui

import (
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// orderKinds and orderStates are the choices of the Orders filters, in the order shown.
var (
	orderKinds  = []string{api.OrderSoftware, api.OrderLicense, api.OrderImage, api.OrderHardware, api.OrderAPIPackage}
	orderStates = []string{api.StatePendingPayment, api.StatePaid, api.StateDelivering, api.StateDelivered,
		api.StateCancelled, api.StateRefunding, api.StateRefunded}
)

// filterOrders keeps the orders of kind and state ("" for any) whose id, title or product
// contains every word of query, ignoring case. The order of orders is kept.
func filterOrders(orders []api.Order, kind, state, query string) []api.Order {
	terms := strings.Fields(strings.ToLower(query))
	out := make([]api.Order, 0, len(orders))
	for _, o := range orders {
		if (kind != "" && o.Kind != kind) || (state != "" && o.State != state) {
			continue
		}
		hay := strings.ToLower(o.ID + " " + o.Title + " " + o.Product)
		match := true
		for _, t := range terms {
			if !strings.Contains(hay, t) {
				match = false
				break
			}
		}
		if match {
			out = append(out, o)
		}
	}
	return out
}
