package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// maxFileSize bounds agent.yaml; a config is a few hundred bytes, anything huge is a mistake.
const maxFileSize = 1 << 20

// parseYAML reads the document and checks its shape: a mapping whose keys are all known. It
// returns nil for an empty file.
func parseYAML(path string, data []byte) (*yaml.Node, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: the file is %d bytes; an agent config is far smaller, is it the right file?", path, len(data))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from Windows editors
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, errors.New(yamlMessage(path, err))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:%d: a second YAML document; the config is one document, remove the '---'", path, more.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil // only comments
	}
	if err := checkKeys(path, root, reflect.TypeOf(Config{}), ""); err != nil {
		return nil, err
	}
	return &doc, nil
}

// checkKeys walks a mapping and reports the first unknown key with its line and the keys that
// would be understood there.
func checkKeys(path string, n *yaml.Node, t reflect.Type, prefix string) error {
	where, in := "the top level", "at the top level"
	if prefix != "" {
		where = strings.TrimSuffix(prefix, ".")
		in = "in " + where
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s must be a mapping of keys to values, not a %s", path, n.Line, where, kindName(n))
	}
	known := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := known[k.Value]
		if !ok {
			names := make([]string, 0, len(known))
			for name := range known {
				names = append(names, prefix+name)
			}
			sort.Strings(names)
			return fmt.Errorf("%s:%d: unknown key %q %s; the keys are %s", path, k.Line, prefix+k.Value, in, strings.Join(names, ", "))
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Size(0)) {
			if err := checkKeys(path, v, f.Type, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the yaml keys of a struct to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = f
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// fileMode is the mode the file asks for, or "" when it sets none.
func fileMode(doc *yaml.Node) string {
	if doc == nil {
		return ""
	}
	var m struct {
		Mode string `yaml:"mode"`
	}
	_ = doc.Decode(&m) // a bad value is reported with its line by decodeInto
	return m.Mode
}

// decodeInto lays the file's values over c; keys the file does not set keep their defaults.
func decodeInto(path string, doc *yaml.Node, c *Config) error {
	if doc == nil {
		return nil
	}
	if err := doc.Decode(c); err != nil {
		return errors.New(yamlMessage(path, err))
	}
	return nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlMessage turns the yaml package's errors into "FILE:LINE: message", without Go type names.
func yamlMessage(path string, err error) string {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			l = path + ":" + m[1] + ": " + l[len(m[0]):]
		} else {
			l = path + ": " + strings.TrimPrefix(l, "yaml: ")
		}
		l = strings.ReplaceAll(l, "config.Size", "size")
		l = strings.ReplaceAll(l, "config.Mode", "mode")
		lines[i] = l
	}
	return strings.Join(lines, "; ")
}

// Save checks the configuration and writes it to path atomically (temp file, fsync, rename), so
// that a crash leaves the old file or the new one. The file holds public keys only, so it is 0644.
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("# ISCDesk agent configuration; see docs/it-deployment.md.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("saving the agent config to %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("saving the agent config to %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving the agent config: creating its folder: %w", err)
	}
	if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("saving the agent config: %w", err)
	}
	c.Path = path
	return nil
}
