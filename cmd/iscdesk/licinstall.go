package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// installLicense downloads license id, checks it, and writes it to output or, when output is "",
// to the license path of the installed product.
func (g *globals) installLicense(ctx context.Context, id, output string) (*licensePlaced, error) {
	mc := g.marketClient()
	lic, err := mc.License(ctx, id)
	if err != nil {
		return nil, err
	}
	switch lic.State {
	case api.LicenseIssued:
	case api.LicenseRejected:
		return nil, licenseResult(lic)
	default:
		return nil, fmt.Errorf("license %s of %s: %w; wait for it with `iscdesk licenses show %s`", id, lic.Product, errNotIssued, id)
	}
	path := output
	if path == "" {
		if path, err = g.licensePath(ctx, lic.Product); err != nil {
			return nil, fmt.Errorf("license %s: %w", id, err)
		}
	}
	content, err := mc.LicenseContentOf(ctx, id) // checks the body against X-Content-SHA256
	if err != nil {
		return nil, err
	}
	if lic.SHA256 != "" && content.SHA256 != lic.SHA256 {
		return nil, fmt.Errorf("license %s: the downloaded content has SHA-256 %s, but the license says %s; download it again", id, content.SHA256, lic.SHA256)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("license %s: making the folder of %s: %w; run as a user who may write there, or pass -o FILE", id, path, err)
	}
	if err := atomicfile.WriteFile(path, content.Data, 0o644); err != nil {
		return nil, fmt.Errorf("license %s: writing %s: %w; run as a user who may write there, or pass -o FILE", id, path, err)
	}
	return &licensePlaced{License: id, Product: lic.Product, Path: path, SHA256: content.SHA256, Bytes: len(content.Data), By: "cli"}, nil
}

// licensePath is where the installed product reads its license: the manifest's license path,
// filled in with the install folder that the agent reports. The manifest is read from the start
// of the installed release's package on the marketplace (a few KiB), and checked against the
// release's manifest SHA-256.
func (g *globals) licensePath(ctx context.Context, product string) (string, error) {
	items, err := g.client().Software(ctx)
	if err != nil {
		return "", fmt.Errorf("asking the agent where %s is installed: %w; or pass -o FILE", product, err)
	}
	var sw *apitype.Software
	for i := range items {
		if items[i].ID == product {
			sw = &items[i]
		}
	}
	if sw == nil || sw.InstallDir == "" {
		return "", fmt.Errorf("%s is not installed on this machine; install it first (`iscdesk install %s`), or pass -o FILE", product, product)
	}
	p, err := g.marketClient().Product(ctx, product)
	if err != nil {
		return "", err
	}
	rel, ok := releaseFor(p, sw.Version)
	if !ok {
		return "", fmt.Errorf("the marketplace has no release %s %s for %s to read the license path from; pass -o FILE", product, sw.Version, thisPlatform())
	}
	m, err := fetchManifest(ctx, rel)
	if err != nil {
		return "", err
	}
	plat, err := m.For(runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return "", fmt.Errorf("the package of %s %s: %w", product, rel.Version, err)
	}
	path, err := plat.LicensePath(manifest.Vars{InstallDir: sw.InstallDir, Version: sw.Version, ID: product})
	if errors.Is(err, manifest.ErrNoLicensePath) {
		if plat.License != nil && plat.License.Env != "" {
			return "", fmt.Errorf("%s finds its license through the environment variable %s, which only the agent can set machine-wide, and this agent has no license endpoint yet; save it with -o FILE and set %s to FILE", product, plat.License.Env, plat.License.Env)
		}
		return "", fmt.Errorf("the package of %s %s declares no license path; save the license with -o FILE where the vendor's documentation says", product, rel.Version)
	}
	return path, err
}

// manifestTimeout bounds reading a package's manifest: it is at the start of the file.
const manifestTimeout = 30 * time.Second

// fetchManifest reads package.yaml from the start of a release's package and checks its SHA-256.
func fetchManifest(ctx context.Context, rel api.Release) (*manifest.Manifest, error) {
	ctx, cancel := context.WithTimeout(ctx, manifestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rel.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of release %s: bad package URL %q: %w", rel.Version, rel.URL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest from %s: %w", rel.URL, err)
	}
	defer resp.Body.Close() // the rest of the package is not read
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the manifest from %s: %s", rel.URL, resp.Status)
	}
	data, sum, err := pkgfile.ReadManifest(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest from %s: %w", rel.URL, err)
	}
	if rel.ManifestSHA256 != "" && sum != rel.ManifestSHA256 {
		return nil, fmt.Errorf("the manifest in %s has SHA-256 %s, but the marketplace lists %s; the package was changed", rel.URL, sum, rel.ManifestSHA256)
	}
	return manifest.Parse(pkgfile.ManifestName, data)
}
