package gui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// unsubscribeFrom says from which delivery states each kind of request may be made, as the
// marketplace rules it: a refund until the goods are confirmed received (a parcel marked
// delivered may still not have reached the buyer), a return only once delivered.
var unsubscribeFrom = map[string][]string{
	api.UnsubscribeNotReceived: {api.HardwarePending, api.HardwareShipped, api.HardwareInTransit, api.HardwareDelivered},
	api.UnsubscribeReceived:    {api.HardwareDelivered},
}

// maxUnsubscribeReason is the marketplace's limit on a request's reason, in bytes.
const maxUnsubscribeReason = 1000

// unsubscribeTypes lists the kinds of request the delivery d allows now, refund first; none
// when it has a request under review or has ended.
func unsubscribeTypes(d api.HardwareDelivery) []string {
	if d.Unsubscribe != nil && d.Unsubscribe.ReviewState == api.ReviewPending {
		return nil
	}
	var out []string
	for _, t := range []string{api.UnsubscribeNotReceived, api.UnsubscribeReceived} {
		if slices.Contains(unsubscribeFrom[t], d.State) {
			out = append(out, t)
		}
	}
	return out
}

// unsubscribeRequest checks what the Unsubscribe dialog holds against the delivery, as the
// marketplace will, so that the user reads what to fix before anything is sent.
func unsubscribeRequest(d api.HardwareDelivery, typ, amount, reason, tracking string) (api.UnsubscribeRequest, error) {
	reason, tracking = strings.TrimSpace(reason), strings.TrimSpace(tracking)
	if d.Unsubscribe != nil && d.Unsubscribe.ReviewState == api.ReviewPending {
		return api.UnsubscribeRequest{}, errors.New("this delivery already has a request under review; wait for the merchant's answer")
	}
	switch typ {
	case api.UnsubscribeNotReceived, api.UnsubscribeReceived:
	default:
		return api.UnsubscribeRequest{}, errors.New("choose whether you received the goods")
	}
	if !slices.Contains(unsubscribeFrom[typ], d.State) {
		if typ == api.UnsubscribeReceived {
			return api.UnsubscribeRequest{}, fmt.Errorf("a return is possible once the delivery has arrived; it is %s", strings.ToLower(words(d.State)))
		}
		return api.UnsubscribeRequest{}, fmt.Errorf("a refund is not possible for a delivery that is %s", strings.ToLower(words(d.State)))
	}
	cents, err := parseMoney(amount)
	if err != nil {
		return api.UnsubscribeRequest{}, fmt.Errorf("refund amount: %w", err)
	}
	paid := money(d.PaidCents, d.Currency)
	switch {
	case cents <= 0:
		return api.UnsubscribeRequest{}, fmt.Errorf("the refund amount must be more than 0 and at most the %s you paid", paid)
	case cents > d.PaidCents:
		return api.UnsubscribeRequest{}, fmt.Errorf("the refund amount %s is more than the %s you paid; enter at most %s",
			money(cents, d.Currency), paid, paid)
	case reason == "":
		return api.UnsubscribeRequest{}, errors.New("say why you unsubscribe: the merchant reads it when reviewing the request")
	case len(reason) > maxUnsubscribeReason:
		return api.UnsubscribeRequest{}, fmt.Errorf("the reason is %d characters long; shorten it to %d", len(reason), maxUnsubscribeReason)
	case typ == api.UnsubscribeReceived && tracking == "":
		return api.UnsubscribeRequest{}, errors.New("enter the tracking number of the parcel you sent back: the merchant needs it to accept the return")
	case len(tracking) > 100:
		return api.UnsubscribeRequest{}, errors.New("the return tracking number is longer than 100 characters")
	}
	req := api.UnsubscribeRequest{Type: typ, AmountCents: cents, Reason: reason}
	if typ == api.UnsubscribeReceived {
		req.ReturnTracking = tracking
	}
	return req, nil
}

// reviewText says where an unsubscribe request stands, for people.
func reviewText(u *api.HardwareUnsubscribe, currency string) string {
	if u == nil {
		return ""
	}
	kind := map[string]string{api.UnsubscribeNotReceived: "Refund", api.UnsubscribeReceived: "Return"}[u.Type]
	if kind == "" {
		kind = words(u.Type)
	}
	head := fmt.Sprintf("%s of %s requested %s", kind, money(u.AmountCents, currency), day(u.CreatedAt))
	switch u.ReviewState {
	case api.ReviewPending:
		return head + ": waiting for the merchant's review."
	case api.ReviewApproved:
		return head + ": approved " + day(ptrTime(u.ReviewedAt)) + "."
	case api.ReviewRejected:
		text := head + ": rejected " + day(ptrTime(u.ReviewedAt))
		if u.ReviewNote != "" {
			text += " (" + u.ReviewNote + ")"
		}
		return text + "."
	}
	return head + ": " + strings.ToLower(words(u.ReviewState)) + "."
}
