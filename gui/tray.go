package gui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
)

// setupTray gives the app a system-tray icon where the driver has one; closing the window then
// hides it, and the tray's Quit ends the app.
func (u *UI) setupTray() {
	desk, ok := u.app.(desktop.App)
	if !ok || u.opts.NoTray {
		return
	}
	u.tray = desk
	desk.SetSystemTrayIcon(theme.ComputerIcon())
	u.win.SetCloseIntercept(u.win.Hide)
	u.updateTray()
}

// trayLines are the tray menu's status lines: the agent's state and its running jobs. UI thread.
func (u *UI) trayLines() []string {
	a := &u.agentSt
	var lines []string
	switch {
	case a.err != nil:
		lines = append(lines, "Agent not running")
	case a.status == nil:
		lines = append(lines, "Connecting to the agent…")
	default:
		st := a.status
		line := "Agent running (" + st.Version + ")"
		if st.RebootRequired {
			line += ": restart required"
		}
		lines = append(lines, line)
	}
	for _, j := range u.runningJobs() {
		name := j.Name
		if name == "" {
			name = j.Product
		}
		s := actionWord(j.Action) + " " + name
		if f := fraction(j); f >= 0 {
			s += fmt.Sprintf(": %d%%", int(f*100))
		}
		lines = append(lines, s)
	}
	return lines
}

// updateTray rebuilds the tray menu when its text changed. UI thread.
func (u *UI) updateTray() {
	desk := u.tray
	if desk == nil {
		return
	}
	lines := u.trayLines()
	key := strings.Join(lines, "\n")
	if key == u.trayLabel {
		return
	}
	u.trayLabel = key
	items := make([]*fyne.MenuItem, 0, len(lines)+2)
	for _, l := range lines {
		it := fyne.NewMenuItem(l, nil)
		it.Disabled = true
		items = append(items, it)
	}
	items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("Open ISCDesk", func() {
		u.win.Show()
		u.win.RequestFocus()
	}))
	desk.SetSystemTrayMenu(fyne.NewMenu("ISCDesk", items...))
}
