package journal

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInstalled(t *testing.T) {
	j := openTest(t)
	given := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cad := &Installed{ID: "cadpro", Name: "CAD Pro", Version: "2024.2", Publisher: "Acme",
		InstallDir: "/opt/cadpro", PackageDir: "/var/lib/iscdesk/packages/cadpro-2024.2", JobID: "j-000003", RebootRequired: true}
	plc := &Installed{ID: "plcsim", Name: "PLC Sim", Version: "1.0", InstalledAt: given}
	require.NoError(t, j.PutInstalled(plc))
	require.NoError(t, j.PutInstalled(cad))
	assert.Equal(t, t0.Add(time.Second), cad.InstalledAt, "a zero InstalledAt is set to now")
	assert.Equal(t, given, plc.InstalledAt, "a given InstalledAt is kept")

	got, err := j.GetInstalled("cadpro")
	require.NoError(t, err)
	assert.Equal(t, cad, got)

	list, err := j.ListInstalled()
	require.NoError(t, err)
	assert.Equal(t, []*Installed{cad, plc}, list, "ordered by id")

	// A repair or upgrade replaces the entry.
	cad2 := *cad
	cad2.Version = "2025.1"
	require.NoError(t, j.PutInstalled(&cad2))
	got, err = j.GetInstalled("cadpro")
	require.NoError(t, err)
	assert.Equal(t, "2025.1", got.Version)

	require.NoError(t, j.DeleteInstalled("cadpro"))
	require.NoError(t, j.DeleteInstalled("cadpro"), "deleting twice is fine: uninstall may be re-run")
	_, err = j.GetInstalled("cadpro")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), `"cadpro"`)

	list, err = j.ListInstalled()
	require.NoError(t, err)
	assert.Equal(t, []*Installed{plc}, list)
}

func TestPutInstalledNeedsID(t *testing.T) {
	j := openTest(t)
	err := j.PutInstalled(&Installed{Name: "CAD Pro"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no id")
	list, err := j.ListInstalled()
	require.NoError(t, err)
	assert.Empty(t, list)
}
