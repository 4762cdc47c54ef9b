package manifest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a package.yaml, at a place in it. Parse and Validate return these
// joined with errors.Join; errors.As finds the first.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the place is unknown (a Manifest built in code)
	Column int
	Msg    string // what is wrong and what to write instead
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// maxErrors caps how many problems one Parse reports: past that, they are mostly echoes of the first.
const maxErrors = 20

// problems collects the errors of one Parse or Validate. pos maps a key path such as
// "platforms.linux.timeout" to the node where it is written (nil for a Manifest built in code).
type problems struct {
	file    string
	pos     map[string]*yaml.Node
	errs    []*Error
	dropped int
}

// addAt records a problem at node n (nil: no place).
func (p *problems) addAt(n *yaml.Node, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// add records a problem at the key path, or at the nearest enclosing key that is written down.
func (p *problems) add(path string, format string, args ...any) {
	p.addAt(p.node(path), format, args...)
}

func (p *problems) node(path string) *yaml.Node {
	for {
		if n, ok := p.pos[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return p.pos[""]
		}
		path = path[:i]
	}
}

// err returns the problems in the order of the file, or nil.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		if p.errs[i].Line != p.errs[j].Line {
			return p.errs[i].Line < p.errs[j].Line
		}
		return p.errs[i].Column < p.errs[j].Column
	})
	errs := make([]error, 0, len(p.errs)+1)
	for _, e := range p.errs {
		errs = append(errs, e)
	}
	if p.dropped > 0 {
		errs = append(errs, &Error{File: p.file, Msg: fmt.Sprintf("and %d more problems; fix the ones above first", p.dropped)})
	}
	return errors.Join(errs...)
}

// maxQuoted bounds a value quoted in a message: a 1 MiB name should not make a 1 MiB message.
const maxQuoted = 160

// clip shortens s to maxQuoted bytes at a character boundary, marking the cut.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
