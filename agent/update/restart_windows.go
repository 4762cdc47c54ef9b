package update

import "os"

// Restart cannot replace a process on Windows; see ErrRestartByServiceManager.
func Restart(exe string, args, env []string) error { return ErrRestartByServiceManager }

// stopSignal kills: a console-less service child has no Ctrl+C to receive. The binary on trial
// has served and runs no job, and its journal survives a kill.
func stopSignal(p *os.Process) error { return p.Kill() }
