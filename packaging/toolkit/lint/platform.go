package lint

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// lintPlatform checks one platform entry: its commands, the scripts they run, its log.
func lintPlatform(dir string, p *manifest.Platform) []Finding {
	var out []Finding
	yaml := yamlLines(filepath.Join(dir, "package.yaml"))
	at := func(field string) int { return yaml.line(p.Key, field) }
	in := p.Installer
	add := func(line int, sev Severity, check, msg, why, fix string) {
		out = append(out, Finding{File: "package.yaml", Line: line, Severity: sev, Check: check,
			Message: fmt.Sprintf("platforms.%s: %s", p.Key, msg), Why: why, Fix: fix})
	}

	if in.File != "" && !exists(filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(in.File, `\`, "/")))) {
		add(at("file"), SeverityWarning, CheckMissing, fmt.Sprintf("the installer file %s is not in the package folder yet", in.File),
			"the package cannot install without it", fmt.Sprintf("put %s in %s before you build the package", in.File, dir))
	}
	if noop(in.Uninstall) {
		add(at("uninstall"), SeverityError, CheckUninstall, fmt.Sprintf("the uninstall command %q removes nothing", strings.Join(in.Uninstall, " ")),
			"without a real uninstall, engineers cannot remove the software and an overwrite install cannot clean up a half-done one",
			"write an uninstall script that removes what the install wrote and succeeds when run twice; `iscdesk-pack init` has a template")
	}
	windows := p.OS() == "windows"
	if what := silentMissing(in.Type, in.Install, windows, true); what != "" {
		add(at("install"), SeverityError, CheckSilent, "the install command "+what,
			"an installer without its silent switch opens a window and waits for a click that never comes on an unattended machine",
			silentFix(in.Type))
	}
	if what := silentMissing(in.Type, in.Uninstall, windows, false); what != "" {
		add(at("uninstall"), SeverityError, CheckSilent, "the uninstall command "+what,
			"an uninstaller without its silent switch opens a window and waits for a click that never comes",
			silentFix(in.Type))
	}

	logged := argvMentions(in.Install, "{{.LogFile}}") || argvMentions(in.Install, "ISCDESK_LOG")
	for _, step := range []struct {
		role string
		argv []string
	}{{"install", in.Install}, {"uninstall", in.Uninstall}} {
		for _, rel := range scriptsIn(dir, step.argv) {
			if step.role == "install" && mentionsLog(filepath.Join(dir, rel)) {
				logged = true
			}
			fs, err := lintScript(dir, rel, step.role)
			if err != nil {
				add(at(step.role), SeverityError, CheckMissing, err.Error(), "the agent cannot run a script it cannot read", "check the file and its permissions")
				continue
			}
			out = append(out, fs...)
		}
		if ref := missingScript(dir, step.argv); ref != "" {
			add(at(step.role), SeverityError, CheckMissing, fmt.Sprintf("the %s command runs %s, which is not in the package", step.role, ref),
				"the step fails at once with \"not found\" on every machine", fmt.Sprintf("add %s to the package folder, or correct the command", ref))
		}
	}
	if !logged {
		add(at("install"), SeverityWarning, CheckLog, "the install writes no log: its scripts never write $ISCDESK_LOG and the command passes no log switch",
			"when an install fails on an engineer's machine, the log is all that support gets; the agent keeps the output, but not what the installer knew",
			"append progress and errors to the file named by ISCDESK_LOG (%ISCDESK_LOG% in cmd, $env:ISCDESK_LOG in PowerShell), or pass {{.LogFile}} to the installer's log switch")
	}
	return out
}

// silentMissing says which silent switch the argv lacks for the installer type, or "".
func silentMissing(t manifest.InstallerType, argv []string, windows, install bool) string {
	if len(argv) == 0 {
		return ""
	}
	prog := strings.ToLower(path.Base(strings.ReplaceAll(argv[0], `\`, "/")))
	args := argv[1:]
	switch {
	case prog == "msiexec" || prog == "msiexec.exe":
		if !hasAny(args, msiQuiet, false) {
			return "runs msiexec without /qn (or /quiet)"
		}
		return ""
	case t == manifest.TypeNSIS:
		if !hasAny(args, []string{"/S"}, true) {
			return "runs an NSIS installer without /S (NSIS reads only the upper-case /S)"
		}
	case t == manifest.TypeInno:
		if !hasAny(args, []string{"/verysilent", "/silent"}, false) {
			return "runs an Inno Setup installer without /VERYSILENT"
		}
	case t == manifest.TypeInstallShield && install:
		if !hasAny(args, []string{"/s"}, false) {
			return "runs an InstallShield setup without /s"
		}
	case interpreters[strings.TrimSuffix(prog, ".exe")]:
		return "" // a script: its lines are checked instead
	case t == manifest.TypeExe && windows, t == manifest.TypeInstallShield && !install:
		if !hasAny(args, exeQuiet, false) {
			return "runs " + prog + " without a silent switch"
		}
	}
	return ""
}

// interpreters run the vendor's scripts, which need no silent switch of their own.
var interpreters = map[string]bool{"powershell": true, "pwsh": true, "cmd": true, "sh": true, "bash": true,
	"cscript": true, "wscript": true, "python": true, "python3": true, "perl": true}

func silentFix(t manifest.InstallerType) string {
	switch t {
	case manifest.TypeMSI:
		return "use msiexec /i FILE /qn /norestart (or leave install out: the msi preset adds them)"
	case manifest.TypeNSIS:
		return "add /S (upper case) and, for the install, /D={{.InstallDir}} as the last argument"
	case manifest.TypeInno:
		return "add /VERYSILENT /SUPPRESSMSGBOXES /NORESTART"
	case manifest.TypeInstallShield:
		return `add /s /v"/qn" (InstallShield passes /v to the MSI inside)`
	}
	return "add the installer's silent switch (often /quiet, /S or --silent; see its documentation or run it with /?)"
}

// scriptsIn lists the package's scripts that argv runs: arguments that name a file in the package
// and look like a script (an extension of sh, cmd, bat or ps1, or a #! line).
func scriptsIn(dir string, argv []string) []string {
	var out []string
	for _, a := range argv {
		rel, ok := packageRel(a)
		if !ok {
			continue
		}
		full := filepath.Join(dir, rel)
		fi, err := os.Stat(full)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		switch strings.ToLower(filepath.Ext(rel)) {
		case ".sh", ".bash", ".cmd", ".bat", ".ps1":
			out = append(out, rel)
			continue
		}
		if hasShebang(full) {
			out = append(out, rel)
		}
	}
	return out
}

// missingScript returns a script that argv names in the package but that is not there, or "".
func missingScript(dir string, argv []string) string {
	for _, a := range argv {
		rel, ok := packageRel(a)
		if !ok {
			continue
		}
		switch strings.ToLower(filepath.Ext(rel)) {
		case ".sh", ".bash", ".cmd", ".bat", ".ps1":
			if !exists(filepath.Join(dir, rel)) {
				return filepath.ToSlash(rel)
			}
		}
	}
	return ""
}

// packageRel turns an argument that names a file in the package ("install.sh", "./install.sh",
// "{{.PackageDir}}/install.sh") into a path relative to the package folder.
func packageRel(a string) (string, bool) {
	for _, p := range []string{"{{.PackageDir}}/", `{{.PackageDir}}\`, "./", `.\`} {
		a = strings.TrimPrefix(a, p)
	}
	if a == "" || strings.Contains(a, "{{") || strings.HasPrefix(a, "-") || strings.HasPrefix(a, "/") ||
		strings.Contains(a, "=") || filepath.IsAbs(a) {
		return "", false
	}
	rel := filepath.Clean(filepath.FromSlash(strings.ReplaceAll(a, `\`, "/")))
	if rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return rel, true
}

func hasShebang(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	n, _ := f.Read(b)
	return n == 2 && string(b) == "#!"
}

// noop reports an uninstall command that does nothing at all.
func noop(argv []string) bool {
	if len(argv) == 0 {
		return true
	}
	switch strings.ToLower(path.Base(argv[0])) {
	case "true", ":":
		return true
	case "exit":
		return true
	}
	joined := strings.ToLower(strings.Join(argv, " "))
	return joined == "cmd /c exit 0" || joined == "sh -c true" || joined == "sh -c exit 0" || joined == "sh -c :"
}

func argvMentions(argv []string, s string) bool {
	for _, a := range argv {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// yamlText is package.yaml as lines, to point findings about a platform's commands at their line.
type yamlText []string

func yamlLines(p string) yamlText {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	return strings.Split(string(data), "\n")
}

// line finds "field:" in the block of platform key, or the key's own line; 0 when neither is found.
func (y yamlText) line(key, field string) int {
	start, indent := -1, 0
	for i, l := range y {
		t := strings.TrimLeft(l, " ")
		if strings.HasPrefix(t, key+":") || strings.HasPrefix(t, `"`+key+`":`) || strings.HasPrefix(t, `'`+key+`':`) {
			start, indent = i, len(l)-len(t)
			break
		}
	}
	if start < 0 {
		return 0
	}
	for i := start + 1; i < len(y); i++ {
		t := strings.TrimLeft(y[i], " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(y[i])-len(t) <= indent {
			break // left the platform's block
		}
		if strings.HasPrefix(t, field+":") {
			return i + 1
		}
	}
	return start + 1
}
