package fingerprint

import (
	"context"
	"os/exec"

	"golang.org/x/sys/unix"
)

func newProbe() probe {
	return macProbe{
		run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, name, args...).Output()
		},
		sysctl: unix.Sysctl,
	}
}
