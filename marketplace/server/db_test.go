package server

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	require.NoError(t, err)
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
	var fk int
	require.NoError(t, db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
	assert.Equal(t, 1, fk)
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
	assert.Equal(t, len(migrations), n)
	require.NoError(t, db.Close())

	// Reopening applies nothing twice (the CREATE TABLEs would fail).
	db, err = Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
	assert.Equal(t, len(migrations), n)

	// A tenant row with a missing tenant is refused: foreign keys hold.
	_, err = db.Exec(`INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_at) VALUES ('u', 'missing', 'u', 'u', 'engineer', 'x', 0)`)
	assert.Error(t, err)
}

func TestMigrateRefusesDuplicateVersions(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()
	steps := append(slices.Clone(migrations), Migration{Version: 1, Name: "clash", SQL: "SELECT 1"})
	err = db.migrateSteps(context.Background(), steps)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "share version 1")
}

func TestMigrationFailureRollsBack(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()
	bad := Migration{Version: 999, Name: "half", SQL: "CREATE TABLE half (x INTEGER);\nCREATE TABLE half (x INTEGER)"}
	err = db.migrateSteps(context.Background(), []Migration{bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "migration 999 (half)")
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n))
	assert.Zero(t, n, "the first statement was rolled back with the second")
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("s3cret", testIterations)
	require.NoError(t, err)
	h2, err := HashPassword("s3cret", testIterations)
	require.NoError(t, err)
	assert.NotEqual(t, h, h2, "salted")
	cases := []struct {
		stored, pw string
		ok         bool
	}{
		{h, "s3cret", true},
		{h, "s3cret ", false},
		{h, "", false},
		{"pbkdf2-sha256$0$AA$AA", "s3cret", false},
		{"pbkdf2-sha256$99999999999$AA$AA", "s3cret", false},
		{"md5$1$AA$AA", "s3cret", false},
		{"garbage", "s3cret", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.ok, checkPassword(tc.stored, tc.pw), "%s / %q", tc.stored, tc.pw)
	}
	_, err = HashPassword("", 0)
	assert.Error(t, err)
}
