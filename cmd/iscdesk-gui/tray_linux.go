package main

import "os"

// trayAvailable: the linux tray speaks DBus (StatusNotifierItem); without a session bus the
// tray library fails, and Fyne then crashes when the app quits.
func trayAvailable() bool { return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" }
