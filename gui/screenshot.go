package gui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/widget"
)

// screenshotSize is the window size of the screenshots.
var screenshotSize = fyne.NewSize(1180, 760)

// Screenshots shows each screen in turn, waits until its data has loaded, and writes the window
// as dir/NN-title.png; it returns the files written. Call it from a goroutine of your own once
// the app runs (it waits on the UI thread); it is for docs/screenshots and `make screenshots`.
func (u *UI) Screenshots(ctx context.Context, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the screenshot folder: %w", err)
	}
	if err := u.waitSettled(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	// The GL driver's own Capture reads the front buffer, which is blank under Xvfb: draw the
	// window's content with the software renderer instead (the window is not shown again).
	var shot fyne.Canvas
	fyne.DoAndWait(func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		content := u.win.Content()
		u.win.SetContent(widget.NewLabel("Taking screenshots…"))
		c := software.NewCanvas()
		c.SetPadded(false)
		c.SetContent(content)
		c.Resize(screenshotSize)
		shot = c
	})
	var files []string
	for i := range u.screens {
		var title string
		fyne.DoAndWait(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.nav.Select(i)
			title = u.screens[i].Title()
		})
		if err := u.waitSettled(ctx, 15*time.Second); err != nil {
			return files, err
		}
		var img image.Image
		fyne.DoAndWait(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			img = shot.Capture()
		})
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, slug(title)))
		if err := writePNG(name, img); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	return files, nil
}

// waitSettled waits until the agent and the marketplace have answered (or are known to be
// away) and no one-shot task runs, for three polls in a row.
func (u *UI) waitSettled(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	quiet := 0
	for quiet < 3 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the app was still loading after %s", within)
		}
		var ready bool
		if !u.read(ctx, func() {
			a, m := &u.agentSt, &u.marketSt
			ready = (a.loaded || a.err != nil) && m.checked && (u.me == nil || m.loaded || m.offline)
		}) {
			return ctx.Err()
		}
		if ready && u.busy.Load() == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

// slug is a title as a file name: "Notifications (3)" → "notifications".
func slug(title string) string {
	title, _, _ = strings.Cut(title, " (")
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// writePNG writes img to name through a temp file, so that a failed write leaves no half image.
func writePNG(name string, img image.Image) error {
	if img == nil {
		return errors.New("the window gave no image")
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".shot-*.png")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(tmp, img); err != nil {
		tmp.Close()
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
