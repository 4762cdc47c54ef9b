// Package linuxpkg builds the agent's deb and rpm with the nfpm library: the two binaries, the
// systemd unit, /etc/iscdesk/agent.yaml as a conffile, the copyright file and a changelog, and the
// maintainer scripts in files/ (the group, the service where systemd runs, purge).
package linuxpkg

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
	"go.yaml.in/yaml/v3"
)

// Name is the package name in both formats.
const Name = "iscdesk-agent"

// Formats are the formats Build knows.
var Formats = []string{"deb", "rpm"}

//go:embed files
var embedded embed.FS

// Spec is what goes into one package.
type Spec struct {
	// Version is "1.2.3" or "1.2.3-rc.1" (see CheckVersion); a pre-release sorts before the release.
	Version string
	// Arch is Go's name: amd64 or arm64.
	Arch string
	// Agent and CLI are the linux binaries of iscdesk-agent and iscdesk.
	Agent, CLI string
	// Unit is the systemd unit, as `iscdesk-agent service unit` renders it for /usr/bin/iscdesk-agent.
	Unit []byte
	// Maintainer is "Name <email>".
	Maintainer string
	// Date stamps the changelog entry and the files; zero means now.
	Date time.Time
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$`)

// CheckVersion accepts the versions that deb, rpm and msi can all order: MAJOR.MINOR.PATCH with
// an optional -PRERELEASE of dot-separated letters and digits.
func CheckVersion(v string) error {
	if !versionRE.MatchString(v) {
		return fmt.Errorf("version %q is not MAJOR.MINOR.PATCH[-PRERELEASE], e.g. 1.4.0 or 1.4.0-rc.1", v)
	}
	return nil
}

// FileName is the conventional name of the package: iscdesk-agent_1.2.3_amd64.deb,
// iscdesk-agent-1.2.3.x86_64.rpm.
func FileName(format, version, arch string) (string, error) {
	switch format {
	case "deb":
		return fmt.Sprintf("%s_%s_%s.deb", Name, version, arch), nil
	case "rpm":
		rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[arch]
		if rpmArch == "" {
			return "", fmt.Errorf("no rpm architecture for %q; use amd64 or arm64", arch)
		}
		return fmt.Sprintf("%s-%s.%s.rpm", Name, version, rpmArch), nil
	}
	return "", fmt.Errorf("package format %q is not known; use deb or rpm", format)
}

// Build writes the package of the given format to w.
func Build(format string, s Spec, w io.Writer) error {
	if err := CheckVersion(s.Version); err != nil {
		return err
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		return fmt.Errorf("package format %q is not known; use deb or rpm: %w", format, err)
	}
	for _, f := range []struct{ what, path string }{{"agent binary", s.Agent}, {"CLI binary", s.CLI}} {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("building the %s: the %s: %w", format, f.what, err)
		}
	}
	if len(s.Unit) == 0 {
		return errors.New("building the " + format + ": the systemd unit is empty; render it with: iscdesk-agent service unit")
	}
	if s.Date.IsZero() {
		s.Date = time.Now()
	}

	// nfpm reads scripts, the changelog and every content from files: lay them out in a temp folder.
	tmp, err := os.MkdirTemp("", "iscdesk-linuxpkg-")
	if err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	defer os.RemoveAll(tmp)
	packaging, err := fs.Sub(embedded, "files")
	if err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	if err := os.CopyFS(tmp, packaging); err != nil {
		return fmt.Errorf("building the %s: unpacking the packaging files: %w", format, err)
	}
	unit := filepath.Join(tmp, "iscdesk-agent.service")
	if err := os.WriteFile(unit, s.Unit, 0o644); err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	// Debian wants a year in the copyright notice: the year of the build.
	copyrightPath := filepath.Join(tmp, "copyright")
	text, err := os.ReadFile(copyrightPath)
	if err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	text = bytes.ReplaceAll(text, []byte("@YEAR@"), []byte(strconv.Itoa(s.Date.Year())))
	if err := os.WriteFile(copyrightPath, text, 0o644); err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	changelog := filepath.Join(tmp, "changelog.yaml")
	if err := writeChangelog(changelog, s); err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:        Name,
		Arch:        s.Arch,
		Platform:    "linux",
		Version:     s.Version,
		Release:     release,
		Section:     "admin",
		Priority:    "optional",
		Maintainer:  s.Maintainer,
		Vendor:      "ISCDesk",
		Homepage:    "https://github.com/iscdesk/iscdesk",
		License:     "proprietary",
		Description: description,
		Changelog:   changelog,
		MTime:       s.Date,
		Overridables: nfpm.Overridables{
			Contents: contents(tmp, s, unit),
			Umask:    0o022,
			Scripts:  scripts(format, tmp),
			Deb:      nfpm.Deb{Compression: "xz"},
			RPM: nfpm.RPM{
				Summary:     "ISCDesk agent: silent installs of software bought on the ISCDesk marketplace",
				Group:       "System Environment/Daemons",
				Compression: "zstd",
				Packager:    s.Maintainer,
			},
		},
	})
	// deb only: addgroup and delgroup. rpm: groupadd comes with shadow-utils, in every base system.
	if format == "deb" {
		info.Depends = []string{"adduser"}
	}
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	if err := packager.Package(info, w); err != nil {
		return fmt.Errorf("building the %s: %w", format, err)
	}
	return nil
}

const description = `ISCDesk agent: silent installs of industrial software
 The system service of ISCDesk. It installs, repairs and uninstalls software
 bought on the ISCDesk marketplace from signed packages, survives crashes and
 reboots in the middle of an install, and serves a local API to the iscdesk
 command and the desktop app. Members of the group iscdesk may install.`

func contents(tmp string, s Spec, unit string) files.Contents {
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode, MTime: s.Date}}
	}
	debUnit := file(unit, "/lib/systemd/system/iscdesk-agent.service", 0o644)
	debUnit.Packager = "deb"
	// Red Hat family: units live under /usr/lib; /lib is the filesystem package's symlink.
	rpmUnit := file(unit, "/usr/lib/systemd/system/iscdesk-agent.service", 0o644)
	rpmUnit.Packager = "rpm"
	debConf := file(filepath.Join(tmp, "agent.yaml"), "/etc/iscdesk/agent.yaml", 0o644)
	debConf.Type, debConf.Packager = files.TypeConfig, "deb"
	rpmConf := file(filepath.Join(tmp, "agent.yaml"), "/etc/iscdesk/agent.yaml", 0o644)
	rpmConf.Type, rpmConf.Packager = files.TypeConfigNoReplace, "rpm"
	debCopyright := file(filepath.Join(tmp, "copyright"), "/usr/share/doc/iscdesk-agent/copyright", 0o644)
	debCopyright.Packager = "deb"
	rpmCopyright := file(filepath.Join(tmp, "copyright"), "/usr/share/licenses/iscdesk-agent/copyright", 0o644)
	rpmCopyright.Type, rpmCopyright.Packager = files.TypeRPMLicense, "rpm"
	overrides := file(filepath.Join(tmp, "lintian-overrides"), "/usr/share/lintian/overrides/iscdesk-agent", 0o644)
	overrides.Packager = "deb"
	return files.Contents{
		file(s.Agent, "/usr/bin/iscdesk-agent", 0o755),
		file(s.CLI, "/usr/bin/iscdesk", 0o755),
		debUnit, rpmUnit, debConf, rpmConf, debCopyright, rpmCopyright, overrides,
	}
}

func scripts(format, tmp string) nfpm.Scripts {
	if format == "rpm" {
		return nfpm.Scripts{
			PreInstall:  filepath.Join(tmp, "rpm", "pre"),
			PostInstall: filepath.Join(tmp, "rpm", "post"),
			PreRemove:   filepath.Join(tmp, "rpm", "preun"),
			PostRemove:  filepath.Join(tmp, "rpm", "postun"),
		}
	}
	return nfpm.Scripts{
		PostInstall: filepath.Join(tmp, "deb", "postinst"),
		PreRemove:   filepath.Join(tmp, "deb", "prerm"),
		PostRemove:  filepath.Join(tmp, "deb", "postrm"),
	}
}

// release is the packaging revision: deb's -1 (a package of upstream code, not a Debian-native
// one) and rpm's Release.
const release = "1"

// debVersion is the version as dpkg writes it: a pre-release after "~" so that it sorts before
// the release, then the revision.
func debVersion(v string) string {
	return strings.Replace(v, "-", "~", 1) + "-" + release
}

// changelogEntry is one entry in the format nfpm's changelog reader (chglog) takes.
type changelogEntry struct {
	Deb      changelogDeb      `yaml:"deb"`
	Semver   string            `yaml:"semver"`
	Date     time.Time         `yaml:"date"`
	Packager string            `yaml:"packager"`
	Changes  []changelogChange `yaml:"changes"`
}

type changelogDeb struct {
	Urgency       string   `yaml:"urgency"`
	Distributions []string `yaml:"distributions"`
}

type changelogChange struct {
	Note string `yaml:"note"`
}

// writeChangelog writes a one-entry changelog; Debian wants one in every package, and the release
// notes proper are in the repository.
func writeChangelog(path string, s Spec) error {
	data, err := yaml.Marshal([]changelogEntry{{
		Deb:      changelogDeb{Urgency: "medium", Distributions: []string{"stable"}},
		Semver:   debVersion(s.Version),
		Date:     s.Date.UTC(),
		Packager: s.Maintainer,
		Changes:  []changelogChange{{Note: "Release " + s.Version + "; see https://github.com/iscdesk/iscdesk for the changes."}},
	}})
	if err != nil {
		return fmt.Errorf("writing the changelog: %w", err)
	}
	return os.WriteFile(path, data, 0o644)
}
