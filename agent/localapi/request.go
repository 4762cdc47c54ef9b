package localapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// maxRequestBody caps a request body: a ticket is a few KiB.
const maxRequestBody = 1 << 20

// body describes one kind of JSON request body, for the messages of decodeStrict.
type body struct {
	name     string // "job request"
	fields   string // the fields it has, for an unknown field: "action, ticket, product, ..."
	empty    string // what to send when the body is empty; "" when an empty body is allowed
	tooLarge string // why the cap is enough: "a job request holds one ticket of a few KiB"
	// bytesField is the field holding base64 bytes, bytesHint how to make them.
	bytesField, bytesHint string
}

var (
	jobBody = body{
		name:       "job request",
		fields:     "action, ticket, product, allow_downgrade and priority",
		empty:      `send a JSON object such as {"action":"uninstall","product":"cadpro"}`,
		tooLarge:   "a job request holds one ticket of a few KiB",
		bytesField: "ticket", bytesHint: "the ticket file in base64 (e.g. base64 -w0 FILE.ticket)",
	}
	licenseRequestBody = body{
		name:       "license request",
		fields:     "product, content, sha256 and file_name",
		empty:      `send {"product": ID, "content": BASE64, "sha256": HEX, "file_name": NAME}`,
		tooLarge:   "a license request holds one license file",
		bytesField: "content", bytesHint: "the license file in base64 (e.g. base64 -w0 FILE)",
	}
	updateBody = body{name: "update request", fields: "check_only"} // empty: check and apply
)

// decodeStrict reads a request body that must be one JSON object of b's kind into v: capped at
// maxRequestBody, no unknown fields, nothing after it. Its errors are 400s (413 when too large) that
// say where the JSON went wrong and which field.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, b body) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "",
				fmt.Sprintf("the request body is larger than %d bytes; %s", maxRequestBody, b.tooLarge))
		}
		return errorf(http.StatusBadRequest, "bad_request", "", "reading the request body: "+err.Error())
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if b.empty == "" {
			return nil
		}
		return errorf(http.StatusBadRequest, "bad_request", "", "the request body is empty; "+b.empty)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, dec.InputOffset(), err, b)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, dec.InputOffset())
		return errorf(http.StatusBadRequest, "bad_request", "",
			fmt.Sprintf("unexpected data after the JSON object at line %d, column %d; send one object", line, col))
	}
	return nil
}

// decodeJobRequest reads POST /v1/jobs and checks the fields its action needs.
func decodeJobRequest(w http.ResponseWriter, r *http.Request) (apitype.JobRequest, error) {
	var req apitype.JobRequest
	if err := decodeStrict(w, r, &req, jobBody); err != nil {
		return req, err
	}
	return req, validateJobRequest(req)
}

// jsonError turns a decoding error into a 400 that names the place and the field.
func jsonError(data []byte, offset int64, err error, b body) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		corrupt base64.CorruptInputError
	)
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset-1) // Offset is just past the bad byte
		return errorf(http.StatusBadRequest, "bad_request", "",
			fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(syntax.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, int64(len(data)))
		return errorf(http.StatusBadRequest, "bad_request", "",
			fmt.Sprintf("malformed JSON: it ends early, at line %d, column %d", line, col))
	case errors.As(err, &typ):
		line, col := position(data, keyOffset(data, typ.Field, typ.Offset))
		return errorf(http.StatusBadRequest, "bad_request", typ.Field,
			fmt.Sprintf("field %q at line %d, column %d must be %s, not a JSON %s", typ.Field, line, col, typ.Type, typ.Value))
	case errors.As(err, &corrupt) && b.bytesField != "":
		return errorf(http.StatusBadRequest, "bad_request", b.bytesField,
			fmt.Sprintf("field %q must be %s: %s", b.bytesField, b.bytesHint, corrupt.Error()))
	}
	// encoding/json has no type for unknown fields: `json: unknown field "name"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		line, col := position(data, keyOffset(data, name, offset))
		return errorf(http.StatusBadRequest, "bad_request", name,
			fmt.Sprintf("unknown field %q at line %d, column %d; a %s has %s", name, line, col, b.name, b.fields))
	}
	return errorf(http.StatusBadRequest, "bad_request", "", "reading the "+b.name+": "+strings.TrimPrefix(err.Error(), "json: "))
}

// keyOffset is where the key name first appears in data, else def. The decoder reports where it
// stopped, past the value; the key is where the caller looks.
func keyOffset(data []byte, name string, def int64) int64 {
	if i := bytes.Index(data, []byte(strconv.Quote(name))); name != "" && i >= 0 {
		return int64(i)
	}
	return def
}

// position is the 1-based line and column of byte offset in data.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// validateJobRequest checks that req names an action and carries what the action needs.
func validateJobRequest(req apitype.JobRequest) error {
	bad := func(field, msg string) error { return errorf(http.StatusBadRequest, "bad_request", field, msg) }
	switch req.Action {
	case apitype.ActionInstall, apitype.ActionOverwrite:
		if len(req.Ticket) == 0 {
			return bad("ticket", fmt.Sprintf("%s needs a release ticket: put the ticket file, in base64, in \"ticket\"", req.Action))
		}
	case apitype.ActionUninstall:
		if req.Product == "" {
			return bad("product", "uninstall needs the product id in \"product\" (see GET /v1/software)")
		}
	case apitype.ActionRepair:
		if req.Product == "" && len(req.Ticket) == 0 {
			return bad("product", "repair needs the product id in \"product\" (see GET /v1/software), or a ticket")
		}
	case "":
		return bad("action", `the request has no "action"; use install, uninstall, repair or overwrite`)
	default:
		return bad("action", fmt.Sprintf("action %q is not known; use install, uninstall, repair or overwrite", clip(string(req.Action))))
	}
	return nil
}

// clip shortens a caller's value quoted back in a message.
func clip(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "…"
}
