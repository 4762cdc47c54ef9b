package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func writeEvent(t *testing.T, w http.ResponseWriter, n api.Notification) {
	data, err := json.Marshal(n)
	assert.NoError(t, err)
	fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, data)
	w.(http.Flusher).Flush()
}

// TestStreamReconnects: the server drops the stream after two events, answers the next connection
// with a 503, then resumes from Last-Event-ID.
func TestStreamReconnects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var lastIDs []string
	conn := 0
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/v1/notifications/stream", r.URL.Path)
		assert.Equal(t, "text/event-stream", r.Header.Get("Accept"))
		mu.Lock()
		conn++
		n := conn
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		mu.Unlock()
		switch n {
		case 1:
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "retry: 10\n\n: keep-alive\n\n")
			writeEvent(t, w, api.Notification{ID: 4, Kind: "order", Title: "Order paid"})
			writeEvent(t, w, api.Notification{ID: 5, Kind: "license", Title: "License issued"})
		case 2:
			writeAPIError(w, 503, "unavailable", "", "restarting")
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			writeEvent(t, w, api.Notification{ID: 6, Kind: "delivery", Title: "Shipped"})
			<-r.Context().Done() // held open until the client leaves
		}
	}))
	o := fastOptions(newMemStore())
	c := New(base, o).WithToken("tok")

	var got []int64
	var errs []error
	for n, err := range c.NotificationsStream(context.Background(), "3") {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, n.ID)
		if n.ID == 6 {
			break
		}
	}
	assert.Equal(t, []int64{4, 5, 6}, got)
	require.Len(t, errs, 1, "the 503 is reported, and the stream goes on")
	assert.ErrorIs(t, errs[0], ErrUnreachable)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"3", "5", "5"}, lastIDs)
}

func TestStreamIdleReconnects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	conn := 0
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conn++
		n := conn
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		if n >= 2 {
			writeEvent(t, w, api.Notification{ID: 1, Title: "after the silence"})
		}
		<-r.Context().Done() // a connection that went quiet (a dead proxy)
	}))
	o := fastOptions(newMemStore())
	o.StreamIdle = 100 * time.Millisecond
	c := New(base, o).WithToken("tok")

	var idleErr error
	for n, err := range c.NotificationsStream(context.Background(), "") {
		if err != nil {
			idleErr = err
			continue
		}
		assert.Equal(t, "after the silence", n.Title)
		break
	}
	require.ErrorIs(t, idleErr, ErrUnreachable)
	assert.ErrorContains(t, idleErr, "silent for 100ms")
}

func TestStreamStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		code    string
		wantErr string
	}{
		{name: "forbidden", status: 403, code: "forbidden", wantErr: "403 Forbidden (forbidden)"},
		{name: "gone", status: 404, code: "not_found", wantErr: "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeAPIError(w, tt.status, tt.code, "", "no")
			}))
			var errs []error
			for _, err := range New(base, fastOptions(newMemStore())).WithToken("tok").NotificationsStream(context.Background(), "") {
				require.Error(t, err)
				errs = append(errs, err)
			}
			require.Len(t, errs, 1, "one error, then the stream ends by itself")
			assert.ErrorContains(t, errs[0], tt.wantErr)
		})
	}
}

func TestStreamEndsWithContext(t *testing.T) {
	t.Parallel()
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		writeEvent(t, w, api.Notification{ID: 1})
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	count := 0
	for _, err := range New(base, fastOptions(newMemStore())).WithToken("tok").NotificationsStream(ctx, "") {
		require.NoError(t, err)
		count++
		cancel()
	}
	assert.Equal(t, 1, count)
}
