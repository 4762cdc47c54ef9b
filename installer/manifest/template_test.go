package manifest

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVarNamesMatchVars(t *testing.T) {
	var fields []string
	typ := reflect.TypeFor[Vars]()
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	assert.ElementsMatch(t, fields, varNames)
}

func TestExpand(t *testing.T) {
	v := Vars{InstallDir: "/opt/app", PackageDir: "/var/pkg", LogFile: "/var/log/1.log", Version: "2.1.0", ID: "app", Mode: "install"}
	tests := []struct {
		tmpl, want, wantErr string
	}{
		{tmpl: "{{.InstallDir}}/bin/app", want: "/opt/app/bin/app"},
		{tmpl: "{{ .PackageDir }}/{{.ID}}-{{.Version}}.tar", want: "/var/pkg/app-2.1.0.tar"},
		{tmpl: "--log={{.LogFile}} --mode={{.Mode}}", want: "--log=/var/log/1.log --mode=install"},
		{tmpl: "{{- .ID -}}", want: "app"},
		{tmpl: "plain text", want: "plain text"},
		{tmpl: "", want: ""},
		{tmpl: "{{/* a comment */}}x", want: "x"},
		{tmpl: "{{.Instal}}", wantErr: `template "{{.Instal}}" uses .Instal, which is not a variable; did you mean ".InstallDir"?`},
		{tmpl: "{{.Whatever}}", wantErr: `template "{{.Whatever}}" uses .Whatever, which is not a variable; use one of the known fields`},
		{tmpl: "{{.InstallDir.Sub}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: `{{printf "%09999999d" 1}}`, wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: "{{range 1000000000}}x{{end}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: "{{if .ID}}x{{end}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: "{{$x := .ID}}{{$x}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: "{{.}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: `{{define "x"}}y{{end}}`, wantErr: "defines templates"},
		{tmpl: `{{template "x"}}`, wantErr: "only fields such as {{.InstallDir}} may be used"},
		{tmpl: "{{.ID", wantErr: `template "{{.ID": unclosed action`},
		{tmpl: "{{.ID | len}}", wantErr: "only fields such as {{.InstallDir}} may be used"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			got, err := Expand(tt.tmpl, v)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExpandArgv(t *testing.T) {
	got, err := ExpandArgv([]string{"{{.InstallDir}}/bin/app", "--version"}, Vars{InstallDir: "/opt/a b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"/opt/a b/bin/app", "--version"}, got, "values are never split")
	_, err = ExpandArgv([]string{"x", "{{.X}}"}, Vars{})
	assert.ErrorContains(t, err, "argument 2: template")
}
