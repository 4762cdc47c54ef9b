//go:build !windows

package agent

import (
	"context"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// TestLicenseFileForInstallGroup: with an install group that exists, the license is 0640 and the group's.
func TestLicenseFileForInstallGroup(t *testing.T) {
	t.Parallel()
	u, err := user.Current()
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)
	m := newMarket(t)
	a := start(t, newAgent(t, m, "", func(c *Config) { c.InstallGroup = g.Name }))
	installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})

	got, err := a.InstallLicense(context.Background(), licenseRequest("demo-solver", "group license"))
	require.NoError(t, err)
	fi, err := os.Stat(got.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	assert.Equal(t, u.Gid, strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid)))
}
