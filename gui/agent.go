package gui

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/iscdesk/iscdesk/agent/apitype"
	aclient "github.com/iscdesk/iscdesk/agent/client"
)

// agentState is what the app knows of the agent. UI thread.
type agentState struct {
	status       *apitype.Status // nil until the agent first answered
	err          error           // of the last status call; ErrAgentNotRunning when it is down
	software     []apitype.Software
	loaded       bool                    // software and jobs were read at least once
	jobs         map[string]*apitype.Job // by id
	jobByProduct map[string]*apitype.Job // the newest job of each product
}

// up reports whether the agent answered the last status call.
func (s *agentState) up() bool { return s.status != nil && s.err == nil }

// startAgent starts following the agent: its status (which says whether it runs) and its events.
func (u *UI) startAgent() {
	u.agentSt.jobs = map[string]*apitype.Job{}
	u.agentSt.jobByProduct = map[string]*apitype.Job{}
	u.goRun(u.pollAgent)
	u.goRun(u.watchAgent)
}

// pollAgent asks for the agent's status every AgentPoll; a status call is what finds out that
// the agent stopped or came back (Watch reconnects quietly on its own).
func (u *UI) pollAgent(ctx context.Context) {
	wasUp := false
	for {
		st, err := u.agent.Status(ctx)
		if ctx.Err() != nil {
			return
		}
		up := err == nil
		if up && !wasUp {
			u.reloadAgent(ctx) // first contact, or the agent came back
		}
		wasUp = up
		u.do(func() {
			a := &u.agentSt
			if err == nil && a.err == nil && reflect.DeepEqual(st, a.status) {
				return // nothing new: spare the screens a redraw every poll
			}
			a.err = err
			if err == nil {
				a.status = st
			}
			u.changed()
		})
		if !sleep(ctx, u.opts.AgentPoll) {
			return
		}
	}
}

// reloadAgent reads the software and jobs lists and replaces what the app holds.
func (u *UI) reloadAgent(ctx context.Context) {
	sw, err := u.agent.Software(ctx)
	if err != nil {
		u.do(func() { u.agentSt.err = err; u.changed() })
		return
	}
	jobs, err := u.agent.Jobs(ctx)
	if err != nil {
		u.do(func() { u.agentSt.err = err; u.changed() })
		return
	}
	u.do(func() {
		u.agentSt.software = sw
		u.agentSt.loaded = true
		u.agentSt.jobs = map[string]*apitype.Job{}
		u.agentSt.jobByProduct = map[string]*apitype.Job{}
		for i := range jobs {
			u.storeJob(&jobs[i])
		}
		for i := range sw {
			if j := sw[i].Job; j != nil {
				u.storeJob(j)
			}
		}
		u.changed()
	})
}

// watchAgent follows the agent's events until Close. Watch reconnects by itself; it returns
// only when the agent refuses the watch, which is retried after a pause.
func (u *UI) watchAgent(ctx context.Context) {
	for {
		err := u.agent.Watch(ctx, 0, func(e apitype.Event) error {
			u.onEvent(ctx, e)
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		u.do(func() {
			u.agentSt.err = fmt.Errorf("following the agent's events: %w", err)
			u.changed()
		})
		if !sleep(ctx, 5*u.opts.AgentPoll) {
			return
		}
	}
}

// onEvent applies one agent event. Called on the watch goroutine.
func (u *UI) onEvent(ctx context.Context, e apitype.Event) {
	switch e.Type {
	case apitype.EventReset:
		u.reloadAgent(ctx) // events were lost: what we hold may be stale
	case apitype.EventStatus:
		if e.Status != nil {
			st := *e.Status
			u.do(func() { u.agentSt.status, u.agentSt.err = &st, nil; u.changed() })
		}
	case apitype.EventJob, apitype.EventProgress:
		if e.Job == nil {
			return
		}
		j := *e.Job
		if e.Type == apitype.EventJob && j.Final() {
			// The inventory changed (or did not): detection has the last word.
			defer u.load(func(ctx context.Context) { u.reloadSoftware(ctx) })
		}
		u.do(func() {
			prev := u.agentSt.jobs[j.ID]
			if e.Type == apitype.EventProgress && prev != nil && prev.Progress != nil && j.Progress == nil {
				j.Progress = prev.Progress
			}
			u.storeJob(&j)
			if j.Final() && (prev == nil || !prev.Final()) {
				u.notify(jobNotice(&j, u.opts.Now()))
			}
			u.changed()
		})
	}
}

// reloadSoftware reads the installed software again.
func (u *UI) reloadSoftware(ctx context.Context) {
	sw, err := u.agent.Software(ctx)
	if err != nil {
		return // the status poll reports an agent that is away
	}
	u.do(func() { u.agentSt.software, u.agentSt.loaded = sw, true; u.changed() })
}

// storeJob records j as the newest news of its job and, if newer, of its product. UI thread.
func (u *UI) storeJob(j *apitype.Job) {
	if old := u.agentSt.jobs[j.ID]; old != nil && old.Updated.After(j.Updated) {
		return // an older copy (from a list read while events flowed)
	}
	u.agentSt.jobs[j.ID] = j
	cur := u.agentSt.jobByProduct[j.Product]
	if cur == nil || cur.ID == j.ID || !j.Created.Before(cur.Created) {
		u.agentSt.jobByProduct[j.Product] = j
	}
}

// runningJobs are the jobs that have not ended, oldest first. UI thread.
func (u *UI) runningJobs() []*apitype.Job {
	var out []*apitype.Job
	for _, j := range u.agentSt.jobByProduct {
		if !j.Final() {
			out = append(out, j)
		}
	}
	sortJobs(out)
	return out
}

// agentDownText is what the banner says when the agent does not answer: the client's error
// says which socket and how to start the agent.
func agentDownText(err error) string {
	if errors.Is(err, aclient.ErrAgentNotRunning) {
		return capitalise(err.Error()) + "."
	}
	return "The ISCDesk agent does not answer: " + errorText(err)
}
