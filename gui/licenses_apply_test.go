package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

func TestLicenseApplication(t *testing.T) {
	now := time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)
	fp := fingerprint.Fingerprint{MAC: "00:1a:2b:3c:4d:5e", Disk: "d", Board: "b", CPU: "c"}
	for _, tc := range []struct {
		name, product, from, until string
		fp                         fingerprint.Fingerprint
		want                       api.LicenseApplication
		err                        string
	}{
		{name: "from today starts now", product: "cadpro", from: "2026-11-27", until: "2027-11-27", fp: fp,
			want: api.LicenseApplication{Product: "cadpro", Fingerprint: fp.String(), ExpiresAt: "2027-11-27T00:00:00Z"}},
		{name: "a later start is sent", product: " cadpro ", from: "2026-12-01", until: "2027-01-01", fp: fp,
			want: api.LicenseApplication{Product: "cadpro", Fingerprint: fp.String(), EffectiveAt: "2026-12-01T00:00:00Z", ExpiresAt: "2027-01-01T00:00:00Z"}},
		{name: "no product", from: "2026-11-27", until: "2027-11-27", fp: fp, err: "choose the product"},
		{name: "no MAC", product: "cadpro", from: "2026-11-27", until: "2027-11-27", fp: fingerprint.Fingerprint{}, err: "no network adapter"},
		{name: "bad from", product: "cadpro", from: "27.11.2026", until: "2027-11-27", fp: fp, err: "valid from: write a date such as 2026-11-27"},
		{name: "bad until", product: "cadpro", from: "2026-11-27", until: "next year", fp: fp, err: "valid until: write a date such as 2027-11-27"},
		{name: "start in the past", product: "cadpro", from: "2026-11-26", until: "2027-11-27", fp: fp, err: "is in the past"},
		{name: "ends before it starts", product: "cadpro", from: "2026-12-01", until: "2026-12-01", fp: fp, err: "must be after valid from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := licenseApplication(tc.product, tc.from, tc.until, tc.fp, now)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLicenseBadge(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	issued := func(from, until time.Time) api.License {
		return api.License{State: api.LicenseIssued, EffectiveAt: from, ExpiresAt: until}
	}
	for _, tc := range []struct {
		name string
		lic  api.License
		text string
		imp  widget.Importance
	}{
		{"pending", api.License{State: api.LicensePending}, "Pending", widget.MediumImportance},
		{"rejected", api.License{State: api.LicenseRejected}, "Rejected", widget.DangerImportance},
		{"a year left", issued(now.AddDate(0, -1, 0), now.AddDate(1, 0, 0)), "Issued", widget.SuccessImportance},
		{"31 days left", issued(now.AddDate(0, -1, 0), now.Add(31*24*time.Hour)), "Issued", widget.SuccessImportance},
		{"30 days left", issued(now.AddDate(0, -1, 0), now.Add(30*24*time.Hour)), "Expires in 30 days", widget.WarningImportance},
		{"12.5 days left", issued(now.AddDate(0, -1, 0), now.Add(12*24*time.Hour+12*time.Hour)), "Expires in 13 days", widget.WarningImportance},
		{"hours left", issued(now.AddDate(0, -1, 0), now.Add(3*time.Hour)), "Expires within a day", widget.WarningImportance},
		{"ended", issued(now.AddDate(-1, 0, 0), now.Add(-time.Second)), "Expired", widget.DangerImportance},
		{"not started", issued(now.Add(48*time.Hour), now.AddDate(1, 0, 0)), "Starts " + day(now.Add(48*time.Hour)), widget.MediumImportance},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, imp := licenseBadge(tc.lic, now)
			assert.Equal(t, tc.text, text)
			assert.Equal(t, tc.imp, imp)
		})
	}
}

func TestLicenseFileName(t *testing.T) {
	lic := api.License{ID: "lic_1", Product: "cadpro", FileName: "cadpro.lic"}
	assert.Equal(t, "server.lic", licenseFileName(lic, "server.lic", false))
	assert.Equal(t, "cadpro.lic", licenseFileName(lic, "", false))
	assert.Equal(t, "cadpro.lic", licenseFileName(lic, "../../etc/passwd", false), "a path from the server is not a name")
	lic.FileName = ""
	assert.Equal(t, "cadpro-lic_1.lic", licenseFileName(lic, "", false))
	assert.Equal(t, "cadpro-lic_1.txt", licenseFileName(lic, "", true))
}
