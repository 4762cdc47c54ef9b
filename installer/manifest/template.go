package manifest

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// varNames are the fields of Vars that a template may use; TestVarNamesMatchVars keeps them in step.
var varNames = []string{"InstallDir", "PackageDir", "LogFile", "Version", "ID", "Mode"}

// Expand fills in a template such as "{{.InstallDir}}/bin/solver" from v.
//
// A template may only name fields of Vars ({{.InstallDir}}, {{.PackageDir}}, {{.LogFile}},
// {{.Version}}, {{.ID}}, {{.Mode}}); it has no functions, conditions or loops, so expanding one
// does no I/O and costs no more than copying the values in.
func Expand(tmpl string, v Vars) (string, error) {
	t, err := parseTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("template %q: %w", clip(tmpl), err)
	}
	return b.String(), nil
}

// parseTemplate parses tmpl and checks that it only uses fields of Vars. The error names the template
// and says what to write instead.
func parseTemplate(tmpl string) (*template.Template, error) {
	t, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "template: ")
		msg = strings.TrimPrefix(msg, ":1: ")
		return nil, fmt.Errorf("template %q: %s; write fields as {{.InstallDir}}", clip(tmpl), msg)
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("template %q defines templates; only fields such as {{.InstallDir}} may be used", clip(tmpl))
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return t, nil
	}
	for _, n := range t.Tree.Root.Nodes {
		if err := checkNode(tmpl, n); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkNode allows text and actions of exactly one field of Vars: {{.InstallDir}}.
func checkNode(tmpl string, n parse.Node) error {
	switch n := n.(type) {
	case *parse.TextNode:
		return nil
	case *parse.ActionNode:
		if n.Pipe != nil && len(n.Pipe.Decl) == 0 && len(n.Pipe.Cmds) == 1 && len(n.Pipe.Cmds[0].Args) == 1 {
			if f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode); ok && len(f.Ident) == 1 {
				if slices.Contains(varNames, f.Ident[0]) {
					return nil
				}
				return fmt.Errorf("template %q uses .%s, which is not a variable; %s (known: .%s)",
					clip(tmpl), clip(f.Ident[0]), suggestField(f.Ident[0]), strings.Join(varNames, ", ."))
			}
		}
	}
	return fmt.Errorf("template %q uses %s; only fields such as {{.InstallDir}} may be used (known: .%s)",
		clip(tmpl), clip(n.String()), strings.Join(varNames, ", ."))
}

func suggestField(name string) string {
	s := suggest(name, varNames)
	if strings.HasPrefix(s, "did you mean") {
		return strings.Replace(s, `"`, `".`, 1)
	}
	return "use one of the known fields"
}
