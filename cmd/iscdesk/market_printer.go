package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// marketPrinter prints the answers of the marketplace commands; textPrinter and jsonPrinter
// implement it beside printer, so that text and JSON stay apart here too.
type marketPrinter interface {
	SignedIn(s signedIn) error
	SignedOut(market string) error
	Owned(rows []ownedRow) error
	// Ticket says which release a ticket names, before the job is followed (text only: --json
	// prints the job's events alone, as install TICKET_FILE does).
	Ticket(t *api.TicketResponse) error
	Licenses(items []api.License) error
	License(l *api.License) error
	LicensePlaced(p licensePlaced) error
	Orders(items []api.Order) error
	Order(o *api.Order) error
	Exported(e exported) error
	Images(items []api.ImageDelivery) error
	HardwareList(items []api.HardwareDelivery) error
	Hardware(h *api.HardwareDelivery) error
	APIPackages(items []api.APIPackage) error
	APIPackage(p *api.APIPackage) error
	Admins(items []api.OrgAdmin) error
	Admin(a *api.OrgAdmin) error
	AdminRemoved(user string) error
	Notifications(items []api.Notification) error
	// Notification prints one notification of a stream (a JSON line with --json).
	Notification(n api.Notification) error
}

// marketPrinter returns the marketplace printer that --json and the terminal ask for.
func (g *globals) marketPrinter() marketPrinter {
	if g.json {
		return newJSONPrinter(g.io.out)
	}
	return newTextPrinter(g.io.out, g.io.tty)
}

// signedIn is who is signed in to which marketplace (login, whoami).
type signedIn struct {
	Market    string     `json:"market"`
	Me        api.Me     `json:"user"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // of the access token; refreshed as needed
	ByToken   bool       `json:"by_token,omitempty"`   // --token, not a stored session
}

// Owned states: what `software` says of a product.
const (
	ownedInstalled    = "installed"
	ownedUpdate       = "update available"
	ownedNotInstalled = "not installed"
	ownedNotOwned     = "installed, not owned"
	ownedNotDetected  = "not detected"
	ownedNoRelease    = "no release for this platform"
)

// ownedRow is one product of `software` when signed in: what the tenant owns merged with what the
// agent has installed.
type ownedRow struct {
	Product          string       `json:"product"`
	Name             string       `json:"name"`
	Owned            bool         `json:"owned"`
	OwnedVersion     string       `json:"owned_version,omitempty"` // the newest release for this platform
	Installed        bool         `json:"installed"`
	InstalledVersion string       `json:"installed_version,omitempty"`
	State            string       `json:"state"`
	Detail           string       `json:"detail,omitempty"`
	Job              *apitype.Job `json:"job,omitempty"` // the running job, or the last one
}

// licensePlaced is the result of `licenses install`.
type licensePlaced struct {
	License string `json:"license"`
	Product string `json:"product"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Bytes   int    `json:"bytes"`
	// By says who wrote the file: "cli" (this command, as the calling user).
	By string `json:"written_by"`
}

// exported is the result of `orders export -o FILE`.
type exported struct {
	File   string `json:"file"`
	Orders int    `json:"orders"`
}

// money writes cents as "1,200.00 EUR".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d %s", sign, b.String(), cents%100, currency)
}

func stampPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02")
}
