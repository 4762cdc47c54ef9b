package server

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// demoInvitedAdmin is the username of the demo's invited admin. It signs in with the demo
// password of the core seed: its hash is copied from the demo engineer's, which also keeps the
// seed's hashing cost (SeedOptions.PasswordIterations).
const demoInvitedAdmin = "ines"

func init() {
	migrations = append(migrations, Migration{Version: 103, Name: "organisation admins", SQL: `
CREATE TABLE org_admins (
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	creator INTEGER NOT NULL DEFAULT 0 CHECK (creator IN (0, 1)),
	invited_by TEXT REFERENCES users(id),
	added_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX org_admins_one_creator ON org_admins(tenant_id) WHERE creator = 1`})
	seeders = append(seeders, seedAdmins)
}

// seedAdmins records the demo admin as the creator of the organisation and adds an admin it invited.
func seedAdmins(ctx context.Context, tx *sql.Tx, d *SeedData) error {
	now := d.Now.UTC().Truncate(time.Second)
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_admins (tenant_id, user_id, creator, added_at) VALUES (?, ?, 1, ?)`,
		d.TenantID, d.AdminID, ms(now.AddDate(0, -6, 0))); err != nil {
		return fmt.Errorf("seeding the creator admin: %w", err)
	}
	id := newIDFrom(d, "usr")
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, tenant_id, username, display_name, email, role, password_hash, created_at)
SELECT ?, ?, ?, 'Ines Invited', 'ines@example.com', 'admin', password_hash, ? FROM users WHERE id = ?`,
		id, d.TenantID, demoInvitedAdmin, ms(now.AddDate(0, -1, 0)), d.EngineerID); err != nil {
		return fmt.Errorf("seeding the invited admin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_admins (tenant_id, user_id, creator, invited_by, added_at) VALUES (?, ?, 0, ?, ?)`,
		d.TenantID, id, d.AdminID, ms(now.AddDate(0, -1, 0))); err != nil {
		return fmt.Errorf("seeding the invited admin: %w", err)
	}
	return nil
}
