package server

import "net/http"

func todo(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "not_implemented", "", "not implemented yet")
}

func (s *Server) serveSpec(w http.ResponseWriter, r *http.Request)      { todo(w, r) }
func (s *Server) authorizeForm(w http.ResponseWriter, r *http.Request)  { todo(w, r) }
func (s *Server) authorizeLogin(w http.ResponseWriter, r *http.Request) { todo(w, r) }
func (s *Server) token(w http.ResponseWriter, r *http.Request)          { todo(w, r) }
func (s *Server) revoke(w http.ResponseWriter, r *http.Request)         { todo(w, r) }
func (s *Server) keys(w http.ResponseWriter, r *http.Request)           { todo(w, r) }
func (s *Server) servePackage(w http.ResponseWriter, r *http.Request)   { todo(w, r) }
func (s *Server) me(w http.ResponseWriter, r *http.Request)             { todo(w, r) }
func (s *Server) listEntitlements(w http.ResponseWriter, r *http.Request) {
	todo(w, r)
}
func (s *Server) getProduct(w http.ResponseWriter, r *http.Request)     { todo(w, r) }
func (s *Server) issueTicket(w http.ResponseWriter, r *http.Request)    { todo(w, r) }
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request)     { todo(w, r) }
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request)       { todo(w, r) }
func (s *Server) setOrderState(w http.ResponseWriter, r *http.Request)  { todo(w, r) }
func (s *Server) publishRelease(w http.ResponseWriter, r *http.Request) { todo(w, r) }
func (s *Server) vendorAuth(h http.Handler) http.Handler                { return h }
