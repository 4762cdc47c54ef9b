package agent_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/packaging/agent"
	"github.com/iscdesk/iscdesk/packaging/agent/msi"
	"github.com/iscdesk/iscdesk/packaging/agent/release"
)

const version = "1.2.3"

var (
	debName = "iscdesk-agent_" + version + "_amd64.deb"
	rpmName = "iscdesk-agent-" + version + ".x86_64.rpm"
	msiName = "iscdesk-agent-" + version + ".msi"
)

// TestPackages runs `make packages`' script, then checks each package with the tools IT and the
// distributions use: lintian, a real dpkg install and purge in a throwaway root, rpm -q, msiinfo,
// sha256sum's format and minisign.
func TestPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every package (about a minute cold); skipped with -short")
	}
	var missing []string
	for _, tool := range []string{"wixl", "msibuild", "msiinfo", "lintian", "rpm", "dpkg", "unshare", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		t.Skipf("missing %s; scripts/deps.sh installs them (Debian: wixl msitools lintian rpm)", strings.Join(missing, ", "))
	}

	dist := t.TempDir()
	keyPath := filepath.Join(t.TempDir(), "release.key")
	key, err := release.GenerateKey(keyPath)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	script := exec.CommandContext(ctx, "scripts/packages.sh")
	script.Dir = filepath.Join("..", "..")
	script.Env = append(os.Environ(), "VERSION="+version, "DIST="+dist, "SIGN_KEY="+keyPath)
	out, err := script.CombinedOutput()
	require.NoError(t, err, "scripts/packages.sh:\n%s", out)

	t.Run("checksums and signatures", func(t *testing.T) { checkRelease(t, dist, key) })
	t.Run("lintian", func(t *testing.T) { checkLintian(t, dist) })
	t.Run("deb installs and purges in a throwaway root", func(t *testing.T) { checkDebLifecycle(t, dist, false) })
	t.Run("deb enables the service where systemd runs", func(t *testing.T) { checkDebLifecycle(t, dist, true) })
	t.Run("rpm", func(t *testing.T) { checkRPM(t, dist) })
	t.Run("msi", func(t *testing.T) { checkMSI(t, filepath.Join(dist, msiName)) })
}

func checkRelease(t *testing.T, dist string, key minisign.PrivateKey) {
	names, err := release.VerifySums(dist)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{debName, rpmName, msiName}, names)

	pub, err := minisign.PublicKeyFromFile(filepath.Join(dist, agent.PublicKeyFile))
	require.NoError(t, err)
	assert.True(t, pub.Equal(key.Public()), "the published key is the signing key")
	for _, name := range append(names, release.SumsFile) {
		require.NoError(t, release.Verify(pub, filepath.Join(dist, name)), name)
		if _, err := exec.LookPath("minisign"); err == nil {
			out, err := exec.Command("minisign", "-V", "-q", "-p", filepath.Join(dist, agent.PublicKeyFile), "-m", filepath.Join(dist, name)).CombinedOutput()
			require.NoError(t, err, "minisign -V %s: %s", name, out)
		}
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "--check", "--strict", release.SumsFile)
		cmd.Dir = dist
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "sha256sum --check: %s", out)
	}
}

func checkLintian(t *testing.T, dist string) {
	cmd := exec.Command("lintian", "--tag-display-limit", "0", filepath.Join(dist, debName))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var errorsFound, warnings []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "E: "):
			errorsFound = append(errorsFound, line)
		case strings.HasPrefix(line, "W: "):
			warnings = append(warnings, line)
		}
	}
	t.Logf("lintian warnings (%d):\n%s", len(warnings), strings.Join(warnings, "\n"))
	assert.Empty(t, errorsFound, "lintian errors")
	// lintian exits 2 on warnings only when asked to fail on them; anything else is a crash.
	var ee *exec.ExitError
	if err != nil && !(errorsAs(err, &ee) && len(errorsFound) > 0) {
		require.NoError(t, err, "lintian: %s", stderr.String())
	}
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}

// throwawayRoot is a copy-on-write view of this Debian system: an overlay with / below and a temp
// folder above, entered with chroot in a private mount namespace that ends with each command. dpkg
// runs for real, maintainer scripts included; what it changes lands in upper, never on the host.
type throwawayRoot struct{ upper, work, merged string }

func newThrowawayRoot(t *testing.T) throwawayRoot {
	dir := t.TempDir()
	r := throwawayRoot{filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")}
	for _, d := range []string{r.upper, r.work, r.merged, filepath.Join(r.upper, "root"), filepath.Join(r.upper, "usr", "local", "sbin")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	// A systemctl that only records its calls, found before any real one on dpkg's PATH.
	fake := "#!/bin/sh\necho \"$*\" >> /root/systemctl.calls\n[ \"$1\" != is-enabled ]\n"
	require.NoError(t, os.WriteFile(filepath.Join(r.upper, "usr", "local", "sbin", "systemctl"), []byte(fake), 0o755))
	if _, err := r.sh(t, "true"); err != nil {
		t.Skipf("cannot make a throwaway root here (needs root, mount namespaces and overlayfs): %v", err)
	}
	return r
}

// sh runs script with /bin/sh inside the root, on an empty /run (so no systemd, whatever the host
// runs), and returns its combined output.
func (r throwawayRoot) sh(t *testing.T, script string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const enter = `set -e
mount -t overlay overlay -o "lowerdir=/,upperdir=$1,workdir=$2" "$3"
mount --bind /dev "$3/dev"
mount -t proc proc "$3/proc"
mount -t tmpfs tmpfs "$3/run"
exec chroot "$3" /bin/sh -c "$4"`
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", enter, "sh", r.upper, r.work, r.merged, script)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r throwawayRoot) mustSh(t *testing.T, script string) string {
	t.Helper()
	out, err := r.sh(t, script)
	require.NoError(t, err, "%s:\n%s", script, out)
	return out
}

// exists says which of paths exist in the root.
func (r throwawayRoot) exists(t *testing.T, paths ...string) map[string]bool {
	t.Helper()
	var script strings.Builder
	for _, p := range paths {
		script.WriteString("if [ -e '" + p + "' ]; then echo yes; else echo no; fi\n")
	}
	lines := strings.Fields(r.mustSh(t, script.String()))
	require.Len(t, lines, len(paths))
	got := map[string]bool{}
	for i, p := range paths {
		got[p] = lines[i] == "yes"
	}
	return got
}

func allTrue(paths ...string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		m[p] = true
	}
	return m
}

func checkDebLifecycle(t *testing.T, dist string, withSystemd bool) {
	r := newThrowawayRoot(t)
	data, err := os.ReadFile(filepath.Join(dist, debName))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(r.upper, "root", "pkg.deb"), data, 0o644))
	boot := ""
	if withSystemd {
		boot = "mkdir -p /run/systemd/system\n" // what an init of systemd leaves for packages to see
	}
	calls := func() string { return r.mustSh(t, "cat /root/systemctl.calls 2>/dev/null || true") }

	r.mustSh(t, boot+"dpkg -i /root/pkg.deb")
	installed := []string{"/usr/bin/iscdesk-agent", "/usr/bin/iscdesk", "/lib/systemd/system/iscdesk-agent.service",
		"/etc/iscdesk/agent.yaml", "/usr/share/doc/iscdesk-agent/copyright", "/usr/share/doc/iscdesk-agent/changelog.Debian.gz"}
	assert.Equal(t, allTrue(installed...), r.exists(t, installed...))
	assert.Equal(t, "iscdesk-agent "+version+"\n", r.mustSh(t, "iscdesk-agent version"))
	assert.Contains(t, r.mustSh(t, "iscdesk-agent config check"), "read from /etc/iscdesk/agent.yaml", "the shipped config is valid")
	assert.Contains(t, r.mustSh(t, "getent group iscdesk"), "iscdesk:")
	assert.Contains(t, r.mustSh(t, "cat /lib/systemd/system/iscdesk-agent.service"), "ExecStart=/usr/bin/iscdesk-agent run\n")
	if withSystemd {
		assert.Equal(t, "daemon-reload\nenable --now iscdesk-agent.service\n", calls())
	} else {
		assert.Empty(t, calls(), "no systemd: the scripts must not touch systemctl")
	}

	// Remove keeps the state, the config and the group.
	r.mustSh(t, "mkdir -p /var/lib/iscdesk && echo journal > /var/lib/iscdesk/journal.db && rm -f /root/systemctl.calls")
	r.mustSh(t, boot+"dpkg -r iscdesk-agent")
	assert.Equal(t, map[string]bool{"/usr/bin/iscdesk-agent": false, "/var/lib/iscdesk/journal.db": true, "/etc/iscdesk/agent.yaml": true},
		r.exists(t, "/usr/bin/iscdesk-agent", "/var/lib/iscdesk/journal.db", "/etc/iscdesk/agent.yaml"))
	assert.Contains(t, r.mustSh(t, "getent group iscdesk"), "iscdesk:")
	assert.Equal(t, "deinstall ok config-files", r.mustSh(t, "dpkg-query -W -f='${Status}' iscdesk-agent"))
	if withSystemd {
		assert.Equal(t, "stop iscdesk-agent.service\ndaemon-reload\n", calls())
	}

	// Purge removes state, config and the group.
	r.mustSh(t, boot+"dpkg -P iscdesk-agent")
	assert.Equal(t, map[string]bool{"/var/lib/iscdesk": false, "/etc/iscdesk": false},
		r.exists(t, "/var/lib/iscdesk", "/etc/iscdesk"))
	_, err = r.sh(t, "getent group iscdesk")
	assert.Error(t, err, "the group is gone after purge")
	out, _ := r.sh(t, "dpkg-query -W -f='${Status}' iscdesk-agent")
	assert.NotContains(t, out, "installed", "dpkg forgot the package")
}

func checkRPM(t *testing.T, dist string) {
	path := filepath.Join(dist, rpmName)
	rpmq := func(args ...string) string {
		out, err := exec.Command("rpm", append([]string{"-qp"}, append(args, path)...)...).CombinedOutput()
		require.NoError(t, err, "rpm -qp %v: %s", args, out)
		return string(out)
	}
	info := rpmq("-i")
	assert.Regexp(t, `(?m)^Name\s*:\s*iscdesk-agent$`, info)
	assert.Regexp(t, `(?m)^Version\s*:\s*`+strings.ReplaceAll(version, ".", `\.`)+`$`, info)
	assert.Equal(t, []string{
		"/etc/iscdesk/agent.yaml", "/usr/bin/iscdesk", "/usr/bin/iscdesk-agent",
		"/usr/lib/systemd/system/iscdesk-agent.service", "/usr/share/licenses/iscdesk-agent/copyright",
	}, strings.Fields(rpmq("-l")))
	assert.Contains(t, rpmq("--qf", `[%{FILEFLAGS:fflags} %{FILENAMES}\n]`), "cn /etc/iscdesk/agent.yaml", "config(noreplace)")
	scripts := rpmq("--scripts")
	for _, want := range []string{"groupadd -r iscdesk", "[ -d /run/systemd/system ]", "systemctl enable --now iscdesk-agent.service", "systemctl disable --now iscdesk-agent.service"} {
		assert.Contains(t, scripts, want)
	}
}

func checkMSI(t *testing.T, path string) {
	ctx := context.Background()
	table := func(name string) []map[string]string {
		rows, err := msi.ReadTable(ctx, path, name)
		require.NoError(t, err, name)
		return rows
	}
	byKey := func(rows []map[string]string, key string) map[string]map[string]string {
		m := map[string]map[string]string{}
		for _, r := range rows {
			m[r[key]] = r
		}
		return m
	}

	svc := byKey(table("ServiceInstall"), "ServiceInstall")["AgentService"]
	require.NotNil(t, svc, "ServiceInstall row")
	assert.Equal(t, "iscdesk-agent", svc["Name"])
	assert.Equal(t, "2", svc["StartType"], "automatic")
	assert.Equal(t, "LocalSystem", svc["StartName"])
	assert.Equal(t, `run --config "[CommonAppDataFolder]ISCDesk\agent.yaml"`, svc["Arguments"])
	ctl := byKey(table("ServiceControl"), "ServiceControl")["AgentService"]
	require.NotNil(t, ctl, "ServiceControl row")
	// 1 start on install, 2 stop on install, 32 stop on uninstall, 128 delete on uninstall.
	assert.Equal(t, "163", ctl["Event"])

	props := byKey(table("Property"), "Property")
	assert.Equal(t, "iscdesk", props["INSTALL_GROUP"]["Value"])
	assert.Equal(t, version, props["ProductVersion"]["Value"])
	for _, p := range msi.Properties {
		assert.Contains(t, strings.Split(props["SecureCustomProperties"]["Value"], ";"), p)
	}

	ca := byKey(table("CustomAction"), "Action")
	assert.Equal(t, `config write --config "[CommonAppDataFolder]ISCDesk\agent.yaml" --marketplace-url "[MARKETPLACE_URL]" --trusted-key "[TRUSTED_KEY]" --install-group "[INSTALL_GROUP]"`,
		ca["WriteConfig"]["Target"])
	assert.Equal(t, "AgentExe", ca["WriteConfig"]["Source"])
	assert.Equal(t, "failure iscdesk-agent reset= 600 actions= restart/5000/restart/5000/restart/5000", ca["ServiceRecovery"]["Target"])
	assert.Equal(t, "[System64Folder]sc.exe", ca["SetScExe"]["Target"])

	seq := map[string]int{}
	for _, r := range table("InstallExecuteSequence") {
		n, err := strconv.Atoi(r["Sequence"])
		require.NoError(t, err, r)
		seq[r["Action"]] = n
	}
	assert.Less(t, seq["InstallFiles"], seq["WriteConfig"], "the config is written by the installed agent")
	assert.Less(t, seq["WriteConfig"], seq["StartServices"], "before the service starts")
	assert.Less(t, seq["InstallServices"], seq["ServiceRecovery"])
	assert.Less(t, seq["ServiceRecovery"], seq["StartServices"])
	assert.Equal(t, seq["InstallInitialize"]+1, seq["RemoveExistingProducts"])

	files := byKey(table("File"), "File")
	assert.Equal(t, "iscdesk-agent.exe", files["AgentExe"]["FileName"])
	assert.Equal(t, "iscdesk.exe", files["CliExe"]["FileName"])
}
