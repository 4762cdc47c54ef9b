// Package fetch downloads package files into a root-only cache and returns them only once their size
// and SHA-256 match what the signed ticket says.
//
// Downloads resume: the cache keeps a partial file and a small state file (validator, checkpoint
// offset and the serialised SHA-256 state), so that after a cut connection, a crash or a reboot the
// download goes on where it stopped and the hash goes on with it, without a second pass over the file.
//
// http and https are our own code rather than go-getter's HTTP getter, because that getter can neither
// send If-Range (so it cannot resume safely against a file that changed on the server) nor hand us the
// bytes as they stream (so the hash would need a second pass over the whole file). file:// URLs are
// copied directly with the same streaming hash. s3:// URLs (and go-getter's s3::https://… form) are
// plain HTTP requests signed with AWS Signature Version 4 by this package, so they resume and hash
// like https; go-getter keeps its s3 getter in a module of its own that would bring in the AWS SDK.
// Every other scheme go-getter knows is fetched by go-getter into the partial file and hashed once.
package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	getter "github.com/hashicorp/go-getter/v2"
)

// Defaults for the zero values of Fetcher's fields.
const (
	DefaultCacheCap    int64 = 10 << 30
	DefaultReadTimeout       = 30 * time.Second
	DefaultRetries           = 6
	DefaultBaseDelay         = 500 * time.Millisecond
	DefaultMaxDelay          = 30 * time.Second
)

// Request names one package file: where to get it and what it must be.
type Request struct {
	URLs   []string // mirrors, tried in order: http(s)://, file://, s3://, and what go-getter supports
	Size   int64    // expected size in bytes (>0)
	SHA256 string   // expected hex digest
}

// Progress reports a running download.
type Progress struct {
	URL         string
	Done, Total int64
	Rate        float64       // bytes/s, smoothed
	ETA         time.Duration // 0 when unknown
	Resumed     int64         // offset the current attempt resumed at
}

// Fetcher downloads into CacheDir. Its fields are read-only once Fetch has been called; one Fetcher
// may serve concurrent Fetch calls.
type Fetcher struct {
	CacheDir    string        // root-only (0700) folder; created if missing
	CacheCap    int64         // bytes of complete files kept; LRU eviction (by last use) beyond it; 0 = 10 GiB
	Client      *http.Client  // default: proxy from environment, TLS verified, no overall timeout
	ReadTimeout time.Duration // a stalled read (no byte for this long) aborts the attempt; default 30 s
	// Retries per mirror, with exponential backoff and full jitter between BaseDelay and MaxDelay;
	// defaults 6, 500 ms, 30 s. Attempts that moved the download forward do not use up retries.
	Retries             int
	BaseDelay, MaxDelay time.Duration
	Progress            func(Progress) // called at most ~10 times a second, and at the end
	Logger              *slog.Logger
	// Getters fetch the schemes that are neither http(s), file nor s3 (go-getter's defaults when nil).
	Getters []getter.Getter
	// Env looks up the AWS settings of s3 mirrors (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION); os.Getenv when nil.
	Env func(key string) string

	// mu guards keys, the per-hash locks that keep two Fetch calls off the same partial file.
	mu   sync.Mutex
	keys map[string]*keyLock
}

// Fetch returns the path of a verified copy of r in the cache (read-only, 0400), downloading it
// first unless the cache has it. It tries the mirrors in order and returns an error listing each
// mirror's last failure when none served the right bytes. When ctx is cancelled it returns at once
// and keeps the partial file, so the next Fetch resumes.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (string, error) {
	if err := r.validate(); err != nil {
		return "", err
	}
	sha := strings.ToLower(r.SHA256)
	c, err := f.cache()
	if err != nil {
		return "", err
	}
	unlock := f.lock(ctx, sha)
	if unlock == nil {
		return "", fmt.Errorf("fetching %s: %w", sha, context.Cause(ctx))
	}
	defer unlock()

	if p, ok := c.lookup(sha, r.Size); ok {
		f.logger().Debug("fetch: cache hit", "sha256", sha, "path", p)
		return p, nil
	}

	d := &download{f: f, cache: c, sha: sha, size: r.Size}
	var failures []MirrorFailure
	for _, u := range r.URLs {
		err := d.fromMirror(ctx, u)
		if err == nil {
			p, err := c.commit(sha)
			if err != nil {
				return "", err
			}
			c.evict(f.cacheCap(), sha, f.logger())
			return p, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("fetching %s from %s stopped; the partial download is kept for the next attempt: %w", sha, redact(u), context.Cause(ctx))
		}
		if errors.Is(err, ErrDiskFull) || errors.Is(err, ErrNoSpace) || errors.Is(err, errLocal) {
			// Another mirror cannot help with a local problem.
			return "", err
		}
		f.logger().Warn("fetch: mirror failed", "url", redact(u), "err", err)
		failures = append(failures, MirrorFailure{URL: redact(u), Err: err})
	}
	if d.off == 0 {
		// Nothing worth resuming: leave no empty partial file behind.
		d.discardAll()
	}
	return "", &Error{SHA256: sha, Mirrors: failures}
}

// Cached returns the verified complete file for r's hash, if the cache holds it, and marks it as
// just used. The file was hashed when it entered the cache; Cached checks its size, not its hash
// again: the cache folder is writable by root alone.
func (f *Fetcher) Cached(r Request) (string, bool) {
	if r.validate() != nil {
		return "", false
	}
	c, err := f.cache()
	if err != nil {
		return "", false
	}
	return c.lookup(strings.ToLower(r.SHA256), r.Size)
}

func (r Request) validate() error {
	if len(r.URLs) == 0 {
		return fmt.Errorf("fetch request for %q has no URL; the ticket must name at least one", r.SHA256)
	}
	if r.Size <= 0 {
		return fmt.Errorf("fetch request for %s: size %d is not positive; the ticket must give the package size", r.URLs[0], r.Size)
	}
	if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != 32 {
		return fmt.Errorf("fetch request for %s: %q is not a hex SHA-256 (64 hex digits)", r.URLs[0], r.SHA256)
	}
	for _, u := range r.URLs {
		if _, err := url.Parse(u); err != nil {
			return fmt.Errorf("fetch request: mirror %q is not a URL: %w", u, err)
		}
	}
	return nil
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (f *Fetcher) cacheCap() int64 {
	if f.CacheCap > 0 {
		return f.CacheCap
	}
	return DefaultCacheCap
}

func (f *Fetcher) env() func(string) string {
	if f.Env != nil {
		return f.Env
	}
	return os.Getenv
}

func (f *Fetcher) readTimeout() time.Duration {
	if f.ReadTimeout > 0 {
		return f.ReadTimeout
	}
	return DefaultReadTimeout
}

func (f *Fetcher) retries() int {
	if f.Retries > 0 {
		return f.Retries
	}
	return DefaultRetries
}

func (f *Fetcher) delays() (base, maxDelay time.Duration) {
	base, maxDelay = f.BaseDelay, f.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	return base, max(base, maxDelay)
}

// defaultClient follows the proxy environment, verifies TLS and has no overall timeout: a large
// download may take hours, stalls are caught by ReadTimeout instead.
var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          16,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   30 * time.Second,
	ExpectContinueTimeout: time.Second,
}}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return defaultClient
}

// keyLock is a mutex that a waiter can give up on when its context ends.
type keyLock struct {
	ch    chan struct{}
	users int
}

// lock takes the per-hash lock; it returns nil if ctx ends first.
func (f *Fetcher) lock(ctx context.Context, sha string) (unlock func()) {
	f.mu.Lock()
	if f.keys == nil {
		f.keys = map[string]*keyLock{}
	}
	k := f.keys[sha]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		f.keys[sha] = k
	}
	k.users++
	f.mu.Unlock()

	release := func() {
		f.mu.Lock()
		k.users--
		if k.users == 0 {
			delete(f.keys, sha)
		}
		f.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }
	case <-ctx.Done():
		release()
		return nil
	}
}

// redact drops the user info and query of a URL (pre-signed URLs carry secrets there) for messages,
// also behind a go-getter prefix such as s3::.
func redact(raw string) string {
	if forced, inner, ok := strings.Cut(raw, "::"); ok && forced != "" && !strings.ContainsAny(forced, ":/?#[@") {
		return forced + "::" + redact(inner)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}

// ensureDir creates the cache folder, root-only.
func ensureDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("fetch: no cache folder configured (Fetcher.CacheDir is empty)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the download cache %s: %w; check that the parent folder exists and is writable by the agent", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("making the download cache %s root-only: %w", dir, err)
	}
	return nil
}
