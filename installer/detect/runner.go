package detect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// CommandRunner runs a command to its end and returns its combined stdout and stderr and its exit
// code. A command that ran and exited non-zero is not an error; one that could not start, or was
// killed because ctx ended, is.
type CommandRunner interface {
	Output(ctx context.Context, dir string, argv []string) ([]byte, int, error)
}

// waitDelay bounds how long Output waits for the output pipes to close after the command exited or
// was killed: a grandchild that left the process tree may hold them open.
const waitDelay = 5 * time.Second

// execRunner runs commands for real, in env, with the whole process tree killed when ctx ends.
type execRunner struct {
	env []string
}

func (r *execRunner) Output(ctx context.Context, dir string, argv []string) ([]byte, int, error) {
	if len(argv) == 0 {
		return nil, -1, errors.New("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = r.env
	out := &cappedBuffer{max: maxVersionInput}
	cmd.Stdout, cmd.Stderr = out, out // one writer: output stays in order
	cmd.WaitDelay = waitDelay
	killTree := ownProcessTree(cmd)
	defer killTree.release()

	if err := cmd.Start(); err != nil {
		return nil, -1, fmt.Errorf("cannot run %s: %w", argv[0], err)
	}
	killTree.started(cmd.Process)
	err := cmd.Wait()
	if ctx.Err() != nil {
		return out.Bytes(), -1, fmt.Errorf("%s killed: %w", argv[0], context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		// Exited 0; a leftover grandchild kept the pipes open, which does not change the result.
		return out.Bytes(), cmd.ProcessState.ExitCode(), nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		return out.Bytes(), exitErr.ExitCode(), nil
	}
	return out.Bytes(), -1, fmt.Errorf("%s: %w", argv[0], err)
}

// cappedBuffer keeps the first max bytes written and drops the rest, without failing the writer:
// a failed write would break the command's pipe and change how it exits.
type cappedBuffer struct {
	buf []byte
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte { return b.buf }

// cleanEnv is the environment of detection commands: only what locates programs and the user
// (keptEnv, per OS), plus what tells a vendor's script where and why it runs.
func cleanEnv(installDir string) []string {
	var env []string
	for _, k := range keptEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		} else if k == "PATH" && defaultPath != "" {
			env = append(env, "PATH="+defaultPath)
		}
	}
	return append(env, "ISCDESK_INSTALL_DIR="+installDir, "ISCDESK_MODE=detect")
}
