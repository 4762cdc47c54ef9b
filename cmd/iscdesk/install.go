package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// jobFlags are the flags of the commands that start a job.
type jobFlags struct {
	noWait   bool
	priority int
}

func (f *jobFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "print the queued job and return; follow it with `iscdesk watch JOB_ID`")
	cmd.Flags().IntVar(&f.priority, "priority", 0, "run before queued jobs of a lower priority")
}

// submit posts req and, unless --no-wait, follows the job until it ends.
func (g *globals) submit(cmd *cobra.Command, f *jobFlags, req apitype.JobRequest) error {
	req.Priority = f.priority
	api := g.client()
	j, err := api.Submit(cmd.Context(), req)
	if err != nil {
		return err
	}
	p := g.printer()
	if f.noWait {
		return p.Job(j)
	}
	err = follow(cmd.Context(), api, p, j, g.io.err)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// readTicket reads a .ticket file; the agent checks what is in it.
func readTicket(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errUsage("ticket file %s does not exist; give the path of a .ticket file from the marketplace or from `iscdesk-pack sign`", path)
	case err != nil:
		return nil, fmt.Errorf("reading the ticket file: %w", err)
	case len(data) == 0:
		return nil, errUsage("ticket file %s is empty; download the ticket again", path)
	}
	return data, nil
}

func newInstallCmd(g *globals) *cobra.Command {
	var (
		f                         jobFlags
		overwrite, allowDowngrade bool
		version                   string
	)
	cmd := &cobra.Command{
		Use:   "install PRODUCT|TICKET_FILE [--version V] [--overwrite] [--allow-downgrade] [--priority N] [--no-wait]",
		Short: "Install a product you own (or the release a ticket file names), and follow the job until it ends",
		Long: "With a product id, asks the marketplace for a signed release ticket for this machine (the newest\n" +
			"release, or --version). With a ticket file, uses that. Hands the ticket to the agent, which checks\n" +
			"its signature and expiry, downloads and verifies the package and runs its silent install. The\n" +
			"command follows the job until it ends: a progress bar on a terminal, a line per state change\n" +
			"otherwise, JSON lines of events with --json.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				data []byte
				err  error
			)
			if isProductArg(args[0]) {
				data, err = g.ticketFor(cmd.Context(), args[0], version)
			} else if version != "" {
				return errUsage("install: --version is for a product id; the ticket file %s names its version", args[0])
			} else {
				data, err = readTicket(args[0])
			}
			if err != nil {
				return err
			}
			req := apitype.JobRequest{Action: apitype.ActionInstall, Ticket: data, AllowDowngrade: allowDowngrade}
			if overwrite {
				req.Action = apitype.ActionOverwrite
			}
			return g.submit(cmd, &f, req)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "uninstall what is there and install fresh")
	cmd.Flags().BoolVar(&allowDowngrade, "allow-downgrade", false, "allow a version lower than the installed one")
	cmd.Flags().StringVar(&version, "version", "", "with a product id: the version to install (default: the newest for this machine)")
	g.addMarketFlags(cmd)
	return cmd
}

func newUninstallCmd(g *globals) *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "uninstall PRODUCT [--priority N] [--no-wait]",
		Short: "Uninstall a product and follow the job; what could not be removed is listed at the end",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.submit(cmd, &f, apitype.JobRequest{Action: apitype.ActionUninstall, Product: args[0]})
		},
	}
	f.register(cmd)
	return cmd
}

func newRepairCmd(g *globals) *cobra.Command {
	var (
		f          jobFlags
		ticketFile string
	)
	cmd := &cobra.Command{
		Use:   "repair PRODUCT [--ticket TICKET_FILE] [--priority N] [--no-wait]",
		Short: "Run a product's install again over what is there, and follow the job",
		Long: "Repair re-runs the install of the installed release. With --ticket the agent downloads the\n" +
			"package again instead of using the copy it kept.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitype.JobRequest{Action: apitype.ActionRepair, Product: args[0]}
			if ticketFile != "" {
				data, err := readTicket(ticketFile)
				if err != nil {
					return err
				}
				req.Ticket = data
			}
			return g.submit(cmd, &f, req)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&ticketFile, "ticket", "", "a ticket of the installed release, to download the package again")
	return cmd
}
