package journal

import (
	"path/filepath"
	"testing"
)

// BenchmarkStep is one journaled step as the engine takes it: one Update, committed with fsync.
func BenchmarkStep(b *testing.B) { benchStep(b, false) }

// BenchmarkStepNoSync is the same without fsync, to show what durability costs. Never used outside
// this benchmark.
func BenchmarkStepNoSync(b *testing.B) { benchStep(b, true) }

func benchStep(b *testing.B, noSync bool) {
	j, err := Open(filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	j.db.NoSync = noSync
	job := newJob("cadpro")
	if err := j.Create(job); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, err := j.Update(job.ID, func(j *Job) error {
			j.Attempt++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
