package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// epochFile keeps the number of the last agent start, the high bits of event IDs (see agent/events).
const epochFile = "events.epoch"

// maxEpoch keeps event IDs (epoch<<32 | seq) below 2^53, so that JavaScript clients read them exactly.
const maxEpoch = 1<<21 - 1

// nextEpoch reads the last epoch from dir, adds one and writes it back before any event goes out.
// A damaged file starts the count again: an ID of the old count can then be mistaken for a current
// one only if its epoch is hit again, and the client reloads on the next reset anyway.
func nextEpoch(dir string) (uint32, error) {
	path := filepath.Join(dir, epochFile)
	var last uint64
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("reading the event epoch %s: %w", path, err)
	default:
		last, _ = strconv.ParseUint(strings.TrimSpace(string(data)), 10, 32)
	}
	next := uint32(last%maxEpoch) + 1
	if err := atomicfile.WriteFile(path, []byte(strconv.FormatUint(uint64(next), 10)+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("writing the event epoch: %w", err)
	}
	return next, nil
}
