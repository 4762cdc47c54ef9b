package journal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// openTest opens a journal in a temp folder whose clock starts at t0 and ticks one second per call.
func openTest(t *testing.T) *Journal {
	t.Helper()
	j, err := Open(filepath.Join(t.TempDir(), "state", FileName))
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	tick := 0
	var mu sync.Mutex
	j.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick++
		return t0.Add(time.Duration(tick) * time.Second)
	}
	return j
}

func newJob(pkg string) *Job {
	return &Job{Action: ActionInstall, PackageID: pkg, Name: pkg, Version: "1.0", Source: "/srv/" + pkg}
}

func TestCreate(t *testing.T) {
	j := openTest(t)
	first, second := newJob("cadpro"), newJob("plcsim")
	second.State = StateStaged
	require.NoError(t, j.Create(first))
	require.NoError(t, j.Create(second))

	assert.Equal(t, "j-000001", first.ID)
	assert.Equal(t, "j-000002", second.ID)
	assert.Equal(t, StateQueued, first.State, "an empty state becomes queued")
	assert.Equal(t, StateStaged, second.State, "a given state is kept")
	assert.Equal(t, t0.Add(time.Second), first.Created)
	assert.Equal(t, first.Created, first.Updated)
	assert.Equal(t, []Transition{{State: StateQueued, At: first.Created}}, first.History)

	got, err := j.Get(first.ID)
	require.NoError(t, err)
	assert.Equal(t, first, got)
}

func TestCreateRejects(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"has an id", Job{ID: "j-000007", Action: ActionInstall}, "already has id j-000007"},
		{"no action", Job{PackageID: "cadpro"}, `unknown action ""`},
		{"unknown action", Job{PackageID: "cadpro", Action: "reinstall"}, `unknown action "reinstall"`},
		{"unknown state", Job{PackageID: "cadpro", Action: ActionInstall, State: "paused"}, `unknown state "paused"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := openTest(t)
			job := tt.job
			err := j.Create(&job)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, tt.job.ID, job.ID, "a refused job gets no id")
			list, err := j.List()
			require.NoError(t, err)
			assert.Empty(t, list)
		})
	}
}

func TestUpdateHistory(t *testing.T) {
	j := openTest(t)
	job := newJob("cadpro")
	job.Action = ActionOverwrite
	require.NoError(t, j.Create(job))

	steps := []struct {
		name     string
		change   func(*Job)
		wantNew  *Transition // the entry appended, nil when State and Phase stay
		wantSeen func(t *testing.T, got *Job)
	}{
		{
			name:    "staging",
			change:  func(j *Job) { j.State = StateStaging },
			wantNew: &Transition{State: StateStaging},
		},
		{
			name:    "same state, other fields: no transition",
			change:  func(j *Job) { j.PackageDir = "/var/lib/iscdesk/packages/cadpro" },
			wantNew: nil,
			wantSeen: func(t *testing.T, got *Job) {
				assert.Equal(t, "/var/lib/iscdesk/packages/cadpro", got.PackageDir)
			},
		},
		{
			name: "installing, cleanup phase",
			change: func(j *Job) {
				j.State, j.Phase, j.Mode, j.Attempt = StateInstalling, "cleanup", "uninstall", 1
				j.PID, j.PIDStart, j.StepToken = 4242, 987654, "tok-1"
			},
			wantNew: &Transition{State: StateInstalling, Phase: "cleanup"},
		},
		{
			name:    "attempt 2 of the same phase: no transition",
			change:  func(j *Job) { j.Attempt = 2 },
			wantNew: nil,
			wantSeen: func(t *testing.T, got *Job) {
				assert.Equal(t, 2, got.Attempt)
				assert.Equal(t, 4242, got.PID)
			},
		},
		{
			name:    "install phase",
			change:  func(j *Job) { j.Phase, j.Mode, j.Attempt = "install", "install", 1 },
			wantNew: &Transition{State: StateInstalling, Phase: "install"},
		},
		{
			name: "failed, with a reason that becomes the note",
			change: func(j *Job) {
				j.State, j.Phase, j.ExitCode, j.Outcome = StateFailed, "", 1603, "failed"
				j.Reason = "the installer exited with 1603"
				j.Leftovers = []string{"/opt/cadpro"}
			},
			wantNew: &Transition{State: StateFailed, Note: "the installer exited with 1603"},
			wantSeen: func(t *testing.T, got *Job) {
				assert.True(t, got.State.Final())
				assert.Equal(t, []string{"/opt/cadpro"}, got.Leftovers)
			},
		},
	}
	history := job.History
	for _, step := range steps {
		got, err := j.Update(job.ID, func(job *Job) error {
			step.change(job)
			return nil
		})
		require.NoError(t, err, step.name)
		if step.wantNew != nil {
			tr := *step.wantNew
			tr.At = got.Updated
			history = append(history, tr)
		}
		assert.Equal(t, history, got.History, step.name)
		assert.True(t, got.Updated.After(got.Created), step.name)
		if step.wantSeen != nil {
			step.wantSeen(t, got)
		}
		stored, err := j.Get(job.ID)
		require.NoError(t, err)
		assert.Equal(t, got, stored, "%s: Update returns what it stored", step.name)
	}
}

func TestUpdateAborts(t *testing.T) {
	errStop := errors.New("stop here")
	tests := []struct {
		name    string
		fn      func(*Job) error
		wantIs  error
		wantMsg string
	}{
		{
			name: "fn error is returned as it is",
			fn: func(j *Job) error {
				j.State = StateDone
				return errStop
			},
			wantIs: errStop,
		},
		{
			name:    "unknown state",
			fn:      func(j *Job) error { j.State = "paused"; return nil },
			wantMsg: `unknown state "paused"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := openTest(t)
			job := newJob("cadpro")
			require.NoError(t, j.Create(job))

			got, err := j.Update(job.ID, tt.fn)
			require.Error(t, err)
			assert.Nil(t, got)
			if tt.wantIs != nil {
				assert.Equal(t, tt.wantIs, err)
			}
			assert.Contains(t, err.Error(), tt.wantMsg)

			stored, err := j.Get(job.ID)
			require.NoError(t, err)
			assert.Equal(t, job, stored, "nothing is written")
		})
	}
}

func TestUpdateKeepsWhatIsTheJournals(t *testing.T) {
	j := openTest(t)
	job := newJob("cadpro")
	require.NoError(t, j.Create(job))

	got, err := j.Update(job.ID, func(j *Job) error {
		j.ID, j.Created, j.History = "j-999999", time.Time{}, nil
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, job.ID, got.ID)
	assert.Equal(t, job.Created, got.Created)
	assert.Equal(t, job.History, got.History)
}

func TestUpdateConcurrent(t *testing.T) {
	j := openTest(t)
	job := newJob("cadpro")
	require.NoError(t, j.Create(job))

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := j.Update(job.ID, func(j *Job) error { j.Attempt++; return nil })
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := j.Get(job.ID)
	require.NoError(t, err)
	assert.Equal(t, n, got.Attempt, "each read-modify-write sees the previous one")
}

func TestNotFound(t *testing.T) {
	j := openTest(t)
	require.NoError(t, j.Create(newJob("cadpro")))

	for _, id := range []string{"j-000002", "j-2", "j-+00001", "j-000000", "42", ""} {
		t.Run(id, func(t *testing.T) {
			_, err := j.Get(id)
			require.ErrorIs(t, err, ErrNotFound)
			assert.Contains(t, err.Error(), id)

			_, err = j.Update(id, func(*Job) error { return nil })
			require.ErrorIs(t, err, ErrNotFound)
		})
	}
}

func TestListAndUnfinished(t *testing.T) {
	j := openTest(t)
	final := map[string]State{"a": StateDone, "b": StateInstalling, "c": StateFailed, "d": StateQueued, "e": StateCancelled, "f": StateDetecting}
	var ids []string
	for _, pkg := range []string{"a", "b", "c", "d", "e", "f"} {
		job := newJob(pkg)
		require.NoError(t, j.Create(job))
		_, err := j.Update(job.ID, func(j *Job) error { j.State = final[pkg]; return nil })
		require.NoError(t, err)
		ids = append(ids, job.ID)
	}

	list, err := j.List()
	require.NoError(t, err)
	assert.Equal(t, []string{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}, jobIDs(list), "newest first")

	open, err := j.Unfinished()
	require.NoError(t, err)
	assert.Equal(t, []string{ids[1], ids[3], ids[5]}, jobIDs(open), "not final, oldest first")
}

func jobIDs(jobs []*Job) []string {
	ids := []string{}
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func TestStateFinal(t *testing.T) {
	tests := []struct {
		state State
		final bool
	}{
		{StateQueued, false}, {StateStaging, false}, {StateStaged, false}, {StateInstalling, false},
		{StateDetecting, false}, {StateDone, true}, {StateFailed, true}, {StateCancelled, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.final, tt.state.Final(), tt.state)
		assert.True(t, tt.state.Valid(), tt.state)
	}
	assert.False(t, State("paused").Valid())
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	j, err := Open(path)
	require.NoError(t, err)
	job := newJob("cadpro")
	require.NoError(t, j.Create(job))
	updated, err := j.Update(job.ID, func(j *Job) error {
		j.State, j.Warnings = StateStaging, []string{"low disk space"}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, j.PutInstalled(&Installed{ID: "plcsim", Name: "PLC Sim", Version: "2.1"}))
	require.NoError(t, j.Close())

	j, err = Open(path)
	require.NoError(t, err)
	defer j.Close()
	got, err := j.Get(job.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)
	in, err := j.GetInstalled("plcsim")
	require.NoError(t, err)
	assert.Equal(t, "2.1", in.Version)

	next := newJob("other")
	require.NoError(t, j.Create(next))
	assert.Equal(t, "j-000002", next.ID, "the id counter survives a reopen")

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}

func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	j, err := Open(path)
	require.NoError(t, err)
	defer j.Close()

	// flock locks belong to the open file, so a second Open in this process contends like another agent would.
	second, err := Open(path)
	require.Error(t, err)
	assert.Nil(t, second)
	assert.Equal(t, fmt.Sprintf("journal %s is in use by another process (is an agent already running?)", path), err.Error())
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	j, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("2"))
	}))
	require.NoError(t, j.Close())

	_, err = Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "written by a newer ISCDesk (schema 2, this build reads up to 1)")

	// The refusal must not have taken the lock with it.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Close())
}

func TestOpenNotAJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	require.NoError(t, os.WriteFile(path, make([]byte, 64<<10), 0o600))
	_, err := Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "move it aside")
}

// TestDurableAfterKill is the durability contract: a process that is SIGKILLed right after Update
// returns leaves a journal that has that update.
func TestDurableAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const steps = 5
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriteAndDie$", "-test.count=1")
	cmd.Env = append(os.Environ(), "JOURNAL_KILL_HELPER="+path, fmt.Sprintf("JOURNAL_KILL_STEPS=%d", steps))
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "the helper must die by its own kill, output:\n%s", out)
	if runtime.GOOS != "windows" {
		assert.Equal(t, -1, exitErr.ExitCode(), "killed by a signal, output:\n%s", out)
	}

	j, err := Open(path) // also proves the dead process's lock is gone
	require.NoError(t, err)
	defer j.Close()
	got, err := j.Get("j-000001")
	require.NoError(t, err)
	assert.Equal(t, steps, got.Attempt, "the last step before the kill is there")
	assert.Equal(t, StateInstalling, got.State)
	assert.Equal(t, "tok-5", got.StepToken)
	require.Len(t, got.History, 2)
}

// TestHelperWriteAndDie runs only as TestDurableAfterKill's child: it journals steps and kills
// itself the instant the last Update returns, with no Close and no chance to flush anything.
func TestHelperWriteAndDie(t *testing.T) {
	path := os.Getenv("JOURNAL_KILL_HELPER")
	if path == "" {
		t.Skip("helper process for TestDurableAfterKill")
	}
	var steps int
	_, err := fmt.Sscan(os.Getenv("JOURNAL_KILL_STEPS"), &steps)
	require.NoError(t, err)
	j, err := Open(path)
	require.NoError(t, err)
	job := newJob("cadpro")
	require.NoError(t, j.Create(job))
	for i := 1; i <= steps; i++ {
		_, err := j.Update(job.ID, func(j *Job) error {
			j.State, j.Attempt, j.StepToken = StateInstalling, i, fmt.Sprintf("tok-%d", i)
			return nil
		})
		require.NoError(t, err)
	}
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)
	require.NoError(t, self.Kill())
	select {} // the kill is on its way
}
