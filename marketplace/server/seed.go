package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// SeedOptions configure the demo data.
type SeedOptions struct {
	// DataDir receives packages/ (the built examples) and vendor.json (the demo vendor's credentials).
	DataDir string
	// Examples is the folder of example packages (packaging/examples); each sub-folder with a
	// package.yaml becomes a product. When missing, the demo has no products and a warning is logged.
	Examples string
	// PasswordIterations of the demo users' PBKDF2 hashes; 0 is DefaultPasswordIterations.
	PasswordIterations int
	Now                time.Time // time.Now() when zero
	Logger             *slog.Logger
}

// Demo accounts.
const (
	DemoTenant   = "Demo Plant"
	DemoEngineer = "engineer"
	DemoAdmin    = "admin"
	DemoPassword = "demo"
)

// VendorCredentials is the content of DataDir/vendor.json, what `iscdesk-pack publish` needs.
type VendorCredentials struct {
	AccessKey string `json:"access_key"`
	Secret    string `json:"secret"`
}

// Seed fills an empty database with the demo tenant, its users, a vendor, the example products
// and orders of every kind, then runs the feature seeders, all in one transaction. It does
// nothing and returns false when a tenant exists already.
func Seed(ctx context.Context, db *DB, o SeedOptions) (bool, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil {
		return false, fmt.Errorf("seeding: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	pkgs, err := buildExamples(ctx, o)
	if err != nil {
		return false, err
	}
	d := &SeedData{TenantID: newID("tnt"), EngineerID: newID("usr"), AdminID: newID("usr"), VendorID: newID("vnd"),
		Orders: map[string][]string{}, Now: o.Now, Rand: rand.New(rand.NewPCG(1, 2))}
	creds := VendorCredentials{AccessKey: "AK" + randomToken(12), Secret: randomToken(32)}
	engHash, err := HashPassword(DemoPassword, o.PasswordIterations)
	if err != nil {
		return false, err
	}
	admHash, err := HashPassword(DemoPassword, o.PasswordIterations)
	if err != nil {
		return false, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		now := ms(o.Now)
		steps := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`, []any{d.TenantID, DemoTenant, now}},
			{`INSERT INTO users (id, tenant_id, username, display_name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				[]any{d.EngineerID, d.TenantID, DemoEngineer, "Demo Engineer", "engineer@demo-plant.example", api.RoleEngineer, engHash, now}},
			{`INSERT INTO users (id, tenant_id, username, display_name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				[]any{d.AdminID, d.TenantID, DemoAdmin, "Demo Admin", "admin@demo-plant.example", api.RoleAdmin, admHash, now}},
			{`INSERT INTO vendors (id, name, access_key, secret, created_at) VALUES (?, ?, ?, ?, ?)`,
				[]any{d.VendorID, "ISCDesk Examples", creds.AccessKey, creds.Secret, now}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		for _, p := range pkgs {
			if err := insertProduct(ctx, tx, p.m, d.VendorID, o.Now); err != nil {
				return err
			}
			if err := insertReleases(ctx, tx, p.m, p.file, p.info, o.Now); err != nil {
				return err
			}
			d.Products = append(d.Products, p.m.ID)
		}
		if err := seedOrders(ctx, tx, d, pkgs); err != nil {
			return err
		}
		for _, f := range seeders {
			if err := f(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seeding the demo data: %w", err)
	}
	credsJSON, _ := json.MarshalIndent(creds, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(o.DataDir, "vendor.json"), append(credsJSON, '\n'), 0o600); err != nil {
		return true, fmt.Errorf("saving the demo vendor's credentials: %w", err)
	}
	return true, nil
}

type builtPackage struct {
	m    *manifest.Manifest
	file string
	info pkgfile.Info
}

// buildExamples builds every example package folder into DataDir/packages.
func buildExamples(ctx context.Context, o SeedOptions) ([]builtPackage, error) {
	entries, err := os.ReadDir(o.Examples)
	if errors.Is(err, os.ErrNotExist) || o.Examples == "" {
		o.Logger.Warn("no example packages: the demo marketplace has no products; pass --examples with the path of packaging/examples", "examples", o.Examples)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the example packages: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(o.DataDir, "packages"), 0o755); err != nil {
		return nil, fmt.Errorf("marketplace packages folder: %w", err)
	}
	var out []builtPackage
	for _, e := range entries {
		src := filepath.Join(o.Examples, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(src, pkgfile.ManifestName)); err != nil {
			continue
		}
		m, err := manifest.Load(filepath.Join(src, pkgfile.ManifestName))
		if err != nil {
			return nil, fmt.Errorf("example package %s: %w", src, err)
		}
		file := pkgfile.FileName(m.ID, m.Version)
		info, err := pkgfile.BuildFile(ctx, src, filepath.Join(o.DataDir, "packages", file), pkgfile.BuildOptions{})
		if err != nil {
			return nil, fmt.Errorf("building example package %s: %w", src, err)
		}
		out = append(out, builtPackage{m: m, file: file, info: info})
	}
	return out, nil
}

func insertProduct(ctx context.Context, tx *sql.Tx, m *manifest.Manifest, vendorID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO products (id, name, publisher, description, vendor_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.ID, m.Name, m.Publisher, m.Description, vendorID, ms(now))
	return err
}

// insertReleases records one release of file per platform of m.
func insertReleases(ctx context.Context, tx *sql.Tx, m *manifest.Manifest, file string, info pkgfile.Info, now time.Time) error {
	for _, p := range slices.Sorted(maps.Keys(m.Platforms)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO releases (id, product_id, version, platform, file, size, sha256, manifest_sha256, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, newID("rel"), m.ID, m.Version, p, file, info.Size, info.SHA256, info.ManifestSHA256, ms(now)); err != nil {
			return fmt.Errorf("recording release %s %s for %s: %w", m.ID, m.Version, p, err)
		}
	}
	return nil
}

// seedOrders makes a paid software order and an entitlement per product, and orders of every
// other kind in varied states.
func seedOrders(ctx context.Context, tx *sql.Tx, d *SeedData, pkgs []builtPackage) error {
	type ord struct {
		kind, state, product, title string
		cents                       int64
	}
	var list []ord
	for _, p := range pkgs {
		list = append(list, ord{api.OrderSoftware, api.StatePaid, p.m.ID, p.m.Name + " " + p.m.Version, 120000})
	}
	list = append(list,
		ord{api.OrderSoftware, api.StatePendingPayment, "", "Process Historian (quote)", 450000},
		ord{api.OrderLicense, api.StatePaid, "", "Solver node-locked license", 80000},
		ord{api.OrderLicense, api.StateDelivered, "", "CAD Viewer floating license", 60000},
		ord{api.OrderLicense, api.StateCancelled, "", "Driver Kit trial extension", 0},
		ord{api.OrderImage, api.StateDelivering, "", "Simulation image, pay per use", 2500},
		ord{api.OrderImage, api.StateDelivered, "", "Historian image, yearly", 300000},
		ord{api.OrderHardware, api.StateDelivering, "", "Edge gateway EG-200", 89000},
		ord{api.OrderHardware, api.StateDelivered, "", "I/O module IO-16", 23000},
		ord{api.OrderHardware, api.StateRefunding, "", "Protocol converter PC-4", 41000},
		ord{api.OrderHardware, api.StateRefunded, "", "Serial adapter SA-1", 3900},
		ord{api.OrderAPIPackage, api.StatePaid, "", "Weather API, 100,000 calls", 19900},
		ord{api.OrderAPIPackage, api.StateDelivered, "", "OCR API, 10,000 calls", 9900},
	)
	for i, o := range list {
		id := newID("ord")
		at := ms(d.Now.Add(-time.Duration(len(list)-i) * 26 * time.Hour))
		var product any
		if o.product != "" {
			product = o.product
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, tenant_id, user_id, kind, state, product_id, title, amount_cents, currency, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?)`, id, d.TenantID, d.EngineerID, o.kind, o.state, product, o.title, o.cents, at, at); err != nil {
			return fmt.Errorf("seeding order %q: %w", o.title, err)
		}
		if o.product != "" && o.state == api.StatePaid {
			if _, err := tx.ExecContext(ctx, `INSERT INTO entitlements (id, tenant_id, product_id, order_id, granted_at) VALUES (?, ?, ?, ?, ?)`,
				newID("ent"), d.TenantID, o.product, id, at); err != nil {
				return fmt.Errorf("seeding the entitlement to %s: %w", o.product, err)
			}
		}
		d.Orders[o.kind] = append(d.Orders[o.kind], id)
	}
	return nil
}

// SeedLoad adds products synthetic products, each entitled to the demo tenant, and orders
// random orders of the demo tenant spread over a year: the data set of the load benchmark.
func SeedLoad(ctx context.Context, db *DB, products, orders int, now time.Time) error {
	var tenantID, userID string
	if err := db.QueryRowContext(ctx, `SELECT t.id, u.id FROM tenants t JOIN users u ON u.tenant_id = t.id
WHERE t.name = ? AND u.username = ?`, DemoTenant, DemoEngineer).Scan(&tenantID, &userID); err != nil {
		return fmt.Errorf("load seed: the demo tenant is missing (run serve or seed on a new data folder first): %w", err)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	states := slices.Sorted(maps.Keys(orderTransitions))
	return db.tx(ctx, func(tx *sql.Tx) error {
		prod, err := tx.PrepareContext(ctx, `INSERT INTO products (id, name, publisher, description, created_at) VALUES (?, ?, 'Load Test Inc.', '', ?)`)
		if err != nil {
			return err
		}
		defer prod.Close()
		ent, err := tx.PrepareContext(ctx, `INSERT INTO entitlements (id, tenant_id, product_id, granted_at) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ent.Close()
		base := now.UnixNano()
		for i := range products {
			id := fmt.Sprintf("load-%d-%06d", base, i)
			if _, err := prod.ExecContext(ctx, id, fmt.Sprintf("Load product %d", i), ms(now)); err != nil {
				return fmt.Errorf("load seed: product %d: %w", i, err)
			}
			if _, err := ent.ExecContext(ctx, newID("ent"), tenantID, id, ms(now)); err != nil {
				return fmt.Errorf("load seed: entitlement %d: %w", i, err)
			}
		}
		ord, err := tx.PrepareContext(ctx, `INSERT INTO orders (id, tenant_id, user_id, kind, state, title, amount_cents, currency, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?)`)
		if err != nil {
			return err
		}
		defer ord.Close()
		year := int64(365 * 24 * time.Hour / time.Millisecond)
		for i := range orders {
			at := ms(now) - rnd.Int64N(year)
			if _, err := ord.ExecContext(ctx, newID("ord"), tenantID, userID, orderKinds[rnd.IntN(len(orderKinds))], states[rnd.IntN(len(states))],
				fmt.Sprintf("Load order %d", i), rnd.Int64N(1_000_000), at, at); err != nil {
				return fmt.Errorf("load seed: order %d: %w", i, err)
			}
		}
		return nil
	})
}
