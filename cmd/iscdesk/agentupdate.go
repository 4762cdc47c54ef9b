package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
)

// agentUpdater is what `iscdesk agent update` asks of the agent; *client.Client implements it.
type agentUpdater interface {
	Status(ctx context.Context) (*apitype.Status, error)
	AgentUpdateStatus(ctx context.Context) (*apitype.UpdateStatus, error)
	AgentUpdate(ctx context.Context, req apitype.UpdateRequest) (*apitype.UpdateStatus, error)
}

// updatePoll is how often `agent update --wait` asks the restarting agent for its version.
const updatePoll = time.Second

// newAgentCmd is `iscdesk agent`, the commands about the agent itself.
func (g *globals) newAgentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Commands about the ISCDesk agent itself",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(g.newAgentUpdateCmd())
	return cmd
}

func (g *globals) newAgentUpdateCmd() *cobra.Command {
	var checkOnly, show bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Update the agent now from the marketplace (signed binaries only)",
		Long: "Asks the agent to look for a newer version of itself now. The agent verifies the binary's\n" +
			"SHA-256 and minisign signature against update.keys, refuses downgrades and versions that\n" +
			"failed before, and switches once no job runs; a new version that does not serve in time is\n" +
			"rolled back. With --wait the command follows the switch until the agent reports the new\n" +
			"version (exit 0) or the rollback (exit 1). A refused release exits 6. See docs/self-update.md.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := client.New(g.socket)
			st, err := g.agentUpdate(cmd.Context(), c, show, checkOnly, wait)
			if st != nil {
				if perr := g.printUpdate(st); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&checkOnly, "check", false, "only look and verify; do not switch")
	cmd.Flags().BoolVar(&show, "status", false, "show the state of self-update and ask nothing of the marketplace")
	cmd.Flags().DurationVar(&wait, "wait", 5*time.Minute, "how long to follow the switch; 0 returns at once")
	return cmd
}

// agentUpdate asks for the update and, with wait, follows the agent through its restart.
func (g *globals) agentUpdate(ctx context.Context, c agentUpdater, show, checkOnly bool, wait time.Duration) (*apitype.UpdateStatus, error) {
	if show {
		return c.AgentUpdateStatus(ctx)
	}
	st, err := c.AgentUpdate(ctx, apitype.UpdateRequest{CheckOnly: checkOnly})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity {
		return nil, refusedError{err} // the release is refused: signature, checksum, downgrade
	}
	if err != nil || wait <= 0 || (st.State != apitype.UpdateWaiting && st.State != apitype.UpdateApplying) {
		return st, err
	}
	return followUpdate(ctx, c, st, wait)
}

// followUpdate polls until the agent runs st.Available, or records it as failed, or wait passes.
// The agent does not answer while it switches; that is expected and polled through.
func followUpdate(ctx context.Context, c agentUpdater, st *apitype.UpdateStatus, wait time.Duration) (*apitype.UpdateStatus, error) {
	want := st.Available
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(updatePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return st, fmt.Errorf("the agent has not switched to %s within %v (state %q); see `iscdesk agent update --status` and the agent's log", want, wait, st.State)
			}
			return st, ctx.Err()
		case <-tick.C:
		}
		s, err := c.Status(ctx)
		if err != nil {
			continue // restarting
		}
		us, err := c.AgentUpdateStatus(ctx)
		if err != nil {
			continue
		}
		st = us
		if s.Version == want {
			return st, nil
		}
		if slices.ContainsFunc(us.Failed, func(f apitype.FailedUpdate) bool { return f.Version == want }) {
			return st, fmt.Errorf("the agent tried %s and rolled back to %s: %s", want, s.Version, us.Last)
		}
	}
}

func (g *globals) printUpdate(st *apitype.UpdateStatus) error {
	if g.json {
		enc := json.NewEncoder(g.io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	line := fmt.Sprintf("agent %s: %s", st.Current, st.State)
	if st.Available != "" && st.Available != st.Current {
		line += ", available " + st.Available
	}
	if st.Error != "" {
		line += " (" + st.Error + ")"
	}
	_, err := fmt.Fprintln(g.io.out, line)
	if st.Last != "" && err == nil {
		_, err = fmt.Fprintln(g.io.out, "last switch:", st.Last)
	}
	return err
}
