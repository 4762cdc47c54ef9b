package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// licenseAgent is the agent's license endpoint; *client.Client implements it.
type licenseAgent interface {
	InstallLicense(ctx context.Context, req apitype.LicenseRequest) (*apitype.License, error)
}

// installLicense downloads license id and checks it. With output "" it hands it to the agent,
// which writes it where the installed product reads it (as root, so that the caller needs install
// rights rather than write access to the install folder); with output it writes FILE itself.
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
	content, err := mc.LicenseContentOf(ctx, id) // checks the body against X-Content-SHA256
	if err != nil {
		return nil, err
	}
	if lic.SHA256 != "" && content.SHA256 != lic.SHA256 {
		return nil, fmt.Errorf("license %s: the downloaded content has SHA-256 %s, but the license says %s; download it again", id, content.SHA256, lic.SHA256)
	}
	if output != "" {
		if err := os.MkdirAll(filepath.Dir(output), 0o755); err != nil {
			return nil, fmt.Errorf("license %s: making the folder of %s: %w", id, output, err)
		}
		if err := atomicfile.WriteFile(output, content.Data, 0o644); err != nil {
			return nil, fmt.Errorf("license %s: writing %s: %w", id, output, err)
		}
		return &licensePlaced{License: id, Product: lic.Product, Path: output, SHA256: content.SHA256, Bytes: len(content.Data), By: "cli"}, nil
	}
	agent, ok := g.client().(licenseAgent)
	if !ok {
		return nil, fmt.Errorf("license %s: this build's agent client cannot install licenses; pass -o FILE", id)
	}
	placed, err := agent.InstallLicense(ctx, apitype.LicenseRequest{
		Product: lic.Product, Content: content.Data, SHA256: content.SHA256, FileName: content.FileName,
	})
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) {
			return nil, fmt.Errorf("license %s of %s: the agent refused it: %w", id, lic.Product, err)
		}
		return nil, fmt.Errorf("license %s of %s: %w", id, lic.Product, err)
	}
	return &licensePlaced{License: id, Product: lic.Product, Path: placed.Path, SHA256: placed.SHA256, Bytes: len(content.Data), By: "agent"}, nil
}
