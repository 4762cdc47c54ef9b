package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

func newWatchCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "watch [JOB_ID]",
		Short: "Follow the agent's events (every job, or one until it ends); reconnects when the agent restarts",
		Long: "Without JOB_ID, prints every event until interrupted (Ctrl-C). With JOB_ID, prints that job's\n" +
			"events until it ends and exits with its exit code. With --json each event is one JSON line.",
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, p := g.client(), g.printer()
			var err error
			if len(args) == 1 {
				var j *apitype.Job
				if j, err = api.Job(cmd.Context(), args[0]); err == nil {
					err = follow(cmd.Context(), api, p, j, g.io.err)
				}
			} else if _, err = api.Status(cmd.Context()); err == nil {
				// Asked first so that a missing agent is an error (exit 5) here; once watching,
				// the client waits for an agent that restarts.
				err = watchAll(cmd.Context(), api, p, !g.json)
			}
			if cerr := p.Close(); err == nil {
				err = cerr
			}
			return err
		},
	}
}

// watchAll prints every event until ctx ends. With reload, a reset (events were lost while the
// agent restarted) is followed by the jobs that are running or changed since the watch began, so
// that people see where things stand; JSON readers get the reset and reload themselves.
func watchAll(ctx context.Context, api agentAPI, p printer, reload bool) error {
	since := time.Now()
	return streamEvents(ctx, api, func(e apitype.Event, _ bool) (bool, error) {
		if err := p.Event(e); err != nil {
			return true, err
		}
		if e.Type != apitype.EventReset || !reload {
			return false, nil
		}
		jobs, err := api.Jobs(ctx)
		if err != nil {
			return false, nil // the next event or reset tells more
		}
		for i := range jobs {
			if j := &jobs[i]; !j.Final() || j.Updated.After(since) {
				if err := p.Event(apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}); err != nil {
					return true, err
				}
			}
		}
		return false, nil
	}, nil)
}
