// Command iscdesk-market runs the embedded marketplace: the API of marketplace/api/openapi.yaml on
// a SQLite file, seeded on first start with a demo tenant, users, the example packages and orders.
//
//	iscdesk-market serve --data DIR --addr 127.0.0.1:8780
//	iscdesk-market seed --data DIR --products 10000 --orders 100000
//
// The logic lives in marketplace/server; this command reads flags and wires it up.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "iscdesk-market:", err)
		os.Exit(1)
	}
}

// common are the flags of every command.
type common struct {
	data     string
	examples string
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	c := &common{}
	root := &cobra.Command{
		Use:           "iscdesk-market",
		Short:         "The embedded ISCDesk marketplace: a real HTTP server on SQLite with demo data",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once
	}
	root.PersistentFlags().StringVar(&c.data, "data", "market-data", "folder of the database, the ticket key and the packages (created when missing)")
	root.PersistentFlags().StringVar(&c.examples, "examples", "packaging/examples", "folder of example packages to build and publish on first start")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCmd(c), newSeedCmd(c), newTokenCmd(c))
	return root
}
