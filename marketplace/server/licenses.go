package server

// Licenses: a tenant applies for a license of a product it is entitled to, bound to one device;
// the application is answered at once (202, pending) and a background worker (licenses_worker.go)
// has the product's issuer (marketplace/license) issue or reject it.

import (
	"context"
	"database/sql"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/license"
)

func init() {
	register(func(s *Server, r *Routes) {
		l := newLicensing(s)
		r.Public("GET /v1/license-keys", l.keys)
		r.User("POST /v1/licenses", l.apply)
		r.User("GET /v1/licenses", l.list)
		r.User("GET /v1/licenses/{id}", l.get)
		r.User("GET /v1/licenses/{id}/content", l.content)
		s.Go(l.run)
	})
}

// apply is POST /v1/licenses: 202 with the pending license, or the earlier one for a repeated
// Idempotency-Key.
func (l *licensing) apply(w http.ResponseWriter, r *http.Request) {
	var body api.LicenseApplication
	if !decodeJSON(w, r, &body) {
		return
	}
	c := caller(r)
	now := l.s.now()
	req, err := l.parseApplication(body, now)
	if err != nil {
		l.s.writeInvalid(w, r, err)
		return
	}
	var entExpires sql.NullInt64
	err = l.s.db.QueryRowContext(r.Context(), `SELECT expires_at FROM entitlements WHERE tenant_id = ? AND product_id = ?`,
		c.TenantID, req.Product).Scan(&entExpires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		writeError(w, http.StatusForbidden, "not_entitled", "product", "your organisation does not own "+quoteClip(req.Product)+"; buy it on the marketplace first")
		return
	case err != nil:
		l.s.internalError(w, r, err)
		return
	case entExpires.Valid && ms(now) >= entExpires.Int64:
		writeError(w, http.StatusForbidden, "entitlement_expired", "product", "your organisation's entitlement to "+quoteClip(req.Product)+" expired at "+rfc3339(fromMS(entExpires.Int64))+"; renew it")
		return
	case entExpires.Valid && req.ExpiresAt.After(fromMS(entExpires.Int64)):
		badRequest(w, "expires_at", "expires_at must not be after the end of your entitlement, "+rfc3339(fromMS(entExpires.Int64)))
		return
	}

	key := r.Header.Get(api.IdempotencyHeader)
	req.LicenseID, req.Tenant, req.IdempotencyKey = newID("lic"), c.TenantID, key
	var idem any // NULL: applications without a key never collide
	if key != "" {
		idem = key
	}
	_, err = l.s.db.ExecContext(r.Context(), `INSERT INTO licenses
(id, tenant_id, user_id, product_id, fingerprint, effective_at, expires_at, idempotency_key, state, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
ON CONFLICT (tenant_id, user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
		req.LicenseID, c.TenantID, c.UserID, req.Product, req.Fingerprint.String(), ms(req.EffectiveAt), ms(req.ExpiresAt), idem, ms(now), ms(now))
	if err != nil {
		l.s.internalError(w, r, err)
		return
	}
	lic, err := l.find(r.Context(), c.TenantID, `l.id = ?`, req.LicenseID)
	if errors.Is(err, sql.ErrNoRows) && key != "" {
		// The key was used before, beyond the reach of the replay middleware (another day):
		// answer with that license if it is the same application.
		lic, err = l.find(r.Context(), c.TenantID, `l.user_id = ? AND l.idempotency_key = ?`, c.UserID, key)
		if err == nil && (lic.Product != req.Product || lic.Fingerprint != req.Fingerprint.String() ||
			!lic.EffectiveAt.Equal(req.EffectiveAt) || !lic.ExpiresAt.Equal(req.ExpiresAt)) {
			writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", api.IdempotencyHeader,
				"this Idempotency-Key was used for license "+lic.ID+", a different application; use a new key for a new request")
			return
		}
	}
	if err != nil {
		l.s.internalError(w, r, err)
		return
	}
	l.poke()
	w.Header().Set("Location", "/v1/licenses/"+lic.ID)
	writeJSON(w, http.StatusAccepted, lic)
}

// parseApplication validates the body into a license request (without ids).
func (l *licensing) parseApplication(b api.LicenseApplication, now time.Time) (license.Request, error) {
	req := license.Request{Product: strings.TrimSpace(b.Product)}
	if req.Product == "" {
		return req, invalid("product", "product is required: the id of a product your organisation owns")
	}
	fp, err := license.ParseFingerprint(b.Fingerprint)
	if err != nil {
		return req, asFieldError(err)
	}
	req.Fingerprint = fp
	req.EffectiveAt = now.Truncate(time.Second)
	if b.EffectiveAt != "" {
		if req.EffectiveAt, err = parseTime("effective_at", b.EffectiveAt); err != nil {
			return req, err
		}
	}
	if b.ExpiresAt == "" {
		return req, invalid("expires_at", "expires_at is required: when the license ends, RFC 3339 like 2027-01-31T00:00:00Z")
	}
	if req.ExpiresAt, err = parseTime("expires_at", b.ExpiresAt); err != nil {
		return req, err
	}
	if !req.ExpiresAt.After(req.EffectiveAt) {
		return req, invalid("expires_at", "expires_at must be after effective_at (%s)", rfc3339(req.EffectiveAt))
	}
	if !req.ExpiresAt.After(now) {
		return req, invalid("expires_at", "expires_at %s is in the past", rfc3339(req.ExpiresAt))
	}
	// Validate the rest with stand-in ids, which the handler fills in after the checks.
	probe := req
	probe.LicenseID, probe.Tenant = "lic", "tenant"
	return req, asFieldError(probe.Validate())
}

// asFieldError turns the license package's *FieldError into the server's 400.
func asFieldError(err error) error {
	var fe *license.FieldError
	if errors.As(err, &fe) {
		return invalid(fe.Field, "%s", fe.Error())
	}
	return err
}

func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, invalid(field, "%s must be an RFC 3339 time like 2027-01-31T00:00:00Z, not %s", field, quoteClip(v))
	}
	return t.UTC(), nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// list is GET /v1/licenses: the tenant's licenses, newest first; ?state= and ?product= filter.
func (l *licensing) list(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	where, args := []string{}, []any{}
	if st := r.URL.Query().Get("state"); st != "" {
		if st != api.LicensePending && st != api.LicenseIssued && st != api.LicenseRejected {
			badRequest(w, "state", "state must be pending, issued or rejected")
			return
		}
		where, args = append(where, `l.state = ?`), append(args, st)
	}
	if prod := r.URL.Query().Get("product"); prod != "" {
		where, args = append(where, `l.product_id = ?`), append(args, prod)
	}
	if p.After != nil {
		where = append(where, `(l.created_at, l.id) < (?, ?)`) // seeks the index, as orders.go does
		args = append(args, p.After.At, p.After.ID)
	}
	cond := "1 = 1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	items, err := l.query(r.Context(), caller(r).TenantID, cond+` ORDER BY l.created_at DESC, l.id DESC LIMIT ?`, append(args, p.Limit+1)...)
	writePage(l.s, w, r, p, items, err, func(x api.License) cursor { return cursor{At: ms(x.CreatedAt), ID: x.ID} })
}

// get is GET /v1/licenses/{id}.
func (l *licensing) get(w http.ResponseWriter, r *http.Request) {
	lic, err := l.find(r.Context(), caller(r).TenantID, `l.id = ?`, r.PathValue("id"))
	writeFound(l.s, w, r, "license "+quoteClip(r.PathValue("id")), lic, err)
}

// content is GET /v1/licenses/{id}/content: the issued license as text or as a file download,
// with its SHA-256 in X-Content-SHA256.
func (l *licensing) content(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var state, kind, name, sum string
	var content []byte
	err := l.s.db.QueryRowContext(r.Context(), `SELECT state, kind, file_name, sha256, COALESCE(content, x'')
FROM licenses WHERE tenant_id = ? AND id = ?`, caller(r).TenantID, id).Scan(&state, &kind, &name, &sum, &content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		notFound(w, "license "+quoteClip(id))
		return
	case err != nil:
		l.s.internalError(w, r, err)
		return
	case state != api.LicenseIssued:
		writeError(w, http.StatusConflict, "license_not_issued", "", "license "+id+" is "+state+", so it has no content; "+
			map[string]string{api.LicensePending: "wait for it to be issued", api.LicenseRejected: "see its reason and apply again"}[state])
		return
	}
	w.Header().Set(api.LicenseContentSHA256Header, sum)
	w.Header().Set("ETag", `"`+sum+`"`)
	if kind == license.KindText {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// keys is GET /v1/license-keys: the public key that signs the built-in issuer's license files,
// for the agent's license broker to check them (license.VerifyDocument).
func (l *licensing) keys(w http.ResponseWriter, r *http.Request) {
	pub, err := l.publicKey()
	if err != nil {
		l.s.internalError(w, r, err)
		return
	}
	line, err := pub.MarshalText()
	if err != nil {
		l.s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Keys{Keys: []api.PublicKey{{ID: pub.ID, Algorithm: "ed25519", Line: string(line)}}})
}

const licenseColumns = `l.id, l.product_id, l.fingerprint, l.effective_at, l.expires_at, l.state, l.reason, l.kind,
l.file_name, l.sha256, l.user_id, l.created_at, l.issued_at`

// find reads one license of tenant; sql.ErrNoRows when there is none.
func (l *licensing) find(ctx context.Context, tenant, cond string, args ...any) (api.License, error) {
	return first(l.query(ctx, tenant, cond, args...))
}

// query reads the licenses of tenant that match cond (which may end in ORDER BY and LIMIT).
func (l *licensing) query(ctx context.Context, tenant, cond string, args ...any) ([]api.License, error) {
	rows, err := l.s.db.QueryContext(ctx, `SELECT `+licenseColumns+` FROM licenses l WHERE l.tenant_id = ? AND `+cond,
		append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []api.License{}
	for rows.Next() {
		var x api.License
		var eff, exp, created int64
		var issued sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Product, &x.Fingerprint, &eff, &exp, &x.State, &x.Reason, &x.Kind,
			&x.FileName, &x.SHA256, &x.UserID, &created, &issued); err != nil {
			return nil, err
		}
		x.EffectiveAt, x.ExpiresAt, x.CreatedAt, x.IssuedAt = fromMS(eff), fromMS(exp), fromMS(created), nullMS(issued)
		out = append(out, x)
	}
	return out, rows.Err()
}
