package gui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

// expiryWarning is how long before its end a license is shown with a warning.
const expiryWarning = 30 * 24 * time.Hour

// dateLayout is how dates are typed in the Apply dialog.
const dateLayout = "2006-01-02"

// licenseApplication checks what the Apply dialog holds and turns it into an application: from
// and until are dates (YYYY-MM-DD, local time); a license valid from today starts now.
func licenseApplication(product, from, until string, fp fingerprint.Fingerprint, now time.Time) (api.LicenseApplication, error) {
	product = strings.TrimSpace(product)
	if product == "" {
		return api.LicenseApplication{}, errors.New("choose the product the license is for")
	}
	if fp.MAC == "" {
		return api.LicenseApplication{}, errors.New("this computer shows no network adapter with a MAC address, which a license binds to; connect one and try again")
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	start, err := time.ParseInLocation(dateLayout, strings.TrimSpace(from), now.Location())
	if err != nil {
		return api.LicenseApplication{}, fmt.Errorf("valid from: write a date such as %s", today.Format(dateLayout))
	}
	end, err := time.ParseInLocation(dateLayout, strings.TrimSpace(until), now.Location())
	if err != nil {
		return api.LicenseApplication{}, fmt.Errorf("valid until: write a date such as %s", today.AddDate(1, 0, 0).Format(dateLayout))
	}
	switch {
	case start.Before(today):
		return api.LicenseApplication{}, fmt.Errorf("valid from %s is in the past; start today (%s) or later", start.Format(dateLayout), today.Format(dateLayout))
	case !end.After(start):
		return api.LicenseApplication{}, fmt.Errorf("valid until %s must be after valid from %s", end.Format(dateLayout), start.Format(dateLayout))
	}
	app := api.LicenseApplication{Product: product, Fingerprint: fp.String(), ExpiresAt: end.Format(time.RFC3339)}
	if start.After(today) {
		app.EffectiveAt = start.Format(time.RFC3339)
	}
	return app, nil
}

// licenseBadge is what the list shows beside a license: its state, or how soon it ends.
func licenseBadge(l api.License, now time.Time) (string, widget.Importance) {
	switch l.State {
	case api.LicensePending:
		return "Pending", widget.MediumImportance
	case api.LicenseRejected:
		return "Rejected", widget.DangerImportance
	case api.LicenseIssued:
	default:
		return words(l.State), widget.MediumImportance
	}
	left := l.ExpiresAt.Sub(now)
	switch {
	case left <= 0:
		return "Expired", widget.DangerImportance
	case now.Before(l.EffectiveAt):
		return "Starts " + day(l.EffectiveAt), widget.MediumImportance
	case left <= expiryWarning:
		days := int((left + 24*time.Hour - 1) / (24 * time.Hour))
		if days == 1 {
			return "Expires within a day", widget.WarningImportance
		}
		return fmt.Sprintf("Expires in %d days", days), widget.WarningImportance
	}
	return "Issued", widget.SuccessImportance
}

// licenseFileName is the name a license is saved under: the marketplace's, else one made of the
// product and the license id.
func licenseFileName(l api.License, fromServer string, isText bool) string {
	for _, n := range []string{fromServer, l.FileName} {
		if n = strings.TrimSpace(n); n != "" && !strings.ContainsAny(n, `/\`) && n != "." && n != ".." {
			return n
		}
	}
	ext := ".lic"
	if isText {
		ext = ".txt"
	}
	return l.Product + "-" + l.ID + ext
}
