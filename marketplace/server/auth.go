package server

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Caller is who made a request: a user of a tenant, or a vendor (VendorID set, no tenant).
type Caller struct {
	TenantID string
	UserID   string
	Username string
	Role     string // api.RoleEngineer, api.RoleAdmin or api.RoleVendor
	VendorID string
}

type callerKey struct{}

// CallerFrom returns the caller that the auth middleware put in ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// caller is CallerFrom for handlers behind User or Admin, where a caller is always present.
func caller(r *http.Request) Caller {
	c, _ := CallerFrom(r.Context())
	return c
}

// WithCaller returns ctx carrying c; for tests of code below the middleware.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// hashToken is how tokens and codes are stored: only their SHA-256, so a copy of the database
// holds no usable credential.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// authenticate checks the bearer access token and puts the caller in the context. adminOnly
// refuses engineers with 403.
func (s *Server) authenticate(h http.Handler, adminOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			unauthorized(w, "unauthorized", "sign in first: send Authorization: Bearer <access token> (iscdesk login)")
			return
		}
		var c Caller
		var expires int64
		var revoked sql.NullInt64
		err := s.db.QueryRowContext(r.Context(), `
SELECT t.tenant_id, t.user_id, u.username, u.role, t.expires_at, t.revoked_at
FROM tokens t JOIN users u ON u.id = t.user_id
WHERE t.hash = ? AND t.kind = 'access'`, hashToken(tok)).Scan(&c.TenantID, &c.UserID, &c.Username, &c.Role, &expires, &revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && revoked.Valid:
			unauthorized(w, "unauthorized", "the access token is not valid (signed out or never issued); sign in again")
			return
		case err != nil:
			s.internalError(w, r, err)
			return
		case ms(s.now()) >= expires:
			unauthorized(w, "token_expired", "the access token expired at "+fromMS(expires).Format("2006-01-02T15:04:05Z")+"; refresh it with the refresh token or sign in again")
			return
		}
		if adminOnly && c.Role != api.RoleAdmin {
			writeError(w, http.StatusForbidden, "forbidden", "", "only an admin of the tenant may do this")
			return
		}
		h.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), c)))
	})
}

func unauthorized(w http.ResponseWriter, code, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="iscdesk-market"`)
	writeError(w, http.StatusUnauthorized, code, "", msg)
}
