package localapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// LicenseBackend is the agent's license broker. The server serves /v1/licenses when its Backend
// implements it, and answers 404 with a reason when it does not.
type LicenseBackend interface {
	// InstallLicense checks the license's SHA-256 and writes it where the installed product reads it.
	InstallLicense(ctx context.Context, req apitype.LicenseRequest) (apitype.License, error)
	// Licenses lists the license files of installed products.
	Licenses(ctx context.Context) ([]apitype.License, error)
}

func (s *Server) licenseRoutes() {
	s.handle("/v1/licenses", route{
		methods: map[string]http.HandlerFunc{"GET": s.licenses, "POST": s.installLicense},
		write:   map[string]bool{"POST": true},
	})
}

func (s *Server) licenseBackend(w http.ResponseWriter, r *http.Request) (LicenseBackend, bool) {
	lb, ok := s.b.(LicenseBackend)
	if !ok {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "",
			"this agent serves no "+r.URL.Path+": it does not install licenses; update it, or save the license with iscdesk licenses install ID -o FILE"))
	}
	return lb, ok
}

func (s *Server) licenses(w http.ResponseWriter, r *http.Request) {
	lb, ok := s.licenseBackend(w, r)
	if !ok {
		return
	}
	list, err := lb.Licenses(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []apitype.License{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) installLicense(w http.ResponseWriter, r *http.Request) {
	lb, ok := s.licenseBackend(w, r)
	if !ok {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(submitReadTimeout))
	req, err := decodeLicenseRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lic, err := lb.InstallLicense(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.caller(r)
	s.log.Info("license installed", "product", lic.Product, "path", lic.Path, "env", lic.Env, "uid", c.UID, "user", c.User)
	writeJSON(w, http.StatusOK, lic)
}

// decodeLicenseRequest reads POST /v1/licenses strictly: one JSON object with no unknown fields,
// and the fields every license needs. The agent checks the SHA-256 itself.
func decodeLicenseRequest(w http.ResponseWriter, r *http.Request) (apitype.LicenseRequest, error) {
	var req apitype.LicenseRequest
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, errorf(http.StatusRequestEntityTooLarge, "too_large", "content",
				fmt.Sprintf("the request body is larger than %d bytes; a license request holds one license file", maxRequestBody))
		}
		return req, errorf(http.StatusBadRequest, "bad_request", "", "reading the request body: "+err.Error())
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return req, errorf(http.StatusBadRequest, "bad_request", "",
			`the request body is empty; send {"product": ID, "content": BASE64, "sha256": HEX, "file_name": NAME}`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return req, errorf(http.StatusBadRequest, "bad_request", "content",
				`field "content" must be the license file in base64 (e.g. base64 -w0 FILE): `+corrupt.Error())
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			line, col := position(data, keyOffset(data, name, dec.InputOffset()))
			return req, errorf(http.StatusBadRequest, "bad_request", name,
				fmt.Sprintf("unknown field %q at line %d, column %d; a license request has product, content, sha256 and file_name", name, line, col))
		}
		return req, jsonError(data, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, dec.InputOffset())
		return req, errorf(http.StatusBadRequest, "bad_request", "",
			fmt.Sprintf("unexpected data after the JSON object at line %d, column %d; send one object", line, col))
	}
	bad := func(field, msg string) error { return errorf(http.StatusBadRequest, "bad_request", field, msg) }
	switch {
	case req.Product == "":
		return req, bad("product", `the license request has no "product"; give the installed product's id (see GET /v1/software)`)
	case len(req.Content) == 0:
		return req, bad("content", `the license request has no "content"; send the license file in base64`)
	case req.SHA256 == "":
		return req, bad("sha256", `the license request has no "sha256"; send the SHA-256 the marketplace gave for the license`)
	}
	return req, nil
}
