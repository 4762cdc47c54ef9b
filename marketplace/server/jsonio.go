package server

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// maxBody caps a JSON request body.
const maxBody = 1 << 20

// decodeJSON reads r's body strictly into v: one JSON object, no unknown fields, at most 1 MiB.
// On failure it writes a 400 naming the field and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "", "send the body as application/json, not "+ct)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, msg := describeJSONError(err)
		badRequest(w, field, msg)
		return false
	}
	if dec.More() {
		badRequest(w, "", "the body holds more than one JSON value; send one object")
		return false
	}
	return true
}

// describeJSONError turns a decoding error into the field it is about and a message for people.
func describeJSONError(err error) (field, msg string) {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return "", fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit)
	case errors.As(err, &typeErr):
		return typeErr.Field, fmt.Sprintf("%s must be a JSON %s, not %s", typeErr.Field, typeErr.Type.Kind(), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return "", fmt.Sprintf("the body is not valid JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.EOF):
		return "", "the body is empty; send a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return name, fmt.Sprintf("unknown field %q; see the API reference for the fields of this request", name)
	default:
		return "", "the body is not a valid JSON object: " + err.Error()
	}
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"code":"internal","message":"encoding the response failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes an api.Error.
func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, api.Error{Code: code, Field: field, Message: msg})
}

// badRequest is a 400 about one field of the input.
func badRequest(w http.ResponseWriter, field, msg string) {
	writeError(w, http.StatusBadRequest, "invalid_field", field, msg)
}

// notFound is the 404 for an id that does not exist or belongs to another tenant; the two are
// not told apart, so ids of other tenants reveal nothing.
func notFound(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotFound, "not_found", "", what+" not found")
}

// internalError logs err and writes a 500 that does not leak it.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("marketplace request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "", "internal error; see the marketplace log")
}

// fieldError is a validation failure of one input field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func invalid(field, format string, a ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, a...)}
}

// writeInvalid writes err as a 400 when it is a fieldError, else as a 500.
func (s *Server) writeInvalid(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		badRequest(w, fe.field, fe.msg)
		return
	}
	s.internalError(w, r, err)
}

// newID returns prefix + "_" + 16 random hex characters.
func newID(prefix string) string {
	return prefix + "_" + hex.EncodeToString(randomBytes(8))
}

// randomToken returns n random bytes in unpadded URL-safe base64.
func randomToken(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}
