package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/packaging/toolkit/conform"
)

// childCmdName is the hidden subcommand in which the harness runs a child engine to kill.
const childCmdName = "conform-child"

func newTestCmd(g *globals) *cobra.Command {
	var (
		cfg   conform.Config
		junit string
	)
	cmd := &cobra.Command{
		Use:   "test DIR [--seed N] [--points N] [--junit FILE] [--keep] [--root DIR]",
		Short: "Run the silent-install conformance harness on a package folder, with the real engine, in a sandbox",
		Long: "test installs, detects, installs again over it, cuts installs off with SIGKILL at --points moments\n" +
			"spread over the install's run time (chosen by --seed) and recovers them as the agent would,\n" +
			"uninstalls, scans for leftover files and processes, uninstalls again, and cuts off an uninstall.\n" +
			"It exits 1 when a check fails; each failure says why and how to fix it (docs/vendor-guide.md).\n" +
			"Run it as root, as the agent runs installs.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("test: finding this program to run the child engine: %w", err)
			}
			cfg.Dir, cfg.ChildCommand = args[0], []string{self, childCmdName}
			if !g.json {
				out := cmd.ErrOrStderr()
				cfg.Progress = func(c conform.Check) {
					fmt.Fprintf(out, "%-4s %-30s %5.1fs\n", c.Status, c.Name, c.Duration.Seconds())
				}
			}
			rep, err := conform.Run(cmd.Context(), cfg)
			if rep == nil {
				return err
			}
			if junit != "" {
				if werr := atomicfile.Write(junit, 0o644, func(w io.Writer) error { return conform.WriteJUnit(w, rep) }); werr != nil {
					return fmt.Errorf("test: writing the JUnit report: %w", werr)
				}
			}
			if g.json {
				err = errors.Join(err, conform.WriteJSON(cmd.OutOrStdout(), rep))
			} else {
				err = errors.Join(err, conform.WriteText(cmd.OutOrStdout(), rep))
			}
			if err != nil {
				return err
			}
			if !rep.Passed() {
				return fmt.Errorf("test %s: %d of %d checks failed", args[0], rep.Failed(), len(rep.Checks))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()%1_000_000), "seed of the kill points; the report prints it, pass it again to repeat a run")
	f.IntVar(&cfg.Points, "points", conform.DefaultPoints, "how many cut-off installs to run")
	f.StringVar(&junit, "junit", "", "also write the report as JUnit XML to FILE (for CI)")
	f.BoolVar(&cfg.Keep, "keep", false, "keep the sandbox (journal, job logs, install root) and print where it is")
	f.StringVar(&cfg.Root, "root", "", "install root to use instead of one in the sandbox (the package's folder in it is created and removed)")
	f.DurationVar(&cfg.StepTimeout, "step-timeout", 0, "bound on one install or uninstall job (default: twice the package's timeout plus 30s)")
	return cmd
}

// newConformChildCmd is the child engine the harness starts and kills; it is not for people.
func newConformChildCmd() *cobra.Command {
	return &cobra.Command{
		Use:    childCmdName,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := os.Getenv(conform.ChildEnv)
			if spec == "" {
				return fmt.Errorf("%s is run by `iscdesk-pack test`, not by hand", childCmdName)
			}
			// The harness kills this process; a context is only for a clean end otherwise.
			if code := conform.RunChild(context.WithoutCancel(cmd.Context()), spec, cmd.OutOrStdout()); code != 0 {
				os.Exit(code)
			}
			return nil
		},
	}
}
