package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFeatureSeeders runs the real demo seed and checks what the licenses, deliveries, API
// packages and admins seeders added beside the core's rows.
func TestFeatureSeeders(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	seeded, err := Seed(ctx, db, SeedOptions{DataDir: dir, Examples: filepath.Join("..", "..", "packaging", "examples"),
		PasswordIterations: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.True(t, seeded)

	counts := []struct {
		name  string
		query string
		want  int
	}{
		{"an issued license with content", `SELECT count(*) FROM licenses WHERE state = 'issued' AND length(content) > 0 AND sha256 <> ''`, 1},
		{"a pending license", `SELECT count(*) FROM licenses WHERE state = 'pending'`, 1},
		{"a rejected license with its reason", `SELECT count(*) FROM licenses WHERE state = 'rejected' AND reason <> ''`, 1},
		{"pay-per-use images on a cloud server", `SELECT count(*) FROM image_deliveries WHERE billing_mode = 'pay_per_use' AND cloud_server_id <> ''`, 2},
		{"subscription images", `SELECT count(DISTINCT billing_mode) FROM image_deliveries WHERE billing_mode IN ('monthly', 'yearly')`, 2},
		{"every image state", `SELECT count(DISTINCT state) FROM image_deliveries`, 4},
		{"every shipping state", `SELECT count(DISTINCT state) FROM hardware_deliveries WHERE state IN ('pending', 'shipped', 'in_transit', 'delivered', 'returned')`, 5},
		{"an open request to review", `SELECT count(*) FROM hardware_unsubscribes WHERE review_state = 'pending'`, 1},
		{"API packages with alerts", `SELECT count(*) FROM api_packages WHERE alert_mode IN ('percent', 'absolute')`, 2},
		{"the creator admin", `SELECT count(*) FROM org_admins o JOIN users u ON u.id = o.user_id WHERE o.creator = 1 AND u.role = 'admin'`, 1},
		{"an invited admin", `SELECT count(*) FROM org_admins o JOIN users u ON u.id = o.user_id WHERE o.creator = 0 AND o.invited_by IS NOT NULL AND u.role = 'admin'`, 1},
		{"seeded rows tied to their orders", `SELECT count(*) FROM hardware_deliveries WHERE order_id IS NOT NULL`, 4},
	}
	for _, c := range counts {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, c.query).Scan(&n), c.name)
		assert.Equal(t, c.want, n, c.name)
	}

	var products int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(DISTINCT l.product_id) FROM licenses l
JOIN entitlements e ON e.tenant_id = l.tenant_id AND e.product_id = l.product_id`).Scan(&products))
	assert.Positive(t, products, "the demo licenses are for products the tenant owns")
}
