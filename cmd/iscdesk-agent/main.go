// Command iscdesk-agent is the ISCDesk service: it runs the agent (agent) behind its local API
// (agent/localapi), installs itself as a systemd, Windows or launchd service, and tells scripts
// whether it is healthy. See docs/it-deployment.md.
//
// This package only wires things up: it reads the config (agent/config), opens the log, guards
// against restart storms (internal/crashguard) and hands the pieces to each other.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// Exit codes. Scripts and the service manager rely on them (docs/it-deployment.md).
const (
	exitOK           = 0
	exitFailed       = 1 // also: status "not running"
	exitNotInstalled = 2 // status: the service is not installed and nothing answers
	exitCrashLoop    = 3 // run refused to start after too many crashes; the unit does not restart on 3
)

// exitError carries an exit code other than 1 to main, with the message already printed or not.
type exitError struct {
	code int
	err  error // nil when the command has printed what there is to say
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs one command line and returns the exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "iscdesk-agent:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "iscdesk-agent:", err)
	return exitFailed
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "iscdesk-agent",
		Short:         "The ISCDesk agent: installs and uninstalls software on this machine",
		SilenceUsage:  true,
		SilenceErrors: true, // execute prints the error once
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(), newServiceCmd(), newStatusCmd(), newConfigCmd(), newVersionCmd(), newUpdateCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the agent's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "iscdesk-agent", version)
			return err
		},
	}
}
