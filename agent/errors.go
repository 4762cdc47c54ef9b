package agent

import "net/http"

// Error codes of *Error; the local API sends them as apitype.Error.Code.
const (
	CodeBadRequest    = "bad_request"    // the request is malformed or incomplete
	CodeTicketRefused = "ticket_refused" // the ticket is unsigned, altered, expired, for another machine or a downgrade
	CodeConflict      = "conflict"       // the product already has a job, or the job has ended
	CodeNotFound      = "not_found"      // no such job or installed product
	CodeRefused       = "refused"        // the package's license rule puts the license nowhere the agent may write
)

// Error is a request the agent will not take, with a code the API maps to a status and the field at
// fault. Msg says what was wrong and what to do.
type Error struct {
	Code  string
	Field string
	Msg   string
	Err   error // the cause, when there is one
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus, ErrorCode and ErrorField let the local API answer with the right status, code and field.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeTicketRefused, CodeRefused:
		return http.StatusUnprocessableEntity // the request is well-formed; what it asks is not acceptable
	case CodeConflict:
		return http.StatusConflict
	case CodeNotFound:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}
func (e *Error) ErrorCode() string  { return e.Code }
func (e *Error) ErrorField() string { return e.Field }

func badRequest(field, msg string) *Error {
	return &Error{Code: CodeBadRequest, Field: field, Msg: msg}
}
