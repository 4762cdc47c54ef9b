package secretstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "iscdesk", "session.json")
	f := NewFile(path)

	_, err := f.Get("a")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, f.Delete("a"), "deleting what is not there")

	require.NoError(t, f.Set("a", "one"))
	require.NoError(t, f.Set("b", `{"json":"two"}`))
	require.NoError(t, f.Set("a", "three"))
	for name, want := range map[string]string{"a": "three", "b": `{"json":"two"}`} {
		got, err := f.Get(name)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(filepath.Dir(path))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}

	// Another File on the same path (another process) sees the same secrets.
	got, err := NewFile(path).Get("b")
	require.NoError(t, err)
	assert.Equal(t, `{"json":"two"}`, got)

	require.NoError(t, f.Delete("a"))
	_, err = f.Get("a")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, f.Delete("b"))
	assert.NoFileExists(t, path, "the file goes with its last secret")
}

func TestFileCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	f := NewFile(path)
	_, err := f.Get("a")
	require.ErrorContains(t, err, "delete it and sign in again")
	require.ErrorContains(t, f.Set("a", "x"), path, "a corrupt file is not silently overwritten")
}

// mem is a Store in memory; err, when set, makes every call fail as an unavailable keyring does.
type mem struct {
	m   map[string]string
	err error
}

func (s *mem) Get(name string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	v, ok := s.m[name]
	if !ok {
		return "", fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return v, nil
}

func (s *mem) Set(name, secret string) error {
	if s.err != nil {
		return s.err
	}
	s.m[name] = secret
	return nil
}

func (s *mem) Delete(name string) error {
	if s.err != nil {
		return s.err
	}
	delete(s.m, name)
	return nil
}

func TestFallback(t *testing.T) {
	unavailable := errors.New("no secret service")
	tests := []struct {
		name           string
		primaryErr     error
		staleSecondary bool
		wantPrimary    bool // where the secret ends up
	}{
		{name: "keyring works", wantPrimary: true},
		{name: "keyring works and removes the stale file copy", staleSecondary: true, wantPrimary: true},
		{name: "keyring unavailable", primaryErr: unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &mem{m: map[string]string{}, err: tt.primaryErr}
			s := &mem{m: map[string]string{}}
			if tt.staleSecondary {
				s.m["k"] = "stale"
			}
			f := &Fallback{Primary: p, Secondary: s}

			require.NoError(t, f.Set("k", "v"))
			got, err := f.Get("k")
			require.NoError(t, err)
			assert.Equal(t, "v", got)
			if tt.wantPrimary {
				assert.Equal(t, map[string]string{"k": "v"}, p.m)
				assert.Empty(t, s.m)
			} else {
				assert.Empty(t, p.m)
				assert.Equal(t, map[string]string{"k": "v"}, s.m)
			}

			require.NoError(t, f.Delete("k"))
			_, err = f.Get("k")
			require.ErrorIs(t, err, ErrNotFound)
			if tt.primaryErr != nil {
				assert.ErrorContains(t, err, "no secret service", "a broken keyring is named, not hidden")
			}
		})
	}
}

func TestFallbackBothFail(t *testing.T) {
	f := &Fallback{Primary: &mem{err: errors.New("no keyring")}, Secondary: &mem{err: errors.New("disk full")}}
	err := f.Set("k", "v")
	require.ErrorContains(t, err, "no keyring")
	require.ErrorContains(t, err, "disk full")
	require.ErrorContains(t, f.Delete("k"), "disk full")
}

// TestDefaultFallsBackToFile uses the real OS keyring with no D-Bus session bus to reach, as on a
// headless Linux machine: the secret must land in the 0600 file.
func TestDefaultFallsBackToFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service keyring is Linux's; elsewhere the OS keyring is always there")
	}
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(cfg, "no-bus"))

	s, err := Default()
	require.NoError(t, err)
	_, err = Keyring{Service: Service}.Get("probe")
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNotFound, "the keyring must be unavailable for this test")

	require.NoError(t, s.Set("session http://127.0.0.1:1", `{"access_token":"t"}`))
	path := filepath.Join(cfg, "iscdesk", "session.json")
	fi, err := os.Stat(path)
	require.NoError(t, err, "the fallback file was not written")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := s.Get("session http://127.0.0.1:1")
	require.NoError(t, err)
	assert.Equal(t, `{"access_token":"t"}`, got)

	require.NoError(t, s.Delete("session http://127.0.0.1:1"))
	assert.NoFileExists(t, path)
}
