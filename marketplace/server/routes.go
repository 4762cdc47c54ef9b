package server

import (
	"net/http"
	"strings"
)

// Routes adds endpoints to the server's mux with the access rule each needs.
type Routes struct {
	s   *Server
	mux *http.ServeMux
}

// features are the route registrations of the feature files, added by register from init funcs.
var features []func(s *Server, r *Routes)

// register adds a feature's routes; call it from an init func (see the package doc).
func register(f func(s *Server, r *Routes)) { features = append(features, f) }

// Public serves pattern to anyone.
func (r *Routes) Public(pattern string, h http.HandlerFunc) { r.add(pattern, "public", h) }

// User serves pattern to any signed-in engineer or admin; the caller is in the request context.
func (r *Routes) User(pattern string, h http.HandlerFunc) {
	r.add(pattern, "user", r.s.authenticate(r.s.idempotent(h), false))
}

// Admin serves pattern to the admins of a tenant only.
func (r *Routes) Admin(pattern string, h http.HandlerFunc) {
	r.add(pattern, "admin", r.s.authenticate(r.s.idempotent(h), true))
}

// Vendor serves pattern to vendors whose request carries a valid signature (see api.VendorSignature).
func (r *Routes) Vendor(pattern string, h http.HandlerFunc) {
	r.add(pattern, "vendor", r.s.vendorAuth(h))
}

func (r *Routes) add(pattern, access string, h http.Handler) {
	method, path, _ := strings.Cut(pattern, " ")
	r.s.routes = append(r.s.routes, Route{Method: method, Path: path, Access: access})
	r.mux.Handle(pattern, h)
}

// buildMux registers the core routes, then the features'.
func (s *Server) buildMux() http.Handler {
	mux := http.NewServeMux()
	r := &Routes{s: s, mux: mux}
	s.coreRoutes(r)
	for _, f := range features {
		f(s, r)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "", "no such endpoint: "+req.Method+" "+req.URL.Path+"; see /openapi.yaml")
	})
	return s.recoverer(mux)
}

func (s *Server) coreRoutes(r *Routes) {
	r.Public("GET /openapi.yaml", s.serveSpec)
	r.Public("GET /oauth/authorize", s.authorizeForm)
	r.Public("POST /oauth/authorize", s.authorizeLogin)
	r.Public("POST /oauth/token", s.token)
	r.Public("POST /oauth/revoke", s.revoke)
	r.Public("GET /v1/keys", s.keys)
	r.Public("GET /packages/{file}", s.servePackage)

	r.User("GET /v1/me", s.me)
	r.User("GET /v1/entitlements", s.listEntitlements)
	r.User("GET /v1/products/{id}", s.getProduct)
	r.User("POST /v1/tickets", s.issueTicket)
	r.User("GET /v1/orders", s.listOrders)
	r.User("GET /v1/orders/{id}", s.getOrder)
	r.User("GET /v1/notifications", s.listNotifications)
	r.User("POST /v1/notifications/read", s.markRead)
	r.User("GET /v1/notifications/stream", s.streamNotifications)
	r.Admin("POST /v1/admin/orders/{id}/state", s.setOrderState)

	r.Vendor("POST /v1/vendor/releases", s.publishRelease)
}

// recoverer turns a handler panic into a 500 with a logged cause, so one bad request cannot
// take the server down.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("marketplace handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal", "", "internal error; see the marketplace log")
			}
		}()
		h.ServeHTTP(w, r)
	})
}
