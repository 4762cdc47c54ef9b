// Package scaffold writes a new package folder for `iscdesk-pack init`: a package.yaml with the
// silent and log switches of the installer type (the presets of installer/manifest), and for the
// script type an overwrite-safe install script, an uninstall script that is safe to run twice and
// a payload/ folder. What it writes passes `iscdesk-pack lint`, and for script `iscdesk-pack test`.
package scaffold

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

//go:embed templates
var templates embed.FS

// Options say what to scaffold.
type Options struct {
	Type manifest.InstallerType
	// ID is the package id; default the folder's name, made valid (lower case, [a-z0-9._-]).
	ID string
	// Name is shown to people; default the id with its words capitalised.
	Name string
	// Publisher; default "Your Company".
	Publisher string
}

// Types are the installer types init knows, in the order of docs/manifest.md.
var Types = []manifest.InstallerType{manifest.TypeScript, manifest.TypeMSI, manifest.TypeNSIS,
	manifest.TypeInno, manifest.TypeInstallShield, manifest.TypeExe}

// file is one file to write, relative to the package folder.
type file struct {
	rel  string
	body string
	mode os.FileMode
}

// Init writes a new package into dir (created when missing) and returns the files it wrote,
// relative to dir. It never overwrites: when any of them exists, it writes nothing.
func Init(dir string, o Options) ([]string, error) {
	if o.ID == "" {
		o.ID = idFrom(filepath.Base(dir))
	}
	if !idRE.MatchString(o.ID) {
		return nil, fmt.Errorf("init: %q is not a package id; use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (--id)", o.ID)
	}
	if o.Name == "" {
		o.Name = nameFrom(o.ID)
	}
	// The name goes into shell scripts inside double quotes and into log lines.
	if strings.ContainsAny(o.Name, "\"$`\\\n\r") {
		return nil, fmt.Errorf("init: the name %q may not hold \", $, `, \\ or a line break; they would break the scripts", o.Name)
	}
	if o.Publisher == "" {
		o.Publisher = "Your Company"
	}
	files, err := filesFor(o)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f.rel)); err == nil {
			return nil, fmt.Errorf("init: %s already exists; init writes only into a new or empty package folder, so nothing was written", filepath.Join(dir, f.rel))
		}
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, fmt.Errorf("init: %w", err)
		}
		if err := writeNew(p, f.body, f.mode); err != nil {
			return written, fmt.Errorf("init: %w", err)
		}
		written = append(written, f.rel)
	}
	return written, nil
}

// writeNew creates p with body; O_EXCL keeps it from replacing a file made since the check.
func writeNew(p, body string, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return f.Close()
}

func filesFor(o Options) ([]file, error) {
	fill := strings.NewReplacer("__ID__", o.ID, "__NAME_YAML__", yamlScalar(o.Name), "__NAME__", o.Name, "__PUBLISHER__", yamlScalar(o.Publisher))
	read := func(name string) string {
		b, err := fs.ReadFile(templates, "templates/"+name)
		if err != nil {
			panic("scaffold: missing embedded template " + name) // a build error, not bad input
		}
		return fill.Replace(string(b))
	}
	if o.Type == manifest.TypeScript {
		return []file{
			{"package.yaml", read("package-script.yaml"), 0o644},
			{"install.sh", read("install.sh"), 0o755},
			{"uninstall.sh", read("uninstall.sh"), 0o755},
			{"payload/bin/" + o.ID, read("program.sh"), 0o755},
		}, nil
	}
	w, ok := windowsInstallers[o.Type]
	if !ok {
		return nil, fmt.Errorf("init: installer type %q is not known; use one of %s", o.Type, typeList())
	}
	y, err := windowsYAML(o, w)
	if err != nil {
		return nil, err
	}
	readme := fmt.Sprintf("Put your %s installer here as %s; package.yaml names it.\n", o.Type, strings.ReplaceAll(w.file, `\`, "/"))
	return []file{{"package.yaml", y, 0o644}, {"payload/README.txt", readme, 0o644}}, nil
}

// windowsInstaller is the part of package.yaml that differs by installer type.
type windowsInstaller struct {
	file      string
	installer string // extra lines under installer:, after type and file
	detect    string
	note      string // a comment for the vendor above installer:
}

const placeholderGUID = "{00000000-0000-0000-0000-000000000000}"

var windowsInstallers = map[manifest.InstallerType]windowsInstaller{
	manifest.TypeMSI: {
		file:      `payload\setup.msi`,
		installer: `      product_code: "` + placeholderGUID + `"   # your MSI's ProductCode (Orca, or: msiinfo export setup.msi Property)` + "\n",
		detect:    `      - registry: {product_code: "` + placeholderGUID + `"}` + "\n",
		note:      "msi: the preset passes /qn (no UI), /norestart and a verbose log (/l*v) to msiexec.",
	},
	manifest.TypeNSIS: {
		file:      `payload\setup.exe`,
		installer: `      uninstall: '"{{.InstallDir}}\uninstall.exe" /S'` + "\n",
		detect:    "      - registry: {display_name: '^__NAME__', publisher: '__PUBLISHER__'}\n      - file: '{{.InstallDir}}\\uninstall.exe'\n",
		note:      "nsis: /S (upper case) is silent, /D= must come last. NSIS writes no log of its own: log from your .nsi (LogSet on) to the file in $%ISCDESK_LOG%.",
	},
	manifest.TypeInno: {
		file:   `payload\setup.exe`,
		detect: "      - registry: {display_name: '^__NAME__', publisher: '__PUBLISHER__'}\n      - file: '{{.InstallDir}}\\unins000.exe'\n",
		note:   "inno: /VERYSILENT /SUPPRESSMSGBOXES hide every window, /LOG= writes Inno's log to the job's log.",
	},
	manifest.TypeInstallShield: {
		file:      `payload\setup.exe`,
		installer: `      uninstall: [msiexec, /x, "` + placeholderGUID + `", /qn, /norestart, /l*v, "{{.LogFile}}"]   # the ProductCode of the MSI inside` + "\n",
		detect:    `      - registry: {product_code: "` + placeholderGUID + `"}` + "\n",
		note:      "installshield: /s runs setup.exe silently and /v\"/qn\" passes /qn to the MSI inside. A setup.iss response file also works: /s /f1\"{{.PackageDir}}\\setup.iss\".",
	},
	manifest.TypeExe: {
		file: `payload\setup.exe`,
		installer: `      install: ['{{.PackageDir}}\payload\setup.exe', /quiet, /norestart, /log, '{{.LogFile}}']   # use YOUR installer's silent and log switches` + "\n" +
			`      uninstall: ['{{.InstallDir}}\uninstall.exe', /quiet, /norestart]` + "\n",
		detect: "      - registry: {display_name: '^__NAME__', publisher: '__PUBLISHER__'}\n",
		note:   "exe: the agent cannot guess a generic installer's switches; find its silent switch (often /quiet, /S, /silent or --mode unattended; run it with /? ) and its log switch.",
	},
}

// windowsYAML builds package.yaml for a windows installer type and writes, as a comment, the
// commands that the type's preset resolves to, read back from the manifest parser itself.
func windowsYAML(o Options, w windowsInstaller) (string, error) {
	fill := strings.NewReplacer("__NAME__", regexp.QuoteMeta(o.Name), "__PUBLISHER__", strings.ReplaceAll(o.Publisher, "'", "''"))
	var b strings.Builder
	fmt.Fprintf(&b, "# package.yaml of %s (made by `iscdesk-pack init --type %s`).\n", o.Name, o.Type)
	b.WriteString("# Every key: docs/manifest.md. How to keep the install silent and overwrite-safe: docs/vendor-guide.md.\n")
	b.WriteString("# Check the package with: iscdesk-pack lint DIR (iscdesk-pack test runs it, on a windows machine).\n")
	fmt.Fprintf(&b, "format: 1\nid: %s\nname: %s\nversion: 1.0.0\npublisher: %s\n", o.ID, yamlScalar(o.Name), yamlScalar(o.Publisher))
	fmt.Fprintf(&b, "description: >-\n  What %s does, in a sentence or two.\nplatforms:\n  windows:\n", o.Name)
	fmt.Fprintf(&b, "    # %s\n", w.note)
	b.WriteString("    installer:\n")
	fmt.Fprintf(&b, "      type: %s\n      file: '%s'\n", o.Type, w.file)
	b.WriteString(w.installer)
	b.WriteString("__PRESET__")
	b.WriteString("    timeout: 30m\n")
	b.WriteString("    # overwrite: after a cut-off install the agent uninstalls, removes the install folder and installs fresh.\n")
	b.WriteString("    on_interrupt: overwrite\n    detect:\n")
	b.WriteString(fill.Replace(w.detect))
	text := b.String()

	m, err := manifest.Parse("package.yaml", []byte(strings.Replace(text, "__PRESET__", "", 1)))
	if err != nil {
		return "", fmt.Errorf("init: the %s template does not parse (a bug in iscdesk-pack): %w", o.Type, err)
	}
	in := m.Platforms["windows"].Installer
	preset := fmt.Sprintf("      # The agent runs:\n      #   install:   %s\n      #   uninstall: %s\n",
		strings.Join(in.Install, " "), strings.Join(in.Uninstall, " "))
	return strings.Replace(text, "__PRESET__", preset, 1), nil
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// idFrom makes a package id of a folder name: "My Tool 2" → "my-tool-2".
func idFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.Trim(b.String(), "-._")
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

// nameFrom turns "cad-viewer" into "Cad Viewer".
func nameFrom(id string) string {
	words := strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// yamlScalar quotes s when YAML would read it as something other than plain text.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#'\"{}[],&*!|>%@`") || strings.TrimSpace(s) != s {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func typeList() string {
	var s []string
	for _, t := range Types {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}
