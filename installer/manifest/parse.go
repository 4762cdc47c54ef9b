package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	// MaxSize is the largest package.yaml Parse reads: long texts belong in files of the package.
	MaxSize = 1 << 20
	// maxDepth bounds nesting; the deepest key of the format (platforms.X.detect[i].version.command[j])
	// sits at depth 8.
	maxDepth = 16
)

// Keys of each mapping of the format, in the order the docs give them.
var (
	topKeys       = []string{"format", "id", "name", "version", "publisher", "description", "platforms"}
	platformKeys  = []string{"installer", "timeout", "on_interrupt", "exit_codes", "detect", "license", "disk_space"}
	installerKeys = []string{"type", "install", "uninstall", "file", "product_code", "log"}
	detectKeys    = []string{"file", "command", "dpkg", "rpm", "registry", "version"}
	versionKeys   = []string{"file", "command", "pattern"}
	registryKeys  = []string{"product_code", "display_name", "publisher"}
	licenseKeys   = []string{"path", "env"}
)

// Load reads and parses the package.yaml at path.
func Load(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read package manifest: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read package manifest %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse reads a package.yaml. file names it in messages. Parsing is strict: every unknown key,
// wrong type, missing field or bad value is an *Error naming the file, line and column and what to
// write instead; several are joined with errors.Join. Installer presets and defaults are applied, so
// the result is ready to use.
func Parse(file string, data []byte) (*Manifest, error) {
	if file == "" {
		file = "package.yaml"
	}
	p := &problems{file: file, pos: map[string]*yaml.Node{}}
	if len(data) > MaxSize {
		p.addAt(nil, "the file is larger than 1 MiB; keep package.yaml short and put long texts in files of the package")
		return nil, p.err()
	}
	root, err := readYAML(data)
	if err != nil {
		p.errs = append(p.errs, yamlError(file, err))
		return nil, p.err()
	}
	if root == nil {
		p.addAt(nil, "the file is empty; start from an example in docs/manifest.md")
		return nil, p.err()
	}
	if !checkShape(p, root) {
		return nil, p.err()
	}
	p.pos[""] = root
	d := &decoder{problems: p}
	m := d.manifest(root)
	m.File = file
	validate(p, m)
	if err := p.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// readYAML returns the content of the single document in data, nil when there is none.
func readYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		return nil, fmt.Errorf("yaml: line %d: a second YAML document starts here; keep one document (remove the ---)", max(more.Line, 1))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into an *Error with its line.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	hint := "check the indentation and the quotes here and on the line before"
	switch {
	case strings.Contains(msg, "escape character"):
		hint = "a backslash in double quotes starts an escape: write Windows paths in single quotes"
	case strings.Contains(msg, "tab character"), strings.Contains(msg, "cannot start any token"):
		hint = "indent with spaces, not tabs"
	}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: fmt.Sprintf("%s (YAML syntax; %s)", m[2], hint)}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: ") + " (YAML syntax)"}
}

// checkShape refuses aliases and anchors (a way to make small files expand into huge ones, and never
// needed here) and nesting deeper than the format has. It walks without recursion.
func checkShape(p *problems, root *yaml.Node) bool {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.n.Kind == yaml.AliasNode || it.n.Anchor != "" {
			p.addAt(it.n, "YAML anchors and aliases (&name, *name) are not allowed in package.yaml; write the value out")
			return false
		}
		if it.depth > maxDepth {
			p.addAt(it.n, "nesting is deeper than %d levels; package.yaml needs far fewer, see docs/manifest.md", maxDepth)
			return false
		}
		for _, c := range it.n.Content {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return true
}

// decoder turns the YAML tree into a Manifest, reporting unknown keys and wrong types. Values are
// checked afterwards by validate, which also serves Manifest.Validate.
type decoder struct {
	*problems
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// where names a key path in a message.
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "under " + path
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}

// fields checks that n is a mapping of known keys, each written once, records where each key is,
// and returns the value of each key.
func (d *decoder) fields(path string, n *yaml.Node, known []string, hint string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.add(path, "%s must be a mapping (key: value lines), not %s; %s", nameOf(path), kindName(n), hint)
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addAt(k, "a key %s is %s; keys are plain words such as %q", where(path), kindName(k), known[0])
			continue
		}
		if first, dup := d.pos[join(path, k.Value)]; dup && out[k.Value] != nil {
			d.addAt(k, "key %q %s is written twice (first on line %d); keep one", k.Value, where(path), first.Line)
			continue
		}
		if !slices.Contains(known, k.Value) {
			d.addAt(k, "unknown key %q %s; %s", k.Value, where(path), suggest(k.Value, known))
			continue
		}
		out[k.Value] = v
		d.pos[join(path, k.Value)] = k
	}
	return out
}

// nameOf names a key path in messages; the document itself has the empty path.
func nameOf(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// text reads a scalar as text. Absent and empty (null) values give "", and the caller decides
// whether that is allowed; any other node kind is reported.
func (d *decoder) text(path string, n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.add(path, "%s must be a single value, not %s", path, kindName(n))
		return ""
	}
	if n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// argv reads a command: a list of arguments, or one string split into words like a shell would.
func (d *decoder) argv(path string, n *yaml.Node, windows bool) []string {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			d.pos[ip] = c
			if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
				d.add(ip, "argument %d of %s must be text, not %s; quote it", i+1, path, kindName(c))
				continue
			}
			out = append(out, c.Value)
		}
		return out
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil
		}
		words, err := splitWords(n.Value, windows)
		if err != nil {
			d.addAt(n, "%s: %v", path, err)
			return nil
		}
		return words
	}
	d.add(path, "%s must be a command: a list [program, arg, ...] or one string, not %s", path, kindName(n))
	return nil
}

func (d *decoder) manifest(root *yaml.Node) *Manifest {
	m := &Manifest{Platforms: map[string]*Platform{}}
	f := d.fields("", root, topKeys, "start from an example in docs/manifest.md")
	if f == nil {
		return m
	}
	if n := f["format"]; n != nil {
		s := d.text("format", n)
		v, err := strconv.Atoi(s)
		if err != nil {
			d.add("format", "format %q is not a number; write format: %d", s, FormatVersion)
		}
		m.Format = v
	}
	m.ID = d.text("id", f["id"])
	m.Name = d.text("name", f["name"])
	m.Version = d.text("version", f["version"])
	m.Publisher = d.text("publisher", f["publisher"])
	m.Description = d.text("description", f["description"])
	if n := f["platforms"]; n != nil {
		d.platforms(n, m)
	}
	return m
}

func (d *decoder) platforms(n *yaml.Node, m *Manifest) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // validate reports that there is none
	}
	if n.Kind != yaml.MappingNode {
		d.add("platforms", "platforms must be a mapping from a platform such as linux or windows/amd64 to what to run there, not %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := "platforms." + k.Value
		if k.Kind != yaml.ScalarNode {
			d.addAt(k, "a platform key is %s; write linux, windows, darwin or os/arch such as windows/amd64", kindName(k))
			continue
		}
		if first, dup := d.pos[path]; dup {
			d.addAt(k, "platform %q is written twice (first on line %d); keep one", k.Value, first.Line)
			continue
		}
		d.pos[path] = k
		m.Platforms[k.Value] = d.platform(path, k.Value, v)
	}
}

func (d *decoder) platform(path, key string, n *yaml.Node) *Platform {
	p := &Platform{Key: key}
	f := d.fields(path, n, platformKeys, "see the example in docs/manifest.md")
	if f == nil {
		return p
	}
	windows := platformOS(key) == "windows"
	if in := f["installer"]; in != nil {
		ip := path + ".installer"
		if g := d.fields(ip, in, installerKeys, "write at least type: script and install: [...]"); g != nil {
			p.Installer.Type = InstallerType(d.text(ip+".type", g["type"]))
			p.Installer.Install = d.argv(ip+".install", g["install"], windows)
			p.Installer.Uninstall = d.argv(ip+".uninstall", g["uninstall"], windows)
			p.Installer.File = d.text(ip+".file", g["file"])
			p.Installer.ProductCode = d.text(ip+".product_code", g["product_code"])
			p.Installer.Log = d.text(ip+".log", g["log"])
		}
	}
	applyPreset(key, &p.Installer)

	p.Timeout = DefaultTimeout
	if s := d.text(path+".timeout", f["timeout"]); s != "" {
		t, err := time.ParseDuration(s)
		switch {
		case err != nil:
			d.add(path+".timeout", "timeout %q is not a duration; write a number with a unit, such as 90s, 10m or 2h", s)
		case t < time.Second:
			d.add(path+".timeout", "timeout %q is shorter than a second; write a duration between 1s and 24h, such as 30m", s)
		}
		p.Timeout = t
	}
	p.OnInterrupt = InterruptPolicy(d.text(path+".on_interrupt", f["on_interrupt"]))
	if n := f["exit_codes"]; n != nil {
		p.ExitCodes = d.exitCodes(path+".exit_codes", n)
	}
	if n := f["detect"]; n != nil {
		p.Detect = d.detect(path+".detect", n, windows)
	}
	if n := f["license"]; n != nil {
		lp := path + ".license"
		if g := d.fields(lp, n, licenseKeys, "write path: {{.InstallDir}}/license/app.lic or env: APP_LICENSE_FILE"); g != nil {
			p.License = &License{Path: d.text(lp+".path", g["path"]), Env: d.text(lp+".env", g["env"])}
		}
	}
	if s := d.text(path+".disk_space", f["disk_space"]); s != "" {
		size, err := ParseSize(s)
		if err != nil {
			d.add(path+".disk_space", "disk_space: %v", err)
		}
		p.DiskSpace = size
	}
	return p
}

func (d *decoder) exitCodes(path string, n *yaml.Node) map[int]Outcome {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.add(path, "exit_codes must be a mapping of exit code to outcome, such as 42: retry_later; found %s", kindName(n))
		return nil
	}
	out := map[int]Outcome{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		code, err := parseExitCode(k.Value)
		if k.Kind != yaml.ScalarNode || err != nil {
			d.addAt(k, "exit code %q %s is not a number; write a decimal (1618) or hex (0x80070652) exit code", k.Value, where(path))
			continue
		}
		cp := path + "." + strconv.Itoa(code)
		if first, dup := d.pos[cp]; dup {
			d.addAt(k, "exit code %d is written twice (first on line %d); keep one", code, first.Line)
			continue
		}
		d.pos[cp] = k
		out[code] = Outcome(d.text(cp, v))
	}
	return out
}

// parseExitCode reads a decimal or 0x-hex exit code. Windows codes are 32-bit and often written
// as signed (-1073741510) or as hex (0xC000013A); both fit an int.
func parseExitCode(s string) (int, error) {
	var v int64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		var u uint64
		u, err = strconv.ParseUint(h, 16, 32)
		v = int64(u)
	} else {
		v, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil {
		return 0, err
	}
	if v < -(1<<31) || v > 1<<32-1 {
		return 0, fmt.Errorf("exit code %d is out of the 32-bit range", v)
	}
	return int(v), nil
}

func (d *decoder) detect(path string, n *yaml.Node, windows bool) []DetectRule {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.add(path, "detect must be a list of rules, each line starting with '- ', such as - file: \"{{.InstallDir}}/bin/app\"; found %s", kindName(n))
		return nil
	}
	rules := make([]DetectRule, 0, len(n.Content))
	for i, c := range n.Content {
		rp := fmt.Sprintf("%s[%d]", path, i)
		d.pos[rp] = c
		r := DetectRule{Line: c.Line}
		f := d.fields(rp, c, detectKeys, "write one of file, command, dpkg, rpm or registry")
		if f == nil {
			rules = append(rules, r)
			continue
		}
		if n := f["file"]; n != nil {
			r.File = &FileRule{Path: d.text(rp+".file", n)}
		}
		if n := f["command"]; n != nil {
			r.Command = &CommandRule{Run: d.argv(rp+".command", n, windows)}
		}
		r.Dpkg = d.text(rp+".dpkg", f["dpkg"])
		r.Rpm = d.text(rp+".rpm", f["rpm"])
		if n := f["registry"]; n != nil {
			gp := rp + ".registry"
			r.Registry = &RegistryRule{}
			if g := d.fields(gp, n, registryKeys, `write product_code: "{GUID}" or display_name: '^App '`); g != nil {
				r.Registry.ProductCode = d.text(gp+".product_code", g["product_code"])
				r.Registry.DisplayName = d.text(gp+".display_name", g["display_name"])
				r.Registry.Publisher = d.text(gp+".publisher", g["publisher"])
			}
		}
		if n := f["version"]; n != nil {
			vs := d.versionSource(rp+".version", n, windows)
			switch {
			case r.File != nil:
				r.File.Version = vs
			case r.Command != nil:
				r.Command.Version = vs
			default:
				d.add(rp+".version", "version belongs to a file or command rule; add file: or command: to this rule, or remove version")
			}
		}
		rules = append(rules, r)
	}
	return rules
}

func (d *decoder) versionSource(path string, n *yaml.Node, windows bool) *VersionSource {
	vs := &VersionSource{}
	if g := d.fields(path, n, versionKeys, `write {file: "{{.InstallDir}}/VERSION", pattern: '(\d+\.\d+)'}`); g != nil {
		vs.File = d.text(path+".file", g["file"])
		vs.Command = d.argv(path+".command", g["command"], windows)
		vs.Pattern = d.text(path+".pattern", g["pattern"])
	}
	if vs.Pattern == "" {
		vs.Pattern = DefaultVersionPattern
	}
	return vs
}
