package main

import (
	"github.com/spf13/cobra"
)

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the agent: version, mode, running and queued jobs, a pending reboot, your rights",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.client().Status(cmd.Context())
			if err != nil {
				return err
			}
			return g.printer().Status(s)
		},
	}
}

func newSoftwareCmd(g *globals) *cobra.Command {
	var installedOnly bool
	list := func(cmd *cobra.Command, _ []string) error { return g.software(cmd, installedOnly) }
	cmd := &cobra.Command{
		Use:   "software [list] [--installed]",
		Short: "List what your organisation owns and what is installed through ISCDesk, as detection finds it now",
		Long: "Signed in to the marketplace, one row per product that your organisation owns or that is\n" +
			"installed: the owned (newest) version, the installed version and the state. Not signed in,\n" +
			"or with --installed, the agent's list of installed software.",
		Args: usageArgs(cobra.NoArgs),
		RunE: list,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: cmd.Short,
		Args:  usageArgs(cobra.NoArgs),
		RunE:  list,
	})
	cmd.PersistentFlags().BoolVar(&installedOnly, "installed", false, "list only what the agent has installed (no marketplace)")
	g.addMarketFlags(cmd)
	return cmd
}

func newJobsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs [JOB_ID]",
		Short: "List the agent's jobs, or show one",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			api := g.client()
			if len(args) == 1 {
				j, err := api.Job(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return g.printer().Job(j)
			}
			jobs, err := api.Jobs(cmd.Context())
			if err != nil {
				return err
			}
			return g.printer().Jobs(jobs)
		},
	}
}

func newCancelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a queued or running job (a running install step is stopped with its whole process tree)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.client().Cancel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.printer().Job(j)
		},
	}
}

func newLogsCmd(g *globals) *cobra.Command {
	var (
		follow bool
		tail   int
	)
	cmd := &cobra.Command{
		Use:   "logs JOB_ID [-f] [--tail N]",
		Short: "Print a job's log: the agent's steps and the installer's output",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tail < 0 {
				return errUsage("logs: --tail %d: give a number of lines, 0 for the whole log", tail)
			}
			r, err := g.client().Log(cmd.Context(), args[0], tail, follow)
			if err != nil {
				return err
			}
			defer r.Close()
			return g.printer().Log(args[0], r)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the job ends")
	cmd.Flags().IntVar(&tail, "tail", 0, "print only the last N lines (0: the whole log)")
	return cmd
}
