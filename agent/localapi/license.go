package localapi

import (
	"context"
	"net/http"
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

// decodeLicenseRequest reads POST /v1/licenses strictly and checks the fields every license needs.
// The agent checks the SHA-256 itself.
func decodeLicenseRequest(w http.ResponseWriter, r *http.Request) (apitype.LicenseRequest, error) {
	var req apitype.LicenseRequest
	if err := decodeStrict(w, r, &req, licenseRequestBody); err != nil {
		return req, err
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
