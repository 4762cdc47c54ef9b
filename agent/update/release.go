package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// maxListSize bounds the releases list; a list of a few hundred releases is a few hundred KiB.
const maxListSize = 4 << 20

// fetchReleases asks the marketplace at base for the releases of goos/goarch on channel.
func fetchReleases(ctx context.Context, hc *http.Client, base, goos, goarch, channel string) ([]api.AgentRelease, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/v1/agent/releases")
	if err != nil {
		return nil, fmt.Errorf("the marketplace URL %q is not valid: %w", base, err)
	}
	u.RawQuery = url.Values{"os": {goos}, "arch": {goarch}, "channel": {channel}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("asking %s for agent releases: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the marketplace for agent releases: %w; check marketplace_url and the network", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("asking the marketplace for agent releases: GET %s answered %s: %s", u.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	var list []api.AgentRelease
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxListSize)).Decode(&list); err != nil {
		return nil, fmt.Errorf("reading the agent releases from %s: %w", u.Redacted(), err)
	}
	return list, nil
}

// pick chooses the release to install: the one named by pin, else the newest. It returns nil when
// the running version is already the one to have, and a *Error (refused) for a downgrade.
func pick(list []api.AgentRelease, current, pin, channel string) (*api.AgentRelease, error) {
	var best *api.AgentRelease
	for i := range list {
		r := &list[i]
		if !manifest.ValidVersion(r.Version) {
			continue // a release the agent could not order; never install what cannot be compared
		}
		if pin != "" && manifest.CompareVersions(r.Version, pin) != 0 {
			continue
		}
		if best == nil || manifest.CompareVersions(r.Version, best.Version) > 0 {
			best = r
		}
	}
	switch {
	case best == nil && pin != "":
		if manifest.CompareVersions(pin, current) == 0 {
			return nil, nil
		}
		return nil, unavailable(fmt.Sprintf("update.pin is %s, but the marketplace offers no such version on channel %q for this OS; fix the pin or publish that version", pin, channel), nil)
	case best == nil:
		return nil, nil
	}
	switch c := manifest.CompareVersions(best.Version, current); {
	case c == 0:
		return nil, nil
	case c < 0:
		why := fmt.Sprintf("the newest release on channel %q is %s", channel, best.Version)
		if pin != "" {
			why = "update.pin asks for " + pin
		}
		return nil, refused(CodeDowngrade, fmt.Sprintf("%s, older than the running %s: the agent does not downgrade itself; to go back, install the older package by hand", why, current), nil)
	}
	return best, nil
}

// download reads the release's binary into memory, at most max bytes, and returns it with its SHA-256.
func download(ctx context.Context, hc *http.Client, base string, r *api.AgentRelease, max int64) ([]byte, [32]byte, error) {
	var sum [32]byte
	ref, err := url.Parse(r.URL)
	if err != nil {
		return nil, sum, refused(CodeBadRelease, fmt.Sprintf("release %s has a bad url %q: %v", r.Version, r.URL, err), err)
	}
	baseURL, err := url.Parse(strings.TrimRight(base, "/") + "/")
	if err != nil {
		return nil, sum, fmt.Errorf("the marketplace URL %q is not valid: %w", base, err)
	}
	u := baseURL.ResolveReference(ref)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, sum, fmt.Errorf("downloading agent %s: %w", r.Version, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, sum, fmt.Errorf("downloading agent %s from %s: %w", r.Version, u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, sum, fmt.Errorf("downloading agent %s: GET %s answered %s", r.Version, u.Redacted(), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, sum, fmt.Errorf("downloading agent %s from %s: %w", r.Version, u.Redacted(), err)
	}
	if int64(len(data)) > max {
		return nil, sum, refused(CodeBadRelease, fmt.Sprintf("the binary of agent %s is larger than %d bytes; that is no agent", r.Version, max), nil)
	}
	return data, sha256.Sum256(data), nil
}

// hexSum is sum as lower-case hex.
func hexSum(sum [32]byte) string { return hex.EncodeToString(sum[:]) }
