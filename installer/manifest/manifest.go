// Package manifest reads package.yaml, the file in which a vendor describes a silent-install package,
// and turns it into the resolved commands, detection rules and policies that the engine runs.
//
// The format is documented for vendors in docs/manifest.md. Parsing is strict: an unknown key, a wrong
// type or a missing field is an error that names the file, the line and what to write instead.
package manifest

import "time"

// FormatVersion is the only manifest format this build reads.
const FormatVersion = 1

// DefaultTimeout bounds one install or uninstall step when the package sets none.
const DefaultTimeout = 60 * time.Minute

// Manifest is a parsed, validated package.yaml.
type Manifest struct {
	Format      int    // "format": always 1
	ID          string // "id": lower-case [a-z0-9][a-z0-9._-]*, stable across versions
	Name        string // "name": shown to people
	Version     string // "version": dotted numbers with an optional -suffix, see CompareVersions
	Publisher   string // "publisher"
	Description string // "description", optional

	// Platforms maps "os" or "os/arch" (linux, windows, darwin; amd64, arm64) to what to run there.
	Platforms map[string]*Platform

	// File is the path the manifest was read from, for error messages.
	File string
}

// InstallerType names the kind of installer a platform entry wraps; each has default silent switches.
type InstallerType string

const (
	TypeScript        InstallerType = "script"
	TypeMSI           InstallerType = "msi"
	TypeNSIS          InstallerType = "nsis"
	TypeInno          InstallerType = "inno"
	TypeInstallShield InstallerType = "installshield"
	TypeExe           InstallerType = "exe"
)

// InterruptPolicy says how an install step that was cut off is finished.
type InterruptPolicy string

const (
	// OnInterruptContinue re-runs the install command over what was left: the vendor's install is overwrite-safe.
	OnInterruptContinue InterruptPolicy = "continue"
	// OnInterruptOverwrite cleans up (uninstall command, then removal of the install folder) and installs fresh.
	OnInterruptOverwrite InterruptPolicy = "overwrite"
)

// Platform is what to run on one os or os/arch.
type Platform struct {
	Key       string // the key under platforms:, e.g. "linux" or "windows/amd64"
	Installer Installer
	// Timeout of one install or uninstall step; DefaultTimeout when unset.
	Timeout     time.Duration
	OnInterrupt InterruptPolicy
	// ExitCodes are the package's own codes, consulted before the defaults (see DefaultExitCodes).
	ExitCodes map[int]Outcome
	Detect    []DetectRule
	License   *License
	// DiskSpace is the free space, in bytes, that the install needs in the install root.
	DiskSpace int64
}

// Installer says how to install and uninstall.
type Installer struct {
	Type InstallerType
	// File is the installer inside the package (msi, nsis, inno, installshield, exe): "setup.exe".
	File string
	// Install and Uninstall are argument vectors whose elements are templates (see Vars).
	// For script and exe they are written by the vendor; for the other types they are built from
	// File, ProductCode and the type's default switches unless the vendor wrote them.
	Install   []string
	Uninstall []string
	// ProductCode is the MSI ProductCode "{GUID}" used to uninstall and to detect an msi.
	ProductCode string
	// Log is where the vendor's installer writes its own log (template), default {{.LogFile}}.
	Log string
}

// Outcome is the one model every exit code is mapped into.
type Outcome string

const (
	OutcomeSuccess    Outcome = "success"
	OutcomeReboot     Outcome = "reboot"      // success, reboot required (3010, 1641)
	OutcomeRetryLater Outcome = "retry_later" // another install holds the machine (1618) or a package lock
	OutcomeCancelled  Outcome = "cancelled"   // the user or the installer cancelled (1602, 1223)
	OutcomeFailed     Outcome = "failed"
)

// DefaultExitCodes apply to every package after its own table.
var DefaultExitCodes = map[int]Outcome{
	0:    OutcomeSuccess,
	3010: OutcomeReboot,
	1641: OutcomeReboot,
	1618: OutcomeRetryLater,
	1602: OutcomeCancelled,
	1223: OutcomeCancelled,
}

// DetectRule is one detection rule; exactly one of its kinds is set. All rules of a platform must hold
// for the package to count as installed (like Intune's detection rules).
type DetectRule struct {
	// File: a path (template) that must exist, optionally with a version.
	File *FileRule
	// Command: run argv (templates); installed when it exits 0; optional version from its output.
	Command *CommandRule
	// Dpkg, Rpm: a package name that the system package database must list as installed.
	Dpkg string
	Rpm  string
	// Registry: an entry under the Windows Uninstall keys (HKLM, both views, and HKCU).
	Registry *RegistryRule
	// Line of this rule in the manifest, for messages.
	Line int
}

// FileRule detects a file, optionally reading its version from a file or from a command's output.
type FileRule struct {
	Path string
	// Version, when set, reads the installed version; the rule then also requires it to equal the
	// package version. With neither File nor Command set it reads the text of Path itself.
	Version *VersionSource
}

// VersionSource reads a version: from a file's contents or from a command's output, by a regular
// expression whose first group (or whole match) is the version.
type VersionSource struct {
	File    string   // a file whose text holds the version
	Command []string // or a command whose stdout+stderr holds it
	Pattern string   // RE2; Parse sets DefaultVersionPattern when none is written
}

// CommandRule runs a command (a script) whose exit status 0 means installed.
type CommandRule struct {
	Run     []string
	Version *VersionSource // optional, with Command unset it reads Run's output
}

// RegistryRule matches Windows ARP entries by ProductCode, or by DisplayName (a regular expression)
// and optionally Publisher (equal, ignoring case); the installed version is DisplayVersion.
type RegistryRule struct {
	ProductCode string
	DisplayName string
	Publisher   string
}

// License says where a license the marketplace issued is put for the software to find it.
type License struct {
	Path string // a file path (template), inside the install folder
	Env  string // or the name of an environment variable set machine-wide to the license file's path
}

// Vars are the values templates in commands and paths may use: {{.InstallDir}}, {{.PackageDir}},
// {{.LogFile}}, {{.Version}}, {{.ID}}, {{.Mode}}. Mode is set by the engine: install, continue (a
// cut-off install run again), overwrite (clean-up and fresh install) or uninstall.
type Vars struct {
	InstallDir string
	PackageDir string
	LogFile    string
	Version    string
	ID         string
	Mode       string
}

// DefaultVersionPattern reads the first dotted number, such as 2.1.0, when a version source sets no pattern.
const DefaultVersionPattern = `(\d+(?:\.\d+)+)`
