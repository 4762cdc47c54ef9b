package journal

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Create journals a new job. It assigns job.ID (j-000001, j-000002, ... from a counter in the file),
// sets State to queued when empty, sets Created and Updated, and starts History with the first state.
func (j *Journal) Create(job *Job) error {
	if job.ID != "" {
		return fmt.Errorf("journal: creating a job that already has id %s; use Update to change it", job.ID)
	}
	if !job.Action.Valid() {
		return fmt.Errorf("journal: creating a job for %q: unknown action %q (want install, uninstall, repair or overwrite)", job.PackageID, job.Action)
	}
	if job.State == "" {
		job.State = StateQueued
	}
	if !job.State.Valid() {
		return fmt.Errorf("journal: creating a job for %q: unknown state %q", job.PackageID, job.State)
	}
	now := j.stamp()
	// Fill a copy, so that a failed commit leaves the caller's job as it was.
	c := *job
	c.Created, c.Updated = now, now
	c.History = []Transition{{State: c.State, Phase: c.Phase, At: now, Note: c.Reason}}

	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = formatID(seq)
		raw, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		if err := markOpen(tx, jobKey(seq), c.State); err != nil {
			return err
		}
		return b.Put(jobKey(seq), raw)
	})
	if err != nil {
		return fmt.Errorf("journal %s: creating a job for %q: %w", j.path, job.PackageID, err)
	}
	*job = c
	return nil
}

// Update reads job id, lets fn change it and writes it back, all in one transaction. If fn returns
// an error nothing is written and that error is returned as it is. Update keeps the ID and Created,
// sets Updated, and appends a Transition to History when State or Phase changed.
func (j *Journal) Update(id string, fn func(*Job) error) (*Job, error) {
	key, err := parseID(id)
	if err != nil {
		return nil, err
	}
	var job Job
	var fnErr error
	err = j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		raw := b.Get(key)
		if raw == nil {
			return ErrNotFound
		}
		if err := j.decode("the record", raw, &job); err != nil {
			return err
		}
		before := job
		before.History = slices.Clone(job.History)
		if fnErr = fn(&job); fnErr != nil {
			return fnErr
		}
		if !job.State.Valid() {
			return fmt.Errorf("unknown state %q", job.State)
		}
		job.ID, job.Created = before.ID, before.Created
		// History is the journal's to keep: fn cannot rewrite what happened.
		job.History = before.History
		job.Updated = j.stamp()
		if job.State != before.State || job.Phase != before.Phase {
			t := Transition{State: job.State, Phase: job.Phase, At: job.Updated}
			if job.Reason != before.Reason {
				t.Note = job.Reason
			}
			job.History = append(job.History, t)
		}
		raw, err := json.Marshal(&job)
		if err != nil {
			return err
		}
		if err := markOpen(tx, key, job.State); err != nil {
			return err
		}
		return b.Put(key, raw)
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, fmt.Errorf("journal %s: updating job %s: %w", j.path, id, err)
	}
	return &job, nil
}

// Get returns job id, or an error wrapping ErrNotFound.
func (j *Journal) Get(id string) (*Job, error) {
	key, err := parseID(id)
	if err != nil {
		return nil, err
	}
	var job Job
	err = j.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketJobs).Get(key)
		if raw == nil {
			return ErrNotFound
		}
		return j.decode("the record", raw, &job)
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: job %s: %w", j.path, id, err)
	}
	return &job, nil
}

// List returns every job, newest first.
func (j *Journal) List() ([]*Job, error) {
	jobs, err := j.jobs(func(*Job) bool { return true })
	slices.Reverse(jobs)
	return jobs, err
}

// Unfinished returns the jobs that are not done, failed or cancelled, oldest first: the ones to
// finish after a restart, in the order they were asked for.
func (j *Journal) Unfinished() ([]*Job, error) {
	var jobs []*Job
	err := j.db.View(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketJobs)
		return tx.Bucket(bucketOpen).ForEach(func(k, _ []byte) error {
			raw := all.Get(k)
			if raw == nil {
				return fmt.Errorf("the index of open jobs names job key %x, which is not in the journal", k)
			}
			job := new(Job)
			if err := j.decode(fmt.Sprintf("job key %x", k), raw, job); err != nil {
				return err
			}
			jobs = append(jobs, job)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: listing unfinished jobs: %w", j.path, err)
	}
	return jobs, nil
}

// jobs returns the jobs that keep accepts, oldest first.
func (j *Journal) jobs(keep func(*Job) bool) ([]*Job, error) {
	var jobs []*Job
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, raw []byte) error {
			job := new(Job)
			if err := j.decode(fmt.Sprintf("job key %x", k), raw, job); err != nil {
				return err
			}
			if keep(job) {
				jobs = append(jobs, job)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: listing jobs: %w", j.path, err)
	}
	return jobs, nil
}

// Prune removes the oldest final jobs beyond the newest keep of them, and returns what it removed
// (their log files are the caller's to delete). Unfinished jobs are never removed.
func (j *Journal) Prune(keep int) ([]*Job, error) {
	var removed []*Job
	err := j.db.Update(func(tx *bolt.Tx) error {
		b, open := tx.Bucket(bucketJobs), tx.Bucket(bucketOpen)
		final := 0
		c := b.Cursor()
		var drop [][]byte
		for k, raw := c.Last(); k != nil; k, raw = c.Prev() {
			if open.Get(k) != nil {
				continue
			}
			if final++; final <= keep {
				continue
			}
			job := new(Job)
			if err := j.decode(fmt.Sprintf("job key %x", k), raw, job); err != nil {
				return err
			}
			removed = append(removed, job)
			drop = append(drop, slices.Clone(k))
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: pruning old jobs: %w", j.path, err)
	}
	return removed, nil
}
