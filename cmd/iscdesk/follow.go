package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// pollEvery is how often follow asks for the job besides the event stream. The stream carries
// everything, but it may connect after the job moved on (or ended), and it may miss events
// while the agent restarts; the poll closes those gaps.
var pollEvery = 2 * time.Second

// pollTimeout bounds one poll, so that an agent that accepts but does not answer counts as silent.
var pollTimeout = 10 * time.Second

// agentSilence is how long the agent may not answer a follower before it says so: an agent that
// restarts answers within seconds; one that does not may be stopped, or busy starting up again.
var agentSilence = 30 * time.Second

// silenceNotice is what a follower prints once the agent has not answered for agentSilence.
const silenceNotice = "the agent is not answering; waiting — it finishes cut-off jobs when it starts again"

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
// ends (interrupted: an interruptedError that says how to find the job again) or when the event
// stream fails for good. Notices for people, such as an agent that does not answer, go to notices.
func follow(ctx context.Context, api agentAPI, p printer, j *apitype.Job, notices io.Writer) error {
	err := followJob(ctx, api, p, j, notices)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		// Ctrl-C stops the CLI, not the job: say how to get back to it.
		return interruptedError{job: j.ID}
	}
	return err
}

func followJob(ctx context.Context, api agentAPI, p printer, j *apitype.Job, notices io.Writer) error {
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
	}, &jobPoll{id: j.ID, silent: func() { fmt.Fprintln(notices, "iscdesk:", silenceNotice) }})
}

// jobPoll is the job that streamEvents asks for besides the stream, and what it calls when the
// agent has not answered for agentSilence: once, until the agent answers again.
type jobPoll struct {
	id     string
	silent func()
}

// streamEvents calls fn with every event of the agent until fn says stop, ctx ends or the stream
// fails. With poll set it also asks for that job every pollEvery and hands it to fn as a job event
// with polled set, and tells poll.silent when the agent has not answered for agentSilence.
func streamEvents(ctx context.Context, api agentAPI, fn func(e apitype.Event, polled bool) (stop bool, err error), poll *jobPoll) error {
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
	if poll != nil {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		tick = t.C
	}
	// lastAnswer is when the agent last sent an event or answered a poll; told is set once
	// poll.silent was called for the current silence.
	lastAnswer, told := time.Now(), false
	answered := func() { lastAnswer, told = time.Now(), false }
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
			answered()
			if e.Type == apitype.EventReset && poll != nil {
				// Missed events: ask for the job now rather than at the next tick.
				if j, err := pollJob(ctx, api, poll.id); err == nil {
					e = apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}
					polled = true
				}
			}
		case <-tick:
			j, err := pollJob(ctx, api, poll.id)
			if err != nil {
				// The agent may be restarting; the stream reconnects and reports.
				if !told && ctx.Err() == nil && time.Since(lastAnswer) >= agentSilence {
					told = true
					poll.silent()
				}
				continue
			}
			answered()
			e = apitype.Event{Type: apitype.EventJob, Time: time.Now(), Job: j}
			polled = true
		}
		stop, err := fn(e, polled)
		if stop || err != nil {
			return err
		}
	}
}

// pollJob asks for job id, giving up after pollTimeout.
func pollJob(ctx context.Context, api agentAPI, id string) (*apitype.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	return api.Job(ctx, id)
}
