package browser

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommand(t *testing.T) {
	const page = "http://127.0.0.1:8080/oauth/authorize?a=1&b=2"
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	tests := []struct {
		name     string
		goos     string
		env      map[string]string
		url      string
		wantName string
		wantArgs []string
		wantErr  string
	}{
		{name: "windows", goos: "windows", url: page, wantName: "rundll32", wantArgs: []string{"url.dll,FileProtocolHandler", page}},
		{name: "macOS", goos: "darwin", url: page, wantName: "open", wantArgs: []string{page}},
		{name: "linux on X11", goos: "linux", env: map[string]string{"DISPLAY": ":0"}, url: page, wantName: "xdg-open", wantArgs: []string{page}},
		{name: "linux on Wayland", goos: "linux", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, url: page, wantName: "xdg-open", wantArgs: []string{page}},
		{name: "headless linux", goos: "linux", url: page, wantErr: ErrHeadless.Error()},
		{name: "headless freebsd", goos: "freebsd", url: page, wantErr: ErrHeadless.Error()},
		{name: "a file is refused", goos: "windows", url: `C:\Windows\System32\calc.exe`, wantErr: "not an http or https address"},
		{name: "a file URL is refused", goos: "darwin", url: "file:///Applications/Calculator.app", wantErr: "not an http or https address"},
		{name: "no host", goos: "darwin", url: "https:///x", wantErr: "not an http or https address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, args, err := command(tt.goos, env(tt.env), tt.url)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, name)
			assert.Equal(t, tt.wantArgs, args)
		})
	}
}

// TestOpen runs a stand-in xdg-open from PATH: one that records its argument, one that fails.
func TestOpen(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the stand-in is an xdg-open shell script")
	}
	dir := t.TempDir()
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DISPLAY", ":99")
	opener := filepath.Join(dir, "xdg-open")
	got := filepath.Join(dir, "opened")

	require.NoError(t, os.WriteFile(opener, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+got+"\n"), 0o755))
	require.NoError(t, Open("https://market.example.com/login?x=1"))
	data, err := os.ReadFile(got)
	require.NoError(t, err)
	assert.Equal(t, "https://market.example.com/login?x=1", string(data))

	require.NoError(t, os.WriteFile(opener, []byte("#!/bin/sh\necho 'no method available for opening' >&2\nexit 3\n"), 0o755))
	err = Open("https://market.example.com/")
	require.ErrorContains(t, err, "exit status 3")
	require.ErrorContains(t, err, "no method available", "the opener's message is passed on")

	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	require.ErrorIs(t, Open("https://market.example.com/"), ErrHeadless)
}
