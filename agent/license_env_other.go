//go:build !linux && !windows

package agent

import "runtime"

// defaultEnv: macOS has no file that every session reads variables from (launchctl setenv lasts
// until the next boot), so the agent does not set them there.
func defaultEnv(string) EnvSetter {
	return noEnv{why: "the agent does not set environment variables machine-wide on " + runtime.GOOS}
}
