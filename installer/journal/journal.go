// Package journal is the agent's crash-safe record of its jobs and of the inventory of what it
// installed: one bbolt file, journal.db, under the state folder.
//
// Every write is one bbolt transaction, committed with fsync before the call returns, so a step that
// the journal accepted survives a crash, a kill or a power loss. Values are JSON, one per key: readable
// with bbolt tools and tolerant of fields added by later builds.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the file this build writes. A file with a higher one is from a
// newer build and is refused rather than misread.
const SchemaVersion = 1

// FileName is the journal's name under the state folder.
const FileName = "journal.db"

// lockTimeout bounds the wait for the file lock: a second agent should fail at once, not hang.
const lockTimeout = time.Second

// ErrNotFound is returned, wrapped with what was asked for, when a job or an inventory entry is not there.
var ErrNotFound = errors.New("not found")

var (
	bucketMeta = []byte("meta")
	bucketJobs = []byte("jobs")
	// bucketOpen indexes the jobs that are not final (same keys as bucketJobs, empty values), so that
	// finding the unfinished ones costs what is open, not the whole history.
	bucketOpen      = []byte("open")
	bucketInstalled = []byte("installed")
	keySchema       = []byte("schema")
)

// Journal is an open journal file. Its methods are safe for concurrent use.
type Journal struct {
	db   *bolt.DB
	path string
	now  func() time.Time // the clock; tests replace it
}

// Open opens or creates the journal at path (mode 0600, its folder 0700 when created). It fails
// after about a second if another process holds the file.
func Open(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder of journal %s: %w", path, err)
	}
	// NoSync and NoFreelistSync stay false: every commit is fsynced, that is the point.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("journal %s is in use by another process (is an agent already running?)", path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("journal %s is not a readable journal (%w); move it aside to start a new one", path, err)
	case err != nil:
		return nil, fmt.Errorf("opening journal %s: %w", path, err)
	}
	j := &Journal{db: db, path: path, now: time.Now}
	if err := db.Update(j.initSchema); err != nil {
		_ = db.Close()
		return nil, err
	}
	return j, nil
}

// initSchema creates the buckets of a new file and refuses a file from a newer build.
func (j *Journal) initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("journal %s: creating bucket %s: %w", j.path, bucketMeta, err)
	}
	if raw := meta.Get(keySchema); raw != nil {
		v, err := strconv.Atoi(string(raw))
		if err != nil {
			return fmt.Errorf("journal %s: schema version %q is not a number; move the file aside to start a new journal", j.path, raw)
		}
		if v > SchemaVersion {
			return fmt.Errorf("journal %s was written by a newer ISCDesk (schema %d, this build reads up to %d); upgrade the agent, or move the file aside to start a new journal", j.path, v, SchemaVersion)
		}
		// Older schemas would be migrated here; 1 is the first.
	}
	if err := meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return fmt.Errorf("journal %s: writing schema version: %w", j.path, err)
	}
	for _, name := range [][]byte{bucketJobs, bucketInstalled} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("journal %s: creating bucket %s: %w", j.path, name, err)
		}
	}
	if tx.Bucket(bucketOpen) == nil {
		return j.indexOpen(tx)
	}
	return nil
}

// indexOpen builds the index of unfinished jobs of a file written before it existed.
func (j *Journal) indexOpen(tx *bolt.Tx) error {
	open, err := tx.CreateBucket(bucketOpen)
	if err != nil {
		return fmt.Errorf("journal %s: creating bucket %s: %w", j.path, bucketOpen, err)
	}
	return tx.Bucket(bucketJobs).ForEach(func(k, raw []byte) error {
		var job Job
		if err := j.decode(fmt.Sprintf("job key %x", k), raw, &job); err != nil {
			return err
		}
		if job.State.Final() {
			return nil
		}
		return open.Put(k, nil)
	})
}

// markOpen keeps the index of unfinished jobs in step with a job's state, in the same transaction.
func markOpen(tx *bolt.Tx, key []byte, s State) error {
	if s.Final() {
		return tx.Bucket(bucketOpen).Delete(key)
	}
	return tx.Bucket(bucketOpen).Put(key, []byte{})
}

// Path is the file the journal was opened from.
func (j *Journal) Path() string { return j.path }

// Close releases the file and its lock.
func (j *Journal) Close() error {
	if err := j.db.Close(); err != nil {
		return fmt.Errorf("closing journal %s: %w", j.path, err)
	}
	return nil
}

// stamp is the time written into records: UTC, without the monotonic reading JSON would drop anyway.
func (j *Journal) stamp() time.Time { return j.now().UTC().Round(0) }

func (j *Journal) decode(what string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s cannot be read: %w", what, err)
	}
	return nil
}
