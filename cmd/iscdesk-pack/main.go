// Command iscdesk-pack is the vendor's tool: it starts packages (init), checks them (lint) and
// proves them with the conformance harness (test), makes signing keys, builds reproducible .iscpkg
// packages, signs release tickets for them, verifies tickets and publishes packages.
//
// The logic lives in packaging/toolkit, installer/ticket, installer/pkgfile and installer/manifest;
// this command reads flags, calls them and prints the result for people or, with --json, as JSON.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := newRootCmd(os.Stdout).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "iscdesk-pack:", err)
		os.Exit(1)
	}
}

// globals are the flags every command shares.
type globals struct {
	json bool
}

func newRootCmd(stdout io.Writer) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "iscdesk-pack",
		Short:         "Start, check, test, build, sign and publish ISCDesk packages",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once
	}
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print the result as JSON")
	root.SetOut(stdout)
	root.AddCommand(newInitCmd(g), newLintCmd(g), newTestCmd(g), newPublishCmd(g), newConformChildCmd(),
		newKeygenCmd(g), newBuildCmd(g), newSignCmd(g), newVerifyCmd(g))
	return root
}
