package gui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

// licenseFlow applies for a license through the dialog, sees it pending then issued (the demo
// marketplace issues after about 2 s), and installs it to a file whose SHA-256 it checks.
func licenseFlow(t *testing.T, u *UI, c *mclient.Client) {
	show(t, u, licensesTitle)
	s := screenOf[*licensesScreen](u)
	eventually(t, u, flowTimeout, "licenses are loaded", func() bool { return !s.view.loadedAt.IsZero() })

	fp := fingerprint.Fingerprint{MAC: "00:1a:2b:3c:4d:5e", Disk: "TEST-DISK-1", Board: "TEST-BOARD", CPU: "Test CPU"}
	onUI(u, func() {
		s.fingerprint = func(context.Context) (fingerprint.Fingerprint, error) { return fp, nil }
		test.Tap(s.apply)
	})
	eventually(t, u, flowTimeout, "the Apply dialog opens", func() bool { return s.applying != nil })
	var product string
	onUI(u, func() {
		d := s.applying
		dialogText := topDialogText(u)
		assert.Contains(t, dialogText, fp.String(), "the dialog shows the fingerprint it binds to")
		assert.Contains(t, dialogText, "TEST-BOARD")

		// A period that ends before it starts is refused here, with words.
		d.product.SetSelectedIndex(0)
		product = d.products[0]
		d.until.SetText(d.from.Text)
		test.Tap(d.submit)
		assert.True(t, d.problem.Visible())
		assert.Contains(t, d.problem.Text, "must be after valid from")

		d.until.SetText(u.opts.Now().AddDate(0, 0, 20).Format(dateLayout))
		test.Tap(d.submit)
	})
	eventually(t, u, flowTimeout, "the application is accepted", func() bool { return s.applying == nil })
	var id string
	onUI(u, func() {
		l := s.selectedLicense()
		require.NotNil(t, l, "the new license is selected")
		id = l.ID
		assert.Equal(t, product, l.Product)
		assert.Equal(t, fp.String(), l.Fingerprint)
	})

	eventually(t, u, flowTimeout, "the marketplace issues the license", func() bool {
		l := s.selectedLicense()
		return l != nil && l.ID == id && l.State == api.LicenseIssued
	})
	onUI(u, func() {
		detail := strings.Join(texts(s.detail), "\n")
		assert.Contains(t, detail, "Expires in 20 days", "the warning of a license that ends within 30 days")
		assert.True(t, s.install.Visible() && !s.install.Disabled())
	})

	dir, picked := t.TempDir(), ""
	onUI(u, func() {
		s.save = saveInto(dir, &picked)
		test.Tap(s.install)
	})
	eventually(t, u, flowTimeout, "the license is installed", func() bool { return s.installed[id] != "" })
	data, err := os.ReadFile(picked)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	lic, err := c.License(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, lic.SHA256, hex.EncodeToString(sum[:]), "the file holds what the marketplace issued")
	onUI(u, func() { assert.Contains(t, strings.Join(texts(s.detail), "\n"), "Installed to "+picked) })
}
