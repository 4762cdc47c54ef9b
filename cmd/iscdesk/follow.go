package main

import (
	"context"
	"fmt"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// pollEvery is how often follow asks for the job besides the event stream. The stream carries
// everything, but it may connect after the job moved on (or ended), and it may miss events
// while the agent restarts; the poll closes those gaps.
var pollEvery = 2 * time.Second

// ended reports whether a follower stops at this job state: the job ended, or waits to be retried.
func ended(j *apitype.Job) bool { return j.Final() || j.State == apitype.StateWaitingRetry }

// jobResult is the result of a job that the CLI followed to its end: nil when done, else a jobEnd
// that carries the exit code.
func jobResult(j *apitype.Job) error {
	if j.State == apitype.StateDone && !j.RebootRequired {
		return nil
	}
	return jobEnd{job: *j}
}

// follow prints the events of job j until it ends and returns jobResult. It returns early when ctx
// ends or when the event stream fails for good.
func follow(ctx context.Context, api agentAPI, p printer, j *apitype.Job) error {
	// lastState is the state last printed, so that a poll prints only what the stream did not.
	lastState := j.State
	if err := p.Event(apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}); err != nil {
		return err
	}
	if ended(j) {
		return jobResult(j)
	}
	return streamEvents(ctx, api, func(e apitype.Event, polled bool) (bool, error) {
		if e.Job == nil || e.Job.ID != j.ID {
			return false, nil
		}
		if polled && e.Job.State == lastState {
			return false, nil
		}
		if e.Type == apitype.EventJob {
			lastState = e.Job.State
		}
		if err := p.Event(e); err != nil {
			return true, err
		}
		if e.Type == apitype.EventJob && ended(e.Job) {
			return true, jobResult(e.Job)
		}
		return false, nil
	}, j.ID)
}

// streamEvents calls fn with every event of the agent until fn says stop, ctx ends or the stream
// fails. With pollID set it also asks for that job every pollEvery and hands it to fn as a job
// event with polled set.
func streamEvents(ctx context.Context, api agentAPI, fn func(e apitype.Event, polled bool) (stop bool, err error), pollID string) error {
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan apitype.Event)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- api.Watch(ctx, 0, func(e apitype.Event) error {
			select {
			case events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	defer func() {
		cancel()
		<-watchDone // the watcher ends with ctx; wait for it so that it never outlives us
	}()

	var tick <-chan time.Time
	if pollID != "" {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		var (
			e      apitype.Event
			polled bool
		)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-watchDone:
			watchDone <- err // for the deferred wait
			if err == nil || ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("following the agent's events: %w", err)
		case e = <-events:
			if e.Type == apitype.EventReset && pollID != "" {
				// Missed events: ask for the job now rather than at the next tick.
				if j, err := api.Job(ctx, pollID); err == nil {
					e = apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}
					polled = true
				}
			}
		case <-tick:
			j, err := api.Job(ctx, pollID)
			if err != nil {
				continue // the agent may be restarting; the stream reconnects and reports
			}
			e = apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}
			polled = true
		}
		stop, err := fn(e, polled)
		if stop || err != nil {
			return err
		}
	}
}
