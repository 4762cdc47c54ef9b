package localapi

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

func TestTailStart(t *testing.T) {
	tests := []struct {
		name string
		text string
		n    int
		want string
	}{
		{"last two", "a\nb\nc\n", 2, "b\nc\n"},
		{"more than there are", "a\nb\n", 10, "a\nb\n"},
		{"exactly all", "a\nb\n", 2, "a\nb\n"},
		{"none", "a\nb\n", 0, ""},
		{"no final newline", "a\nb\nc", 1, "c"},
		{"no final newline, two", "a\nb\nc", 2, "b\nc"},
		{"empty lines count", "a\n\n\n", 2, "\n\n"},
		{"empty file", "", 3, ""},
		{"one line", "only\n", 1, "only\n"},
		{"long lines across chunks", strings.Repeat("x", 70<<10) + "\n" + strings.Repeat("y", 40<<10) + "\nz\n", 2, strings.Repeat("y", 40<<10) + "\nz\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := strings.NewReader(tt.text)
			start, err := tailStart(r, int64(len(tt.text)), tt.n)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tt.text[start:])
		})
	}
}

func TestJobLog(t *testing.T) {
	const text = "fetching\nverifying\ninstalling\nexit 0\n"
	tests := []struct {
		query string
		want  string
	}{
		{"", text},
		{"?tail=2", "installing\nexit 0\n"},
		{"?tail=0", ""},
		{"?tail=100", text},
		{"?follow=0&tail=1", "exit 0\n"},
	}
	ts := startServer(t, Policy{})
	ts.b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateDone})
	require.NoError(t, ts.b.AppendLog("job-1", text))
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := ts.do(t, "GET", "/v1/jobs/job-1/log"+tt.query, nil, "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(body))
		})
	}
}

func TestJobLogFollow(t *testing.T) {
	ts := startServer(t, Policy{})
	job := apitype.Job{ID: "job-1", State: apitype.StateQueued}
	ts.b.PutJob(job)
	// The log does not exist yet: follow waits for it.
	resp := ts.do(t, "GET", "/v1/jobs/job-1/log?follow=1&tail=5", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	br := bufio.NewReader(resp.Body)

	require.NoError(t, ts.b.AppendLog("job-1", "fetching\n"))
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "fetching\n", line)

	job.State = apitype.StateInstalling
	ts.b.PutJob(job)
	require.NoError(t, ts.b.AppendLog("job-1", "installing\n"))
	line, err = br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "installing\n", line)

	// The last lines are written just before the job ends: the stream drains them, then ends.
	require.NoError(t, ts.b.AppendLog("job-1", "exit 0\ndone\n"))
	job.State = apitype.StateDone
	ts.b.PutJob(job)
	rest, err := io.ReadAll(br)
	require.NoError(t, err, "the stream ends cleanly when the job is final")
	assert.Equal(t, "exit 0\ndone\n", string(rest))
}

func TestJobLogFollowTail(t *testing.T) {
	ts := startServer(t, Policy{})
	ts.b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateFailed})
	require.NoError(t, ts.b.AppendLog("job-1", "one\ntwo\nthree\n"))
	resp := ts.do(t, "GET", "/v1/jobs/job-1/log?follow=true&tail=1", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "a final job's log is sent and the stream ends")
	assert.Equal(t, "three\n", string(body))
}
