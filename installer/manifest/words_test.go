package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in      string
		windows bool
		want    []string
		wantErr string
	}{
		{in: "sh install.sh", want: []string{"sh", "install.sh"}},
		{in: "  sh\tinstall.sh \n --x ", want: []string{"sh", "install.sh", "--x"}},
		{in: `sh 'a b' "c d" e\ f`, want: []string{"sh", "a b", "c d", "e f"}},
		{in: `a'b'"c"d`, want: []string{"abcd"}},
		{in: `"" ''`, want: []string{"", ""}},
		{in: `"a \"q\" \\ \$ \x"`, want: []string{`a "q" \ $ \x`}},
		{in: `'a \n "b"'`, want: []string{`a \n "b"`}},
		{in: "a \\\nb", want: []string{"a", "b"}},
		{in: `"{{.InstallDir}}/bin/app" --x`, want: []string{"{{.InstallDir}}/bin/app", "--x"}},
		{in: `{{ .InstallDir }}/bin/app`, want: []string{"{{ .InstallDir }}/bin/app"}},
		{in: `'$HOME' "a;b|c"`, want: []string{"$HOME", "a;b|c"}},
		{in: "", want: nil},
		{in: `C:\x\y.exe /S`, windows: true, want: []string{`C:\x\y.exe`, "/S"}},
		{in: `"C:\Program Files\x.exe" /D=C:\a`, windows: true, want: []string{`C:\Program Files\x.exe`, `/D=C:\a`}},
		{in: `\\server\c$\setup.exe`, windows: true, want: []string{`\\server\c$\setup.exe`}},
		{in: `C:\x`, want: []string{`C:x`}}, // as a shell would; the docs warn about it
		{in: `sh "unclosed`, wantErr: "the double quote at character 4 is not closed"},
		{in: `sh 'unclosed`, wantErr: "the single quote at character 4 is not closed"},
		{in: `sh x\`, wantErr: "ends in a backslash"},
		{in: `a {{.ID`, wantErr: "the {{ at character 3 is not closed with }}"},
		{in: `a "{{.ID"`, wantErr: "the {{ at character 4 is not closed with }}"},
		{in: `sh x > log`, wantErr: `'>' at character 6 needs a shell`},
		{in: `a && b`, wantErr: `'&' at character 3 needs a shell`},
		{in: `echo $HOME`, wantErr: `'$' at character 6 needs a shell`},
		{in: "echo `id`", wantErr: "'`' at character 6 needs a shell"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitWords(tt.in, tt.windows)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"installer", "timeout", "on_interrupt", "detect"}
	tests := []struct{ got, want string }{
		{"on_interupt", `did you mean "on_interrupt"?`},
		{"timeuot", `did you mean "timeout"?`},
		{"Detect", `did you mean "detect"?`},
		{"colour", `write one of "installer", "timeout", "on_interrupt", "detect"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, suggest(tt.got, known), tt.got)
	}
}
