package server

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// serveSpec is GET /openapi.yaml.
func (s *Server) serveSpec(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(api.Spec)
}

// me is GET /v1/me.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	var m api.Me
	err := s.db.QueryRowContext(r.Context(), `SELECT u.id, u.username, u.display_name, u.email, u.role, t.id, t.name
FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = ? AND u.tenant_id = ?`, c.UserID, c.TenantID).
		Scan(&m.UserID, &m.Username, &m.DisplayName, &m.Email, &m.Role, &m.TenantID, &m.TenantName)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// keys is GET /v1/keys: the public keys agents should trust for tickets.
func (s *Server) keys(w http.ResponseWriter, r *http.Request) {
	pub := s.key.Public()
	line, err := pub.MarshalText()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Keys{Keys: []api.PublicKey{{ID: pub.ID, Algorithm: "ed25519", Line: string(line)}}})
}

// listEntitlements is GET /v1/entitlements, paged by entitlement id. Each entitlement carries its
// product's newest release, for ?platform= when given. One query joins the page of entitlements
// to the releases of their products; the newest version is picked here, because SQL cannot
// compare versions.
func (s *Server) listEntitlements(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	platform := r.URL.Query().Get("platform")
	if platform != "" && !platformPattern.MatchString(platform) {
		badRequest(w, "platform", "platform must be linux, windows or darwin, optionally /amd64 or /arm64")
		return
	}
	c := caller(r)
	page := `SELECT id, product_id, order_id, granted_at, expires_at FROM entitlements WHERE tenant_id = ?`
	args := []any{c.TenantID}
	if p.After != nil {
		page += ` AND id > ?`
		args = append(args, p.After.ID)
	}
	page += ` ORDER BY id LIMIT ?`
	args = append(args, p.Limit+1)
	join := `LEFT JOIN releases r ON r.product_id = e.product_id`
	if platform != "" {
		// A release for "linux" also installs on "linux/amd64" (platformMatches).
		wantOS, _, _ := strings.Cut(platform, "/")
		join += ` AND r.platform IN (?, ?)`
		args = append(args, platform, wantOS)
	}
	q := `SELECT e.id, e.product_id, p.name, p.publisher, COALESCE(e.order_id, ''), e.granted_at, e.expires_at,
COALESCE(r.version, ''), COALESCE(r.platform, '')
FROM (` + page + `) e JOIN products p ON p.id = e.product_id ` + join + ` ORDER BY e.id`
	rows, err := s.db.QueryContext(r.Context(), q, args...)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer rows.Close()
	items := []api.Entitlement{}
	for rows.Next() {
		var e api.Entitlement
		var granted int64
		var expires sql.NullInt64
		var version, relPlatform string
		if err := rows.Scan(&e.ID, &e.Product, &e.Name, &e.Publisher, &e.OrderID, &granted, &expires, &version, &relPlatform); err != nil {
			s.internalError(w, r, err)
			return
		}
		// Rows come grouped by entitlement: one per release of its product, or one with no release.
		if n := len(items); n == 0 || items[n-1].ID != e.ID {
			e.GrantedAt, e.ExpiresAt = fromMS(granted), nullMS(expires)
			items = append(items, e)
		}
		if version != "" {
			keepNewest(&items[len(items)-1], version, relPlatform)
		}
	}
	if err := rows.Err(); err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, e := range items {
		if e.Latest != nil {
			slices.Sort(e.Latest.Platforms)
		}
	}
	out := api.Page[api.Entitlement]{Items: items}
	if len(items) > p.Limit {
		out.Items = items[:p.Limit]
		out.NextCursor = cursor{ID: out.Items[p.Limit-1].ID}.String()
	}
	writeJSON(w, http.StatusOK, out)
}

// keepNewest folds one release of e's product into e.Latest.
func keepNewest(e *api.Entitlement, version, platform string) {
	switch {
	case e.Latest == nil || manifest.CompareVersions(version, e.Latest.Version) > 0:
		e.Latest = &api.LatestRelease{Version: version, Platforms: []string{platform}}
	case manifest.CompareVersions(version, e.Latest.Version) == 0 && !slices.Contains(e.Latest.Platforms, platform):
		e.Latest.Platforms = append(e.Latest.Platforms, platform)
	}
}

// getProduct is GET /v1/products/{id}: a catalog entry with its releases, newest first.
func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var p api.Product
	err := s.db.QueryRowContext(r.Context(), `SELECT id, name, publisher, description FROM products WHERE id = ?`, id).
		Scan(&p.ID, &p.Name, &p.Publisher, &p.Description)
	if errors.Is(err, sql.ErrNoRows) {
		notFound(w, "product "+quoteClip(id))
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	rels, err := s.releases(r, id)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Releases = rels
	writeJSON(w, http.StatusOK, p)
}

// releases lists a product's releases, newest version first.
func (s *Server) releases(r *http.Request, productID string) ([]api.Release, error) {
	rows, err := s.db.QueryContext(r.Context(), `SELECT version, platform, file, size, sha256, manifest_sha256, created_at
FROM releases WHERE product_id = ?`, productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []api.Release{}
	for rows.Next() {
		var rel api.Release
		var file string
		var created int64
		if err := rows.Scan(&rel.Version, &rel.Platform, &file, &rel.Size, &rel.SHA256, &rel.ManifestSHA256, &created); err != nil {
			return nil, err
		}
		rel.URL, rel.PublishedAt = s.packageURL(file), fromMS(created)
		out = append(out, rel)
	}
	sortReleases(out)
	return out, rows.Err()
}

// sortReleases orders by version, newest first, then by platform.
func sortReleases(rels []api.Release) {
	slices.SortFunc(rels, func(a, b api.Release) int {
		if c := manifest.CompareVersions(b.Version, a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Platform, b.Platform)
	})
}

func (s *Server) packageURL(file string) string {
	return strings.TrimSuffix(s.opts.BaseURL, "/") + "/packages/" + file
}

// platformMatches reports whether a release for relPlatform ("os" or "os/arch") installs on want.
func platformMatches(relPlatform, want string) bool {
	if relPlatform == want {
		return true
	}
	wantOS, _, _ := strings.Cut(want, "/")
	return !strings.Contains(relPlatform, "/") && relPlatform == wantOS
}

var platformPattern = regexp.MustCompile(`^(linux|windows|darwin)(/(amd64|arm64))?$`)

// issueTicket is POST /v1/tickets: a signed release ticket for an entitled product.
func (s *Server) issueTicket(w http.ResponseWriter, r *http.Request) {
	var req api.TicketRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case req.Product == "":
		badRequest(w, "product", "product is required: the product id, as in package.yaml")
		return
	case req.Version != "" && !manifest.ValidVersion(req.Version):
		badRequest(w, "version", "version must be dotted numbers with an optional -suffix, like 2.1.0, or left out for the newest")
		return
	case !platformPattern.MatchString(req.Platform):
		badRequest(w, "platform", "platform must be linux, windows or darwin, optionally /amd64 or /arm64")
		return
	}
	c := caller(r)
	var name, orderID string
	var expires sql.NullInt64
	err := s.db.QueryRowContext(r.Context(), `SELECT p.name, COALESCE(e.order_id, ''), e.expires_at
FROM entitlements e JOIN products p ON p.id = e.product_id WHERE e.tenant_id = ? AND e.product_id = ?`,
		c.TenantID, req.Product).Scan(&name, &orderID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		writeError(w, http.StatusForbidden, "not_entitled", "product", "your organisation does not own "+quoteClip(req.Product)+"; buy it on the marketplace first")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	now := s.now()
	if expires.Valid && ms(now) >= expires.Int64 {
		writeError(w, http.StatusForbidden, "entitlement_expired", "product", "your organisation's entitlement to "+quoteClip(req.Product)+" expired at "+fromMS(expires.Int64).Format("2006-01-02")+"; renew it")
		return
	}
	rels, err := s.releases(r, req.Product)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var rel *api.Release
	for i := range rels { // newest first
		if platformMatches(rels[i].Platform, req.Platform) && (req.Version == "" || rels[i].Version == req.Version) {
			rel = &rels[i]
			break
		}
	}
	if rel == nil {
		what := "any version"
		if req.Version != "" {
			what = "version " + req.Version
		}
		writeError(w, http.StatusNotFound, "no_release", "version", quoteClip(req.Product)+" has no release of "+what+" for "+req.Platform)
		return
	}
	t := ticket.Ticket{Product: req.Product, Name: name, Version: rel.Version, Platform: rel.Platform,
		URLs: []string{rel.URL}, Size: rel.Size, SHA256: rel.SHA256, ManifestSHA256: rel.ManifestSHA256,
		Tenant: c.TenantID, Order: orderID, IssuedAt: now.Truncate(time.Second), ExpiresAt: now.Truncate(time.Second).Add(s.opts.TicketTTL)}
	signed, err := ticket.Sign(t, s.key)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.TicketResponse{Ticket: api.RawJSON(signed), Product: t.Product, Version: t.Version,
		Platform: t.Platform, URL: rel.URL, ExpiresAt: t.ExpiresAt})
}

var packageFilePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}\.iscpkg$`)

// servePackage is GET /packages/{file}. Packages are public: what may be installed is decided by
// the signed ticket, and the agent checks the bytes against it. Range requests are supported.
func (s *Server) servePackage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if !packageFilePattern.MatchString(name) || strings.Contains(name, "..") {
		notFound(w, "package "+quoteClip(name))
		return
	}
	f, err := os.Open(filepath.Join(s.opts.DataDir, "packages", name))
	if errors.Is(err, os.ErrNotExist) {
		notFound(w, "package "+quoteClip(name))
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.serveDownload(w, r, name, f)
}

// serveDownload serves the open file f, a package or an agent binary, with ranges (a download
// resumes with Range and If-Range), and closes it.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, name string, f *os.File) {
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.internalError(w, r, fmt.Errorf("reading %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// quoteClip quotes untrusted input for a message, cut to 64 bytes.
func quoteClip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + strings.ReplaceAll(s, `"`, `'`) + `"`
}
