package localapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// sseEvent is one server-sent event as it came over the wire.
type sseEvent struct {
	id    string // "" when the event had no id: line
	typ   string
	data  apitype.Event
	hasID bool
}

// sseReader reads events and comments of a text/event-stream.
type sseReader struct {
	t  *testing.T
	br *bufio.Reader
}

// next returns the next event, skipping comments; it stores the comments it skipped.
func (r *sseReader) next(comments *[]string) sseEvent {
	r.t.Helper()
	var e sseEvent
	var data string
	for {
		line, err := r.br.ReadString('\n')
		require.NoError(r.t, err, "reading the event stream")
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if data == "" {
				continue // the end of a comment or retry block
			}
			require.NoError(r.t, json.Unmarshal([]byte(data), &e.data))
			return e
		case strings.HasPrefix(line, ":"):
			if comments != nil {
				*comments = append(*comments, line)
			}
		case strings.HasPrefix(line, "id: "):
			e.id, e.hasID = strings.TrimPrefix(line, "id: "), true
		case strings.HasPrefix(line, "event: "):
			e.typ = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, "retry: "):
		default:
			r.t.Fatalf("unexpected line in the event stream: %q", line)
		}
	}
}

func (ts *testServer) events(t *testing.T, header http.Header, query string) *sseReader {
	resp := ts.do(t, "GET", "/v1/events"+query, header, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &sseReader{t: t, br: bufio.NewReader(resp.Body)}
}

func publishN(ts *testServer, n int) []apitype.Event {
	var out []apitype.Event
	for i := range n {
		out = append(out, ts.b.Events.Publish(apitype.Event{Type: apitype.EventProgress, Message: "step " + strconv.Itoa(i)}))
	}
	return out
}

func TestEventsInOrder(t *testing.T) {
	ts := startServer(t, Policy{})
	r := ts.events(t, nil, "") // Subscribe happened before the headers came
	sent := publishN(ts, 5)
	for _, want := range sent {
		got := r.next(nil)
		assert.Equal(t, strconv.FormatUint(want.ID, 10), got.id, "the id: line is the event id")
		assert.Equal(t, apitype.EventProgress, got.typ)
		assert.Equal(t, want.ID, got.data.ID)
		assert.Equal(t, want.Message, got.data.Message)
	}
}

func TestEventsResume(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		query  func(id uint64) string
	}{
		{name: "Last-Event-ID header"},
		{name: "last_event_id query", query: func(id uint64) string { return "?last_event_id=" + strconv.FormatUint(id, 10) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, Policy{})
			sent := publishN(ts, 4) // before anyone watches: only the ring has them
			var r *sseReader
			if tt.query != nil {
				r = ts.events(t, nil, tt.query(sent[1].ID))
			} else {
				r = ts.events(t, http.Header{"Last-Event-Id": {strconv.FormatUint(sent[1].ID, 10)}}, "")
			}
			live := publishN(ts, 1)
			for _, want := range append(sent[2:], live...) {
				assert.Equal(t, want.ID, r.next(nil).data.ID)
			}
		})
	}
}

func TestEventsReset(t *testing.T) {
	ts := startServer(t, Policy{})
	publishN(ts, 2)
	// An id of another agent process (epoch 7): what the client missed is unknown.
	old := uint64(7)<<32 | 40
	r := ts.events(t, http.Header{"Last-Event-Id": {strconv.FormatUint(old, 10)}}, "")
	reset := r.next(nil)
	assert.Equal(t, apitype.EventReset, reset.typ)
	assert.False(t, reset.hasID, "a reset has no id, so the client keeps its last real one")
	assert.Contains(t, reset.data.Message, "reload")
	live := publishN(ts, 1)
	assert.Equal(t, live[0].ID, r.next(nil).data.ID, "after the reset, live events follow")
}

func TestEventsKeepalive(t *testing.T) {
	ts := startServer(t, Policy{}) // keepalive every 50 ms
	r := ts.events(t, nil, "")
	var comments []string
	for !slices.Contains(comments, ": keepalive") {
		line, err := r.br.ReadString('\n')
		require.NoError(t, err)
		comments = append(comments, strings.TrimSuffix(line, "\n"))
	}
	sent := publishN(ts, 1)
	assert.Equal(t, sent[0].ID, r.next(nil).data.ID, "events still flow after keepalives")
}

func TestEventsEndWhenBackendCloses(t *testing.T) {
	ts := startServer(t, Policy{})
	resp := ts.do(t, "GET", "/v1/events", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ts.b.Events.Close()
	br := bufio.NewReader(resp.Body)
	for {
		_, err := br.ReadString('\n')
		if err != nil {
			assert.ErrorIs(t, err, io.EOF, "the stream ends cleanly when the backend closes it")
			return
		}
	}
}
