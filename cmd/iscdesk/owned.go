package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// thisPlatform is the platform the marketplace is asked for: "linux/amd64".
func thisPlatform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// notSignedIn reports whether err means the marketplace does not know who is asking.
func notSignedIn(err error) bool {
	var apiErr *mclient.APIError
	return errors.Is(err, mclient.ErrNotSignedIn) || errors.Is(err, mclient.ErrSessionEnded) ||
		(errors.As(err, &apiErr) && apiErr.Status == 401)
}

// software lists what the tenant owns merged with what the agent has installed. Not signed in
// (or with --installed), it prints the agent's list as before and says how to sign in.
func (g *globals) software(cmd *cobra.Command, installedOnly bool) error {
	ctx := cmd.Context()
	installed, agentErr := g.client().Software(ctx)
	if installedOnly {
		if agentErr != nil {
			return agentErr
		}
		return g.printer().Software(installed)
	}
	// ?platform= makes each entitlement carry the newest release for this machine.
	owned, mktErr := mclient.Collect(g.marketClient().Entitlements(ctx,
		mclient.ListOptions{PageSize: 500, Filter: url.Values{"platform": {thisPlatform()}}}))
	switch {
	case mktErr != nil && agentErr != nil:
		return agentErr // the agent's error decides the exit code; the marketplace's follows
	case mktErr != nil:
		if notSignedIn(mktErr) {
			fmt.Fprintf(g.io.err, "iscdesk: showing what is installed only: %v\n", mktErr)
		} else {
			fmt.Fprintf(g.io.err, "iscdesk: showing what is installed only; the marketplace did not answer: %v\n", mktErr)
		}
		return g.printer().Software(installed)
	case agentErr != nil && !errors.Is(agentErr, client.ErrAgentNotRunning):
		return agentErr
	case agentErr != nil:
		fmt.Fprintf(g.io.err, "iscdesk: showing what your organisation owns only: %v\n", agentErr)
	}
	return g.marketPrinter().Owned(mergeOwned(owned, installed))
}

// mergeOwned makes one row per product, owned or installed. The owned version is the entitlement's
// latest release, which the marketplace picked for this platform.
func mergeOwned(owned []api.Entitlement, installed []apitype.Software) []ownedRow {
	byID := map[string]*apitype.Software{}
	for i := range installed {
		byID[installed[i].ID] = &installed[i]
	}
	var rows []ownedRow
	seen := map[string]bool{}
	for _, e := range owned {
		if seen[e.Product] {
			continue // owned through two orders
		}
		seen[e.Product] = true
		row := ownedRow{Product: e.Product, Name: e.Name, Owned: true, State: ownedNotInstalled}
		if e.Latest != nil {
			row.OwnedVersion = e.Latest.Version
		} else {
			row.State = ownedNoRelease
		}
		if s := byID[e.Product]; s != nil {
			fillInstalled(&row, s)
		}
		rows = append(rows, row)
	}
	for _, s := range installed {
		if !seen[s.ID] {
			row := ownedRow{Product: s.ID, Name: s.Name}
			fillInstalled(&row, &s)
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b ownedRow) int { return strings.Compare(a.Product, b.Product) })
	return rows
}

// fillInstalled adds what the agent says of a product to its row.
func fillInstalled(row *ownedRow, s *apitype.Software) {
	if row.Name == "" {
		row.Name = s.Name
	}
	row.Job = s.Job
	row.Installed = s.Detected
	row.InstalledVersion = s.DetectedVersion
	if row.InstalledVersion == "" {
		row.InstalledVersion = s.Version
	}
	switch {
	case !s.Detected:
		row.State, row.Detail = ownedNotDetected, s.Detail
	case !row.Owned:
		row.State = ownedNotOwned
	case row.OwnedVersion != "" && manifest.CompareVersions(row.InstalledVersion, row.OwnedVersion) < 0:
		row.State = ownedUpdate
	default:
		row.State = ownedInstalled
	}
}

// productID is what a product id looks like; an install argument that is not a file and not this
// is taken for a missing ticket file.
var productID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// isProductArg reports whether install's argument names a product rather than a ticket file: it
// is no existing file, and looks like a product id (not like a path or a .ticket file).
func isProductArg(arg string) bool {
	if _, err := os.Stat(arg); err == nil {
		return false
	}
	return productID.MatchString(arg) && !strings.HasSuffix(arg, ".ticket")
}

// ticketFor asks the marketplace for the release ticket of product (at version, "" for the newest)
// for this machine, and says which release it names.
func (g *globals) ticketFor(ctx context.Context, product, version string) ([]byte, error) {
	t, err := g.marketClient().Ticket(ctx, product, version, thisPlatform())
	if err != nil {
		return nil, fmt.Errorf("asking the marketplace for a ticket to install %s: %w", product, err)
	}
	if err := g.marketPrinter().Ticket(t); err != nil {
		return nil, err
	}
	return t.Ticket, nil
}
