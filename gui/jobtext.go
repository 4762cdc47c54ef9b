package gui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// actionWord is what a running job does: "Installing", "Removing", ...
func actionWord(a apitype.Action) string {
	switch a {
	case apitype.ActionUninstall:
		return "Uninstalling"
	case apitype.ActionRepair:
		return "Repairing"
	case apitype.ActionOverwrite:
		return "Reinstalling"
	default:
		return "Installing"
	}
}

// stepText is the step a running job is at, for people.
func stepText(j *apitype.Job) string {
	if p := j.Progress; p != nil && p.Step != "" && (j.State == apitype.StateFetching || j.State == apitype.StateStaging) {
		return capitalise(p.Step)
	}
	switch j.State {
	case apitype.StateQueued:
		return "Waiting in the queue"
	case apitype.StateFetching:
		return "Downloading"
	case apitype.StateStaging, apitype.StateStaged:
		return "Verifying"
	case apitype.StateInstalling:
		if j.Action == apitype.ActionUninstall {
			return "Running the uninstaller"
		}
		return "Running the installer"
	case apitype.StateDetecting:
		return "Checking the installation"
	case apitype.StateWaitingRetry:
		return "Waiting to try again (another install holds the system's lock)"
	}
	return capitalise(strings.ReplaceAll(j.State, "_", " "))
}

// fraction is how far a running job is, 0..1; -1 when there is no measure.
func fraction(j *apitype.Job) float64 {
	if p := j.Progress; p != nil && p.Total > 0 && (j.State == apitype.StateFetching || j.State == apitype.StateStaging) {
		return min(1, float64(p.Done)/float64(p.Total))
	}
	return -1
}

// progressText is "Downloading · 12.3 MB of 70.0 MB · 4.1 MB/s · 12 s left".
func progressText(j *apitype.Job) string {
	step := stepText(j)
	p := j.Progress
	if p == nil || fraction(j) < 0 {
		if j.Attempt > 1 && j.State == apitype.StateInstalling {
			step += fmt.Sprintf(" (attempt %d)", j.Attempt)
		}
		return step
	}
	rate := ""
	if p.Rate > 0 {
		rate = byteSize(int64(p.Rate)) + "/s"
	}
	return joinNonEmpty(" · ", step, byteSize(p.Done)+" of "+byteSize(p.Total), rate, timeLeft(p.ETA))
}

// outcomeText says how a finished job ended.
func outcomeText(j *apitype.Job) string {
	what := map[apitype.Action]string{
		apitype.ActionInstall: "Installed", apitype.ActionUninstall: "Uninstalled",
		apitype.ActionRepair: "Repaired", apitype.ActionOverwrite: "Reinstalled",
	}[j.Action]
	switch j.State {
	case apitype.StateDone:
		s := joinNonEmpty(" ", what, j.Version)
		if j.RebootRequired {
			s += "; restart the computer to finish"
		}
		if len(j.Leftovers) > 0 {
			s += fmt.Sprintf("; %d item(s) could not be removed", len(j.Leftovers))
		}
		return s
	case apitype.StateCancelled:
		return "Cancelled"
	default:
		if j.Reason != "" {
			return "Failed: " + j.Reason
		}
		return "Failed"
	}
}

// sortJobs puts jobs oldest first.
func sortJobs(js []*apitype.Job) {
	slices.SortFunc(js, func(a, b *apitype.Job) int { return a.Created.Compare(b.Created) })
}
