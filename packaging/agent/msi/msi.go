// Package msi builds the agent's Windows installer with Debian's msitools: wixl compiles
// agent.wxs.tmpl, then msibuild patches the two things wixl cannot say (secure public properties,
// and removing the old version before the new one is laid down). ReadTable reads a table back with
// msiinfo, for checks and tests.
package msi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

//go:embed agent.wxs.tmpl
var wxsTemplate string

var wxs = template.Must(template.New("agent.wxs").Option("missingkey=error").Parse(wxsTemplate))

// Fixed GUIDs: the upgrade code ties every version of the product together, and a component keeps
// its GUID for as long as it installs the same file to the same place (the Windows Installer's
// component rules). Never change them.
const (
	upgradeCode    = "6D0B7B0E-4C4E-4E5B-9C55-2B3A4D7E8F01"
	agentComponent = "6D0B7B0E-4C4E-4E5B-9C55-2B3A4D7E8F02"
	cliComponent   = "6D0B7B0E-4C4E-4E5B-9C55-2B3A4D7E8F03"
)

// The binaries' names in the msi and in the build folder.
const (
	agentFile = "iscdesk-agent.exe"
	cliFile   = "iscdesk.exe"
)

// Properties are the public properties the msi takes on the msiexec command line.
var Properties = []string{"MARKETPLACE_URL", "TRUSTED_KEY", "INSTALL_GROUP"}

// Spec is what goes into the msi.
type Spec struct {
	// Version is "1.2.3" or "1.2.3-rc.1"; the msi's ProductVersion is its MAJOR.MINOR.PATCH.
	Version string
	// AgentExe and CLIExe are the windows/amd64 builds of iscdesk-agent and iscdesk.
	AgentExe, CLIExe string
}

var versionRE = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$`)

// ProductVersion turns a version into the msi's ProductVersion: major and minor up to 255, patch
// up to 65535. The pre-release part is dropped: the Windows Installer orders only the numbers.
func ProductVersion(v string) (string, error) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("version %q is not MAJOR.MINOR.PATCH[-PRERELEASE]", v)
	}
	for i, limit := range []int{255, 255, 65535} {
		n, err := strconv.Atoi(m[i+1])
		if err != nil || n > limit {
			return "", fmt.Errorf("version %q: an msi allows at most %d in part %d", v, limit, i+1)
		}
	}
	return m[1] + "." + m[2] + "." + m[3], nil
}

// WriteWXS renders the WiX source for s.
func WriteWXS(s Spec) ([]byte, error) {
	pv, err := ProductVersion(s.Version)
	if err != nil {
		return nil, err
	}
	esc := func(v string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(v)) // writes to a strings.Builder cannot fail
		return strings.ReplaceAll(b.String(), `"`, "&quot;")
	}
	var out bytes.Buffer
	err = wxs.Execute(&out, map[string]string{
		"Version":        esc(s.Version),
		"MSIVersion":     pv,
		"UpgradeCode":    upgradeCode,
		"AgentComponent": agentComponent,
		"CLIComponent":   cliComponent,
		"AgentExe":       agentFile,
		"CLIExe":         cliFile,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering the msi's WiX source: %w", err)
	}
	return out.Bytes(), nil
}

// Build compiles the msi for s into out. It needs wixl, msibuild and msiinfo (Debian packages wixl
// and msitools).
func Build(ctx context.Context, s Spec, out string) error {
	for _, f := range []struct{ what, path string }{{"agent", s.AgentExe}, {"CLI", s.CLIExe}} {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("building the msi: the windows %s binary: %w", f.what, err)
		}
	}
	src, err := WriteWXS(s)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".msi-build-")
	if err != nil {
		return fmt.Errorf("building the msi: %w", err)
	}
	defer os.RemoveAll(tmp)
	// wixl takes only relative Source paths: link the binaries in beside the source.
	for name, target := range map[string]string{agentFile: s.AgentExe, cliFile: s.CLIExe} {
		abs, err := filepath.Abs(target)
		if err != nil {
			return fmt.Errorf("building the msi: %w", err)
		}
		if err := os.Symlink(abs, filepath.Join(tmp, name)); err != nil {
			return fmt.Errorf("building the msi: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "agent.wxs"), src, 0o644); err != nil {
		return fmt.Errorf("building the msi: %w", err)
	}
	msiPath := filepath.Join(tmp, "agent.msi")
	if _, err := run(ctx, tmp, "wixl", "--arch", "x64", "--output", "agent.msi", "agent.wxs"); err != nil {
		return fmt.Errorf("building the msi: %w", err)
	}
	if err := patch(ctx, msiPath); err != nil {
		return fmt.Errorf("building the msi: %w", err)
	}
	if err := os.Rename(msiPath, out); err != nil {
		return fmt.Errorf("building the msi: %w", err)
	}
	return nil
}

// patch makes the properties secure, so that they reach the deferred custom actions in a managed
// install by a non-admin as well; lets one version replace a pre-release of itself; and sets the
// order of the actions (see placements).
func patch(ctx context.Context, msiPath string) error {
	props, err := ReadTable(ctx, msiPath, "Property")
	if err != nil {
		return err
	}
	secure := strings.Join(append([]string{"WIX_SAME_VERSION_UPGRADE_DETECTED"}, Properties...), ";")
	for _, row := range props {
		if row["Property"] == "SecureCustomProperties" && row["Value"] != "" {
			secure = row["Value"] + ";" + secure
		}
	}
	moves, err := sequenceMoves(ctx, msiPath)
	if err != nil {
		return err
	}
	pv, code, err := productIdentity(ctx, msiPath)
	if err != nil {
		return err
	}
	queries := []string{
		// wixl 0.101 has no MajorUpgrade/@AllowSameVersionUpgrades: the row it would add, so that
		// 1.2.3 replaces 1.2.3-rc.1 (one ProductVersion) instead of installing beside it.
		fmt.Sprintf("INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Attributes`, `ActionProperty`) VALUES ('%s', '%s', '%s', %d, 'WIX_SAME_VERSION_UPGRADE_DETECTED')",
			code, pv, pv, upgradeMigrateFeatures|upgradeVersionMinInclusive|upgradeVersionMaxInclusive),
		"DELETE FROM `Property` WHERE `Property` = 'SecureCustomProperties'",
		fmt.Sprintf("INSERT INTO `Property` (`Property`, `Value`) VALUES ('SecureCustomProperties', '%s')", secure),
	}
	for _, m := range moves {
		queries = append(queries, fmt.Sprintf("UPDATE `InstallExecuteSequence` SET `Sequence` = %d WHERE `Action` = '%s'", m.seq, m.action))
	}
	args := []string{msiPath}
	for _, q := range queries {
		args = append(args, "-q", q)
	}
	_, err = run(ctx, "", "msibuild", args...)
	return err
}

// placements pins each of our actions right after a standard action. wixl's ordering of Before and
// After chains puts deferred actions after InstallFinalize, where the Windows Installer refuses
// them, so the numbers are set here instead.
var placements = []struct {
	action, after string
	offset        int
}{
	{"SetNetExe", "InstallValidate", 1}, // immediate: sets the path the deferred action runs
	{"SetScExe", "InstallValidate", 2},
	{"RemoveExistingProducts", "InstallInitialize", 1},
	{"CreateGroup", "InstallFiles", 1},
	{"WriteConfig", "InstallFiles", 2}, // the installed agent writes the config, before StartServices
	{"ServiceRecovery", "InstallServices", 1},
	{"ServiceDelayedStart", "InstallServices", 2},
}

type sequenceMove struct {
	action string
	seq    int
}

// sequenceMoves computes the new numbers from the table wixl wrote and checks that each is free.
func sequenceMoves(ctx context.Context, msiPath string) ([]sequenceMove, error) {
	rows, err := ReadTable(ctx, msiPath, "InstallExecuteSequence")
	if err != nil {
		return nil, err
	}
	seq, owner := map[string]int{}, map[int]string{}
	for _, row := range rows {
		n, err := strconv.Atoi(row["Sequence"])
		if err != nil {
			continue // actions without a number are not scheduled
		}
		seq[row["Action"]], owner[n] = n, row["Action"]
	}
	moving := map[string]bool{}
	for _, p := range placements {
		moving[p.action] = true
	}
	var moves []sequenceMove
	for _, p := range placements {
		base, ok := seq[p.after]
		if _, has := seq[p.action]; !ok || !has {
			return nil, fmt.Errorf("%s: InstallExecuteSequence lacks %s or %s", msiPath, p.after, p.action)
		}
		n := base + p.offset
		if o, taken := owner[n]; taken && !moving[o] {
			return nil, fmt.Errorf("%s: cannot put %s at %d after %s: %s is there", msiPath, p.action, n, p.after, o)
		}
		moves = append(moves, sequenceMove{p.action, n})
	}
	return moves, nil
}

// Attributes of an Upgrade row.
const (
	upgradeMigrateFeatures     = 0x1
	upgradeVersionMinInclusive = 0x100
	upgradeVersionMaxInclusive = 0x200
)

// productIdentity reads the ProductVersion and the UpgradeCode that wixl wrote.
func productIdentity(ctx context.Context, msiPath string) (version, upgradeCode string, err error) {
	props, err := ReadTable(ctx, msiPath, "Property")
	if err != nil {
		return "", "", err
	}
	for _, row := range props {
		switch row["Property"] {
		case "ProductVersion":
			version = row["Value"]
		case "UpgradeCode":
			upgradeCode = row["Value"]
		}
	}
	if version == "" || upgradeCode == "" {
		return "", "", fmt.Errorf("%s: wixl wrote no ProductVersion or UpgradeCode", msiPath)
	}
	return version, upgradeCode, nil
}

// ReadTable returns the rows of one table of the msi, keyed by column name (msiinfo export).
func ReadTable(ctx context.Context, msiPath, table string) ([]map[string]string, error) {
	out, err := run(ctx, "", "msiinfo", "export", msiPath, table)
	if err != nil {
		return nil, err
	}
	// Line 1 names the columns, line 2 their types, line 3 the table and its keys; rows follow.
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("msiinfo export %s %s: %d lines, want at least 3", msiPath, table, len(lines))
	}
	cols := strings.Split(strings.TrimRight(lines[0], "\r"), "\t")
	var rows []map[string]string
	for _, line := range lines[3:] {
		fields := strings.Split(strings.TrimRight(line, "\r"), "\t")
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			if i < len(fields) {
				row[c] = fields[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// run runs one msitools command and returns its stdout; the error carries its stderr.
func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, fmt.Errorf("%s is not installed (Debian: apt-get install wixl msitools): %w", name, err)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) && msg != "" {
			return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
		}
		return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return stdout.Bytes(), nil
}
