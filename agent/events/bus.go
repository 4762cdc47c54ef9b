// Package events is the agent's event stream: a broadcast of apitype.Event to every watcher (the
// GUI, `iscdesk watch`), with a ring buffer of recent events so that a watcher that reconnects with
// Last-Event-ID gets what it missed.
//
// IDs are epoch<<32 | seq. seq counts from 1 within one agent process; epoch names the process and
// is chosen by the caller: the agent persists a counter in its state folder and adds one at every
// start (see the agent package). A Last-Event-ID from an earlier process therefore never looks like
// a recent one: Subscribe answers it with reset, and the client reloads its state instead of silently
// missing what happened while the agent was down.
package events

import (
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// DefaultSize is how many recent events a Bus keeps for watchers that reconnect.
const DefaultSize = 4096

// subscriberBuffer is how far a watcher may fall behind before it is dropped. Progress events come
// at most ~10 a second per job, so this is seconds of slack for a stalled client.
const subscriberBuffer = 256

// seqBits is the width of the per-process sequence in an ID; the epoch is above it.
const seqBits = 32

// Bus broadcasts events. Publish never blocks: a subscriber whose channel is full is dropped (its
// channel closed) and reconnects with its last ID. All methods are safe for concurrent use.
type Bus struct {
	now func() time.Time

	// mu guards the fields that follow. Publish and Subscribe both hold it, so a subscriber sees
	// every event exactly once: in missed or on live, never in both, never in neither.
	mu     sync.Mutex
	last   uint64          // ID of the last event published; epoch<<seqBits before the first
	ring   []apitype.Event // the last len(ring) events; ring[head] is the oldest once full
	head   int
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch chan apitype.Event
}

// New returns a Bus that keeps the last size events (DefaultSize when size <= 0) and numbers its
// events epoch<<32 + 1, +2, ...
func New(size int, epoch uint32) *Bus {
	if size <= 0 {
		size = DefaultSize
	}
	return &Bus{
		now:  time.Now,
		last: uint64(epoch) << seqBits,
		ring: make([]apitype.Event, 0, size),
		subs: map[*subscriber]struct{}{},
	}
}

// Epoch returns the epoch of an event ID.
func Epoch(id uint64) uint32 { return uint32(id >> seqBits) }

// Publish assigns e the next ID and the current time, keeps it for reconnecting watchers and sends
// it to every subscriber. It returns e as sent. After Close it only numbers and returns e.
func (b *Bus) Publish(e apitype.Event) apitype.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last++
	e.ID = b.last
	e.Time = b.now().UTC()
	if b.closed {
		return e
	}
	if len(b.ring) < cap(b.ring) {
		b.ring = append(b.ring, e)
	} else {
		b.ring[b.head] = e
		b.head = (b.head + 1) % len(b.ring)
	}
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			// A watcher that does not read must not hold up the agent: drop it; it reconnects with
			// Last-Event-ID and gets the rest from the ring.
			delete(b.subs, s)
			close(s.ch)
		}
	}
	return e
}

// LastID is the ID of the last event published (epoch<<32 before the first).
func (b *Bus) LastID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Subscribe starts a watch. after is the last ID the watcher has seen (its Last-Event-ID), 0 for a
// new watcher that wants only what comes next. missed holds the buffered events after it, oldest
// first; live carries every later event and is closed when the watcher falls too far behind, when
// cancel is called or when the Bus is closed. reset is true when the events after `after` are no
// longer all held (it is too old, or from an earlier agent process): the watcher must reload its
// state, and missed is then empty. cancel may be called more than once.
func (b *Bus) Subscribe(after uint64) (missed []apitype.Event, live <-chan apitype.Event, reset bool, cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &subscriber{ch: make(chan apitype.Event, subscriberBuffer)}
	if b.closed {
		close(s.ch)
		return nil, s.ch, false, func() {}
	}
	if after != 0 {
		missed, reset = b.since(after)
	}
	b.subs[s] = struct{}{}
	cancel = func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[s]; ok {
			delete(b.subs, s)
			close(s.ch)
		}
	}
	return missed, s.ch, reset, cancel
}

// since returns the held events after id, or reset when they are not all held. b.mu is held.
func (b *Bus) since(id uint64) (events []apitype.Event, reset bool) {
	if id == b.last {
		return nil, false
	}
	if id > b.last || Epoch(id) != Epoch(b.last) {
		return nil, true // from another process, or not an ID this one gave out
	}
	oldest := b.last - uint64(len(b.ring)) + 1 // ID of the oldest held event
	if id+1 < oldest {
		return nil, true
	}
	n := int(b.last - id) // events after id, all held
	events = make([]apitype.Event, 0, n)
	for i := len(b.ring) - n; i < len(b.ring); i++ {
		events = append(events, b.ring[(b.head+i)%len(b.ring)])
	}
	return events, false
}

// Close ends every watch (their channels are closed); later subscribers get a closed channel.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
	}
}
