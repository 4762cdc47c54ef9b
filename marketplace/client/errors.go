package client

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrUnreachable is wrapped by every error that means "no answer from the marketplace": a refused
// or timed-out connection, a DNS failure, or a gateway in front of it answering 502, 503 or 504.
// The GUI shows what it has cached when errors.Is(err, ErrUnreachable).
var ErrUnreachable = errors.New("the marketplace cannot be reached")

// ErrNotSignedIn means there is no session: sign in with Login (iscdesk login) or pass a token.
var ErrNotSignedIn = errors.New("not signed in to the marketplace")

// ErrSessionEnded means the marketplace refused the session's refresh token (it expired or was
// revoked): the stored session has been deleted and the user must sign in again.
var ErrSessionEnded = errors.New("the marketplace session has ended")

// APIError is a non-2xx answer of the marketplace.
type APIError struct {
	Status  int    // the HTTP status
	Code    string // stable, for programs: "invalid_field", "not_found", "token_expired", "invalid_grant", …
	Field   string // the offending input of a 400, when the server names one
	Message string // for people

	method, path string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("marketplace: %s %s: %d %s", e.method, e.path, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes gateway errors match ErrUnreachable.
func (e *APIError) Is(target error) bool {
	return target == ErrUnreachable && isGatewayStatus(e.Status)
}

func isGatewayStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// UnreachableError is a call that got no HTTP answer.
type UnreachableError struct {
	URL string // the marketplace's address
	Err error  // the network error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the marketplace at %s cannot be reached: %v; check the address in settings and the network", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes UnreachableError match ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }
