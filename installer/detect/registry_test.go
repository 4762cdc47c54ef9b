package detect

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	const code = "{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}"
	entries := []UninstallEntry{
		{Key: "Solver 2.0", DisplayName: "Solver 2.0", DisplayVersion: "2.0.3", Publisher: "Acme GmbH", View: "32"},
		{Key: code, ProductCode: code, DisplayName: "Solver 2.1", DisplayVersion: "2.1.0", Publisher: "Acme GmbH", View: "64"},
		{Key: "Solver 2.10", DisplayName: "Solver 2.10", DisplayVersion: "2.10.1", Publisher: "Other Corp", View: "user"},
		{Key: "{0A0B0C0D-1111-2222-3333-444455556666}", DisplayName: "Solver Runtime", DisplayVersion: "9.0",
			Publisher: "Acme GmbH", SystemComponent: true, View: "64"},
		{Key: "{ABCDEF01-2345-6789-ABCD-EF0123456789}", DisplayName: "Viewer", DisplayVersion: "1.0", View: "64"}, // ProductCode left to the key
		{Key: "Solver Copy", DisplayName: "Solver 2.1 copy", DisplayVersion: "2.1.0", Publisher: "acme gmbh", View: "user"},
	}
	cases := []struct {
		name    string
		rule    manifest.RegistryRule
		wantKey string // "" when nothing matches
	}{
		{"ProductCode, exact", manifest.RegistryRule{ProductCode: code}, code},
		{"ProductCode, lower case without braces", manifest.RegistryRule{ProductCode: "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}, code},
		{"ProductCode from the key name", manifest.RegistryRule{ProductCode: "{abcdef01-2345-6789-abcd-ef0123456789}"}, "{ABCDEF01-2345-6789-ABCD-EF0123456789}"},
		{"ProductCode unknown", manifest.RegistryRule{ProductCode: "{00000000-0000-0000-0000-000000000000}"}, ""},
		{"ProductCode names a system component", manifest.RegistryRule{ProductCode: "{0a0b0c0d-1111-2222-3333-444455556666}"},
			"{0A0B0C0D-1111-2222-3333-444455556666}"},
		{"ProductCode and a DisplayName that disagrees", manifest.RegistryRule{ProductCode: code, DisplayName: "^Viewer"}, ""},
		{"DisplayName, highest version wins", manifest.RegistryRule{DisplayName: `^Solver \d`}, "Solver 2.10"},
		{"DisplayName and Publisher, case-insensitive", manifest.RegistryRule{DisplayName: `^Solver \d`, Publisher: "ACME GMBH"}, code},
		{"equal versions, first listed wins", manifest.RegistryRule{DisplayName: `^Solver 2\.1`, Publisher: "Acme GmbH"}, code},
		{"system component skipped by name", manifest.RegistryRule{DisplayName: "^Solver Runtime$"}, ""},
		{"DisplayName is case-sensitive", manifest.RegistryRule{DisplayName: "^solver"}, ""},
		{"DisplayName (?i)", manifest.RegistryRule{DisplayName: "(?i)^viewer$"}, "{ABCDEF01-2345-6789-ABCD-EF0123456789}"},
		{"Publisher differs", manifest.RegistryRule{DisplayName: "^Viewer", Publisher: "Acme GmbH"}, ""},
		{"bad regular expression", manifest.RegistryRule{DisplayName: "Solver ("}, ""},
		{"names nothing", manifest.RegistryRule{Publisher: "Acme GmbH"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Match(entries, c.rule)
			assert.Equal(t, c.wantKey != "", ok)
			assert.Equal(t, c.wantKey, got.Key)
		})
	}
	_, ok := Match(nil, manifest.RegistryRule{DisplayName: "."})
	assert.False(t, ok, "no entries, no match")
}

func TestProductCodeOfKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}":       "{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}",
		"{6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9}":       "{6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9}",
		"Mozilla Firefox 128.0 (x64 en-US)":            "",
		"{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}.KB123": "",
		"": "",
	} {
		assert.Equal(t, want, productCodeOfKey(key), "key %q", key)
	}
}

// BenchmarkMatch matches by name among as many entries as a well-used Windows machine lists.
func BenchmarkMatch(b *testing.B) {
	entries := make([]UninstallEntry, 2000)
	for i := range entries {
		entries[i] = UninstallEntry{Key: fmt.Sprintf("App %d", i), DisplayName: fmt.Sprintf("Application %d", i),
			DisplayVersion: fmt.Sprintf("1.%d.0", i), Publisher: "Vendor"}
	}
	r := manifest.RegistryRule{DisplayName: `^Application 19\d\d$`, Publisher: "vendor"}
	for b.Loop() {
		if _, ok := Match(entries, r); !ok {
			b.Fatal("no match")
		}
	}
}
