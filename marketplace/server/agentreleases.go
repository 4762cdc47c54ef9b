package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// The agent's own releases: binaries per os/arch and channel, each with its SHA-256 and the
// minisign signature that the agent checks against its update.keys (docs/self-update.md). The
// marketplace only stores and serves them; the trust is in the signature, not in the server.

func init() {
	migrations = append(migrations, Migration{Version: 108, Name: "agent releases", SQL: `
CREATE TABLE agent_releases (
	id           TEXT PRIMARY KEY,
	version      TEXT NOT NULL,
	os           TEXT NOT NULL,
	arch         TEXT NOT NULL,
	channel      TEXT NOT NULL,
	file         TEXT NOT NULL UNIQUE,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	minisig      TEXT NOT NULL,
	vendor_id    TEXT NOT NULL,
	published_at INTEGER NOT NULL,
	UNIQUE (os, arch, channel, version)
);
CREATE INDEX agent_releases_target ON agent_releases (os, arch, channel);
`})
	register(func(s *Server, r *Routes) {
		r.Public("GET /v1/agent/releases", s.listAgentReleases)
		r.Public("GET /agent/{file}", s.serveAgentBinary)
		r.Vendor("POST /v1/vendor/agent-releases", s.publishAgentRelease)
	})
}

// DefaultAgentChannel is the channel of a release or a query that names none.
const DefaultAgentChannel = "stable"

var (
	agentOS      = []string{"linux", "windows", "darwin"}
	agentArch    = []string{"amd64", "arm64"}
	agentChannel = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
)

func (s *Server) listAgentReleases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	goos, arch, channel := q.Get("os"), q.Get("arch"), q.Get("channel")
	if channel == "" {
		channel = DefaultAgentChannel
	}
	if !slices.Contains(agentOS, goos) {
		badRequest(w, "os", fmt.Sprintf("os=%s is not known; use one of %s", quoteClip(goos), strings.Join(agentOS, ", ")))
		return
	}
	if !slices.Contains(agentArch, arch) {
		badRequest(w, "arch", fmt.Sprintf("arch=%s is not known; use one of %s", quoteClip(arch), strings.Join(agentArch, ", ")))
		return
	}
	rows, err := s.db.QueryContext(r.Context(), `SELECT version, os, arch, channel, file, size, sha256, minisig, published_at
FROM agent_releases WHERE os = ? AND arch = ? AND channel = ?`, goos, arch, channel)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer rows.Close()
	out := []api.AgentRelease{}
	for rows.Next() {
		var a api.AgentRelease
		var file string
		var published int64
		if err := rows.Scan(&a.Version, &a.OS, &a.Arch, &a.Channel, &file, &a.Size, &a.SHA256, &a.Minisig, &published); err != nil {
			s.internalError(w, r, err)
			return
		}
		a.URL, a.PublishedAt = s.agentBinaryURL(file), fromMS(published)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		s.internalError(w, r, err)
		return
	}
	slices.SortFunc(out, func(a, b api.AgentRelease) int { return manifest.CompareVersions(b.Version, a.Version) }) // newest first
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) agentBinaryURL(file string) string {
	return strings.TrimSuffix(s.opts.BaseURL, "/") + "/agent/" + file
}

func (s *Server) agentDir() string { return filepath.Join(s.opts.DataDir, "agent") }

// serveAgentBinary serves a published binary, with ranges; only files that a release names.
func (s *Server) serveAgentBinary(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var n int
	if err := s.db.QueryRowContext(r.Context(), `SELECT count(*) FROM agent_releases WHERE file = ?`, name).Scan(&n); err != nil {
		s.internalError(w, r, err)
		return
	}
	if n == 0 {
		notFound(w, "agent binary "+quoteClip(name))
		return
	}
	f, err := os.Open(filepath.Join(s.agentDir(), name))
	if err != nil {
		s.internalError(w, r, fmt.Errorf("agent binary %s is recorded but cannot be read: %w", name, err))
		return
	}
	s.serveDownload(w, r, name, f)
}

// publishAgentRelease is POST /v1/vendor/agent-releases.
func (s *Server) publishAgentRelease(w http.ResponseWriter, r *http.Request) {
	// base64 makes the body a third larger than the binary.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxPackageSize/3*4+maxBody))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("the upload is larger than %d bytes", maxErr.Limit))
		return
	}
	if err != nil {
		badRequest(w, "", "reading the upload: "+err.Error())
		return
	}
	bodySum := sha256.Sum256(body)
	if hex.EncodeToString(bodySum[:]) != strings.ToLower(r.Header.Get(api.VendorBodyHeader)) {
		writeError(w, http.StatusUnauthorized, "unauthorized", api.VendorBodyHeader, "the body's SHA-256 is not X-Content-SHA256; the upload was changed or cut off, send it again")
		return
	}
	var up api.AgentReleaseUpload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&up); err != nil {
		field, msg := describeJSONError(err)
		badRequest(w, field, msg)
		return
	}
	if up.Channel == "" {
		up.Channel = DefaultAgentChannel
	}
	if field, msg := checkAgentUpload(&up); msg != "" {
		badRequest(w, field, msg)
		return
	}
	sum := sha256.Sum256(up.Binary)
	rel := api.AgentRelease{Version: up.Version, OS: up.OS, Arch: up.Arch, Channel: up.Channel, Size: int64(len(up.Binary)),
		SHA256: hex.EncodeToString(sum[:]), Minisig: up.Minisig, PublishedAt: fromMS(ms(s.now()))}
	file := fmt.Sprintf("iscdesk-agent-%s-%s-%s-%s", up.Channel, up.Version, up.OS, up.Arch)
	if up.OS == "windows" {
		file += ".exe"
	}
	rel.URL = s.agentBinaryURL(file)

	if err := os.MkdirAll(s.agentDir(), 0o755); err != nil {
		s.internalError(w, r, err)
		return
	}
	path := filepath.Join(s.agentDir(), file)
	tmp := filepath.Join(s.agentDir(), ".upload-"+newID("agr"))
	if err := atomicfile.WriteFile(tmp, up.Binary, 0o644); err != nil {
		s.internalError(w, r, err)
		return
	}
	// Link fails when the file exists, so a binary is never replaced under agents downloading it.
	err = os.Link(tmp, path)
	os.Remove(tmp)
	if errors.Is(err, os.ErrExist) {
		s.agentReleaseExists(w, &up)
		return
	} else if err != nil {
		s.internalError(w, r, err)
		return
	}
	_, err = s.db.ExecContext(r.Context(), `INSERT INTO agent_releases
(id, version, os, arch, channel, file, size, sha256, minisig, vendor_id, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		newID("agr"), rel.Version, rel.OS, rel.Arch, rel.Channel, file, rel.Size, rel.SHA256, rel.Minisig, caller(r).VendorID, ms(rel.PublishedAt))
	if err != nil {
		os.Remove(path)
		if strings.Contains(err.Error(), "UNIQUE") {
			s.agentReleaseExists(w, &up)
			return
		}
		s.internalError(w, r, err)
		return
	}
	s.log.Info("agent release published", "version", rel.Version, "os", rel.OS, "arch", rel.Arch, "channel", rel.Channel, "vendor", caller(r).VendorID)
	writeJSON(w, http.StatusCreated, rel)
}

func (s *Server) agentReleaseExists(w http.ResponseWriter, up *api.AgentReleaseUpload) {
	writeError(w, http.StatusConflict, "release_exists", "version", fmt.Sprintf("agent %s for %s/%s on channel %s is already published; a release is never replaced under agents downloading it, publish a higher version",
		up.Version, up.OS, up.Arch, up.Channel))
}

// checkAgentUpload returns the field at fault and why, or "" when the upload is complete.
func checkAgentUpload(up *api.AgentReleaseUpload) (field, msg string) {
	switch {
	case !manifest.ValidVersion(up.Version):
		return "version", fmt.Sprintf("version %s is not dotted numbers with an optional -suffix, e.g. 1.4.0", quoteClip(up.Version))
	case !slices.Contains(agentOS, up.OS):
		return "os", fmt.Sprintf("os %s is not known; use one of %s", quoteClip(up.OS), strings.Join(agentOS, ", "))
	case !slices.Contains(agentArch, up.Arch):
		return "arch", fmt.Sprintf("arch %s is not known; use one of %s", quoteClip(up.Arch), strings.Join(agentArch, ", "))
	case !agentChannel.MatchString(up.Channel):
		return "channel", fmt.Sprintf("channel %s is not a channel name; use lower-case letters, digits and '-', e.g. stable", quoteClip(up.Channel))
	case len(up.Binary) == 0:
		return "binary", "binary is empty; send the agent binary in base64"
	}
	var sig minisign.Signature
	if err := sig.UnmarshalText([]byte(up.Minisig)); err != nil {
		return "minisig", "minisig is not a minisign signature (the text of the .minisig file): " + err.Error() + "; agents refuse unsigned binaries"
	}
	return "", ""
}
