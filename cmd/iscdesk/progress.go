package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// progressBar draws one step of one job (a download, an extraction) on a terminal, with the bytes,
// rate and time left that the agent reports. The agent's figures are used rather than the bar's
// own, which would count a resumed download's first report as if it had just been fetched.
type progressBar struct {
	job, step, label string
	total            int64
	bar              *progressbar.ProgressBar
}

func newProgressBar(w io.Writer, job, label, step string, total int64) *progressBar {
	// No throttle: the agent paces its reports, and Describe and Set64 each draw.
	// total > 0 here: an unknown length would start progressbar's spinner goroutine, which
	// nobody could stop.
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetWidth(30),
	)
	return &progressBar{job: job, step: step, label: label, total: total, bar: bar}
}

// is reports whether the bar draws this job's step.
func (b *progressBar) is(job, step string, total int64) bool {
	return b.job == job && b.step == step && b.total == total
}

func (b *progressBar) set(pr *apitype.Progress) error {
	b.bar.Describe(b.label + ": " + pr.Step + " " + progressFigures(pr, false))
	done := max(0, min(pr.Done, b.total)) // the bar refuses numbers past its end
	if err := b.bar.Set64(done); err != nil {
		return fmt.Errorf("drawing the progress bar: %w", err)
	}
	return nil
}

func (b *progressBar) clear() error {
	if err := b.bar.Clear(); err != nil {
		return fmt.Errorf("clearing the progress bar: %w", err)
	}
	return nil
}

// progressText is the plain line of a progress report: "downloading 3.0 MiB of 12.0 MiB (25%, 1.2 MiB/s, 7s left)".
func progressText(pr *apitype.Progress) string {
	return pr.Step + " " + progressFigures(pr, true)
}

// progressFigures is "3.0 MiB of 12.0 MiB (25%, 1.2 MiB/s, 7s left)", without the percentage
// unless percent.
func progressFigures(pr *apitype.Progress, percent bool) string {
	if pr.Total <= 0 {
		return bytesText(pr.Done)
	}
	s := bytesText(pr.Done) + " of " + bytesText(pr.Total)
	var extra []string
	if percent {
		extra = append(extra, fmt.Sprintf("%d%%", pr.Done*100/pr.Total))
	}
	if pr.Rate > 0 {
		extra = append(extra, bytesText(int64(pr.Rate))+"/s")
	}
	if pr.ETA > 0 {
		extra = append(extra, pr.ETA.Round(time.Second).String()+" left")
	}
	for i, e := range extra {
		if i == 0 {
			s += " (" + e
		} else {
			s += ", " + e
		}
	}
	if len(extra) > 0 {
		s += ")"
	}
	return s
}

// bytesText writes a size in binary units: "512 B", "3.0 MiB".
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
