package server

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/license"
)

func init() {
	migrations = append(migrations, Migration{Version: 100, Name: "licenses", SQL: `
CREATE TABLE license_issuers (
	product_id TEXT PRIMARY KEY REFERENCES products(id),
	kind TEXT NOT NULL CHECK (kind IN ('builtin', 'vendor')),
	url TEXT NOT NULL DEFAULT '',
	secret TEXT NOT NULL DEFAULT '',
	delay_ms INTEGER NOT NULL DEFAULT 2000 CHECK (delay_ms >= 0),
	attempts INTEGER NOT NULL DEFAULT 5 CHECK (attempts >= 1),
	backoff_ms INTEGER NOT NULL DEFAULT 1000 CHECK (backoff_ms >= 0),
	failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE licenses (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	product_id TEXT NOT NULL REFERENCES products(id),
	fingerprint TEXT NOT NULL,
	effective_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL CHECK (expires_at > effective_at),
	idempotency_key TEXT,
	state TEXT NOT NULL CHECK (state IN ('pending', 'issued', 'rejected')),
	reason TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'text', 'file')),
	file_name TEXT NOT NULL DEFAULT '',
	content BLOB,
	sha256 TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	issued_at INTEGER
);
CREATE UNIQUE INDEX licenses_idempotency ON licenses(tenant_id, user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX licenses_tenant_created ON licenses(tenant_id, created_at DESC, id DESC);
CREATE INDEX licenses_pending ON licenses(created_at, id) WHERE state = 'pending'`})
	seeders = append(seeders, seedLicenses)
}

// seedLicenses adds one issued (a vendor's text activation code), one pending and one rejected
// license for the demo engineer. The pending one is issued by the built-in issuer a moment after
// the server starts, which shows the asynchronous flow and its notification.
func seedLicenses(ctx context.Context, tx *sql.Tx, d *SeedData) error {
	if len(d.Products) == 0 {
		return nil
	}
	fp := fmt.Sprintf("02:42:ac:11:00:%02x|WD-WX%06d|BRD-%04d|BFEBFBFF000906EA", d.Rand.IntN(256), d.Rand.IntN(1_000_000), d.Rand.IntN(10_000))
	product := func(i int) string { return d.Products[i%len(d.Products)] }
	now := d.Now.UTC().Truncate(time.Second)
	code := []byte(fmt.Sprintf("ACT-%04X-%04X-%04X-%04X\n", d.Rand.IntN(1<<16), d.Rand.IntN(1<<16), d.Rand.IntN(1<<16), d.Rand.IntN(1<<16)))
	issued := license.NewResult(license.KindText, code, "")
	rows := []struct {
		state, reason, kind, sha string
		content                  []byte
		product                  string
		age                      time.Duration
	}{
		{api.LicenseIssued, "", issued.Kind, issued.SHA256, issued.Content, product(0), 72 * time.Hour},
		{api.LicenseRejected, "license application rejected by the vendor: device limit reached (3 of 3 devices); release a device first", "", "", nil, product(1), 24 * time.Hour},
		{api.LicensePending, "", "", "", nil, product(2), time.Minute},
	}
	for _, r := range rows {
		created := now.Add(-r.age)
		var issuedAt any
		if r.state == api.LicenseIssued {
			issuedAt = ms(created.Add(3 * time.Second))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO licenses (id, tenant_id, user_id, product_id, fingerprint, effective_at, expires_at,
state, reason, kind, content, sha256, created_at, updated_at, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			newIDFrom(d, "lic"), d.TenantID, d.EngineerID, r.product, fp, ms(created), ms(created.AddDate(1, 0, 0)),
			r.state, r.reason, r.kind, r.content, r.sha, ms(created), ms(created), issuedAt); err != nil {
			return fmt.Errorf("seeding a %s license: %w", r.state, err)
		}
	}
	return nil
}

// newIDFrom is newID drawn from the seed's random source, so demo ids are the same on every first start.
func newIDFrom(d *SeedData, prefix string) string {
	return fmt.Sprintf("%s_%016x", prefix, d.Rand.Uint64())
}
