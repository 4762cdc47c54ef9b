package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/agent/config"
)

// statusTimeout bounds the API call of `status`: a health check must answer, not hang.
const statusTimeout = 10 * time.Second

// health is what `status --json` prints.
type health struct {
	Service  string          `json:"service"` // running, stopped, not installed, unknown, or "" in --user mode
	Socket   string          `json:"socket"`
	Answers  bool            `json:"answers"`
	Error    string          `json:"error,omitempty"` // why the API did not answer
	Status   *apitype.Status `json:"status,omitempty"`
	ExitCode int             `json:"exit_code"`
}

func newStatusCmd() *cobra.Command {
	var f configFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Check the agent's health: exit 0 healthy, 1 not running, 2 not installed",
		Long: `Prints the service manager's view of the agent and, if its socket answers, the agent's
own status (GET /v1/status). Exit codes: 0 the agent answers; 1 it does not (stopped, starting,
failed); 2 the service is not installed and nothing answers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			h := checkHealth(cmd.Context(), c)
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(h); err != nil {
					return err
				}
			} else {
				printHealth(cmd, h)
			}
			if h.ExitCode != exitOK {
				return &exitError{code: h.ExitCode}
			}
			return nil
		},
	}
	f.addSelect(cmd)
	f.addSocket(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func checkHealth(ctx context.Context, c *config.Config) health {
	h := health{Socket: c.Socket}
	svc := serviceState{code: exitFailed}
	if c.Mode == config.ModeSystem {
		svc = queryService()
		h.Service = svc.state
	}
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	st, err := client.New(c.Socket).Status(ctx)
	switch {
	case err == nil:
		h.Answers, h.Status, h.ExitCode = true, st, exitOK
	case svc.code == exitNotInstalled:
		h.Error, h.ExitCode = err.Error(), exitNotInstalled
	default:
		h.Error, h.ExitCode = err.Error(), exitFailed
	}
	return h
}

func printHealth(cmd *cobra.Command, h health) {
	out := cmd.OutOrStdout()
	if h.Service != "" {
		fmt.Fprintln(out, "service:", h.Service)
	}
	if !h.Answers {
		fmt.Fprintf(out, "api: not answering on %s: %s\n", h.Socket, h.Error)
		return
	}
	s := h.Status
	fmt.Fprintf(out, "api: answering on %s\n", h.Socket)
	fmt.Fprintf(out, "version: %s (%s, %s mode), up since %s\n", s.Version, s.OS, s.Mode, s.StartedAt.Local().Format(time.RFC3339))
	fmt.Fprintf(out, "jobs: %d queued, %d running", s.JobsQueued, s.JobsRunning)
	if s.Recovering {
		fmt.Fprint(out, ", recovering jobs cut off by the last stop")
	}
	fmt.Fprintln(out)
	if s.RebootRequired {
		fmt.Fprintln(out, "reboot required:", s.RebootReasons)
	}
	if len(s.TrustedKeys) == 0 {
		fmt.Fprintln(out, "warning: no trusted marketplace keys; every install will be refused")
	}
}
