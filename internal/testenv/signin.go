package testenv

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// Page is what the browser shows at the end of the sign-in.
type Page struct {
	URL    *url.URL // where the browser ended up
	Status int
	Body   string
}

// FillSignInForm does what a person does with a sign-in address of the marketplace: open the page,
// fill in the form with its CSRF token and send it. It returns the page the browser shows then:
// the loopback page of the program that signs in, after the marketplace's redirect, or the form
// again when the password is wrong. It fails when the form cannot be loaded or sent.
func FillSignInForm(authURL, user, password string) (*Page, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("a cookie jar for the browser: %w", err)
	}
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := hc.Get(authURL)
	if err != nil {
		return nil, fmt.Errorf("opening the sign-in page: %w", err)
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the sign-in page: %s: %s", resp.Status, form)
	}
	fields := url.Values{"username": {user}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(form), -1) {
		fields.Set(m[1], html.UnescapeString(m[2]))
	}
	if fields.Get("csrf_token") == "" {
		return nil, fmt.Errorf("the sign-in page has no CSRF token: %s", form)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("the sign-in address %q: %w", authURL, err)
	}
	u.RawQuery = ""
	resp, err = hc.PostForm(u.String(), fields) // follows the 303 to the loopback callback
	if err != nil {
		return nil, fmt.Errorf("sending the sign-in form: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return &Page{URL: resp.Request.URL, Status: resp.StatusCode, Body: string(body)}, nil
}

// SignIn fills in the sign-in form, which must take the browser to a loopback port whose page says
// that the sign-in worked.
func SignIn(authURL, user, password string) error {
	p, err := FillSignInForm(authURL, user, password)
	if err != nil {
		return err
	}
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Signed in") {
		return fmt.Errorf("after sending the form, the browser shows %d at %s: %s", p.Status, p.URL, p.Body)
	}
	if !strings.HasPrefix(p.URL.Host, "127.0.0.1:") {
		return fmt.Errorf("the form's redirect went to %s, not to a loopback port", p.URL)
	}
	return nil
}

// Browser is a browser that signs in as user with password: what a login's OpenBrowser calls.
func Browser(user, password string) func(authURL string) error {
	return func(authURL string) error { return SignIn(authURL, user, password) }
}
