package server

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIMatchesRoutes: every operation in openapi.yaml is routed by the server, and every
// route is documented there.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(api.Spec, &spec))
	documented := map[string]bool{}
	for path, ops := range spec.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	e := newEnv(t)
	routed := map[string]bool{}
	for _, r := range e.srv.Routes() {
		routed[r.Method+" "+r.Path] = true
	}
	var undocumented, unrouted []string
	for k := range routed {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			unrouted = append(unrouted, k)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unrouted)
	assert.Empty(t, undocumented, "routes missing from marketplace/api/openapi.yaml")
	assert.Empty(t, unrouted, "operations in openapi.yaml that the server does not route")
	require.NotEmpty(t, slices.Collect(maps.Keys(routed)))
}

// TestDocsListEveryOperation: docs/marketplace-api.md names every operation of openapi.yaml as
// `METHOD /path`, so the guide cannot fall behind the spec unnoticed.
func TestDocsListEveryOperation(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/marketplace-api.md")
	require.NoError(t, err)
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(api.Spec, &spec))
	for path, ops := range spec.Paths {
		for method := range ops {
			op := "`" + strings.ToUpper(method) + " " + path + "`"
			assert.Contains(t, string(doc), op, "docs/marketplace-api.md does not mention %s", op)
		}
	}
}
