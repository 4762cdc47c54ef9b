package detect

import (
	"fmt"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// expand fills the template tmpl with v (see manifest.Expand); an unknown variable is an error,
// never an empty string.
func expand(tmpl string, v manifest.Vars) (string, error) {
	s, err := manifest.Expand(tmpl, v)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errBadRule, err)
	}
	return s, nil
}

// expandAll expands every element of argv.
func expandAll(argv []string, v manifest.Vars) ([]string, error) {
	out := make([]string, len(argv))
	for i, a := range argv {
		s, err := expand(a, v)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
