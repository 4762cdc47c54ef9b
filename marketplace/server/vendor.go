package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// VendorClockSkew is how far X-Date may be from the server's clock.
const VendorClockSkew = 5 * time.Minute

// vendorAuth checks a vendor's signed request (see api.VendorStringToSign) and puts the vendor
// in the context. The body's digest is signed through X-Content-SHA256; the handler checks that
// the body it reads has that digest (see readSignedBody).
func (s *Server) vendorAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(msg string) {
			w.Header().Set("WWW-Authenticate", api.VendorAlgorithm)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", msg)
		}
		params, ok := strings.CutPrefix(r.Header.Get("Authorization"), api.VendorAlgorithm+" ")
		if !ok {
			fail("sign the request: Authorization: " + api.VendorAlgorithm + " Access=<access key>, Signature=<hex>; see docs/marketplace-api.md")
			return
		}
		var access, sig string
		for _, kv := range strings.Split(params, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch k {
			case "Access":
				access = v
			case "Signature":
				sig = v
			}
		}
		date, bodySum := r.Header.Get(api.VendorDateHeader), strings.ToLower(r.Header.Get(api.VendorBodyHeader))
		t, err := time.Parse(api.VendorDateFormat, date)
		switch {
		case access == "" || sig == "":
			fail("the Authorization header needs Access= and Signature=")
			return
		case err != nil:
			fail("X-Date must be the UTC time as " + api.VendorDateFormat)
			return
		case t.Sub(s.now()).Abs() > VendorClockSkew:
			fail(fmt.Sprintf("X-Date %s is more than %s from the server's time %s; check the clock of the publishing machine",
				date, VendorClockSkew, s.now().Format(api.VendorDateFormat)))
			return
		case len(bodySum) != 64:
			fail("X-Content-SHA256 must be the hex SHA-256 of the body")
			return
		}
		var vendorID, secret string
		err = s.db.QueryRowContext(r.Context(), `SELECT id, secret FROM vendors WHERE access_key = ?`, access).Scan(&vendorID, &secret)
		if errors.Is(err, sql.ErrNoRows) {
			fail("unknown access key; use the vendor credentials the marketplace gave you")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		want := api.VendorSignature(secret, r.Method, r.URL.Path, date, bodySum)
		if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
			fail("the signature does not match; sign method, path, X-Date and X-Content-SHA256 with the vendor secret")
			return
		}
		h.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), Caller{Role: api.RoleVendor, VendorID: vendorID})))
	})
}

// publishRelease is POST /v1/vendor/releases: the body is an .iscpkg. Its package.yaml names the
// product and version; one release is recorded per platform it lists.
func (s *Server) publishRelease(w http.ResponseWriter, r *http.Request) {
	vendorID := caller(r).VendorID
	dir := filepath.Join(s.opts.DataDir, "packages")
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, s.opts.MaxPackageSize))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("the package is larger than %d bytes", maxErr.Limit))
		return
	}
	if err != nil {
		badRequest(w, "", "reading the upload: "+err.Error())
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != strings.ToLower(r.Header.Get(api.VendorBodyHeader)) {
		writeError(w, http.StatusUnauthorized, "unauthorized", api.VendorBodyHeader, "the body's SHA-256 is "+sum+", not X-Content-SHA256; the upload was changed or cut off, send it again")
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.internalError(w, r, err)
		return
	}
	data, manifestSum, err := pkgfile.ReadManifest(tmp)
	if err != nil {
		badRequest(w, "package", "the upload is not an .iscpkg with package.yaml first: "+err.Error())
		return
	}
	m, err := manifest.Parse(pkgfile.ManifestName, data)
	if err != nil {
		badRequest(w, "package", "package.yaml is not valid: "+err.Error())
		return
	}
	if err := tmp.Sync(); err != nil {
		s.internalError(w, r, err)
		return
	}
	file := pkgfile.FileName(m.ID, m.Version)
	final := filepath.Join(dir, file)
	// Link fails when the file exists, so a release is never replaced under agents downloading it.
	if err := os.Link(tmp.Name(), final); errors.Is(err, os.ErrExist) {
		writeError(w, http.StatusConflict, "release_exists", "package", fmt.Sprintf("%s %s is already published; raise the version in package.yaml", m.ID, m.Version))
		return
	} else if err != nil {
		s.internalError(w, r, err)
		return
	}
	info := pkgfile.Info{Size: size, SHA256: sum, ManifestSHA256: manifestSum}
	out, err := s.recordRelease(r, vendorID, m, file, info)
	if err != nil {
		os.Remove(final)
		var own *ownerConflict
		if errors.As(err, &own) {
			writeError(w, http.StatusForbidden, "forbidden", "package", own.Error())
			return
		}
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

type ownerConflict struct{ product string }

func (e *ownerConflict) Error() string {
	return fmt.Sprintf("product %q belongs to another vendor; choose another id in package.yaml", e.product)
}

// recordRelease adds the product (when new) and one release per platform of m.
func (s *Server) recordRelease(r *http.Request, vendorID string, m *manifest.Manifest, file string, info pkgfile.Info) (api.PublishedRelease, error) {
	ctx, now := r.Context(), s.now()
	out := api.PublishedRelease{Product: m.ID, Name: m.Name, Version: m.Version}
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var owner sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT vendor_id FROM products WHERE id = ?`, m.ID).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, name, publisher, description, vendor_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				m.ID, m.Name, m.Publisher, m.Description, vendorID, ms(now)); err != nil {
				return err
			}
		case err != nil:
			return err
		case owner.String != vendorID:
			return &ownerConflict{product: m.ID}
		}
		return insertReleases(ctx, tx, m, file, info, now)
	})
	for _, p := range slices.Sorted(maps.Keys(m.Platforms)) {
		out.Releases = append(out.Releases, api.Release{Version: m.Version, Platform: p, URL: s.packageURL(file), Size: info.Size,
			SHA256: info.SHA256, ManifestSHA256: info.ManifestSHA256, PublishedAt: fromMS(ms(now))})
	}
	return out, err
}
