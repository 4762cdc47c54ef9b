package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// licenseRequest is a request for content with its right SHA-256.
func licenseRequest(product, content string) apitype.LicenseRequest {
	sum := sha256.Sum256([]byte(content))
	return apitype.LicenseRequest{Product: product, Content: []byte(content), SHA256: hex.EncodeToString(sum[:])}
}

// installJob runs a job to its end and requires it done.
func installJob(t *testing.T, a *Agent, req apitype.JobRequest) apitype.Job {
	t.Helper()
	j := waitFinal(t, a, submit(t, a, req).ID)
	require.Equal(t, apitype.StateDone, j.State, "%+v", j)
	return j
}

// waitFile polls until path exists.
func waitFile(t *testing.T, path string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Lstat(path); err == nil {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s is not there after %s", path, deadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone polls until path does not exist.
func waitGone(t *testing.T, path string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s is still there after %s", path, deadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLicenseForPathRule installs the solver example, whose license goes to
// {{.InstallDir}}/license/solver.lic, puts licenses there and uninstalls it again.
func TestLicenseForPathRule(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	a := start(t, newAgent(t, m, "", func(c *Config) { c.InstallGroup = "" }))
	ctx := context.Background()
	installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})
	installDir := filepath.Join(a.cfg.InstallRoot, "demo-solver")
	licPath := filepath.Join(installDir, "license", "solver.lic")

	sw, err := a.Software(ctx)
	require.NoError(t, err)
	require.Len(t, sw, 1)
	assert.Equal(t, licPath, sw[0].LicensePath)
	assert.False(t, sw[0].LicenseInstalled, "no license yet")

	_, live, _, cancel := a.Events().Subscribe(0)
	defer cancel()
	got, err := a.InstallLicense(ctx, licenseRequest("demo-solver", "LICENSE demo-solver\nkey=1\n"))
	require.NoError(t, err)
	assert.Equal(t, licPath, got.Path)
	assert.Empty(t, got.Env)
	assert.True(t, got.ByAgent)
	data, err := os.ReadFile(licPath)
	require.NoError(t, err)
	assert.Equal(t, "LICENSE demo-solver\nkey=1\n", string(data))
	fi, err := os.Stat(licPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "readable by the software's users when there is no install group")
	waitEvent(t, live, apitype.EventLicense, "license installed for demo-solver")

	// A new license replaces the file; the listing and the inventory show it.
	second := licenseRequest("demo-solver", "LICENSE demo-solver\nkey=2\n")
	_, err = a.InstallLicense(ctx, second)
	require.NoError(t, err)
	list, err := a.Licenses(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, apitype.License{Product: "demo-solver", Path: licPath, SHA256: second.SHA256, Size: int64(len(second.Content)),
		Modified: list[0].Modified, ByAgent: true}, list[0])
	sw, err = a.Software(ctx)
	require.NoError(t, err)
	assert.True(t, sw[0].LicenseInstalled)

	refusals := []struct {
		name  string
		req   apitype.LicenseRequest
		code  string
		field string
	}{
		{"bad sha256", apitype.LicenseRequest{Product: "demo-solver", Content: []byte("x"), SHA256: second.SHA256}, CodeBadRequest, "sha256"},
		{"no content", apitype.LicenseRequest{Product: "demo-solver", SHA256: second.SHA256}, CodeBadRequest, "content"},
		{"no product", licenseRequest("", "x"), CodeBadRequest, "product"},
		{"not installed", licenseRequest("cad-viewer", "x"), CodeNotFound, "product"},
		{"file name with a folder", func() apitype.LicenseRequest {
			r := licenseRequest("demo-solver", "x")
			r.FileName = "../x.lic"
			return r
		}(), CodeBadRequest, "file_name"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.InstallLicense(ctx, tt.req)
			e := asError(t, err)
			assert.Equal(t, tt.code, e.Code, e.Msg)
			assert.Equal(t, tt.field, e.Field, e.Msg)
		})
	}
	data, err = os.ReadFile(licPath)
	require.NoError(t, err)
	assert.Equal(t, second.Content, data, "a refused request leaves the license as it was")

	// A link in the install folder must not lead the agent's write outside it.
	t.Run("link out of the install folder", func(t *testing.T) {
		outside := t.TempDir()
		require.NoError(t, os.Rename(filepath.Join(installDir, "license"), filepath.Join(installDir, "license.real")))
		require.NoError(t, os.Symlink(outside, filepath.Join(installDir, "license")))
		defer func() {
			require.NoError(t, os.Remove(filepath.Join(installDir, "license")))
			require.NoError(t, os.Rename(filepath.Join(installDir, "license.real"), filepath.Join(installDir, "license")))
		}()
		_, err := a.InstallLicense(ctx, licenseRequest("demo-solver", "escaped"))
		e := asError(t, err)
		assert.Equal(t, CodeRefused, e.Code)
		assert.Equal(t, 422, e.HTTPStatus())
		assert.Contains(t, e.Msg, "outside its install folder")
		assert.NoFileExists(t, filepath.Join(outside, "solver.lic"))
	})

	// An overwrite install empties the install folder; the agent puts the license back from its copy.
	installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionOverwrite, Ticket: m.example("solver")})
	waitFile(t, licPath) // put back right after the job is journaled done
	data, err = os.ReadFile(licPath)
	require.NoError(t, err, "the license is back after the overwrite install")
	assert.Equal(t, second.Content, data)

	// The uninstall leaves the license (the vendor did not install it); the agent removes it, and
	// with it the install folder, and the job no longer lists it as left behind.
	un := installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionUninstall, Product: "demo-solver"})
	waitGone(t, installDir)
	waitEvent(t, live, apitype.EventLicense, "license removed for demo-solver")
	un, err = a.Job(ctx, un.ID)
	require.NoError(t, err)
	assert.Empty(t, un.Leftovers)
	for _, w := range un.Warnings {
		assert.NotContains(t, w, "solver.lic")
	}
	list, err = a.Licenses(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.NoFileExists(t, filepath.Join(a.cfg.StateDir, "licenses", "demo-solver.json"))
	assert.NoFileExists(t, filepath.Join(a.cfg.StateDir, "licenses", "demo-solver.license"), "the agent's copy goes too")
}

// waitEvent reads live until an event of type typ with message prefix msg.
func waitEvent(t *testing.T, live <-chan apitype.Event, typ, msg string) apitype.Event {
	t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case e, ok := <-live:
			require.True(t, ok, "the event stream ended")
			if e.Type == typ && len(e.Message) >= len(msg) && e.Message[:len(msg)] == msg {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event %q", typ, msg)
		}
	}
}

// writeEnvPackage writes a tiny package whose software finds its license through an environment
// variable.
func writeEnvPackage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	yaml := `format: 1
id: testsolver
name: Test Solver
version: 1.0.0
publisher: ISCDesk Tests
platforms:
  ` + runtime.GOOS + `:
    installer:
      type: script
      install: [sh, -c, 'mkdir -p "$ISCDESK_INSTALL_DIR/bin" && echo solver > "$ISCDESK_INSTALL_DIR/bin/tool"']
      uninstall: [sh, -c, 'rm -rf "$ISCDESK_INSTALL_DIR/bin"']
    on_interrupt: overwrite
    detect:
      - file: "{{.InstallDir}}/bin/tool"
    license:
      env: TESTSOLVER_LICENSE_FILE
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.yaml"), []byte(yaml), 0o644))
	return dir
}

// TestLicenseForEnvRule: the file goes under the install root and the variable into a profile
// script, which a shell reads; the uninstall takes both away.
func TestLicenseForEnvRule(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("the profile script is read by sh")
	}
	envDir := t.TempDir()
	m := newMarket(t)
	a := start(t, newAgent(t, m, "", func(c *Config) {
		c.InstallGroup = ""
		c.LicenseEnv = fileEnv{dir: envDir, syntax: shellSyntax}
	}))
	ctx := context.Background()
	installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.publish("testsolver", writeEnvPackage(t))})

	sw, err := a.Software(ctx)
	require.NoError(t, err)
	require.Len(t, sw, 1)
	assert.Equal(t, "TESTSOLVER_LICENSE_FILE", sw[0].LicenseEnv)
	assert.False(t, sw[0].LicenseInstalled)

	req := licenseRequest("testsolver", "SERVER this_host 0123\nFEATURE solve\n")
	req.FileName = "solver.lic"
	got, err := a.InstallLicense(ctx, req)
	require.NoError(t, err)
	want := filepath.Join(a.cfg.InstallRoot, ".licenses", "testsolver", "solver.lic")
	assert.Equal(t, want, got.Path)
	assert.Equal(t, "TESTSOLVER_LICENSE_FILE", got.Env)
	profile := filepath.Join(envDir, "iscdesk-testsolver.sh")
	assert.Equal(t, profile, got.EnvFile)
	data, err := os.ReadFile(want)
	require.NoError(t, err)
	assert.Equal(t, req.Content, data)

	out, err := exec.Command("sh", "-c", `. "$1" && printf %s "$TESTSOLVER_LICENSE_FILE"`, "sh", profile).Output()
	require.NoError(t, err)
	assert.Equal(t, want, string(out), "a login shell gets the variable")

	sw, err = a.Software(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, sw[0].LicensePath)
	assert.True(t, sw[0].LicenseInstalled)

	installJob(t, a.Agent, apitype.JobRequest{Action: apitype.ActionUninstall, Product: "testsolver"})
	waitGone(t, profile)
	assert.NoFileExists(t, want)
	assert.NoDirExists(t, filepath.Dir(want))
}

// TestLicenseSweptAtStart: a license whose product is gone (the agent stopped between the
// uninstall and the removal) is removed when the agent starts.
func TestLicenseSweptAtStart(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	envDir := t.TempDir()
	env := fileEnv{dir: envDir, syntax: shellSyntax}
	lic := filepath.Join(state, "root", ".licenses", "gone", "gone.lic")
	require.NoError(t, os.MkdirAll(filepath.Dir(lic), 0o755))
	require.NoError(t, os.WriteFile(lic, []byte("gone"), 0o644))
	profile, err := env.Set("gone", "GONE_LICENSE", lic)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("gone"))
	l := &licenses{records: filepath.Join(state, "licenses")}
	require.NoError(t, l.writeRecord(licenseRecord{Product: "gone", Path: lic, Env: "GONE_LICENSE", EnvFile: profile, SHA256: hex.EncodeToString(sum[:])}))

	a := newAgent(t, newMarket(t), state, func(c *Config) { c.LicenseEnv = env })
	defer a.Close()
	assert.NoFileExists(t, lic)
	assert.NoDirExists(t, filepath.Dir(lic))
	assert.NoFileExists(t, profile)
	assert.NoFileExists(t, filepath.Join(state, "licenses", "gone.json"))
}

func TestFileEnvQuoting(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("the profile script is read by sh")
	}
	values := []string{
		"/opt/iscdesk/.licenses/p/p.lic",
		"/home/o'brien/My Licenses/p.lic",
		`/tmp/$HOME/"x"/back\slash`,
	}
	for _, v := range values {
		t.Run(v, func(t *testing.T) {
			dir := t.TempDir()
			sh := fileEnv{dir: dir, syntax: shellSyntax}
			p, err := sh.Set("p", "P_LICENSE", v)
			require.NoError(t, err)
			out, err := exec.Command("sh", "-c", `. "$1" && printf %s "$P_LICENSE"`, "sh", p).Output()
			require.NoError(t, err)
			assert.Equal(t, v, string(out))

			sd := fileEnv{dir: dir, syntax: systemdSyntax}
			p, err = sd.Set("p", "P_LICENSE", v)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(dir, "iscdesk-p.conf"), p)
			require.NoError(t, sd.Unset("p", "P_LICENSE"))
			require.NoError(t, sd.Unset("p", "P_LICENSE"), "unsetting twice is not an error")
			assert.NoFileExists(t, p)
		})
	}
	_, err := fileEnv{dir: t.TempDir()}.Set("p", "P", "a\nb")
	require.Error(t, err)
}
