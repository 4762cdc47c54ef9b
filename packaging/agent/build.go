// Package agent builds the agent's own packages for IT: the deb and the rpm (linuxpkg), the msi
// (msi), then SHA256SUMS and a minisign signature for each of them (release). `make packages` runs
// it through cmd/mkpkg; docs/it-deployment.md says how to deploy what it makes.
package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/packaging/agent/linuxpkg"
	"github.com/iscdesk/iscdesk/packaging/agent/msi"
	"github.com/iscdesk/iscdesk/packaging/agent/release"
)

// PublicKeyFile is the name of the release key's public half, written beside the packages.
const PublicKeyFile = "iscdesk-release.pub"

// InstalledAgent is where the deb and the rpm put the agent; the unit's ExecStart names it.
const InstalledAgent = "/usr/bin/iscdesk-agent"

// Options say what to build from which binaries.
type Options struct {
	Version string // MAJOR.MINOR.PATCH[-PRERELEASE]
	Arch    string // amd64 or arm64, for the deb and the rpm; the msi is x64
	// LinuxAgent and LinuxCLI are the linux builds of iscdesk-agent and iscdesk; WindowsAgent and
	// WindowsCLI the windows/amd64 builds (.exe). The windows ones may be empty: then no msi.
	LinuxAgent, LinuxCLI     string
	WindowsAgent, WindowsCLI string
	OutDir                   string
	Key                      minisign.PrivateKey // signs every artifact and SHA256SUMS
	Maintainer               string              // "Name <email>"
	Date                     time.Time           // of the changelog entry and the files; zero: now
}

// Build makes the packages in o.OutDir and returns their names, then SHA256SUMS, the signatures
// and the public key.
func Build(ctx context.Context, o Options) ([]string, error) {
	if err := linuxpkg.CheckVersion(o.Version); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output folder: %w", err)
	}
	unit, err := RenderUnit(ctx, o.LinuxAgent)
	if err != nil {
		return nil, err
	}
	spec := linuxpkg.Spec{
		Version: o.Version, Arch: o.Arch, Agent: o.LinuxAgent, CLI: o.LinuxCLI,
		Unit: unit, Maintainer: o.Maintainer, Date: o.Date,
	}
	var packages []string
	for _, format := range linuxpkg.Formats {
		name, err := linuxpkg.FileName(format, o.Version, o.Arch)
		if err != nil {
			return nil, err
		}
		err = atomicfile.Write(filepath.Join(o.OutDir, name), 0o644, func(w io.Writer) error {
			return linuxpkg.Build(format, spec, w)
		})
		if err != nil {
			return nil, err
		}
		packages = append(packages, name)
	}
	if o.WindowsAgent != "" || o.WindowsCLI != "" {
		name := fmt.Sprintf("%s-%s.msi", linuxpkg.Name, o.Version)
		err := msi.Build(ctx, msi.Spec{Version: o.Version, AgentExe: o.WindowsAgent, CLIExe: o.WindowsCLI}, filepath.Join(o.OutDir, name))
		if err != nil {
			return nil, err
		}
		packages = append(packages, name)
	}

	if err := release.WriteSums(o.OutDir, packages); err != nil {
		return nil, err
	}
	out := append(append([]string(nil), packages...), release.SumsFile)
	for _, name := range append([]string(nil), out...) {
		if err := release.Sign(o.Key, filepath.Join(o.OutDir, name)); err != nil {
			return nil, err
		}
		out = append(out, name+release.SigSuffix)
	}
	if err := release.WritePublicKey(o.Key, filepath.Join(o.OutDir, PublicKeyFile)); err != nil {
		return nil, err
	}
	return append(out, PublicKeyFile), nil
}

// RenderUnit runs the agent binary's `service unit` so that the packaged unit is the one the agent
// itself installs and tests, and points its ExecStart at InstalledAgent instead of the build path.
// Without --config the agent reads /etc/iscdesk/agent.yaml, or runs on defaults if IT deleted it.
func RenderUnit(ctx context.Context, agentBin string) ([]byte, error) {
	abs, err := filepath.Abs(agentBin)
	if err != nil {
		return nil, fmt.Errorf("rendering the systemd unit: %w", err)
	}
	cmd := exec.CommandContext(ctx, abs, "service", "unit")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rendering the systemd unit with %s service unit: %w: %s", agentBin, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.SplitAfter(stdout.String(), "\n")
	found := false
	for i, l := range lines {
		if !strings.HasPrefix(l, "ExecStart=") {
			continue
		}
		if strings.TrimRight(l, "\n") != "ExecStart="+strings.TrimSpace(execStartExe(l))+" run" {
			return nil, fmt.Errorf("rendering the systemd unit: unexpected %q; want the agent binary followed by \"run\"", strings.TrimSpace(l))
		}
		lines[i] = "ExecStart=" + InstalledAgent + " run\n"
		found = true
	}
	if !found {
		return nil, fmt.Errorf("rendering the systemd unit: %s service unit printed no ExecStart= line", agentBin)
	}
	return []byte(strings.Join(lines, "")), nil
}

// execStartExe is the first word of an ExecStart= line, quoted or not.
func execStartExe(line string) string {
	v := strings.TrimPrefix(strings.TrimRight(line, "\n"), "ExecStart=")
	if strings.HasPrefix(v, `"`) {
		// systemd quoting: a closing quote not preceded by a backslash ends the word.
		for i := 1; i < len(v); i++ {
			if v[i] == '\\' {
				i++
				continue
			}
			if v[i] == '"' {
				return v[:i+1]
			}
		}
		return v
	}
	exe, _, _ := strings.Cut(v, " ")
	return exe
}
