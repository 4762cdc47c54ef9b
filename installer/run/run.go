// Package run runs one install or uninstall step: a vendor's silent command, in its own process group
// (unix) or job object (windows), with a clean environment, a timeout that kills the whole process
// tree, its output in the job log and its exit code mapped to a manifest.Outcome. Processes the step
// leaves running are found, killed and reported: an installer that returns before its children are
// done has not finished installing.
package run

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/proc"
)

// Defaults for the zero values of Spec.
const (
	DefaultStrayGrace = 2 * time.Second
	DefaultTermGrace  = 5 * time.Second
)

// drainGrace bounds the wait for the output pipe to reach EOF once every process of the step is
// gone. Something outside the step can only hold the pipe open if it escaped both the process group
// and the token; its output is then lost rather than the job hanging.
const drainGrace = 2 * time.Second

// Spec is one step to run.
type Spec struct {
	// Args is argv, already template-expanded. Args[0] is found by exec.LookPath's rules with Dir as
	// the current folder: a name with a slash is relative to Dir, a bare name is searched in PATH
	// (on windows Dir is searched first, as Windows does with its current folder).
	Args []string
	Dir  string // working directory: the staged package
	// Env holds extra KEY=VALUE entries on top of a minimal, clean base environment (PATH, HOME or
	// USERPROFILE, SystemRoot, TEMP, LANG…), never the agent's whole environment.
	Env  []string
	Mode string // exported as ISCDESK_MODE: install | uninstall | continue | overwrite
	// InstallDir, PackageDir and LogFile are exported as ISCDESK_INSTALL_DIR, ISCDESK_PACKAGE_DIR
	// and ISCDESK_LOG when set.
	InstallDir, PackageDir, LogFile string
	// Timeout kills the whole tree when it runs out; manifest.DefaultTimeout when zero.
	Timeout time.Duration
	// TermGrace is how long the tree has between SIGTERM and SIGKILL on timeout or cancel
	// (DefaultTermGrace when zero; windows has no polite stop and kills at once).
	TermGrace time.Duration
	// Log is the job log: stdout and stderr go there interleaved, as they arrive.
	Log io.Writer
	// LogCap is how many bytes of output are written to Log before it is cut (8 MiB when zero).
	// Past it, Log gets a marker "[… N bytes cut …]" and the last 64 KiB of output when the step ends.
	LogCap int64
	// ExitCodes maps an exit code to an outcome (manifest.Platform.Outcome); when nil,
	// manifest.DefaultExitCodes apply and other codes fail.
	ExitCodes func(code int) manifest.Outcome
	// StrayGrace is how long processes of the step may outlive the main one before they are killed
	// (DefaultStrayGrace when zero).
	StrayGrace time.Duration
	// Started is called once the process runs, before waiting: the engine journals it there.
	Started func(Process)
	// Token, when set, is the step's token (proc.TokenEnv) instead of a random one: the engine journals
	// it before the start, so that a crash between the start and Started still leaves a way to find
	// the step's processes.
	Token string
}

// Process identifies a running step, so that the engine can find and kill it after a crash.
type Process struct {
	PID       int
	StartTime uint64 // proc.StartTime of PID
	Token     string // the value of proc.TokenEnv in the environment of every process of the step
}

// StrayProcess is a process of the step that was still running after the main one exited.
type StrayProcess struct {
	PID     int
	Command string
}

// Result is how a step ended.
type Result struct {
	ExitCode  int // -1 when the process was killed by a signal
	Outcome   manifest.Outcome
	Reason    string // one line for people
	TimedOut  bool
	Cancelled bool
	Duration  time.Duration
	Stray     []StrayProcess // the step's processes left running after the main one exited; they were killed
	Tail      string         // the last 4 KiB of output, for error messages
}

// Err returns nil when the step succeeded (OutcomeSuccess or OutcomeReboot), else an *Error.
func (r Result) Err() error {
	if r.Outcome == manifest.OutcomeSuccess || r.Outcome == manifest.OutcomeReboot {
		return nil
	}
	return &Error{Result: r}
}

// Error is a step that did not succeed.
type Error struct{ Result Result }

func (e *Error) Error() string {
	tail := strings.TrimSpace(e.Result.Tail)
	if tail == "" {
		return e.Result.Reason + " (no output)"
	}
	return e.Result.Reason + "; last output:\n" + tail
}

// Unwrap lets errors.Is(err, context.Canceled) see a cancelled step.
func (e *Error) Unwrap() error {
	if e.Result.Cancelled {
		return context.Canceled
	}
	return nil
}

// Run runs the step and waits for it and every process it started. It returns an error only when the
// command cannot start at all; how the command ended is in the Result (see Result.Err).
func Run(ctx context.Context, s Spec) (Result, error) {
	cmd, token, err := prepare(s)
	if err != nil {
		return Result{}, err
	}
	if ctx.Err() != nil {
		return Result{ExitCode: -1, Outcome: manifest.OutcomeCancelled, Cancelled: true, Reason: "cancelled before it started"}, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("run %s: create output pipe: %w", s.Args[0], err)
	}
	// One pipe for stdout and stderr keeps them in the order they were written.
	cmd.Stdout, cmd.Stderr = pw, pw
	begin := time.Now()
	cmd, t, err := start(ctx, cmd, token)
	pw.Close() // the step's processes hold the only write ends now
	if err != nil {
		pr.Close()
		return Result{}, startError(s, cmd.Path, err)
	}
	defer t.release()

	out := newOutput(s.Log, s.LogCap)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, pr) // ends at EOF, or when pr is closed below
	}()
	// Read the start time before Wait can reap the process: a reaped pid has none.
	pid := cmd.Process.Pid
	startTime, _ := proc.StartTime(pid)
	if s.Started != nil {
		s.Started(Process{PID: pid, StartTime: startTime, Token: token})
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	r := Result{}
	timeout := orDefault(s.Timeout, manifest.DefaultTimeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-waited:
	case <-ctx.Done():
		r.Cancelled = true
		stop(t, waited, orDefault(s.TermGrace, DefaultTermGrace))
	case <-timer.C:
		r.TimedOut = true
		stop(t, waited, orDefault(s.TermGrace, DefaultTermGrace))
	}
	r.Stray = sweep(t, orDefault(s.StrayGrace, DefaultStrayGrace))

	drain(pr, copied)
	logErr := out.finish()

	r.Duration = time.Since(begin)
	r.Tail = out.tail()
	r.ExitCode = cmd.ProcessState.ExitCode()
	r.Outcome, r.Reason = judge(s, r, cmd.ProcessState.String(), timeout)
	if logErr != nil {
		r.Reason += " (" + logErr.Error() + ")"
	}
	return r, nil
}

// drain waits for the output copy to reach EOF, which it does once every process of the step is
// gone, and cuts it off after drainGrace. Closing pr unblocks the pending read on every OS.
func drain(pr *os.File, copied <-chan struct{}) {
	defer pr.Close()
	t := time.NewTimer(drainGrace)
	defer t.Stop()
	select {
	case <-copied:
	case <-t.C:
		pr.Close()
		<-copied
	}
}

// prepare checks the spec and builds the command, its environment and the step's token.
func prepare(s Spec) (*exec.Cmd, string, error) {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return nil, "", errors.New("run: empty command; the package's install or uninstall command is missing")
	}
	if s.Dir != "" {
		fi, err := os.Stat(s.Dir)
		if err != nil {
			return nil, "", fmt.Errorf("run %s: working directory: %w; was the package staged?", s.Args[0], err)
		}
		if !fi.IsDir() {
			return nil, "", fmt.Errorf("run %s: working directory %s is not a directory", s.Args[0], s.Dir)
		}
	}
	path, err := lookPath(s.Args[0], s.Dir)
	if err != nil {
		return nil, "", err
	}
	token := s.Token
	if token == "" {
		if token, err = newToken(); err != nil {
			return nil, "", fmt.Errorf("run %s: %w", s.Args[0], err)
		}
	}
	var ours []string
	for _, kv := range [][2]string{
		{envMode, s.Mode}, {envInstallDir, s.InstallDir}, {envPackageDir, s.PackageDir}, {envLog, s.LogFile},
	} {
		if kv[1] != "" {
			ours = append(ours, kv[0]+"="+kv[1])
		}
	}
	ours = append(ours, proc.TokenEnv+"="+token)
	env, err := environ(runtime.GOOS, os.LookupEnv, s.Env, ours)
	if err != nil {
		return nil, "", fmt.Errorf("run %s: %w", s.Args[0], err)
	}
	// exec.Cmd is built by hand: exec.Command would look the name up again, relative to our folder.
	return &exec.Cmd{Path: path, Args: s.Args, Dir: s.Dir, Env: env}, token, nil
}

// lookPath finds Args[0] by exec.LookPath's rules with dir as the current folder.
func lookPath(name, dir string) (string, error) {
	var path string
	var err error
	switch {
	case filepath.IsAbs(name):
		path, err = exec.LookPath(name)
	case strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator):
		path, err = exec.LookPath(filepath.Join(dir, name))
	default:
		if runtime.GOOS == "windows" && dir != "" {
			if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
				return p, nil
			}
		}
		path, err = exec.LookPath(name)
	}
	switch {
	case err == nil:
		return path, nil
	case errors.Is(err, fs.ErrPermission):
		return "", fmt.Errorf("run %s: not executable: %w; the package must ship it with its executable bit set", name, err)
	case filepath.IsAbs(name) || strings.ContainsAny(name, `/\`):
		where := filepath.Dir(name)
		if !filepath.IsAbs(name) {
			where = filepath.Dir(filepath.Join(dir, name))
		}
		return "", fmt.Errorf("run %s: not found in %s: %w; check the command in the package manifest", name, where, err)
	default:
		return "", fmt.Errorf("run %s: not found in PATH: %w; install it or give its path in the package manifest", name, err)
	}
}

// textBusyRetries bounds the retries of a start that failed with ETXTBSY.
const textBusyRetries = 10

// start starts cmd in a tree. A freshly staged executable can fail with "text file busy" while
// another goroutine of the agent forks: the child briefly holds a copy of the file's write descriptor
// until it execs (golang/go#22315). That clears within milliseconds, so the start is retried with a
// fresh Cmd (one cannot be started twice).
func start(ctx context.Context, cmd *exec.Cmd, token string) (*exec.Cmd, tree, error) {
	for attempt := 1; ; attempt++ {
		t, err := startTree(cmd, token)
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || attempt == textBusyRetries {
			return cmd, t, err
		}
		select {
		case <-ctx.Done():
			return cmd, nil, err
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
		cmd = &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Dir: cmd.Dir, Env: cmd.Env, Stdout: cmd.Stdout, Stderr: cmd.Stderr}
	}
}

// startError explains a failed start, e.g. a script without a #! line (exec format error).
func startError(s Spec, path string, err error) error {
	return fmt.Errorf("run %s: start %s: %w; check that it is a program or a script with a #! line for this OS", s.Args[0], path, err)
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("step token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// stop ends the tree on timeout or cancel: politely first, then SIGKILL to everything once the main
// process exited or the grace ran out. It returns after the main process was reaped.
func stop(t tree, waited <-chan error, grace time.Duration) {
	_ = t.stop()
	g := time.NewTimer(grace)
	defer g.Stop()
	exited := false
	select {
	case <-waited:
		exited = true
	case <-g.C:
	}
	_ = t.kill()
	if !exited {
		<-waited
	}
}

// sweepPoll is how often the step's survivors are looked for while they have time to exit.
const sweepPoll = 50 * time.Millisecond

// killRounds bounds how often survivors are killed: a forking process can add one or two more.
const killRounds = 5

// sweep waits up to grace for the step's other processes to exit, then kills those left and reports
// them. It also catches the ones that were already killed with the tree but not yet gone.
func sweep(t tree, grace time.Duration) []StrayProcess {
	deadline := time.Now().Add(grace)
	var left []StrayProcess
	for {
		left = t.survivors()
		if len(left) == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			break
		}
		time.Sleep(sweepPoll) // polling /proc: there is nothing to wait on for processes we are not the parent of
	}
	seen := map[int]bool{}
	var strays []StrayProcess
	add := func(ps []StrayProcess) {
		for _, p := range ps {
			if !seen[p.PID] {
				seen[p.PID] = true
				strays = append(strays, p)
			}
		}
	}
	add(left)
	for range killRounds {
		_ = t.kill()
		gone := time.Now().Add(DefaultTermGrace)
		for len(left) > 0 && time.Now().Before(gone) {
			time.Sleep(sweepPoll / 5)
			left = t.survivors()
		}
		if len(left) == 0 {
			break
		}
		add(left)
	}
	return strays
}

// judge maps how the step ended to an outcome and a reason for people.
func judge(s Spec, r Result, how string, timeout time.Duration) (manifest.Outcome, string) {
	switch {
	case r.Cancelled:
		return manifest.OutcomeCancelled, "cancelled; the whole process tree was killed"
	case r.TimedOut:
		return manifest.OutcomeFailed, fmt.Sprintf("did not finish within %s; the whole process tree was killed", timeout)
	}
	var outcome manifest.Outcome
	var reason string
	if r.ExitCode < 0 {
		outcome, reason = manifest.OutcomeFailed, "ended by "+how
	} else {
		outcome = mapCode(s.ExitCodes, r.ExitCode)
		reason = fmt.Sprintf("exited %d (%s)", r.ExitCode, describe(outcome))
	}
	if len(r.Stray) == 0 {
		return outcome, reason
	}
	if outcome != manifest.OutcomeCancelled {
		outcome = manifest.OutcomeFailed
	}
	return outcome, fmt.Sprintf("%s but left %s running (%s); %s killed — an installer must wait for every process it starts",
		reason, plural(len(r.Stray), "process", "processes"), strayList(r.Stray), itThey(len(r.Stray)))
}

func mapCode(f func(int) manifest.Outcome, code int) manifest.Outcome {
	var o manifest.Outcome
	if f != nil {
		o = f(code)
	} else {
		o = manifest.DefaultExitCodes[code]
	}
	if o == "" {
		return manifest.OutcomeFailed
	}
	return o
}

func describe(o manifest.Outcome) string {
	switch o {
	case manifest.OutcomeSuccess:
		return "success"
	case manifest.OutcomeReboot:
		return "success, reboot required"
	case manifest.OutcomeRetryLater:
		return "another installation is in progress; retry later"
	case manifest.OutcomeCancelled:
		return "cancelled by the installer or the user"
	default:
		return string(o)
	}
}

// maxListed bounds the strays named in a reason, which must stay one line.
const maxListed = 3

func strayList(ps []StrayProcess) string {
	var parts []string
	for i, p := range ps {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-maxListed))
			break
		}
		cmd := p.Command
		if len(cmd) > 80 {
			cmd = cmd[:77] + "..."
		}
		parts = append(parts, fmt.Sprintf("pid %d: %s", p.PID, cmd))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func itThey(n int) string {
	if n == 1 {
		return "it was"
	}
	return "they were"
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
