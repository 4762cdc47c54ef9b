package agent

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/journal"
)

// Status describes the agent for caller, who is who the OS says is asking.
func (a *Agent) Status(ctx context.Context, caller apitype.Caller) (apitype.Status, error) {
	if err := ctx.Err(); err != nil {
		return apitype.Status{}, err
	}
	open, err := a.eng.Unfinished()
	if err != nil {
		return apitype.Status{}, fmt.Errorf("reading the queue: %w", err)
	}
	a.mu.Lock()
	counts := a.countsLocked(open)
	a.mu.Unlock()
	if caller.Grant == "" && !caller.CanInstall && a.cfg.InstallGroup != "" {
		caller.Grant = a.cfg.InstallGroup
	}
	st := apitype.Status{
		Version:     a.cfg.Version,
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		Mode:        a.cfg.Mode,
		StartedAt:   a.started,
		StateDir:    a.cfg.StateDir,
		InstallRoot: a.cfg.InstallRoot,
		JobsQueued:  counts.queued,
		JobsRunning: counts.running,
		Recovering:  counts.recovering,
		Caller:      caller,
		TrustedKeys: []string{},
	}
	if a.cfg.Keyring != nil {
		st.TrustedKeys = a.cfg.Keyring.IDs()
	}
	st.RebootReasons = a.pendingReboots()
	st.RebootRequired = len(st.RebootReasons) > 0
	return st, nil
}

// pendingReboots lists the jobs that ended asking for a reboot that has not happened since: done
// after the machine booted. When the boot time cannot be read every such job counts.
func (a *Agent) pendingReboots() []string {
	boot, err := bootTime()
	if err != nil {
		a.log.Debug("reboot check", "err", err)
	}
	jobs, err := a.eng.Journal().List()
	if err != nil {
		a.log.Warn("reboot check: listing jobs", "err", err)
		return nil
	}
	var reasons []string
	for _, j := range jobs {
		if rebootPending(j, boot) {
			reasons = append(reasons, fmt.Sprintf("%s %s %s (job %s, %s)", j.Action, j.Name, j.Version, j.ID, j.Updated.UTC().Format(time.RFC3339)))
		}
	}
	return reasons
}

func rebootPending(j *journal.Job, boot time.Time) bool {
	return j.State == journal.StateDone && j.RebootRequired && j.Updated.After(boot)
}

// Software is the inventory as detection finds it now, merged with the job running or last run for
// each product; products with a job under way that are not installed yet are listed too.
func (a *Agent) Software(ctx context.Context) ([]apitype.Software, error) {
	inv, err := a.eng.Inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory: %w", err)
	}
	jobs, err := a.eng.Journal().List() // newest first
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	// The job to show per product: an unfinished one, else the newest.
	latest := map[string]*journal.Job{}
	for _, j := range jobs {
		if cur, ok := latest[j.PackageID]; !ok || (cur.State.Final() && !j.State.Final()) {
			latest[j.PackageID] = j
		}
	}
	boot, _ := bootTime()
	out := make([]apitype.Software, 0, len(inv))
	seen := map[string]bool{}
	for _, s := range inv {
		seen[s.ID] = true
		sw := apitype.Software{
			ID:              s.ID,
			Name:            s.Name,
			Publisher:       s.Publisher,
			Version:         s.Version,
			Detected:        s.Detected,
			DetectedVersion: s.DetectedVersion,
			Detail:          s.Detail,
			InstallDir:      s.InstallDir,
			InstalledAt:     s.InstalledAt,
			RebootRequired:  s.RebootRequired && s.InstalledAt.After(boot),
		}
		if j := latest[s.ID]; j != nil {
			api := a.apiJob(j)
			sw.Job = &api
		}
		a.lic.softwareLicense(&sw)
		out = append(out, sw)
	}
	for _, j := range jobs {
		if seen[j.PackageID] || j.State.Final() || latest[j.PackageID] != j {
			continue
		}
		seen[j.PackageID] = true
		api := a.apiJob(j)
		out = append(out, apitype.Software{ID: j.PackageID, Name: j.Name, Version: j.Version, Job: &api})
	}
	return out, nil
}
