package conform

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/proc"
)

// ChildEnv carries the job a child engine process runs, as JSON. The harness starts
// Config.ChildCommand with it set; that program must call RunChild (iscdesk-pack does so in a
// hidden subcommand).
const ChildEnv = "ISCDESK_CONFORM_CHILD"

// childSpec is the job a child engine runs.
type childSpec struct {
	StateDir    string         `json:"state_dir"`
	InstallRoot string         `json:"install_root"`
	Env         []string       `json:"env"`
	GOOS        string         `json:"goos"`
	GOARCH      string         `json:"goarch"`
	StrayGrace  time.Duration  `json:"stray_grace"`
	Action      journal.Action `json:"action"`
	Source      string         `json:"source,omitempty"`
	PackageID   string         `json:"package_id,omitempty"`
}

func (s childSpec) engineConfig() engine.Config {
	return engine.Config{StateDir: s.StateDir, InstallRoot: s.InstallRoot, Env: s.Env, GOOS: s.GOOS, GOARCH: s.GOARCH, StrayGrace: s.StrayGrace}
}

// childEvent is one line the child prints: a journal point it passed, with the vendor process.
type childEvent struct {
	Point string `json:"point"`
	PID   int    `json:"pid,omitempty"`
	Token string `json:"token,omitempty"`
	End   string `json:"end,omitempty"` // the job's final state, on the last line
}

// RunChild runs the engine job that spec (the value of ChildEnv) describes, printing one JSON line
// per journal point to stdout, so that the harness can kill it at a moment of its choosing. It
// returns the process exit code: 0 when the job ran to an end (whatever the end), 2 when it could not run.
func RunChild(ctx context.Context, spec string, stdout io.Writer) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintf(os.Stderr, "conform child: bad %s: %v\n", ChildEnv, err)
		return 2
	}
	var mu sync.Mutex // Events may be called from the job's goroutine while we print the end
	emit := func(ev childEvent) {
		b, _ := json.Marshal(ev)
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, "%s\n", b)
	}
	cfg := s.engineConfig()
	cfg.Events = func(ev engine.Event) {
		if ev.Point != "" {
			emit(childEvent{Point: ev.Point, PID: ev.Job.PID, Token: ev.Job.StepToken})
		}
	}
	e, err := engine.Open(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conform child:", err)
		return 2
	}
	defer e.Close()
	job, err := e.Do(ctx, engine.Request{Action: s.Action, Source: s.Source, PackageID: s.PackageID})
	if job == nil {
		fmt.Fprintln(os.Stderr, "conform child:", err)
		return 2
	}
	emit(childEvent{End: string(job.State)})
	return 0
}

// cut is what happened to a child that was to be killed.
type cut struct {
	killed  bool          // false: the job ended before the kill time
	at      time.Duration // how long after the vendor step started it was killed
	victims []int         // the vendor processes killed with it
}

// interrupt runs spec in a child engine and SIGKILLs it, with the vendor's whole process tree, at
// `after` past the start of the vendor step of phase.
func (h *harness) interrupt(ctx context.Context, spec childSpec, phase string, after time.Duration) (cut, error) {
	if len(h.cfg.ChildCommand) == 0 {
		return cut{}, fmt.Errorf("no ChildCommand: the harness needs a program that runs conform.RunChild")
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return cut{}, err
	}
	cmd := exec.Command(h.cfg.ChildCommand[0], h.cfg.ChildCommand[1:]...)
	cmd.Env = append(os.Environ(), ChildEnv+"="+string(b))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return cut{}, fmt.Errorf("starting the child engine: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return cut{}, fmt.Errorf("starting the child engine %s: %w", h.cfg.ChildCommand[0], err)
	}

	// The reader ends at EOF, which comes when the child exits or is killed.
	events := make(chan childEvent)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev childEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()

	var (
		res     cut
		timer   <-chan time.Time
		started time.Time
		step    childEvent
	)
	kill := func() {
		_ = cmd.Process.Kill()
		if step.PID > 0 {
			_ = proc.KillGroup(step.PID)
			res.victims = append(res.victims, step.PID)
		}
		for _, pid := range proc.FindByToken(step.Token) {
			if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
				res.victims = append(res.victims, pid)
			}
		}
	}
loop:
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				break loop
			}
			// A step too fast to cut in its middle (after == 0) is cut as it starts: its token is
			// journaled, its process about to run or just running.
			startedEv := ev.Point == "installing/"+phase+":started" && ev.PID > 0
			startingEv := after == 0 && ev.Point == "installing/"+phase+":starting"
			if timer == nil && !res.killed && (startedEv || startingEv) {
				step, started = ev, time.Now()
				timer = time.After(after)
			}
		case <-timer:
			res.killed, res.at = true, time.Since(started)
			kill()
			timer = nil
		case <-ctx.Done():
			kill()
			for range events {
			}
			_ = cmd.Wait()
			return res, ctx.Err()
		}
	}
	werr := cmd.Wait()
	if !res.killed && werr != nil {
		return res, fmt.Errorf("the child engine failed: %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}
