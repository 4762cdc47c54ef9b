package server

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"
)

// SeedData is what the core seed created, for the feature seeders that add rows beside it.
type SeedData struct {
	TenantID   string
	EngineerID string
	AdminID    string
	VendorID   string
	Products   []string            // product ids with releases, from packaging/examples
	Orders     map[string][]string // order ids by kind (api.OrderSoftware, …)
	Now        time.Time
	Rand       *rand.Rand // seeded, so demo data is the same on every first start
}

// seeders add feature rows to the demo data, in the same transaction as the core seed:
//
//	func init() { seeders = append(seeders, func(ctx context.Context, tx *sql.Tx, d *SeedData) error { … }) }
var seeders []func(ctx context.Context, tx *sql.Tx, d *SeedData) error
