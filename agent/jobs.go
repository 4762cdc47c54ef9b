package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
)

// Submit queues a job. A request the agent will not take is an *Error: bad_request (a missing or
// wrong field), ticket_refused (the ticket does not verify or is not for this machine), conflict
// (the product already has a job), not_found (uninstall or repair of a product not installed).
func (a *Agent) Submit(ctx context.Context, req apitype.JobRequest) (apitype.Job, error) {
	if err := ctx.Err(); err != nil {
		return apitype.Job{}, err
	}
	if err := validate(req); err != nil {
		return apitype.Job{}, err
	}
	job, err := a.eng.Submit(engine.Request{
		Action:         journal.Action(req.Action),
		PackageID:      req.Product,
		Ticket:         req.Ticket,
		AllowDowngrade: req.AllowDowngrade,
		Priority:       req.Priority,
	})
	if err != nil {
		return apitype.Job{}, submitError(req, err)
	}
	a.log.Info("job queued", "id", job.ID, "action", job.Action, "product", job.PackageID, "version", job.Version, "priority", job.Priority)
	a.poke()
	return a.apiJob(job), nil
}

// validate checks what the engine does not: which fields each action needs.
func validate(req apitype.JobRequest) error {
	switch req.Action {
	case "":
		return badRequest("action", "the job has no action; use install, uninstall, repair or overwrite")
	case apitype.ActionInstall, apitype.ActionOverwrite:
		if len(req.Ticket) == 0 {
			return badRequest("ticket", fmt.Sprintf("%s needs the signed release ticket from the marketplace (a .ticket file)", req.Action))
		}
	case apitype.ActionUninstall:
		if req.Product == "" {
			return badRequest("product", "uninstall needs the product to remove, by its id (see GET /v1/software)")
		}
		if len(req.Ticket) > 0 {
			return badRequest("ticket", "uninstall takes a product id, not a ticket")
		}
		if req.AllowDowngrade {
			return badRequest("allow_downgrade", "allow_downgrade applies to install, not to uninstall")
		}
	case apitype.ActionRepair:
		if req.Product == "" && len(req.Ticket) == 0 {
			return badRequest("product", "repair needs the product to repair, by its id, or a ticket of its installed version")
		}
	default:
		return badRequest("action", fmt.Sprintf("unknown action %q; use install, uninstall, repair or overwrite", clip(string(req.Action))))
	}
	return nil
}

// submitError turns the engine's refusals into *Error with a code.
func submitError(req apitype.JobRequest, err error) error {
	var refused *engine.RefusedError
	var conflict *engine.ConflictError
	switch {
	case errors.As(err, &refused):
		return &Error{Code: CodeTicketRefused, Field: "ticket", Msg: err.Error(), Err: err}
	case errors.As(err, &conflict):
		return &Error{Code: CodeConflict, Msg: err.Error(), Err: err}
	case errors.Is(err, journal.ErrNotFound):
		return &Error{Code: CodeNotFound, Field: "product", Msg: err.Error(), Err: err}
	}
	return fmt.Errorf("queueing the %s job: %w", req.Action, err)
}

// Jobs lists every job the journal holds, newest first.
func (a *Agent) Jobs(ctx context.Context) ([]apitype.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	list, err := a.eng.Journal().List()
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	out := make([]apitype.Job, 0, len(list))
	for _, j := range list {
		out = append(out, a.apiJob(j))
	}
	return out, nil
}

// Job returns one job; an unknown id is an *Error with code not_found.
func (a *Agent) Job(ctx context.Context, id string) (apitype.Job, error) {
	if err := ctx.Err(); err != nil {
		return apitype.Job{}, err
	}
	j, err := a.getJob(id)
	if err != nil {
		return apitype.Job{}, err
	}
	return a.apiJob(j), nil
}

func (a *Agent) getJob(id string) (*journal.Job, error) {
	j, err := a.eng.Journal().Get(id)
	if errors.Is(err, journal.ErrNotFound) {
		return nil, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("there is no job %q; list the jobs with GET /v1/jobs", clip(id)), Err: err}
	}
	return j, err
}

// Cancel ends a job that has not finished. A job waiting in the queue is journaled cancelled at
// once; a running one is stopped through its context (its vendor step killed, tree and all) and
// Cancel waits, until ctx is done, for the engine to journal it cancelled. A job that has ended is an
// *Error with code conflict.
func (a *Agent) Cancel(ctx context.Context, id string) (apitype.Job, error) {
	j, err := a.getJob(id)
	if err != nil {
		return apitype.Job{}, err
	}
	if j.State.Final() {
		return a.apiJob(j), &Error{Code: CodeConflict, Msg: fmt.Sprintf("job %s has already ended (%s); there is nothing to cancel", id, j.State)}
	}
	a.mu.Lock()
	w := a.active[id]
	if w == nil {
		// Under a.mu the scheduler cannot start the job while the engine journals it cancelled.
		j, err = a.eng.Cancel(id, "cancelled by request")
		a.mu.Unlock()
		if err != nil {
			return apitype.Job{}, fmt.Errorf("cancelling job %s: %w", id, err)
		}
		a.poke()
		return a.apiJob(j), nil
	}
	// Both: the worker's context stops it wherever it is, and the engine learns it is a cancel
	// rather than a stop of the agent.
	w.cancel(errCancelled)
	if _, err := a.eng.Cancel(id, "cancelled by request"); err != nil {
		a.log.Debug("cancel: the job ended meanwhile", "id", id, "err", err)
	}
	a.mu.Unlock()
	a.log.Info("cancelling a running job", "id", id)
	select {
	case <-w.done:
	case <-ctx.Done():
		return apitype.Job{}, fmt.Errorf("job %s is being cancelled; it has not stopped yet: %w", id, ctx.Err())
	}
	return a.Job(context.WithoutCancel(ctx), id)
}

// JobLog returns the path of a job's log: what the agent and the vendor's commands wrote. The file
// appears when the job's first vendor step starts.
func (a *Agent) JobLog(id string) (string, error) {
	j, err := a.getJob(id)
	if err != nil {
		return "", err
	}
	if j.LogFile == "" {
		return "", &Error{Code: CodeNotFound, Msg: fmt.Sprintf("job %s has no log", id)}
	}
	return j.LogFile, nil
}

// onEngineEvent turns the engine's reports into events on the bus. The engine calls it from the
// goroutine running the job, with no lock of ours held or with a.mu held (Cancel): it takes only progressMu.
func (a *Agent) onEngineEvent(ev engine.Event) {
	j := ev.Job
	if ev.Progress != nil {
		p := ev.Progress
		a.setProgress(j.ID, &apitype.Progress{Step: p.Step, Done: p.Done, Total: p.Total, Rate: p.Rate, ETA: p.ETA})
		api := a.apiJob(&j)
		a.bus.Publish(apitype.Event{Type: apitype.EventProgress, Job: &api, Message: ev.Message})
		return
	}
	if j.State != journal.StateFetching && j.State != journal.StateStaging {
		a.setProgress(j.ID, nil)
	}
	api := a.apiJob(&j)
	a.bus.Publish(apitype.Event{Type: apitype.EventJob, Job: &api, Message: ev.Message})
}

// setProgress keeps (or, with nil, forgets) the last progress of job id.
func (a *Agent) setProgress(id string, p *apitype.Progress) {
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	if p == nil {
		delete(a.progress, id)
		return
	}
	a.progress[id] = *p
}

// apiJob is the wire form of a journaled job, with its last progress.
func (a *Agent) apiJob(j *journal.Job) apitype.Job {
	out := apitype.Job{
		ID:             j.ID,
		Action:         apitype.Action(j.Action),
		Product:        j.PackageID,
		Name:           j.Name,
		Version:        j.Version,
		State:          string(j.State),
		Phase:          j.Phase,
		Mode:           j.Mode,
		Attempt:        j.Attempt,
		Priority:       j.Priority,
		Outcome:        j.Outcome,
		ExitCode:       j.ExitCode,
		Reason:         j.Reason,
		RebootRequired: j.RebootRequired,
		Warnings:       j.Warnings,
		Leftovers:      j.Leftovers,
		Created:        j.Created,
		Updated:        j.Updated,
	}
	if j.State == journal.StateWaitingRetry {
		out.NextRetry = j.RetryAt
	}
	a.progressMu.Lock()
	if p, ok := a.progress[j.ID]; ok {
		out.Progress = &p
	}
	a.progressMu.Unlock()
	return out
}

// clip shortens a value quoted back in a message, so that a huge one does not flood the answer.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
