package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/internal/testenv"
)

// A small package like packaging/examples/solver, for linux and darwin.
const testManifest = `format: 1
id: demo-solver
name: Demo Solver
version: 2.1.0
publisher: ISCDesk Tests
platforms:
  linux:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    timeout: 5m
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/bin/solver"
  darwin:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    on_interrupt: overwrite
    detect:
      - file: "{{.InstallDir}}/bin/solver"
`

func writePackageDir(t *testing.T, dir, payload string) {
	t.Helper()
	files := map[string]string{
		"package.yaml":      testManifest,
		"install.sh":        "#!/bin/sh\nset -e\nmkdir -p \"$ISCDESK_INSTALL_DIR/bin\"\ncp payload/solver \"$ISCDESK_INSTALL_DIR/bin/\"\n",
		"uninstall.sh":      "#!/bin/sh\nrm -rf \"$ISCDESK_INSTALL_DIR/bin\"\n",
		"payload/solver":    payload,
		"payload/README.md": "Demo Solver\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// buildPack builds this command, once for all tests.
func buildPack(t *testing.T) string {
	t.Helper()
	return testenv.MustBuild(t, "./cmd/iscdesk-pack", "")
}

type packRunner struct {
	t   *testing.T
	bin string
	dir string
}

// run runs the tool in r.dir and returns stdout, stderr and whether it exited 0.
func (r packRunner) run(args ...string) (stdout, stderr string, ok bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(r.t, err, &exit, "running iscdesk-pack %v", args)
		assert.Equal(r.t, 1, exit.ExitCode())
	}
	return o.String(), e.String(), err == nil
}

// mustJSON runs the tool with --json, requires success and decodes stdout into v.
func (r packRunner) mustJSON(v any, args ...string) {
	r.t.Helper()
	out, errOut, ok := r.run(append(args, "--json")...)
	require.True(r.t, ok, "iscdesk-pack %v failed: %s", args, errOut)
	require.NoError(r.t, json.Unmarshal([]byte(out), v), "output of iscdesk-pack %v: %s", args, out)
}

func fileSHA256(t *testing.T, path string) (int64, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return int64(len(data)), hex.EncodeToString(sum[:])
}

func TestKeygenBuildSignVerify(t *testing.T) {
	dir := t.TempDir()
	r := packRunner{t: t, bin: buildPack(t), dir: dir}
	writePackageDir(t, filepath.Join(dir, "src"), "solver v2.1.0\n")

	// keygen
	var key keygenResult
	r.mustJSON(&key, "keygen", "--out", "vendor", "--comment", "test vendor")
	st, err := os.Stat(filepath.Join(dir, "vendor.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	pub, err := os.ReadFile(filepath.Join(dir, "vendor.pub"))
	require.NoError(t, err)
	assert.Equal(t, key.PublicLine+"\n", string(pub))
	assert.Contains(t, key.PublicLine, key.KeyID)
	_, errOut, ok := r.run("keygen", "--out", "vendor")
	require.False(t, ok, "keygen must not overwrite a key")
	assert.Contains(t, errOut, "already exists")

	// build, twice: the same folder gives the same bytes
	var built buildResult
	r.mustJSON(&built, "build", "src", "-o", "demo.iscpkg")
	size, sum := fileSHA256(t, filepath.Join(dir, "demo.iscpkg"))
	assert.Equal(t, size, built.Size)
	assert.Equal(t, sum, built.SHA256)
	mfSum := sha256.Sum256([]byte(testManifest))
	assert.Equal(t, hex.EncodeToString(mfSum[:]), built.ManifestSHA256)
	var again buildResult
	r.mustJSON(&again, "build", "src", "-o", "again.iscpkg")
	assert.Equal(t, built.SHA256, again.SHA256)

	// sign
	_, errOut, ok = r.run("sign", "demo.iscpkg", "--key", "vendor.key", "--url", "https://market.example/p/demo.iscpkg")
	require.False(t, ok)
	assert.Contains(t, errOut, "the platforms darwin, linux; choose")
	var signed signResult
	r.mustJSON(&signed, "sign", "demo.iscpkg", "--key", "vendor.key", "--url", "https://market.example/p/demo.iscpkg",
		"--url", "file:///srv/demo.iscpkg", "--platform", "linux/amd64", "--tenant", "t-1", "--order", "o-9", "--expires", "2h")
	assert.Equal(t, filepath.Join("demo.ticket"), signed.File)
	tk := signed.Ticket
	assert.Equal(t, "demo-solver", tk.Product)
	assert.Equal(t, "2.1.0", tk.Version)
	assert.Equal(t, "linux/amd64", tk.Platform)
	assert.Equal(t, built.SHA256, tk.SHA256)
	assert.Equal(t, built.ManifestSHA256, tk.ManifestSHA256)
	assert.Equal(t, key.KeyID, tk.KeyID)
	assert.Equal(t, 2*time.Hour, tk.ExpiresAt.Sub(tk.IssuedAt))

	// verify, with the package
	var verified verifyResult
	r.mustJSON(&verified, "verify", "demo.ticket", "--pub", "vendor.pub", "--package", "demo.iscpkg")
	assert.True(t, verified.PackageMatches)
	assert.Equal(t, tk, verified.Ticket)
	text, _, ok := r.run("verify", "demo.ticket", "--pub", "vendor.pub")
	require.True(t, ok)
	assert.Contains(t, text, `"demo-solver" 2.1.0 (Demo Solver)`)

	// refusals
	writePackageDir(t, filepath.Join(dir, "src2"), "solver v2.1.0, rebuilt\n")
	r.mustJSON(&built, "build", "src2", "-o", "other.iscpkg")
	var other keygenResult
	r.mustJSON(&other, "keygen", "--out", "other")
	tamperedFile := filepath.Join(dir, "tampered.ticket")
	require.NoError(t, os.WriteFile(tamperedFile, tamper(t, filepath.Join(dir, "demo.ticket")), 0o644))

	refusals := []struct {
		name string
		args []string
		msgs []string
	}{
		{"tampered ticket", []string{"verify", "tampered.ticket", "--pub", "vendor.pub"},
			[]string{`ticket for "demo-solver" 2.1.0 was altered after signing or signed by another key`}},
		{"wrong key", []string{"verify", "demo.ticket", "--pub", "other.pub"},
			[]string{key.KeyID, other.KeyID, "does not trust"}},
		{"another package", []string{"verify", "demo.ticket", "--pub", "vendor.pub", "--package", "other.iscpkg"},
			[]string{"does not match its ticket", "its SHA-256 is " + built.SHA256}},
		{"not a ticket", []string{"verify", "demo.iscpkg", "--pub", "vendor.pub"}, []string{"not a signed ticket"}},
		{"public key given to sign", []string{"sign", "demo.iscpkg", "--key", "vendor.pub", "--url", "https://x/p", "--platform", "linux"},
			[]string{"right file"}},
		{"bad url", []string{"sign", "demo.iscpkg", "--key", "vendor.key", "--url", "ftp://x/p", "--platform", "linux"},
			[]string{"scheme must be https, http, file or s3"}},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, ok := r.run(c.args...)
			require.False(t, ok, "stdout: %s", out)
			assert.Empty(t, out)
			for _, m := range c.msgs {
				assert.Contains(t, errOut, m)
			}
		})
	}
	// with both keys trusted (a rotation), the original ticket verifies again
	_, errOut, ok = r.run("verify", "demo.ticket", "--pub", "other.pub", "--pub", "vendor.pub")
	assert.True(t, ok, errOut)
}

// tamper raises the size in a ticket's payload and keeps its signature.
func tamper(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var env map[string]string
	require.NoError(t, json.Unmarshal(data, &env))
	payload, err := base64.StdEncoding.DecodeString(env["payload"])
	require.NoError(t, err)
	altered := strings.Replace(string(payload), `"size":`, `"size":1`, 1)
	require.NotEqual(t, string(payload), altered)
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(altered))
	out, err := json.Marshal(env)
	require.NoError(t, err)
	return out
}
