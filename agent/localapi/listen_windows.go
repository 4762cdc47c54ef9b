package localapi

import (
	"fmt"
	"net"

	"github.com/Microsoft/go-winio"
)

// DefaultPipe is the system agent's named pipe.
const DefaultPipe = `\\.\pipe\iscdesk-agent`

// pipeSDDL lets SYSTEM and Administrators do anything and authenticated users read and write
// (0x12019b is FILE_GENERIC_READ|FILE_GENERIC_WRITE without FILE_CREATE_PIPE_INSTANCE, so that no
// user can add an instance of our pipe and answer in our place). Each request is then judged by
// the caller's token.
const pipeSDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x12019b;;;AU)"

// Listen opens the agent's named pipe (DefaultPipe when path is empty). It fails when another
// process already serves the pipe.
func Listen(path string, _ ListenOptions) (net.Listener, error) {
	if path == "" {
		path = DefaultPipe
	}
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{
		SecurityDescriptor: pipeSDDL,
		InputBufferSize:    64 << 10,
		OutputBufferSize:   64 << 10,
	})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w (is another agent running?)", path, err)
	}
	return ln, nil
}
