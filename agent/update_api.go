package agent

// Busy reports whether a job is being prepared or run by this process, or jobs cut off by the last
// stop are being finished. The self-update (agent/update) swaps the binary only when it is false.
// A job queued right after is journaled and picked up by the restarted agent.
func (a *Agent) Busy() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.active) > 0 || a.recovering
}
