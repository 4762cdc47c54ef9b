package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// apiError is an error the server itself answers with.
type apiError struct {
	status int
	code   string
	field  string
	msg    string
}

func (e *apiError) Error() string      { return e.msg }
func (e *apiError) HTTPStatus() int    { return e.status }
func (e *apiError) ErrorCode() string  { return e.code }
func (e *apiError) ErrorField() string { return e.field }

func errorf(status int, code, field, msg string) *apiError {
	return &apiError{status: status, code: code, field: field, msg: msg}
}

// writeError answers with err as an apitype.Error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	body := apitype.Error{Error: err.Error()}
	status := http.StatusInternalServerError
	var se StatusError
	switch {
	case errors.As(err, &se):
		status, body.Code, body.Field = se.HTTPStatus(), se.ErrorCode(), se.ErrorField()
		if status < 400 || status > 599 {
			s.log.Warn("backend error with a status that is not an error; answering 500", "status", status, "err", err)
			status = http.StatusInternalServerError
		}
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		return // the caller left; nobody reads the answer
	default:
		body.Code = "internal"
		body.Error = "the agent failed: " + err.Error() + "; its log has the details"
		s.log.Error("local API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if body.Code == "" {
		body.Code = codeFor(status)
	}
	writeJSON(w, status, body)
}

// codeFor is the code of an error whose maker did not choose one.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	default:
		return "internal"
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// An error here means the caller left: there is nobody to tell.
	_ = json.NewEncoder(w).Encode(v)
}
