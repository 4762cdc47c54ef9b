package client

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	ID    string // "" when the event set none
	Event string // "message" when the event set none
	Data  string
}

// sseReader parses a text/event-stream (the WHATWG HTML "server-sent events" format).
type sseReader struct {
	sc *bufio.Scanner
	// Retry is the reconnection delay the server asked for with "retry:", 0 when it did not.
	Retry time.Duration
	// onLine is called for every line read, comments included (keep-alives feed the idle timer).
	onLine func()
}

const maxSSELine = 1 << 20

func newSSEReader(r io.Reader, onLine func()) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	sc.Split(scanSSELines)
	if onLine == nil {
		onLine = func() {}
	}
	return &sseReader{sc: sc, onLine: onLine}
}

// Next returns the next event with data, or io.EOF when the stream ends cleanly.
func (r *sseReader) Next() (sseEvent, error) {
	var ev sseEvent
	var data []string
	hasData := false
	for r.sc.Scan() {
		r.onLine()
		line := r.sc.Text()
		if line == "" {
			if hasData {
				if ev.Event == "" {
					ev.Event = "message"
				}
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
			ev, data = sseEvent{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: keep-alive
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "data":
			data = append(data, value)
			hasData = true
		case "event":
			ev.Event = value
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.ID = value
			}
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				r.Retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := r.sc.Err(); err != nil {
		return sseEvent{}, err
	}
	return sseEvent{}, io.EOF // an event cut off without its blank line is dropped, as the spec says
}

// scanSSELines splits on \n, \r\n or a lone \r.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, b := range data {
		switch b {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // need one more byte to know if \n follows
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
