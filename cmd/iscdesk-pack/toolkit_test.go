package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/packaging/toolkit/conform"
	"github.com/iscdesk/iscdesk/packaging/toolkit/lint"
)

// The vendor's path through the built binary: init, lint, test (the harness re-executes this very
// binary as its child engine), and the exit codes and reports of a failing package.
func TestInitLintTest(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script packages are sh")
	}
	if testing.Short() {
		t.Skip("builds the binary and runs real installs; skipped with -short")
	}
	r := packRunner{t: t, bin: buildPack(t), dir: t.TempDir()}

	var made initResult
	r.mustJSON(&made, "init", "--type", "script", "--id", "acme-tool", "acme")
	assert.Contains(t, made.Files, "install.sh")

	var lr lint.Report
	r.mustJSON(&lr, "lint", "acme")
	assert.Empty(t, lr.Findings)

	var rep conform.Report
	r.mustJSON(&rep, "test", "--points", "1", "--seed", "5", "acme")
	assert.True(t, rep.Passed())
	assert.Equal(t, uint64(5), rep.Seed)

	_, errOut, ok := r.run("init", "--type", "script", "acme")
	assert.False(t, ok, "init refuses to overwrite")
	assert.Contains(t, errOut, "already exists")

	bad, err := filepath.Abs(filepath.Join("..", "..", "packaging", "examples", "bad"))
	require.NoError(t, err)
	out, errOut, ok := r.run("lint", filepath.Join(bad, "prompts-for-input"))
	assert.False(t, ok, "lint exits 1 on errors")
	assert.Contains(t, out, "install.sh:10: error [prompt]")
	assert.Contains(t, errOut, "1 errors")

	junit := filepath.Join(r.dir, "report.xml")
	out, errOut, ok = r.run("test", "--points", "1", "--junit", junit, filepath.Join(bad, "uninstall-fails-twice"))
	assert.False(t, ok, "test exits 1 when a check fails")
	assert.Contains(t, out, "FAIL uninstall-again")
	assert.Contains(t, errOut, "1 of 12 checks failed")
	b, err := os.ReadFile(junit)
	require.NoError(t, err)
	var suites struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &suites))
	require.Len(t, suites.Suites, 1)
	assert.Equal(t, 1, suites.Suites[0].Failures)

	_, errOut, ok = r.run("publish", "x.iscpkg", "--market", "http://127.0.0.1:1")
	assert.False(t, ok)
	assert.Contains(t, errOut, "access key and secret are both needed")

	_, errOut, ok = r.run("conform-child")
	assert.False(t, ok)
	assert.Contains(t, errOut, "not by hand")
}
