package server

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func init() {
	migrations = append(migrations, Migration{Version: 102, Name: "API packages and alert outbox", SQL: `
CREATE TABLE api_packages (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	order_id TEXT REFERENCES orders(id),
	name TEXT NOT NULL,
	api TEXT NOT NULL,
	total_calls INTEGER NOT NULL CHECK (total_calls > 0),
	remaining_calls INTEGER NOT NULL CHECK (remaining_calls >= 0 AND remaining_calls <= total_calls),
	alert_mode TEXT NOT NULL DEFAULT '' CHECK (alert_mode IN ('', 'percent', 'absolute')),
	alert_threshold INTEGER NOT NULL DEFAULT 0,
	alert_channels TEXT NOT NULL DEFAULT '',
	expires_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX api_packages_tenant_created ON api_packages(tenant_id, created_at DESC, id DESC);
CREATE TABLE alert_outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
	recipient TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	ref TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at INTEGER
);
CREATE INDEX alert_outbox_unsent ON alert_outbox(id) WHERE sent_at IS NULL`})
	seeders = append(seeders, seedAPIPackages)
}

// seedAPIPackages adds the API packages of the seeded orders, one with a percent alert close to
// firing, one with an absolute alert, and one without.
func seedAPIPackages(ctx context.Context, tx *sql.Tx, d *SeedData) error {
	now := d.Now.UTC().Truncate(time.Second)
	orders := d.Orders[api.OrderAPIPackage]
	order := func(i int) any {
		if i < len(orders) {
			return orders[i]
		}
		return nil
	}
	pkgs := []struct {
		order            any
		name, api        string
		total, remaining int64
		mode, channels   string
		threshold        int64
		age              int
	}{
		{order(0), "Weather API, 100,000 calls", "weather", 100_000, 10_450, api.AlertPercent, "in_site,email", 10, 40},
		{order(1), "OCR API, 10,000 calls", "ocr", 10_000, 6_200, api.AlertAbsolute, "in_site,sms", 1_000, 20},
		{nil, "Maps API, 50,000 calls", "maps", 50_000, 50_000, "", "", 0, 2},
	}
	for _, p := range pkgs {
		at := ms(now.AddDate(0, 0, -p.age))
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_packages (id, tenant_id, user_id, order_id, name, api, total_calls, remaining_calls,
alert_mode, alert_threshold, alert_channels, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			newIDFrom(d, "apk"), d.TenantID, d.EngineerID, p.order, p.name, p.api, p.total, p.remaining, p.mode, p.threshold, p.channels,
			ms(now.AddDate(1, 0, -p.age)), at, at); err != nil {
			return fmt.Errorf("seeding API package %q: %w", p.name, err)
		}
	}
	return nil
}
