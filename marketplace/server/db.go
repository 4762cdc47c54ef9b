package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is the marketplace's one SQLite database. Open it with Open; it is safe for concurrent use.
type DB struct {
	*sql.DB
	path string
}

// Open opens (creating it when missing) the SQLite file at path in WAL mode with foreign keys on,
// and applies every pending migration.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("marketplace database %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout instead of
	// failing with SQLITE_BUSY when one upgrades a read lock mid-transaction.
	q.Set("_txlock", "immediate")
	sqlDB, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening marketplace database %s: %w", abs, err)
	}
	// WAL gives any number of readers beside one writer; a few connections keep reads parallel
	// without piling writers onto the busy timeout.
	sqlDB.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
	sqlDB.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: sqlDB, path: abs}
	if err := db.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("opening marketplace database %s: %w; check that the folder exists and is writable", abs, err)
	}
	if err := db.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Migration is one numbered schema step. Core steps use 1-99; feature files use 100 and up.
type Migration struct {
	Version int
	Name    string
	SQL     string // one or more statements, run in one transaction
}

// migrations is filled by init functions in the files that own the tables:
//
//	func init() { migrations = append(migrations, Migration{Version: 100, Name: "licenses", SQL: `...`}) }
var migrations []Migration

func (db *DB) migrate(ctx context.Context) error { return db.migrateSteps(ctx, migrations) }

func (db *DB) migrateSteps(ctx context.Context, list []Migration) error {
	steps := slices.Clone(list)
	slices.SortFunc(steps, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(steps); i++ {
		if steps[i].Version == steps[i-1].Version {
			return fmt.Errorf("schema migrations %q and %q share version %d; give one a free number",
				steps[i-1].Name, steps[i].Name, steps[i].Version)
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("marketplace database %s: creating schema_migrations: %w", db.path, err)
	}
	for _, m := range steps {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("marketplace database %s: migration %d (%s): %w", db.path, m.Version, m.Name, err)
		}
	}
	return nil
}

// apply runs m in its own transaction unless schema_migrations already records it.
func (db *DB) apply(ctx context.Context, m Migration) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, stmt := range splitSQL(m.SQL) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%w in: %.200s", err, stmt)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMilli())
		return err
	})
}

// splitSQL splits a migration on ";" at line ends. Migrations hold no triggers, so that is enough.
func splitSQL(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";\n") {
		if p := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";")); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// tx runs f in a transaction, committing when f returns nil and rolling back otherwise.
func (db *DB) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rolling back: %w", err)
	}
	return nil
}

// Tx runs f in one transaction; feature files use it for multi-row writes.
func (db *DB) Tx(ctx context.Context, f func(tx *sql.Tx) error) error { return db.tx(ctx, f) }

// ms and fromMS convert between times and the Unix milliseconds stored in INTEGER columns.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS converts a nullable INTEGER time column.
func nullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
