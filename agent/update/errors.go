package update

import "net/http"

// Error codes of *Error; the local API sends them as apitype.Error.Code.
const (
	CodeDowngrade   = "update_downgrade"     // the offered or pinned version is older than the running one
	CodeChecksum    = "update_checksum"      // the binary's SHA-256 is not the release's
	CodeSignature   = "update_signature"     // the binary is unsigned, or no configured key signed it
	CodeFailedVer   = "update_failed_before" // this version was installed and rolled back already
	CodeBadRelease  = "update_bad_release"   // the release entry itself is unusable
	CodeUnavailable = "update_unavailable"   // self-update is off or not configured
	CodeBusy        = "update_busy"          // another check or switch is under way
)

// Error is an update the agent refuses or cannot try. Msg says what and what to do; nothing on
// disk has changed when an Error is returned.
type Error struct {
	Code string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus, ErrorCode and ErrorField let the local API answer with the right status and code.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeUnavailable, CodeBusy:
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity // the request was fine; the release is not acceptable
}
func (e *Error) ErrorCode() string  { return e.Code }
func (e *Error) ErrorField() string { return "" }

func refused(code, msg string, err error) *Error { return &Error{Code: code, Msg: msg, Err: err} }

func unavailable(msg string, err error) *Error {
	return &Error{Code: CodeUnavailable, Msg: msg, Err: err}
}
