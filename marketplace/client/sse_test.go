package client

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSSEReader(t *testing.T) {
	tests := []struct {
		name      string
		stream    string
		want      []sseEvent
		wantRetry time.Duration
	}{
		{
			name:      "events, comments and retry",
			stream:    "retry: 3000\n\n: keep-alive\n\nid: 7\nevent: notification\ndata: {\"id\":7}\n\n",
			want:      []sseEvent{{ID: "7", Event: "notification", Data: `{"id":7}`}},
			wantRetry: 3 * time.Second,
		},
		{
			name:   "multi-line data, default event name, no space after the colon",
			stream: "data:one\ndata: two\n\n",
			want:   []sseEvent{{Event: "message", Data: "one\ntwo"}},
		},
		{
			name:   "CRLF and lone CR line ends",
			stream: "id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\r",
			want:   []sseEvent{{ID: "1", Event: "message", Data: "a"}, {ID: "2", Event: "message", Data: "b"}},
		},
		{
			name:   "an event without data is not dispatched; unknown fields are ignored",
			stream: "event: ping\n\nfoo: bar\ndata: x\n\n",
			want:   []sseEvent{{Event: "message", Data: "x"}},
		},
		{
			name:   "an event cut off before its blank line is dropped",
			stream: "data: whole\n\ndata: cut",
			want:   []sseEvent{{Event: "message", Data: "whole"}},
		},
		{
			name:   "an id with NUL is ignored",
			stream: "id: a\x00b\ndata: x\n\n",
			want:   []sseEvent{{Event: "message", Data: "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := 0
			r := newSSEReader(strings.NewReader(tt.stream), func() { lines++ })
			var got []sseEvent
			for {
				ev, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				got = append(got, ev)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantRetry, r.Retry)
			assert.Positive(t, lines)
		})
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	r := newSSEReader(strings.NewReader("data: "+strings.Repeat("x", maxSSELine+1)+"\n\n"), nil)
	_, err := r.Next()
	require.Error(t, err)
	assert.NotErrorIs(t, err, io.EOF)
}
