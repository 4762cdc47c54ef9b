//go:build !windows

package agent

import (
	"errors"
	"os"
	"os/user"
	"strconv"
)

// lookupGroup returns the id of the install group; ok is false when none is configured or it
// does not exist on this machine.
func lookupGroup(name string) (gid int, ok bool, err error) {
	if name == "" {
		return 0, false, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		var unknown user.UnknownGroupError
		if errors.As(err, &unknown) {
			return 0, false, nil
		}
		return 0, false, err
	}
	gid, err = strconv.Atoi(g.Gid)
	if err != nil {
		return 0, false, err
	}
	return gid, true, nil
}

// chownGroup gives path to group gid, leaving its owner; a link is not followed.
func chownGroup(path string, gid int) error { return os.Lchown(path, -1, gid) }
