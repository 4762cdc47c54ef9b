package localapitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// LicenseBroker is a license broker for tests (localapi.LicenseBackend): products are "installed" with
// SetTarget, and InstallLicense checks the SHA-256 as the agent does and writes the file where the
// target says. Embed it beside Backend to serve /v1/licenses. Its methods are safe for concurrent use.
type LicenseBroker struct {
	mu       sync.Mutex // guards the fields that follow
	targets  map[string]target
	requests []apitype.LicenseRequest
	placed   map[string]apitype.License
}

type target struct{ path, env string }

// NewLicenseBroker returns a broker with no product installed.
func NewLicenseBroker() *LicenseBroker {
	return &LicenseBroker{targets: map[string]target{}, placed: map[string]apitype.License{}}
}

// SetTarget makes product installed: its license goes to path, with env set to it when env is not "".
func (l *LicenseBroker) SetTarget(product, path, env string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.targets[product] = target{path: path, env: env}
}

// RemoveTarget makes product not installed.
func (l *LicenseBroker) RemoveTarget(product string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.targets, product)
	delete(l.placed, product)
}

// Requests returns the license requests that reached the broker, oldest first.
func (l *LicenseBroker) Requests() []apitype.LicenseRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// InstallLicense records req and writes its content: 400 for a SHA-256 that does not match, 404
// for a product without a target.
func (l *LicenseBroker) InstallLicense(_ context.Context, req apitype.LicenseRequest) (apitype.License, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, req)
	sum := sha256.Sum256(req.Content)
	if got := hex.EncodeToString(sum[:]); got != req.SHA256 {
		return apitype.License{}, &Error{Status: 400, Code: "bad_request", Field: "sha256",
			Msg: fmt.Sprintf("the license content has SHA-256 %s, but the request says %s", got, req.SHA256)}
	}
	t, ok := l.targets[req.Product]
	if !ok {
		return apitype.License{}, &Error{Status: 404, Code: "not_found", Field: "product",
			Msg: fmt.Sprintf("%s is not installed by ISCDesk on this machine", req.Product)}
	}
	if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
		return apitype.License{}, err
	}
	if err := os.WriteFile(t.path, req.Content, 0o644); err != nil {
		return apitype.License{}, err
	}
	lic := apitype.License{Product: req.Product, Path: t.path, Env: t.env, SHA256: req.SHA256,
		Size: int64(len(req.Content)), Modified: time.Now().UTC(), ByAgent: true}
	l.placed[req.Product] = lic
	return lic, nil
}

// Licenses lists what InstallLicense placed, by product.
func (l *LicenseBroker) Licenses(context.Context) ([]apitype.License, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]apitype.License, 0, len(l.placed))
	for _, lic := range l.placed {
		out = append(out, lic)
	}
	slices.SortFunc(out, func(a, b apitype.License) int { return strings.Compare(a.Product, b.Product) })
	return out, nil
}
