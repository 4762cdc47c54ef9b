package server

import (
	"database/sql"
	"errors"
	"net/http"
)

// The answers that the handlers of one tenant's items (API packages, deliveries, licenses,
// orders) share: read one, or change one and say why a change was refused.

// first is the first of items, or sql.ErrNoRows when there is none: a query for one item by id.
func first[T any](items []T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(items) == 0 {
		return zero, sql.ErrNoRows
	}
	return items[0], nil
}

// writeFound answers a read of one item: the item, a 404 that names what (sql.ErrNoRows), or a 500.
func writeFound[T any](s *Server, w http.ResponseWriter, r *http.Request, what string, v T, err error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		notFound(w, what)
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// stateRefusal is a 409: the request is valid but the item's state does not allow it.
type stateRefusal struct{ code, msg string }

func (e *stateRefusal) Error() string { return e.msg }

// writeChangeError answers the error of a change to one item, if any, and reports whether it
// did: a 404 that names what (sql.ErrNoRows), a 409 (stateRefusal), a 400 (a field of the
// request), else a 500.
func (s *Server) writeChangeError(w http.ResponseWriter, r *http.Request, what string, err error) bool {
	var refusal *stateRefusal
	switch {
	case err == nil:
		return false
	case errors.Is(err, sql.ErrNoRows):
		notFound(w, what)
	case errors.As(err, &refusal):
		writeError(w, http.StatusConflict, refusal.code, "", refusal.msg)
	default:
		s.writeInvalid(w, r, err)
	}
	return true
}
