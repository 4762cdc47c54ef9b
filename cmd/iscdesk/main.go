// Command iscdesk is the command line of ISCDesk: it shows what the local agent has installed and
// what it is doing, and asks it to install, uninstall and repair software.
//
// It reaches the agent only through agent/client, over the agent's unix socket or named pipe.
// Every command prints for people (aligned tables, a progress bar on a terminal) or, with --json,
// JSON: one document, or JSON lines for streams. The exit codes are listed in docs/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/iscdesk/iscdesk/agent/client"
)

// socketEnv overrides the default socket (or pipe) of the agent.
const socketEnv = "ISCDESK_SOCKET"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{out: os.Stdout, err: os.Stderr, tty: isTerminal(os.Stdout)})
	stop()
	os.Exit(code)
}

// run runs the command line args until it ends or ctx ends, prints the error if any, and returns
// the exit code.
func run(ctx context.Context, args []string, sio stdio) int {
	return runWith(ctx, args, sio, osMarketEnv())
}

// runWith is run with the marketplace commands' view of the machine given.
func runWith(ctx context.Context, args []string, sio stdio, env marketEnv) int {
	root := newRootCmd(sio, env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil && !errors.As(err, new(interruptedError)) {
		// Whatever the interrupted call returned, the user stopped it.
		err = errInterrupted
	}
	if err != nil {
		fmt.Fprintln(sio.err, "iscdesk:", err)
	}
	return exitCode(err)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// stdio is where the commands write, and whether out is a terminal (for the progress bar).
type stdio struct {
	out, err io.Writer
	tty      bool
}

// globals are the flags every command shares, and what they build.
type globals struct {
	io     stdio
	json   bool
	socket string
	env    marketEnv
	market marketFlags
}

// client returns a client of the agent at --socket.
func (g *globals) client() agentAPI { return client.New(g.socket) }

// printer returns the printer that --json and the terminal ask for.
func (g *globals) printer() printer {
	if g.json {
		return newJSONPrinter(g.io.out)
	}
	return newTextPrinter(g.io.out, g.io.tty)
}

func newRootCmd(sio stdio, env marketEnv) *cobra.Command {
	g := &globals{io: sio, env: env}
	root := &cobra.Command{
		Use:   "iscdesk",
		Short: "Install, uninstall and watch software through the local ISCDesk agent and the marketplace",
		Long: "iscdesk talks to the ISCDesk agent on this machine. It shows what is installed and what the\n" +
			"agent is doing, and asks it to install (from a signed release ticket), uninstall and repair.\n" +
			"Signed in to the marketplace (iscdesk login) it also shows what your organisation owns,\n" +
			"installs products by name, and handles licenses, orders, deliveries and API packages.\n" +
			"Exit codes: 0 done, 1 failed, 2 usage, 3 reboot required, 4 retry later, 5 agent not running,\n" +
			"6 refused, 130 interrupted (see docs/cli.md).",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once
		Args:          usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	defSocket := os.Getenv(socketEnv)
	if defSocket == "" {
		defSocket = client.DefaultSocket()
	}
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print JSON: one document, or JSON lines for streams")
	root.PersistentFlags().StringVar(&g.socket, "socket", defSocket, "the agent's socket or named pipe (env "+socketEnv+")")
	root.SetOut(sio.out)
	root.SetErr(sio.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newStatusCmd(g),
		newSoftwareCmd(g),
		newInstallCmd(g),
		newUninstallCmd(g),
		newRepairCmd(g),
		newJobsCmd(g),
		newWatchCmd(g),
		newLogsCmd(g),
		newCancelCmd(g),
		g.newAgentCmd(),
	)
	root.AddCommand(g.marketCommands()...)
	return root
}

// usageArgs marks an argument count error as a usage error (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%w; see `%s --help`", err, cmd.CommandPath())}
		}
		return nil
	}
}

// errUsage builds a usage error.
func errUsage(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}
