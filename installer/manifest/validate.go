package manifest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxTextLen bounds name and publisher, which are shown in lists.
const maxTextLen = 200

// MaxTimeout is the longest timeout a package may set for one step.
const MaxTimeout = 24 * time.Hour

var (
	idRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	guidRE    = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	envRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	pkgNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$`)
)

// Operating systems and architectures a platform key may name.
var (
	knownOS   = []string{"linux", "windows", "darwin"}
	knownArch = []string{"amd64", "arm64"}
)

// Validate checks a Manifest against the rules Parse applies, for manifests built or changed in
// code. Problems are *Error values without line numbers, joined with errors.Join.
func (m *Manifest) Validate() error {
	file := m.File
	if file == "" {
		file = "package.yaml"
	}
	p := &problems{file: file}
	validate(p, m)
	return p.err()
}

func validate(p *problems, m *Manifest) {
	if m.Format != FormatVersion {
		p.add("format", "format %d is not one this ISCDesk reads; write format: %d", m.Format, FormatVersion)
	}
	switch {
	case m.ID == "":
		p.add("id", "id is missing; add a stable lower-case id such as id: demo-solver")
	case !idRE.MatchString(m.ID):
		p.add("id", "id %q is not valid; use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, such as %q",
			m.ID, idHint(m.ID))
	}
	checkText(p, "name", m.Name, "name: Demo Solver", true)
	checkText(p, "publisher", m.Publisher, "publisher: ACME Software", true)
	checkText(p, "description", m.Description, "", false)
	switch {
	case m.Version == "":
		p.add("version", "version is missing; add the package version, such as version: 2.1.0")
	case !ValidVersion(m.Version):
		fix := "write dotted numbers such as 2.1.0, optionally with a prerelease such as 2.1.0-rc.1"
		if t := strings.TrimPrefix(m.Version, "v"); t != m.Version && ValidVersion(t) {
			fix = fmt.Sprintf("write %s, without the v", t)
		}
		p.add("version", "version %q is not a version; %s", m.Version, fix)
	}
	if len(m.Platforms) == 0 {
		p.add("platforms", "platforms is missing or empty; add at least one platform, such as linux: or windows/amd64:")
	}
	for _, key := range sortedKeys(m.Platforms) {
		pl := m.Platforms[key]
		path := "platforms." + key
		if pl == nil {
			p.add(path, "platform %q is empty; add installer:, on_interrupt: and detect:", key)
			continue
		}
		if err := checkPlatformKey(key); err != nil {
			p.add(path, "%v", err)
		}
		if pl.Key != key {
			p.add(path, "platform %q has Key %q; they must be the same", key, pl.Key)
		}
		validatePlatform(p, path, pl)
	}
}

// idHint turns a bad id into a good one for the message.
func idHint(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "._-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return "demo-solver"
	}
	return s
}

// checkText checks a line of text shown to people.
func checkText(p *problems, key, s, example string, required bool) {
	switch {
	case s == "" && required:
		p.add(key, "%s is missing; add it, such as %s", key, example)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		p.add(key, "%s holds control characters; write plain text", key)
	case key != "description" && strings.Contains(s, "\n"):
		p.add(key, "%s spans several lines; write it on one line", key)
	case key != "description" && utf8.RuneCountInString(s) > maxTextLen:
		p.add(key, "%s is longer than %d characters; shorten it and put the rest in description", key, maxTextLen)
	}
}

// checkPlatformKey accepts "os" and "os/arch" with the known names, and suggests the right name for
// the usual others (macos, x86_64, ...).
func checkPlatformKey(key string) error {
	osName, arch, hasArch := strings.Cut(key, "/")
	if !slices.Contains(knownOS, osName) {
		return fmt.Errorf("platform %q: unknown operating system %q; %s", key, osName, suggestName(osName, knownOS, osAliases))
	}
	if hasArch && !slices.Contains(knownArch, arch) {
		return fmt.Errorf("platform %q: unknown architecture %q; %s", key, arch, suggestName(arch, knownArch, archAliases))
	}
	return nil
}

var (
	osAliases   = map[string]string{"macos": "darwin", "osx": "darwin", "mac": "darwin", "win": "windows", "win32": "windows", "win64": "windows"}
	archAliases = map[string]string{"x86_64": "amd64", "x64": "amd64", "aarch64": "arm64"}
)

func suggestName(got string, known []string, aliases map[string]string) string {
	if a, ok := aliases[strings.ToLower(got)]; ok {
		return fmt.Sprintf("did you mean %q?", a)
	}
	return suggest(got, known)
}

// platformOS is the operating system part of a platform key.
func platformOS(key string) string {
	osName, _, _ := strings.Cut(key, "/")
	return osName
}

func validatePlatform(p *problems, path string, pl *Platform) {
	osName := platformOS(pl.Key)
	validateInstaller(p, path+".installer", osName, &pl.Installer)

	switch {
	case pl.Timeout < 0 || pl.Timeout > MaxTimeout:
		p.add(path+".timeout", "timeout %s is out of range; write a duration between 1s and 24h, such as 30m", pl.Timeout)
	case pl.Timeout > 0 && pl.Timeout < time.Second:
		p.add(path+".timeout", "timeout %s is shorter than a second; write a duration such as 30m", pl.Timeout)
	}
	switch pl.OnInterrupt {
	case OnInterruptContinue, OnInterruptOverwrite:
	case "":
		p.add(path+".on_interrupt", "on_interrupt is missing under %s; write on_interrupt: continue when running the install again over a cut-off one is safe, else on_interrupt: overwrite", path)
	default:
		p.add(path+".on_interrupt", "on_interrupt %q is not known; %s", pl.OnInterrupt, suggest(string(pl.OnInterrupt), []string{"continue", "overwrite"}))
	}
	for code, o := range pl.ExitCodes {
		if !o.Valid() {
			p.add(fmt.Sprintf("%s.exit_codes.%d", path, code), "exit code %d: outcome %q is not known; %s", code, o, suggest(string(o), outcomeNames))
		}
	}
	if len(pl.Detect) == 0 {
		p.add(path+".detect", "detect is missing under %s; add at least one rule that tells whether the software is installed, such as - file: \"{{.InstallDir}}/bin/app\"", path)
	}
	for i := range pl.Detect {
		validateRule(p, fmt.Sprintf("%s.detect[%d]", path, i), osName, &pl.Detect[i])
	}
	if l := pl.License; l != nil {
		validateLicense(p, path+".license", l)
	}
	if pl.DiskSpace < 0 {
		p.add(path+".disk_space", "disk_space %d is negative; write the space the install needs, such as 20MiB", pl.DiskSpace)
	}
}

func validateInstaller(p *problems, path, osName string, in *Installer) {
	pre, ok := presets[in.Type]
	switch {
	case in.Type == "":
		p.add(path, "installer type is missing under %s; add installer: with type: one of %s", strings.TrimSuffix(path, ".installer"), quoteList(installerTypes))
		return
	case !ok:
		p.add(path+".type", "installer type %q is not known; %s", in.Type, suggest(string(in.Type), installerTypes))
		return
	case pre.windowsOnly && osName != "windows":
		p.add(path+".type", "installer type %s runs only on windows, not on %s; use type: script or exe there", in.Type, osName)
	}
	switch {
	case pre.file == required && in.File == "":
		p.add(path, "file is missing under %s; type %s needs the installer's file inside the package, such as file: setup.%s", path, in.Type, fileExt(in.Type))
	case pre.file == unused && in.File != "":
		p.add(path+".file", "file is not used by type %s; name the program in install: instead", in.Type)
	case in.File != "":
		if err := checkPackageFile(in.File); err != nil {
			p.add(path+".file", "file %q %v", in.File, err)
		}
	}
	switch {
	case pre.productCode == required && in.ProductCode == "":
		p.add(path, "product_code is missing under %s; type msi needs the MSI ProductCode, such as product_code: \"{12345678-1234-1234-1234-123456789ABC}\"", path)
	case pre.productCode == unused && in.ProductCode != "":
		p.add(path+".product_code", "product_code is used only by type msi; to detect by product code, add a detect rule - registry: {product_code: \"%s\"}", in.ProductCode)
	case in.ProductCode != "" && !guidRE.MatchString(in.ProductCode):
		p.add(path+".product_code", "product_code %q is not a GUID; write it in braces, quoted: \"{12345678-1234-1234-1234-123456789ABC}\"", in.ProductCode)
	}
	// A command the preset could not build for lack of file or product_code is reported above.
	if len(in.Install) == 0 && (pre.install == nil || canBuild(pre.install, in)) {
		p.add(path, "install is missing under %s; type %s needs the silent install command, such as install: %s", path, in.Type, commandExample(in.Type, "install"))
	}
	if len(in.Uninstall) == 0 && (pre.uninstall == nil || canBuild(pre.uninstall, in)) {
		p.add(path, "uninstall is missing under %s; type %s needs the silent uninstall command, such as uninstall: %s", path, in.Type, commandExample(in.Type, "uninstall"))
	}
	checkCommand(p, path+".install", in.Install)
	checkCommand(p, path+".uninstall", in.Uninstall)
	if in.Log != "" {
		checkTemplate(p, path+".log", in.Log)
	}
}

func fileExt(t InstallerType) string {
	if t == TypeMSI {
		return "msi"
	}
	return "exe"
}

func commandExample(t InstallerType, step string) string {
	switch {
	case t == TypeScript:
		return fmt.Sprintf("[sh, %s.sh]", step)
	case step == "uninstall" && t == TypeNSIS:
		return `"{{.InstallDir}}\uninstall.exe /S"`
	case step == "uninstall":
		return `["{{.InstallDir}}\uninstall.exe", /quiet]`
	}
	return `["{{.PackageDir}}\setup.exe", /quiet]`
}

// checkPackageFile accepts a plain relative path inside the package; it is put into templates, so
// it may not hold template actions either.
func checkPackageFile(f string) error {
	clean := path.Clean(strings.ReplaceAll(f, `\`, "/"))
	switch {
	case strings.Contains(f, "{{") || strings.Contains(f, "}}"):
		return fmt.Errorf("may not hold {{ }}; write the file name inside the package, such as setup.exe")
	case path.IsAbs(clean) || hasVolume(clean) || clean == ".." || strings.HasPrefix(clean, "../"):
		return fmt.Errorf("is not inside the package; write its path relative to the package, such as setup.exe")
	case strings.ContainsAny(f, "<>:\"|?*") || strings.ContainsFunc(f, unicode.IsControl):
		return fmt.Errorf("holds characters a Windows file name cannot; rename the file")
	case strings.HasPrefix(f, "-") || strings.HasPrefix(f, "/"):
		return fmt.Errorf("starts with %q; write the file name inside the package, such as setup.exe", f[:1])
	}
	return nil
}

// hasVolume reports a Windows drive or UNC prefix in a slash-separated path.
func hasVolume(p string) bool {
	return strings.HasPrefix(p, "//") || (len(p) >= 2 && p[1] == ':' && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z')
}

func checkCommand(p *problems, path string, argv []string) {
	if len(argv) > 0 && argv[0] == "" {
		p.add(path, "%s starts with an empty program name; write the program first", path)
	}
	for i, a := range argv {
		checkTemplate(p, fmt.Sprintf("%s[%d]", path, i), a)
	}
}

func checkTemplate(p *problems, path, tmpl string) {
	if strings.ContainsFunc(tmpl, unicode.IsControl) {
		// Most often a Windows path in double quotes, where YAML reads \b, \t, \n... as escapes.
		p.add(path, "%s holds a control character; write Windows paths in single quotes ('C:\\x\\bin'), where YAML keeps backslashes", path)
		return
	}
	if _, err := parseTemplate(tmpl); err != nil {
		p.add(path, "%s: %v", path, err)
	}
}

func validateRule(p *problems, path, osName string, r *DetectRule) {
	var kinds []string
	if r.File != nil {
		kinds = append(kinds, "file")
	}
	if r.Command != nil {
		kinds = append(kinds, "command")
	}
	if r.Dpkg != "" {
		kinds = append(kinds, "dpkg")
	}
	if r.Rpm != "" {
		kinds = append(kinds, "rpm")
	}
	if r.Registry != nil {
		kinds = append(kinds, "registry")
	}
	switch len(kinds) {
	case 0:
		p.add(path, "detect rule %s has no kind; write one of file, command, dpkg, rpm or registry", path)
		return
	case 1:
	default:
		p.add(path, "detect rule %s has %s; a rule has exactly one kind: split it into one rule (- ...) per kind", path, strings.Join(kinds, " and "))
		return
	}
	switch {
	case r.File != nil:
		if r.File.Path == "" {
			p.add(path+".file", "file is empty; write the path to look for, such as file: \"{{.InstallDir}}/bin/app\"")
		} else {
			checkTemplate(p, path+".file", r.File.Path)
		}
		validateVersion(p, path+".version", r.File.Version)
	case r.Command != nil:
		if len(r.Command.Run) == 0 {
			p.add(path+".command", "command is empty; write the command whose exit status 0 means installed, such as command: [\"{{.InstallDir}}/bin/app\", --version]")
		}
		checkCommand(p, path+".command", r.Command.Run)
		validateVersion(p, path+".version", r.Command.Version)
	case r.Dpkg != "" || r.Rpm != "":
		kind, name := "dpkg", r.Dpkg
		if r.Rpm != "" {
			kind, name = "rpm", r.Rpm
		}
		if osName != "linux" {
			p.add(path+"."+kind, "a %s rule works only on linux, not on %s; use a file or command rule", kind, osName)
		}
		if !pkgNameRE.MatchString(name) {
			p.add(path+"."+kind, "%s package name %q is not valid; write the name as %s lists it, such as libfoo", kind, name, kind)
		}
	case r.Registry != nil:
		validateRegistry(p, path+".registry", osName, r.Registry)
	}
}

func validateVersion(p *problems, path string, vs *VersionSource) {
	if vs == nil {
		return
	}
	if vs.File != "" && len(vs.Command) > 0 {
		p.add(path, "version has both file and command; read it from one of them")
	}
	if vs.File != "" {
		checkTemplate(p, path+".file", vs.File)
	}
	checkCommand(p, path+".command", vs.Command)
	if vs.Pattern != "" {
		if _, err := regexp.Compile(vs.Pattern); err != nil {
			p.add(path+".pattern", "pattern %q is not a regular expression (%v); write RE2 syntax in single quotes, such as '(\\d+\\.\\d+\\.\\d+)'", vs.Pattern, err)
		}
	}
}

func validateRegistry(p *problems, path, osName string, r *RegistryRule) {
	if osName != "windows" {
		p.add(path, "a registry rule works only on windows, not on %s; use a file, command, dpkg or rpm rule", osName)
	}
	switch {
	case r.ProductCode != "" && (r.DisplayName != "" || r.Publisher != ""):
		p.add(path, "registry rule has product_code and display_name/publisher; match by one: product_code alone, or display_name with an optional publisher")
	case r.ProductCode != "":
		if !guidRE.MatchString(r.ProductCode) {
			p.add(path+".product_code", "product_code %q is not a GUID; write it in braces, quoted: \"{12345678-1234-1234-1234-123456789ABC}\"", r.ProductCode)
		}
	case r.DisplayName == "":
		p.add(path, "registry rule needs product_code or display_name, such as registry: {display_name: '^Demo Solver '}")
	default:
		if _, err := regexp.Compile(r.DisplayName); err != nil {
			p.add(path+".display_name", "display_name %q is not a regular expression (%v); write RE2 syntax in single quotes, such as '^Demo Solver '", r.DisplayName, err)
		}
	}
}

func validateLicense(p *problems, path string, l *License) {
	switch {
	case (l.Path == "") == (l.Env == ""):
		p.add(path, "license needs exactly one of path or env, such as path: \"{{.InstallDir}}/license/app.lic\"")
	case l.Env != "":
		if !envRE.MatchString(l.Env) {
			p.add(path+".env", "env %q is not a variable name; use letters, digits and _, such as APP_LICENSE_FILE", l.Env)
		}
	default:
		if _, err := parseTemplate(l.Path); err != nil {
			p.add(path+".path", "path: %v", err)
		} else if !staticWithin(l.Path) {
			p.add(path+".path", "license path %q is not inside the install folder; write it under {{.InstallDir}}, such as {{.InstallDir}}/license/app.lic", l.Path)
		}
	}
}

// staticWithin checks a license path template before any real folder is known: with stand-in
// values it must land strictly inside the install folder, whatever the separator.
func staticWithin(tmpl string) bool {
	const dir = "/iscdesk-install-dir"
	s, err := Expand(tmpl, Vars{InstallDir: dir, PackageDir: "/iscdesk-package-dir", LogFile: "/iscdesk-log/job.log", Version: "v", ID: "id", Mode: "install"})
	if err != nil {
		return false
	}
	s = strings.ReplaceAll(s, `\`, "/")
	if hasVolume(s) {
		return false
	}
	if !path.IsAbs(s) {
		s = path.Join(dir, s)
	}
	return strings.HasPrefix(path.Clean(s), dir+"/")
}
