// Package browser opens a web page in the user's browser for the desktop sign-in, or reports that
// it cannot (ErrHeadless, or the opener's failure) so that the caller prints the address instead.
package browser

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// ErrHeadless means there is no graphical session to show a browser in.
var ErrHeadless = errors.New("no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)")

// openerGrace is how long Open waits for the opener to exit. xdg-open and open return at once;
// an opener still running after this is the browser itself, started in the foreground.
const openerGrace = 3 * time.Second

// Open shows rawURL, an http or https address, in the default browser of the user's session.
func Open(rawURL string) error {
	name, args, err := command(runtime.GOOS, os.Getenv, rawURL)
	if err != nil {
		return err
	}
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening the browser with %s: %w", name, err)
	}
	done := make(chan error, 1)
	// This goroutine reaps the opener; it ends when the opener exits, whoever is still waiting.
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(openerGrace)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("opening the browser with %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
		}
		return nil
	case <-timer.C:
		return nil
	}
}

// command is the opener to run for goos, or why there is none.
func command(goos string, getenv func(string) string, rawURL string) (string, []string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The opener runs whatever it is given (rundll32 runs files): only web addresses go.
		return "", nil, fmt.Errorf("opening the browser: %q is not an http or https address", rawURL)
	}
	switch goos {
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", u.String()}, nil
	case "darwin":
		return "open", []string{u.String()}, nil
	default:
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return "", nil, ErrHeadless
		}
		return "xdg-open", []string{u.String()}, nil
	}
}
