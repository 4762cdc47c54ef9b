package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// events streams GET /v1/events as server-sent events: what the caller missed since its
// Last-Event-ID (or a reset when that is gone), then every new event, with a keepalive comment
// when nothing happens.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	after, err := lastEventID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.streamContext(r)
	defer cancel()
	missed, live, reset, unsubscribe := s.b.Subscribe(after)
	defer unsubscribe()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sw := &sseWriter{w: w, rc: http.NewResponseController(w)}
	// retry tells browsers-style clients how soon to reconnect; the comment makes the headers go out now.
	if err := sw.send(ctx, "retry: 1000\n: iscdesk agent events\n\n"); err != nil {
		return
	}
	if reset {
		e := apitype.Event{Type: apitype.EventReset, Time: time.Now().UTC(),
			Message: fmt.Sprintf("events after %d are no longer held (the agent restarted or you were away too long); reload the jobs and the software", after)}
		if err := sw.event(ctx, e); err != nil {
			return
		}
	}
	for _, e := range missed {
		if err := sw.event(ctx, e); err != nil {
			return
		}
	}
	tick := time.NewTicker(s.keepalive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-live:
			if !ok {
				return // dropped as too slow, or the agent stops: the client reconnects with its last ID
			}
			if err := sw.event(ctx, e); err != nil {
				s.log.Debug("event stream ended", "err", err)
				return
			}
		case <-tick.C:
			if err := sw.send(ctx, ": keepalive\n\n"); err != nil {
				return
			}
		}
	}
}

// lastEventID is the ID the caller saw last: the Last-Event-ID header, or ?last_event_id= for
// clients that cannot set headers. 0 means none.
func lastEventID(r *http.Request) (uint64, error) {
	v, field := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, field = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "bad_request", field,
			fmt.Sprintf("%s %q is not an event id; give the id: of the last event you received", field, clip(v)))
	}
	return id, nil
}

// sseWriter writes server-sent events, each flushed at once and bounded by writeTimeout.
type sseWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

// event writes e. A reset carries no id, so that the client keeps its last real one.
func (sw *sseWriter) event(ctx context.Context, e apitype.Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %d: %w", e.ID, err)
	}
	msg := "event: " + e.Type + "\n"
	if e.ID != 0 {
		msg = "id: " + strconv.FormatUint(e.ID, 10) + "\n" + msg
	}
	return sw.send(ctx, msg+"data: "+string(data)+"\n\n")
}

func (sw *sseWriter) send(ctx context.Context, msg string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_ = sw.rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every ResponseWriter can
	if _, err := io.WriteString(sw.w, msg); err != nil {
		return err
	}
	return sw.rc.Flush()
}
