package events

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// publishN publishes n events whose messages are "m1", "m2", ... and returns them as sent.
func publishN(b *Bus, n int) []apitype.Event {
	out := make([]apitype.Event, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, b.Publish(apitype.Event{Type: apitype.EventJob, Message: fmt.Sprintf("m%d", i)}))
	}
	return out
}

// recv reads one event from live, failing the test after a generous deadline.
func recv(t *testing.T, live <-chan apitype.Event) apitype.Event {
	t.Helper()
	select {
	case e, ok := <-live:
		require.True(t, ok, "live channel closed")
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return apitype.Event{}
	}
}

func TestPublishNumbersEventsFromTheEpoch(t *testing.T) {
	b := New(8, 7)
	sent := publishN(b, 3)
	for i, e := range sent {
		assert.Equal(t, uint64(7)<<32+uint64(i+1), e.ID)
		assert.Equal(t, uint32(7), Epoch(e.ID))
		assert.False(t, e.Time.IsZero())
	}
	assert.Equal(t, sent[2].ID, b.LastID())
}

func TestSubscribeResume(t *testing.T) {
	const epoch = 3
	base := uint64(epoch) << 32
	tests := []struct {
		name      string
		published int
		after     uint64
		want      []string // messages of missed
		reset     bool
	}{
		{name: "new watcher gets only live events", published: 5, after: 0},
		{name: "up to date", published: 5, after: base + 5},
		{name: "missed two", published: 5, after: base + 3, want: []string{"m4", "m5"}},
		{name: "missed all held", published: 4, after: base, want: []string{"m1", "m2", "m3", "m4"}},
		{name: "after the ring wrapped, oldest held", published: 10, after: base + 6, want: []string{"m7", "m8", "m9", "m10"}},
		{name: "older than the ring", published: 10, after: base + 5, reset: true},
		{name: "from an earlier agent process", published: 2, after: uint64(epoch-1)<<32 + 900, reset: true},
		{name: "from the future", published: 2, after: base + 3, reset: true},
		{name: "nothing published yet, old epoch", published: 0, after: uint64(1)<<32 + 1, reset: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(4, epoch)
			publishN(b, tc.published)
			missed, live, reset, cancel := b.Subscribe(tc.after)
			defer cancel()
			assert.Equal(t, tc.reset, reset)
			var got []string
			for _, e := range missed {
				got = append(got, e.Message)
			}
			assert.Equal(t, tc.want, got)

			next := b.Publish(apitype.Event{Type: apitype.EventStatus, Message: "live"})
			e := recv(t, live)
			assert.Equal(t, next.ID, e.ID)
			assert.Equal(t, "live", e.Message)
		})
	}
}

func TestSlowSubscriberIsDroppedWithoutBlocking(t *testing.T) {
	b := New(0, 1)
	_, slow, _, cancelSlow := b.Subscribe(0)
	defer cancelSlow()

	total := subscriberBuffer * 3
	done := make(chan struct{})
	go func() {
		publishN(b, total)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}

	// The slow watcher got what fitted, then its channel was closed.
	n := 0
	for range slow {
		n++
	}
	assert.Equal(t, subscriberBuffer, n)

	// Reconnecting with its last ID gets the rest from the ring.
	missed, _, reset, cancel := b.Subscribe(uint64(1)<<32 + subscriberBuffer)
	defer cancel()
	assert.False(t, reset)
	require.Len(t, missed, total-subscriberBuffer)
	assert.Equal(t, fmt.Sprintf("m%d", subscriberBuffer+1), missed[0].Message)
	assert.Equal(t, b.LastID(), missed[len(missed)-1].ID)
}

func TestCancelAndClose(t *testing.T) {
	b := New(0, 1)
	_, live, _, cancel := b.Subscribe(0)
	cancel()
	cancel() // a second call is harmless
	_, ok := <-live
	assert.False(t, ok, "cancel closes the channel")

	_, live2, _, cancel2 := b.Subscribe(0)
	defer cancel2()
	b.Close()
	_, ok = <-live2
	assert.False(t, ok, "Close closes every channel")

	_, live3, _, cancel3 := b.Subscribe(0)
	defer cancel3()
	_, ok = <-live3
	assert.False(t, ok, "a watch started after Close is closed at once")
	e := b.Publish(apitype.Event{Type: apitype.EventJob})
	assert.NotZero(t, e.ID, "Publish after Close still numbers the event")
}

// TestConcurrentPublishers: every watcher sees increasing IDs with no gap, whichever goroutine
// published them (run with -race).
func TestConcurrentPublishers(t *testing.T) {
	const publishers, each, watchers = 4, 50, 3 // publishers*each fits in a watcher's buffer
	b := New(0, 2)
	lives := make([]<-chan apitype.Event, watchers)
	for w := range lives {
		_, live, _, cancel := b.Subscribe(0)
		defer cancel()
		lives[w] = live
	}
	var wg sync.WaitGroup
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			publishN(b, each)
		}()
	}
	wg.Wait()
	for _, live := range lives {
		prev := recv(t, live).ID
		for range publishers*each - 1 {
			id := recv(t, live).ID
			require.Equal(t, prev+1, id, "IDs increase by one")
			prev = id
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	bus := New(0, 1)
	_, live, _, cancel := bus.Subscribe(0)
	defer cancel()
	go func() {
		for range live {
		}
	}()
	e := apitype.Event{Type: apitype.EventProgress}
	for b.Loop() {
		bus.Publish(e)
	}
}
