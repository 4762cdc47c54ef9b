package server

// The fixture shared by the tests of licenses, deliveries, API packages and admins: a real Server
// on a temp SQLite file behind a real HTTP listener, with tenants, users and access tokens written
// straight into the database, so these tests do not depend on the login flow.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

type fxEnv struct {
	t   *testing.T
	dir string // the server's DataDir
	srv *Server
	ts  *httptest.Server
	db  *DB
	now time.Time
}

// fxUser is a signed-in user of the fixture.
type fxUser struct {
	ID, Tenant, Name, Token string
}

func newFxEnv(t *testing.T) *fxEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	srv, err := New(db, Options{DataDir: dir, BaseURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		require.NoError(t, srv.Close())
		require.NoError(t, db.Close())
	})
	return &fxEnv{t: t, dir: dir, srv: srv, ts: ts, db: db, now: time.Now().UTC()}
}

func (e *fxEnv) exec(q string, args ...any) {
	e.t.Helper()
	_, err := e.db.ExecContext(context.Background(), q, args...)
	require.NoError(e.t, err, "fixture: %s", q)
}

// user creates tenant (if new) and a user with role in it, and an access token for the user.
func (e *fxEnv) user(tenant, name, role string) fxUser {
	e.t.Helper()
	now := ms(e.now)
	e.exec(`INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?, ?, ?)`, tenant, "Tenant "+tenant, now)
	u := fxUser{ID: "usr_" + name, Tenant: tenant, Name: name, Token: "tok-" + name}
	e.exec(`INSERT INTO users (id, tenant_id, username, display_name, email, role, password_hash, created_at)
VALUES (?, ?, ?, ?, ?, ?, '!', ?)`, u.ID, tenant, name, strings.ToUpper(name[:1])+name[1:], name+"@example.com", role, now)
	e.exec(`INSERT INTO tokens (hash, kind, family, user_id, tenant_id, client_id, created_at, expires_at)
VALUES (?, 'access', ?, ?, ?, ?, ?, ?)`, hashToken(u.Token), "fam-"+name, u.ID, tenant, api.ClientID, now, ms(e.now.Add(time.Hour)))
	return u
}

// product adds a catalog product and entitles tenants to it.
func (e *fxEnv) product(id string, tenants ...string) {
	e.t.Helper()
	e.exec(`INSERT OR IGNORE INTO products (id, name, publisher, created_at) VALUES (?, ?, 'Acme', ?)`, id, "Product "+id, ms(e.now))
	for _, tn := range tenants {
		e.exec(`INSERT INTO entitlements (id, tenant_id, product_id, granted_at) VALUES (?, ?, ?, ?)`, newID("ent"), tn, id, ms(e.now))
	}
}

// fxResp is a response with its body read.
type fxResp struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v.
func (r fxResp) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// apiError is the body as an api.Error.
func (r fxResp) apiError(t *testing.T) api.Error {
	t.Helper()
	var e api.Error
	r.decode(t, &e)
	return e
}

// do sends a request as u (no token when u is nil); body is JSON-encoded unless it is a string.
func (e *fxEnv) do(u *fxUser, method, path string, body any, header ...string) fxResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	require.NoError(e.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return fxResp{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// stream opens u's notification stream and returns its events as they arrive; it is closed
// when the test ends.
func (e *fxEnv) stream(u fxUser) <-chan api.Notification {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/v1/notifications/stream", nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+u.Token)
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	out := make(chan api.Notification, 64)
	done := make(chan struct{})
	go func() { // owned by the test: ends when cancel closes the body
		defer close(done)
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var n api.Notification
				if json.Unmarshal([]byte(data), &n) != nil {
					continue
				}
				select {
				case out <- n:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	e.t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return out
}

// nextNotification waits for the next event of kind on ch.
func nextNotification(t *testing.T, ch <-chan api.Notification, kind string) api.Notification {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case n, ok := <-ch:
			require.True(t, ok, "the notification stream ended before a %q event", kind)
			if n.Kind == kind {
				return n
			}
		case <-deadline:
			t.Fatalf("no %q notification within 15 s", kind)
		}
	}
}
