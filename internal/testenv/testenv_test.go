//go:build unix

package testenv

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

func TestBuildOncePerLdflags(t *testing.T) {
	plain := MustBuild(t, "./internal/testenv/testdata/greet", "")
	again := MustBuild(t, "./internal/testenv/testdata/greet", "")
	other := MustBuild(t, "./internal/testenv/testdata/greet", "-X main.greeting=hi")
	assert.Equal(t, plain, again, "the same package and flags are built once")
	assert.NotEqual(t, plain, other)
	for bin, want := range map[string]string{plain: "hello\n", other: "hi\n"} {
		r := Run(t, nil, bin)
		assert.Equal(t, Result{Stdout: want}, r)
	}

	_, err := Build(context.Background(), "./internal/testenv/testdata/none", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "go build ./internal/testenv/testdata/none")
}

func TestRun(t *testing.T) {
	r := Run(t, []string{"GREETING=hi"}, "/bin/sh", "-c", `echo "$GREETING"; echo oops >&2; exit 3`)
	assert.Equal(t, Result{Stdout: "hi\n", Stderr: "oops\n", Code: 3}, r)

	var v struct{ Args []string }
	// RunJSON adds --json, which sh gives the script as $0.
	RunJSON(t, nil, &v, "/bin/sh", "-c", `printf '{"args": ["%s"]}' "$0"`)
	assert.Equal(t, []string{"--json"}, v.Args)
}

func TestProcess(t *testing.T) {
	t.Run("waits for a line and stops", func(t *testing.T) {
		p := Start(t, []string{"GREETING=ready"}, "/bin/sh", "-c", `echo starting; echo "$GREETING"; exec sleep 60`)
		line, err := p.WaitLine(30*time.Second, func(l string) bool { return strings.HasPrefix(l, "re") })
		require.NoError(t, err)
		assert.Equal(t, "ready", line)
		assert.Equal(t, []string{"starting", "ready"}, p.Output())

		_, err = p.WaitLine(100*time.Millisecond, func(l string) bool { return l == "never" })
		require.Error(t, err)
		assert.Contains(t, err.Error(), "timed out")

		assert.False(t, p.Stop(os.Interrupt), "sleep ends at SIGINT; no kill needed")
		code, err := p.Wait(time.Second)
		require.NoError(t, err)
		assert.Equal(t, -1, code, "ended by a signal")
	})
	t.Run("ends before the line", func(t *testing.T) {
		p := Start(t, nil, "/bin/sh", "-c", `echo one; printf last; echo broken >&2; exit 4`)
		_, err := p.WaitLine(30*time.Second, func(l string) bool { return l == "two" })
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sh ended before printing the line waited for")
		assert.Contains(t, err.Error(), "broken")
		code, err := p.Wait(30 * time.Second)
		require.NoError(t, err)
		assert.Equal(t, 4, code)
		assert.Equal(t, "broken\n", p.Stderr())
		assert.Equal(t, []string{"one", "last"}, p.Output(), "a last line without its newline is kept")
	})
	t.Run("killed", func(t *testing.T) {
		p := Start(t, nil, "/bin/sh", "-c", `trap '' INT; echo up; exec sleep 60`)
		_, err := p.WaitLine(30*time.Second, func(l string) bool { return l == "up" })
		require.NoError(t, err)
		p.Kill()
		_, err = p.Wait(time.Second)
		require.NoError(t, err)
	})
	t.Run("does not start", func(t *testing.T) {
		_, err := StartProcess(nil, "/nonexistent/iscdesk-market")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "starting iscdesk-market")
		var notFound *os.PathError
		assert.ErrorAs(t, err, &notFound)
	})
}

// loginForm plays the marketplace's sign-in page: a form with a CSRF token that, filled in right,
// redirects to callback.
func loginForm(t *testing.T, callback string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			if r.URL.Query().Get("no_csrf") != "" {
				fmt.Fprint(w, `<form method="post"><input name="username"></form>`)
				return
			}
			fmt.Fprintf(w, `<form method="post"><input type="hidden" name="csrf_token" value="%s"><input type="hidden" name="state" value="s1"></form>`,
				html.EscapeString("t&k"))
		case http.MethodPost:
			if r.PostFormValue("csrf_token") != "t&k" || r.PostFormValue("state") != "s1" || r.PostFormValue("password") != "demo" {
				http.Error(w, "wrong user name or password", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, callback+"/callback?code=c1", http.StatusSeeOther)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSignIn(t *testing.T) {
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Signed in. You may close this window.")
	}))
	t.Cleanup(callback.Close)
	port := callback.URL[strings.LastIndex(callback.URL, ":"):]
	tests := []struct {
		name     string
		callback string
		query    string
		password string
		err      string
	}{
		{"signed in", callback.URL, "", "demo", ""},
		{"wrong password", callback.URL, "", "nope", "browser shows 401"},
		{"no CSRF token", callback.URL, "?no_csrf=1", "demo", "no CSRF token"},
		{"redirect away from the loopback address", "http://localhost" + port, "", "demo", "not to a loopback port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := loginForm(t, tt.callback)
			err := Browser("engineer", tt.password)(form.URL + "/oauth/authorize" + tt.query)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	_, err = os.Stat(root + "/go.mod")
	assert.NoError(t, err)
}

// FillSignInForm hands back what the browser shows, also when the sign-in did not work.
func TestFillSignInFormShowsTheAnswer(t *testing.T) {
	form := loginForm(t, "http://127.0.0.1:1")
	p, err := FillSignInForm(form.URL+"/oauth/authorize?state=s1", "engineer", "nope")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, p.Status)
	assert.Equal(t, "wrong user name or password\n", p.Body)
	assert.Equal(t, form.URL+"/oauth/authorize", p.URL.String(), "the query is not sent with the form")
}
