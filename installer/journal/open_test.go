package journal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// ids lists the ids of jobs.
func ids(jobs []*Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

// TestUnfinishedFollowsTheIndex checks that the index of open jobs is kept in step by Create and
// Update, and rebuilt for a file that has none.
func TestUnfinishedFollowsTheIndex(t *testing.T) {
	j := openTest(t)
	var created []*Job
	for _, p := range []string{"a", "b", "c", "d"} {
		job := newJob(p)
		require.NoError(t, j.Create(job))
		created = append(created, job)
	}
	done := func(job *Job) error { job.State = StateDone; return nil }
	_, err := j.Update(created[1].ID, done)
	require.NoError(t, err)
	_, err = j.Update(created[3].ID, func(job *Job) error { job.State = StateWaitingRetry; return nil })
	require.NoError(t, err)

	open, err := j.Unfinished()
	require.NoError(t, err)
	assert.Equal(t, []string{created[0].ID, created[2].ID, created[3].ID}, ids(open), "oldest first, final ones left out")

	// A file from before the index: drop it, reopen, the same answer.
	path := j.Path()
	require.NoError(t, j.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketOpen) }))
	require.NoError(t, j.Close())
	j2, err := Open(path)
	require.NoError(t, err)
	defer j2.Close()
	again, err := j2.Unfinished()
	require.NoError(t, err)
	assert.Equal(t, ids(open), ids(again))

	_, err = j2.Update(created[0].ID, done)
	require.NoError(t, err)
	again, err = j2.Unfinished()
	require.NoError(t, err)
	assert.Equal(t, []string{created[2].ID, created[3].ID}, ids(again))
}

func TestPruneKeepsTheNewestFinishedAndEveryOpenJob(t *testing.T) {
	j := openTest(t)
	var all []*Job
	for i := 0; i < 6; i++ {
		job := newJob("p")
		require.NoError(t, j.Create(job))
		all = append(all, job)
	}
	for _, i := range []int{0, 2, 3, 5} { // 1 and 4 stay open
		_, err := j.Update(all[i].ID, func(job *Job) error { job.State = StateFailed; return nil })
		require.NoError(t, err)
	}
	removed, err := j.Prune(2)
	require.NoError(t, err)
	assert.Equal(t, []string{all[2].ID, all[0].ID}, ids(removed), "the oldest finished ones go")
	left, err := j.List()
	require.NoError(t, err)
	assert.Equal(t, []string{all[5].ID, all[4].ID, all[3].ID, all[1].ID}, ids(left))
	removed, err = j.Prune(2)
	require.NoError(t, err)
	assert.Empty(t, removed)
}
