package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func (p *textPrinter) SignedIn(s signedIn) error {
	return p.table(func(w io.Writer) {
		me := s.Me
		fmt.Fprintf(w, "marketplace\t%s\n", s.Market)
		fmt.Fprintf(w, "user\t%s (%s), %s\n", me.Username, orDash(me.DisplayName), me.Role)
		fmt.Fprintf(w, "organisation\t%s (%s)\n", orDash(me.TenantName), me.TenantID)
		if me.Email != "" {
			fmt.Fprintf(w, "email\t%s\n", me.Email)
		}
		switch {
		case s.ByToken:
			fmt.Fprintf(w, "session\tthe token given with --token\n")
		case s.ExpiresAt != nil:
			fmt.Fprintf(w, "session\tstored on this machine; its access token is renewed as needed (now until %s)\n", stamp(*s.ExpiresAt))
		}
	})
}

func (p *textPrinter) SignedOut(market string) error {
	_, err := fmt.Fprintf(p.w, "Signed out of %s.\n", market)
	return err
}

func (p *textPrinter) Owned(rows []ownedRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(p.w, "Your organisation owns no software, and none is installed through ISCDesk.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "PRODUCT\tNAME\tOWNED\tINSTALLED\tSTATE")
		for _, r := range rows {
			owned := "no"
			if r.Owned {
				owned = orDash(r.OwnedVersion)
			}
			state := r.State
			if r.Detail != "" {
				state += ": " + r.Detail
			}
			if r.Job != nil && !r.Job.Final() {
				state += " (" + string(r.Job.Action) + " " + jobState(*r.Job) + ", job " + r.Job.ID + ")"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Product, orDash(r.Name), owned, orDash(r.InstalledVersion), state)
		}
	})
}

func (p *textPrinter) Ticket(t *api.TicketResponse) error {
	return p.println(time.Now(), "", fmt.Sprintf("release ticket for %s %s (%s), valid until %s",
		t.Product, t.Version, t.Platform, stamp(t.ExpiresAt)))
}

func (p *textPrinter) Licenses(items []api.License) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No licenses. Apply for one with `iscdesk licenses apply PRODUCT`.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tPRODUCT\tSTATE\tKIND\tEXPIRES\tDEVICE")
		for _, l := range items {
			state := l.State
			if l.Reason != "" {
				state += " (see: iscdesk licenses show " + l.ID + ")" // the reason is long; a table row is not
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.Product, state, orDash(l.Kind), day(l.ExpiresAt), l.Fingerprint)
		}
	})
}

func (p *textPrinter) License(l *api.License) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "license\t%s\n", l.ID)
		fmt.Fprintf(w, "product\t%s\n", l.Product)
		fmt.Fprintf(w, "state\t%s\n", l.State)
		if l.Reason != "" {
			fmt.Fprintf(w, "reason\t%s\n", l.Reason)
		}
		fmt.Fprintf(w, "device\t%s\n", l.Fingerprint)
		fmt.Fprintf(w, "effective\t%s\n", stamp(l.EffectiveAt))
		fmt.Fprintf(w, "expires\t%s\n", stamp(l.ExpiresAt))
		if l.Kind != "" {
			kind := l.Kind
			if l.FileName != "" {
				kind += " " + l.FileName
			}
			fmt.Fprintf(w, "content\t%s, SHA-256 %s\n", kind, orDash(l.SHA256))
		}
		fmt.Fprintf(w, "applied\t%s\n", stamp(l.CreatedAt))
		if l.IssuedAt != nil {
			fmt.Fprintf(w, "issued\t%s\n", stamp(*l.IssuedAt))
		}
		if l.State == api.LicenseIssued {
			fmt.Fprintf(w, "next\tiscdesk licenses install %s\n", l.ID)
		}
	})
}

func (p *textPrinter) LicensePlaced(r licensePlaced) error {
	_, err := fmt.Fprintf(p.w, "Wrote license %s of %s to %s (%d bytes, SHA-256 %s).\n", r.License, r.Product, r.Path, r.Bytes, r.SHA256)
	return err
}

func (p *textPrinter) Orders(items []api.Order) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No orders.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tKIND\tSTATE\tAMOUNT\tCREATED\tTITLE")
		for _, o := range items {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Kind, o.State, money(o.AmountCents, o.Currency), day(o.CreatedAt), o.Title)
		}
	})
}

func (p *textPrinter) Order(o *api.Order) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "order\t%s\n", o.ID)
		fmt.Fprintf(w, "title\t%s\n", o.Title)
		fmt.Fprintf(w, "kind\t%s\n", o.Kind)
		if o.Product != "" {
			fmt.Fprintf(w, "product\t%s\n", o.Product)
		}
		fmt.Fprintf(w, "state\t%s\n", o.State)
		fmt.Fprintf(w, "amount\t%s\n", money(o.AmountCents, o.Currency))
		fmt.Fprintf(w, "created\t%s\n", stamp(o.CreatedAt))
		fmt.Fprintf(w, "updated\t%s\n", stamp(o.UpdatedAt))
	})
}

func (p *textPrinter) Exported(e exported) error {
	_, err := fmt.Fprintf(p.w, "Wrote %d orders to %s.\n", e.Orders, e.File)
	return err
}

func (p *textPrinter) Images(items []api.ImageDelivery) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No image deliveries.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tNAME\tBILLING\tPRICE\tSTATE\tSERVER\tPAID UNTIL")
		for _, d := range items {
			price := money(d.PriceCents, d.Currency) + "/" + d.PriceUnit
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Name, strings.ReplaceAll(d.BillingMode, "_", " "), price, d.State, orDash(d.CloudServerID), stampPtr(d.ExpiresAt))
		}
	})
}

func (p *textPrinter) HardwareList(items []api.HardwareDelivery) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No hardware deliveries.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tTITLE\tQTY\tPAID\tSTATE\tTRACKING\tUNSUBSCRIBE")
		for _, d := range items {
			tracking := "-"
			if d.TrackingNumber != "" {
				tracking = strings.TrimSpace(d.Carrier + " " + d.TrackingNumber)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.Title, d.Quantity, money(d.PaidCents, d.Currency), strings.ReplaceAll(d.State, "_", " "), tracking, unsubscribeText(d))
		}
	})
}

// unsubscribeText is "refund of 10.00 EUR: pending review", or "-".
func unsubscribeText(d api.HardwareDelivery) string {
	u := d.Unsubscribe
	if u == nil {
		return "-"
	}
	what := "refund"
	if u.Type == api.UnsubscribeReceived {
		what = "return"
	}
	s := fmt.Sprintf("%s of %s: %s", what, money(u.AmountCents, d.Currency), u.ReviewState)
	if u.ReviewNote != "" {
		s += " (" + u.ReviewNote + ")"
	}
	return s
}

func (p *textPrinter) Hardware(d *api.HardwareDelivery) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "delivery\t%s\n", d.ID)
		fmt.Fprintf(w, "title\t%s (x%d)\n", d.Title, d.Quantity)
		fmt.Fprintf(w, "paid\t%s\n", money(d.PaidCents, d.Currency))
		fmt.Fprintf(w, "state\t%s\n", strings.ReplaceAll(d.State, "_", " "))
		if d.TrackingNumber != "" {
			fmt.Fprintf(w, "tracking\t%s %s\n", d.Carrier, d.TrackingNumber)
		}
		if u := d.Unsubscribe; u != nil {
			fmt.Fprintf(w, "unsubscribe\t%s\n", unsubscribeText(*d))
			fmt.Fprintf(w, "reason\t%s\n", u.Reason)
			if u.ReturnTracking != "" {
				fmt.Fprintf(w, "return tracking\t%s\n", u.ReturnTracking)
			}
		}
	})
}

// alertText is "at 20% left by sms, email", or "-".
func alertText(a *api.QuotaAlert) string {
	if a == nil {
		return "-"
	}
	at := fmt.Sprintf("%d calls left", a.Threshold)
	if a.Mode == api.AlertPercent {
		at = fmt.Sprintf("%d%% left", a.Threshold)
	}
	return "at " + at + " by " + strings.ReplaceAll(strings.Join(a.Channels, ", "), "_", "-")
}

func (p *textPrinter) APIPackages(items []api.APIPackage) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No API packages.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tNAME\tAPI\tREMAINING\tALERT")
		for _, a := range items {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d of %d\t%s\n", a.ID, a.Name, a.API, a.RemainingCalls, a.TotalCalls, alertText(a.Alert))
		}
	})
}

func (p *textPrinter) APIPackage(a *api.APIPackage) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "package\t%s\n", a.ID)
		fmt.Fprintf(w, "name\t%s (%s)\n", a.Name, a.API)
		fmt.Fprintf(w, "remaining\t%d of %d calls\n", a.RemainingCalls, a.TotalCalls)
		fmt.Fprintf(w, "alert\t%s\n", alertText(a.Alert))
		if a.ExpiresAt != nil {
			fmt.Fprintf(w, "expires\t%s\n", stamp(*a.ExpiresAt))
		}
	})
}

func (p *textPrinter) Admins(items []api.OrgAdmin) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "USER\tNAME\tEMAIL\tROLE\tADDED")
		for _, a := range items {
			role := "admin"
			if a.Creator {
				role = "creator"
			} else if a.InvitedBy != "" {
				role = "admin, invited by " + a.InvitedBy
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.Username, orDash(a.DisplayName), orDash(a.Email), role, stampPtr(a.AddedAt))
		}
	})
}

func (p *textPrinter) Admin(a *api.OrgAdmin) error {
	_, err := fmt.Fprintf(p.w, "%s (%s) is an admin of the organisation.\n", a.Username, orDash(a.DisplayName))
	return err
}

func (p *textPrinter) AdminRemoved(user string) error {
	_, err := fmt.Fprintf(p.w, "%s is no longer an admin of the organisation.\n", user)
	return err
}

func (p *textPrinter) Notifications(items []api.Notification) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No notifications.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "TIME\tKIND\tTITLE\tREAD")
		for _, n := range items {
			read := "no"
			if n.ReadAt != nil {
				read = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", stamp(n.CreatedAt), n.Kind, n.Title, read)
		}
	})
}

func (p *textPrinter) Notification(n api.Notification) error {
	text := n.Kind + ": " + n.Title
	if n.Body != "" {
		text += ": " + n.Body
	}
	return p.println(n.CreatedAt, "", text)
}
