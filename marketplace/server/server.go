// Package server is the embedded marketplace: the HTTP API of marketplace/api/openapi.yaml on one
// SQLite file, seeded with demo data. cmd/iscdesk-market runs it; tests start it on 127.0.0.1:0.
//
// How a feature file plugs in (licenses.go, deliveries.go, apipackages.go, admins.go), without
// editing the core:
//
//   - Routes: in an init func, call register with a function that adds routes through *Routes:
//
//     func init() { register(func(s *Server, r *Routes) { r.User("GET /v1/licenses", s.listLicenses) }) }
//
//     r.Public (no auth), r.User (any signed-in engineer or admin of a tenant), r.Admin (tenant
//     admins), r.Vendor (signed vendor requests). Patterns are Go 1.22 ServeMux patterns,
//     "METHOD /path/{id}". A POST behind User or Admin is made idempotent by the Idempotency-Key
//     middleware automatically.
//
//   - The caller: CallerFrom(r.Context()) gives TenantID, UserID, Role, Username. Filter every
//     query of tenant data on Caller.TenantID; answer 404 (notFound) for another tenant's ids.
//
//   - JSON: decodeJSON(w, r, &req) (strict, 1 MiB; writes the 400 itself and returns false),
//     writeJSON(w, status, v), writeError(w, status, code, field, msg), badRequest(w, field, msg),
//     notFound(w, what), s.internalError(w, r, err). Paged lists: parsePage(w, r) and api.Page.
//
//   - Schema: in an init func, migrations = append(migrations, Migration{Version: 100.., Name, SQL}).
//
//   - Time and ids: s.now() (Options.Now), newID("lic").
//
//   - Orders: s.MoveOrder(ctx, tenantID, orderID, state, note) applies the allowed transitions and
//     notifies the buyer.
//
//   - Notifications: s.Notify(ctx, tenantID, userID, kind, title, body, ref) stores and pushes one.
//
//   - Seed data: seeders = append(seeders, func(ctx context.Context, tx *sql.Tx, d *SeedData) error {...}).
//
//   - Background work (a license issuer): s.Go(func(ctx context.Context) {...}) runs it until Close.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

// Options configure a Server. DataDir is required.
type Options struct {
	// DataDir holds the ticket-signing key (ticket.key, created on first start) and packages/.
	DataDir string
	// BaseURL is how clients and agents reach this server, e.g. "http://127.0.0.1:8780"; it
	// prefixes package URLs in tickets.
	BaseURL string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives request errors; slog.Default() when nil.
	Logger *slog.Logger
	// TicketTTL is how long a release ticket is valid; 24 h when zero.
	TicketTTL time.Duration
	// MaxPackageSize bounds a vendor upload; 1 GiB when zero.
	MaxPackageSize int64
	// Heartbeat is the interval of SSE keep-alive comments; 15 s when zero.
	Heartbeat time.Duration
}

// Token and code lifetimes.
const (
	AccessTokenTTL  = time.Hour
	RefreshTokenTTL = 30 * 24 * time.Hour
	CodeTTL         = 2 * time.Minute
)

// Server is the marketplace. It is an http.Handler; Close stops its background work.
type Server struct {
	db      *DB
	opts    Options
	log     *slog.Logger
	key     ticket.PrivateKey
	hub     *hub
	idem    keyedMutex
	signIns *signInLimits // failed sign-ins per username and per remote address
	handler http.Handler
	routes  []Route

	ctx    context.Context // cancelled by Close; parent of background work
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines started by Go
}

// Route is one registered endpoint, for the OpenAPI coverage test and docs.
type Route struct {
	Method, Path string
	Access       string // "public", "user", "admin", "vendor"
}

// New builds the server on db. It loads the ticket-signing key from DataDir, creating it on first start.
func New(db *DB, o Options) (*Server, error) {
	if db == nil {
		return nil, errors.New("marketplace server: no database")
	}
	if o.DataDir == "" {
		return nil, errors.New("marketplace server: no data folder; pass --data DIR")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.TicketTTL <= 0 {
		o.TicketTTL = 24 * time.Hour
	}
	if o.MaxPackageSize <= 0 {
		o.MaxPackageSize = 1 << 30
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if err := os.MkdirAll(filepath.Join(o.DataDir, "packages"), 0o755); err != nil {
		return nil, fmt.Errorf("marketplace data folder: %w", err)
	}
	key, err := LoadOrCreateKey(o.DataDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{db: db, opts: o, log: o.Logger, key: key, hub: newHub(), signIns: newSignInLimits(), ctx: ctx, cancel: cancel}
	s.handler = s.buildMux()
	s.Go(s.sweeper)
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the registered endpoints.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Close ends the SSE streams and waits for background work started with Go. It does not close the DB.
func (s *Server) Close() error {
	s.cancel()
	s.hub.close()
	s.wg.Wait()
	return nil
}

// Go runs f on a goroutine owned by the server: its ctx is cancelled by Close, which waits for it.
func (s *Server) Go(f func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.ctx)
	}()
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// DB is the server's database, for seeders and tests.
func (s *Server) DB() *DB { return s.db }

// PublicKey is the ticket-signing key's public half.
func (s *Server) PublicKey() ticket.PublicKey { return s.key.Public() }

// LoadOrCreateKey reads DIR/ticket.key, or generates it (with ticket.pub) when missing.
func LoadOrCreateKey(dir string) (ticket.PrivateKey, error) {
	name := filepath.Join(dir, "ticket")
	k, err := ticket.ReadPrivateKeyFile(name + ticket.PrivateKeyExt)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return ticket.PrivateKey{}, fmt.Errorf("marketplace ticket key: %w", err)
	}
	k, err = ticket.GenerateKey("iscdesk-market")
	if err != nil {
		return ticket.PrivateKey{}, fmt.Errorf("generating the marketplace ticket key: %w", err)
	}
	if _, _, err := ticket.WriteKeyFiles(name, k); err != nil {
		return ticket.PrivateKey{}, fmt.Errorf("saving the marketplace ticket key: %w", err)
	}
	return k, nil
}
