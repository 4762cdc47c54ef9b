package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestMergeOwned(t *testing.T) {
	latest := func(v string) *api.LatestRelease {
		return &api.LatestRelease{Version: v, Platforms: []string{thisPlatform()}}
	}
	cases := []struct {
		name      string
		owned     []api.Entitlement
		installed []apitype.Software
		want      []ownedRow
	}{
		{"owned, not installed",
			[]api.Entitlement{{Product: "cad", Name: "CAD", Latest: latest("2.0")}}, nil,
			[]ownedRow{{Product: "cad", Name: "CAD", Owned: true, OwnedVersion: "2.0", State: ownedNotInstalled}}},
		{"owned with no release for this platform",
			[]api.Entitlement{{Product: "cad", Name: "CAD"}}, nil,
			[]ownedRow{{Product: "cad", Name: "CAD", Owned: true, State: ownedNoRelease}}},
		{"installed older than the latest release",
			[]api.Entitlement{{Product: "cad", Name: "CAD", Latest: latest("2.10")}},
			[]apitype.Software{{ID: "cad", Name: "CAD", Version: "2.9", Detected: true, DetectedVersion: "2.9"}},
			[]ownedRow{{Product: "cad", Name: "CAD", Owned: true, OwnedVersion: "2.10", Installed: true, InstalledVersion: "2.9", State: ownedUpdate}}},
		{"installed at the latest release",
			[]api.Entitlement{{Product: "cad", Name: "CAD", Latest: latest("2.10")}},
			[]apitype.Software{{ID: "cad", Name: "CAD", Version: "2.10", Detected: true}},
			[]ownedRow{{Product: "cad", Name: "CAD", Owned: true, OwnedVersion: "2.10", Installed: true, InstalledVersion: "2.10", State: ownedInstalled}}},
		{"owned through two orders, one row; installed and not owned, sorted by product",
			[]api.Entitlement{{Product: "zeta", Name: "Zeta", Latest: latest("1")}, {Product: "zeta", Name: "Zeta", Latest: latest("1")}},
			[]apitype.Software{{ID: "alpha", Name: "Alpha", Version: "3", Detected: true}},
			[]ownedRow{
				{Product: "alpha", Name: "Alpha", Installed: true, InstalledVersion: "3", State: ownedNotOwned},
				{Product: "zeta", Name: "Zeta", Owned: true, OwnedVersion: "1", State: ownedNotInstalled},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, mergeOwned(tc.owned, tc.installed))
		})
	}
}
