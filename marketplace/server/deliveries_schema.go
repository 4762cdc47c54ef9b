package server

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func init() {
	migrations = append(migrations, Migration{Version: 101, Name: "image and hardware deliveries", SQL: `
CREATE TABLE image_deliveries (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	order_id TEXT REFERENCES orders(id),
	product_id TEXT REFERENCES products(id),
	name TEXT NOT NULL,
	image_id TEXT NOT NULL,
	region TEXT NOT NULL DEFAULT '',
	billing_mode TEXT NOT NULL CHECK (billing_mode IN ('pay_per_use', 'monthly', 'yearly')),
	cloud_server_id TEXT NOT NULL DEFAULT '',
	price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
	currency TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('provisioning', 'active', 'expired', 'released')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	expires_at INTEGER,
	CHECK ((billing_mode = 'pay_per_use') = (cloud_server_id <> '')),
	CHECK (billing_mode = 'pay_per_use' OR expires_at IS NOT NULL)
);
CREATE INDEX image_deliveries_tenant_created ON image_deliveries(tenant_id, created_at DESC, id DESC);
CREATE TABLE hardware_deliveries (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	order_id TEXT REFERENCES orders(id),
	title TEXT NOT NULL,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	paid_cents INTEGER NOT NULL CHECK (paid_cents > 0),
	currency TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'shipped', 'in_transit', 'delivered', 'returned', 'refunded')),
	carrier TEXT NOT NULL DEFAULT '',
	tracking_number TEXT NOT NULL DEFAULT '',
	shipped_at INTEGER,
	delivered_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX hardware_deliveries_tenant_created ON hardware_deliveries(tenant_id, created_at DESC, id DESC);
CREATE TABLE hardware_unsubscribes (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	delivery_id TEXT NOT NULL REFERENCES hardware_deliveries(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	type TEXT NOT NULL CHECK (type IN ('not_received', 'received')),
	amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
	reason TEXT NOT NULL,
	return_tracking TEXT NOT NULL DEFAULT '',
	review_state TEXT NOT NULL CHECK (review_state IN ('pending', 'approved', 'rejected')),
	review_note TEXT NOT NULL DEFAULT '',
	reviewer_id TEXT REFERENCES users(id),
	created_at INTEGER NOT NULL,
	reviewed_at INTEGER,
	CHECK (type = 'not_received' OR return_tracking <> '')
);
CREATE UNIQUE INDEX hardware_unsubscribes_one_open ON hardware_unsubscribes(delivery_id) WHERE review_state = 'pending';
CREATE INDEX hardware_unsubscribes_delivery ON hardware_unsubscribes(delivery_id, created_at DESC, id DESC)`})
	seeders = append(seeders, seedDeliveries)
}

// seedDeliveries adds images of every billing mode and state, and hardware in every shipping
// state, two of them tied to the seeded hardware orders with an open and an approved request.
func seedDeliveries(ctx context.Context, tx *sql.Tx, d *SeedData) error {
	now := d.Now.UTC().Truncate(time.Second)
	order := func(kind string, i int) any {
		if i < len(d.Orders[kind]) {
			return d.Orders[kind][i]
		}
		return nil
	}
	days := func(n int) int64 { return ms(now.AddDate(0, 0, n)) }
	images := []struct {
		order                            any
		name, image, mode, server, state string
		price                            int64
		expires                          any
		age                              int
	}{
		{order(api.OrderImage, 0), "Simulation workstation image", "img-sim-2026.1", api.BillingPayPerUse, "ecs-7f3a91", api.ImageProvisioning, 250, nil, 1},
		{order(api.OrderImage, 1), "Historian server image", "img-hist-5.2", api.BillingYearly, "", api.ImageActive, 300000, days(300), 65},
		{nil, "CAD render node image", "img-cad-render-3", api.BillingMonthly, "", api.ImageExpired, 12000, days(-5), 35},
		{nil, "PLC test bench image", "img-plc-bench-1", api.BillingPayPerUse, "ecs-19c0d4", api.ImageReleased, 120, nil, 20},
	}
	for _, im := range images {
		at := days(-im.age)
		if _, err := tx.ExecContext(ctx, `INSERT INTO image_deliveries (id, tenant_id, order_id, name, image_id, region, billing_mode,
cloud_server_id, price_cents, currency, state, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, 'eu-west-1', ?, ?, ?, 'EUR', ?, ?, ?, ?)`,
			newIDFrom(d, "img"), d.TenantID, im.order, im.name, im.image, im.mode, im.server, im.price, im.state, at, at, im.expires); err != nil {
			return fmt.Errorf("seeding image delivery %q: %w", im.name, err)
		}
	}
	hardware := []struct {
		order               any
		title, state, track string
		paid                int64
		age                 int
		request             string // "", or the review state of a request made for it
		reqType             string
	}{
		{nil, "Industrial PC IPC-610", api.HardwarePending, "", 149000, 1, "", ""},
		{nil, "Touch panel TP-15", api.HardwareShipped, "1Z999AA10123456784", 62000, 3, "", ""},
		{order(api.OrderHardware, 0), "Edge gateway EG-200", api.HardwareInTransit, "JD014600006281230701", 89000, 5, "", ""},
		{order(api.OrderHardware, 1), "I/O module IO-16", api.HardwareDelivered, "00340434161094042557", 23000, 12, "", ""},
		{order(api.OrderHardware, 2), "Protocol converter PC-4", api.HardwareDelivered, "00340434161094015780", 41000, 20, api.ReviewPending, api.UnsubscribeReceived},
		{order(api.OrderHardware, 3), "Serial adapter SA-1", api.HardwareRefunded, "1Z999AA10123456999", 3900, 40, api.ReviewApproved, api.UnsubscribeNotReceived},
		{nil, "Sensor kit SK-8", api.HardwareReturned, "JD014600006281239999", 15500, 30, "", ""},
	}
	day := (24 * time.Hour).Milliseconds()
	for _, h := range hardware {
		id, at := newIDFrom(d, "hw"), days(-h.age)
		var shipped, delivered, carrier any
		if h.state != api.HardwarePending {
			shipped, carrier = at+day, "DHL"
		}
		if h.state == api.HardwareDelivered || h.state == api.HardwareRefunded || h.state == api.HardwareReturned {
			delivered = at + 3*day
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hardware_deliveries (id, tenant_id, order_id, title, quantity, paid_cents, currency,
state, carrier, tracking_number, shipped_at, delivered_at, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, 'EUR', ?, COALESCE(?, ''), ?, ?, ?, ?, ?)`,
			id, d.TenantID, h.order, h.title, h.paid, h.state, carrier, h.track, shipped, delivered, at, at); err != nil {
			return fmt.Errorf("seeding hardware delivery %q: %w", h.title, err)
		}
		if h.request == "" {
			continue
		}
		var reviewer, reviewed any
		if h.request != api.ReviewPending {
			reviewer, reviewed = d.AdminID, at+10*day
		}
		reason, tracking := "the parcel never arrived", ""
		if h.reqType == api.UnsubscribeReceived {
			reason, tracking = "wrong interface variant delivered", "RET-"+h.track
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hardware_unsubscribes (id, tenant_id, delivery_id, user_id, type, amount_cents, reason,
return_tracking, review_state, reviewer_id, created_at, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			newIDFrom(d, "uns"), d.TenantID, id, d.EngineerID, h.reqType, h.paid, reason, tracking,
			h.request, reviewer, at+5*day, reviewed); err != nil {
			return fmt.Errorf("seeding the unsubscribe request of %q: %w", h.title, err)
		}
	}
	return nil
}
