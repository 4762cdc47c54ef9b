//go:build !linux && !windows && !darwin

package gui

import "context"

func newHardwareProbe() hardwareProbe { return noProbe{} }

// noProbe knows no disk, board or CPU: the fingerprint carries the MAC and "unknown".
type noProbe struct{}

func (noProbe) diskID(context.Context) string  { return "" }
func (noProbe) boardID(context.Context) string { return "" }
func (noProbe) cpuID(context.Context) string   { return "" }
