package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/marketplace/license"
)

// Defaults of a product's issuer when license_issuers has no row for it: the built-in one.
const (
	defaultLicenseDelay = 2 * time.Second
	// licenseWorkers bounds the applications being issued at once, so one slow vendor cannot hold
	// every slot for long and a burst cannot open unbounded connections.
	licenseWorkers = 4
	// licenseRescan is the safety net behind poke: pending rows are looked for at least this often.
	licenseRescan = 30 * time.Second
	// licenseScan bounds the pending rows read per scan; more than the workers, so that parked
	// rows do not hide the ones behind them.
	licenseScan = 64
	// licenseKeyName is the built-in issuer's signing key in DataDir (.key and .pub). It is not the
	// ticket key: a license file and a release ticket must not be interchangeable.
	licenseKeyName = "license-issuer"
)

// Kinds of license issuer of a product.
const (
	IssuerBuiltin = "builtin"
	IssuerVendor  = "vendor"
)

// LicenseIssuerConfig says who issues a product's licenses (table license_issuers).
type LicenseIssuerConfig struct {
	Kind  string        // IssuerBuiltin or IssuerVendor
	Delay time.Duration // builtin: wait before signing
	// Vendor: the license endpoint, the secret shared for its authToken, and its retry policy.
	URL      string
	Secret   string
	Attempts int           // 0: 5
	Backoff  time.Duration // 0: 1 s
}

// licensing owns the license worker of one Server: it issues pending applications in the background.
type licensing struct {
	s    *Server
	wake chan struct{} // buffered 1: a poke is never lost and never blocks

	keyOnce sync.Once
	key     ed25519.PrivateKey
	pub     ticket.PublicKey
	keyErr  error

	mu       sync.Mutex           // guards inflight and parked
	inflight map[string]struct{}  // ids being issued now
	parked   map[string]time.Time // ids that got no verdict (broken key or issuer config), retried after the time
}

func newLicensing(s *Server) *licensing {
	return &licensing{s: s, wake: make(chan struct{}, 1), inflight: map[string]struct{}{}, parked: map[string]time.Time{}}
}

// poke wakes the worker after a new application.
func (l *licensing) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run is the worker; the Server owns it (started with Server.Go, stopped by Close). Applications
// left pending by a stop are picked up at the next start.
func (l *licensing) run(ctx context.Context) {
	tick := time.NewTicker(licenseRescan)
	defer tick.Stop()
	for {
		if err := l.dispatch(ctx); err != nil && ctx.Err() == nil {
			l.s.log.Error("license worker: reading pending applications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-tick.C:
		}
	}
}

// dispatch starts issuing the oldest pending applications, up to the free worker slots.
func (l *licensing) dispatch(ctx context.Context) error {
	l.mu.Lock()
	free := licenseWorkers - len(l.inflight)
	l.mu.Unlock()
	if free <= 0 {
		return nil
	}
	rows, err := l.s.db.QueryContext(ctx, `SELECT id FROM licenses WHERE state = 'pending' ORDER BY created_at, id LIMIT ?`, licenseScan)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if _, busy := l.inflight[id]; busy || len(l.inflight) >= licenseWorkers || now.Before(l.parked[id]) {
			continue
		}
		delete(l.parked, id)
		l.inflight[id] = struct{}{}
		l.s.Go(func(ctx context.Context) {
			err := l.issue(ctx, id)
			l.mu.Lock()
			delete(l.inflight, id)
			if err != nil && ctx.Err() == nil {
				// Without a verdict the row stays pending; retrying at once would spin on a
				// broken key or configuration, so it waits for a later scan.
				l.parked[id] = time.Now().Add(licenseRescan)
			}
			l.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				l.s.log.Error("license worker: issuing; will retry", "license", id, "in", licenseRescan, "err", err)
			}
			l.poke() // a slot is free: look for more
		})
	}
	return nil
}

// issue has the product's issuer issue or reject one pending application and records the verdict.
func (l *licensing) issue(ctx context.Context, id string) error {
	var tenant, user, product, fpText, idem string
	var eff, exp int64
	err := l.s.db.QueryRowContext(ctx, `SELECT tenant_id, user_id, product_id, fingerprint, effective_at, expires_at,
COALESCE(idempotency_key, '') FROM licenses WHERE id = ? AND state = 'pending'`, id).
		Scan(&tenant, &user, &product, &fpText, &eff, &exp, &idem)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // decided meanwhile
	}
	if err != nil {
		return err
	}
	req := license.Request{LicenseID: id, Tenant: tenant, Product: product, EffectiveAt: fromMS(eff), ExpiresAt: fromMS(exp), IdempotencyKey: idem}
	var res license.Result
	req.Fingerprint, err = license.ParseFingerprint(fpText)
	if err == nil {
		var issuer license.Issuer
		var failures *license.FailureCounter
		issuer, failures, err = l.issuerFor(ctx, product)
		if err != nil {
			return err // no verdict: the key or the configuration is broken; stays pending
		}
		res, err = issuer.Issue(ctx, req)
		if n := failures.Count(product); n > 0 {
			if _, uerr := l.s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE license_issuers SET failures = failures + ? WHERE product_id = ?`, n, product); uerr != nil {
				l.s.log.Error("license worker: counting vendor failures", "product", product, "err", uerr)
			}
		}
	}
	if ctx.Err() != nil {
		return nil // stopping: stays pending, picked up at the next start
	}
	// The verdict is written even if Close comes now: it is cheap and the work is done.
	wctx := context.WithoutCancel(ctx)
	now := ms(l.s.now())
	if err == nil {
		return l.decide(wctx, tenant, user, id, `UPDATE licenses SET state = 'issued', kind = ?, file_name = ?, content = ?, sha256 = ?,
issued_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'`, []any{res.Kind, res.FileName, res.Content, res.SHA256, now, now, id},
			"License issued", fmt.Sprintf("Your license %s for %s is issued (SHA-256 %s).", id, product, res.SHA256))
	}
	reason := err.Error()
	return l.decide(wctx, tenant, user, id, `UPDATE licenses SET state = 'rejected', reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'`,
		[]any{clipReason(reason), now, id}, "License rejected", fmt.Sprintf("Your license %s for %s was rejected: %s", id, product, clipReason(reason)))
}

// decide records a verdict and, when it changed the row, tells the applicant.
func (l *licensing) decide(ctx context.Context, tenant, user, id, update string, args []any, title, body string) error {
	res, err := l.s.db.ExecContext(ctx, update, args...)
	if err != nil {
		return fmt.Errorf("recording the verdict on license %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return l.s.Notify(ctx, tenant, user, "license", title, body, id)
}

// clipReason bounds a stored reason; a cut inside a UTF-8 sequence drops the partial rune.
func clipReason(s string) string {
	if len(s) > 1000 {
		return strings.ToValidUTF8(s[:1000], "") + "…"
	}
	return s
}

// issuerFor builds the issuer of product from license_issuers, the built-in one when it has no row.
// failures counts the vendor's failed calls of this one issue.
func (l *licensing) issuerFor(ctx context.Context, product string) (license.Issuer, *license.FailureCounter, error) {
	cfg := LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: defaultLicenseDelay}
	var delay, backoff int64
	err := l.s.db.QueryRowContext(ctx, `SELECT kind, url, secret, delay_ms, attempts, backoff_ms FROM license_issuers WHERE product_id = ?`, product).
		Scan(&cfg.Kind, &cfg.URL, &cfg.Secret, &delay, &cfg.Attempts, &backoff)
	switch {
	case err == nil:
		cfg.Delay, cfg.Backoff = time.Duration(delay)*time.Millisecond, time.Duration(backoff)*time.Millisecond
	case !errors.Is(err, sql.ErrNoRows):
		return nil, nil, fmt.Errorf("reading the license issuer of %q: %w", product, err)
	}
	failures := license.NewFailureCounter()
	if cfg.Kind == IssuerVendor {
		v, err := license.NewVendor(license.VendorOptions{URL: cfg.URL, Secret: cfg.Secret, Attempts: cfg.Attempts,
			Backoff: cfg.Backoff, Failures: failures, Now: l.s.opts.Now})
		return v, failures, err
	}
	key, err := l.signingKey()
	if err != nil {
		return nil, nil, err
	}
	b, err := license.NewBuiltin(key, license.BuiltinOptions{Delay: cfg.Delay, Now: l.s.opts.Now})
	return b, failures, err
}

// SetLicenseIssuer says who issues the licenses of product from now on (used by the seed, the
// demo and tests; a vendor console would call it too).
func (s *Server) SetLicenseIssuer(ctx context.Context, product string, c LicenseIssuerConfig) error {
	switch {
	case c.Kind != IssuerBuiltin && c.Kind != IssuerVendor:
		return fmt.Errorf("license issuer of %q: kind %q, want %q or %q", product, c.Kind, IssuerBuiltin, IssuerVendor)
	case c.Delay < 0 || c.Backoff < 0 || c.Attempts < 0:
		return fmt.Errorf("license issuer of %q: delay, backoff and attempts must not be negative", product)
	case c.Kind == IssuerVendor:
		// NewVendor checks the URL and the secret the same way the worker will.
		if _, err := license.NewVendor(license.VendorOptions{URL: c.URL, Secret: c.Secret}); err != nil {
			return fmt.Errorf("license issuer of %q: %w", product, err)
		}
	}
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = time.Second
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO license_issuers (product_id, kind, url, secret, delay_ms, attempts, backoff_ms)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (product_id) DO UPDATE SET kind = excluded.kind, url = excluded.url, secret = excluded.secret,
delay_ms = excluded.delay_ms, attempts = excluded.attempts, backoff_ms = excluded.backoff_ms`,
		product, c.Kind, c.URL, c.Secret, c.Delay.Milliseconds(), c.Attempts, c.Backoff.Milliseconds())
	if err != nil {
		return fmt.Errorf("saving the license issuer of %q: %w", product, err)
	}
	return nil
}

// LicenseIssuerFailures counts, per product, the failed calls to its vendor's license endpoint
// since the product's issuer was configured.
func (s *Server) LicenseIssuerFailures(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT product_id, failures FROM license_issuers WHERE failures > 0`)
	if err != nil {
		return nil, fmt.Errorf("reading license issuer failures: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var p string
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("reading license issuer failures: %w", err)
		}
		out[p] = n
	}
	return out, rows.Err()
}

// signingKey loads the built-in issuer's key from DataDir, creating it on first use.
func (l *licensing) signingKey() (ed25519.PrivateKey, error) {
	l.keyOnce.Do(func() { l.key, l.pub, l.keyErr = loadOrCreateLicenseKey(l.s.opts.DataDir) })
	return l.key, l.keyErr
}

func (l *licensing) publicKey() (ticket.PublicKey, error) {
	_, err := l.signingKey()
	return l.pub, err
}

// loadOrCreateLicenseKey reads DIR/license-issuer.key, or makes it (with its .pub) when missing.
// The file is in installer/ticket's key format, so the same tools read it.
func loadOrCreateLicenseKey(dir string) (ed25519.PrivateKey, ticket.PublicKey, error) {
	name := filepath.Join(dir, licenseKeyName)
	k, err := ticket.ReadPrivateKeyFile(name + ticket.PrivateKeyExt)
	if errors.Is(err, os.ErrNotExist) {
		if k, err = ticket.GenerateKey("iscdesk-market licenses"); err == nil {
			_, _, err = ticket.WriteKeyFiles(name, k)
		}
	}
	if err != nil {
		return nil, ticket.PublicKey{}, fmt.Errorf("the license signing key %s: %w", name+ticket.PrivateKeyExt, err)
	}
	// ticket.PrivateKey keeps its seed to itself; its text form "<prefix> <id> <base64 seed> …" has it.
	text, err := k.MarshalText()
	if err != nil {
		return nil, ticket.PublicKey{}, fmt.Errorf("the license signing key %s: %w", name+ticket.PrivateKeyExt, err)
	}
	fields := bytes.Fields(text)
	if len(fields) < 3 {
		return nil, ticket.PublicKey{}, fmt.Errorf("the license signing key %s: unexpected text form", name+ticket.PrivateKeyExt)
	}
	seed, err := base64.StdEncoding.DecodeString(string(fields[2]))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, ticket.PublicKey{}, fmt.Errorf("the license signing key %s: unexpected seed", name+ticket.PrivateKeyExt)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if ticket.KeyID(key.Public().(ed25519.PublicKey)) != k.ID() {
		return nil, ticket.PublicKey{}, fmt.Errorf("the license signing key %s: the seed does not match the key id", name+ticket.PrivateKeyExt)
	}
	return key, k.Public(), nil
}
