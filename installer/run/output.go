package run

import (
	"fmt"
	"io"
	"strings"
)

const (
	defaultLogCap = 8 << 20  // bytes of a step's output written to the job log before it is cut
	logTailSize   = 64 << 10 // bytes kept from the end of a cut output
	tailSize      = 4 << 10  // bytes of output kept for error messages
)

// output receives a step's stdout and stderr. The first cap bytes go to the log as they arrive; past
// that only the last logTailSize bytes are kept, and finish writes them after a marker that says how
// much was cut. An installer that loops printing the same line must not fill the disk, and the end of
// its output is what explains a failure.
//
// Only the copying goroutine calls Write; finish is called after it is done.
type output struct {
	log     io.Writer
	cap     int64
	written int64 // bytes given to log before the cut
	logErr  error // the first error from log; output is still consumed so the step never blocks
	rest    ring  // output past the cap
	last    ring  // all output, for Result.Tail
}

func newOutput(log io.Writer, cap int64) *output {
	if log == nil {
		log = io.Discard
	}
	if cap <= 0 {
		cap = defaultLogCap
	}
	return &output{log: log, cap: cap, rest: ring{buf: make([]byte, logTailSize)}, last: ring{buf: make([]byte, tailSize)}}
}

// Write never fails: the step's output pipe must keep draining even when the log cannot be written.
func (o *output) Write(p []byte) (int, error) {
	o.last.Write(p)
	head := p
	if room := o.cap - o.written; int64(len(head)) > room {
		head = head[:room]
	}
	if len(head) > 0 {
		o.write(head)
		o.written += int64(len(head))
	}
	o.rest.Write(p[len(head):])
	return len(p), nil
}

func (o *output) write(p []byte) {
	if o.logErr == nil {
		_, o.logErr = o.log.Write(p)
	}
}

// finish writes what came past the cap: a marker if bytes were dropped, then the tail.
func (o *output) finish() error {
	if cut := o.rest.total - int64(o.rest.len()); cut > 0 {
		o.write([]byte(fmt.Sprintf("\n[… %d bytes cut …]\n", cut)))
	}
	o.write(o.rest.bytes())
	if o.logErr != nil {
		return fmt.Errorf("write the step's output to the job log: %w", o.logErr)
	}
	return nil
}

// tail is the last tailSize bytes of output, cut to whole UTF-8 characters.
func (o *output) tail() string {
	s := string(o.last.bytes())
	if o.last.total > int64(len(s)) {
		s = strings.TrimLeft(strings.ToValidUTF8(s, "\uFFFD"), "\uFFFD")
	}
	return s
}

// ring keeps the last len(buf) bytes written to it.
type ring struct {
	buf   []byte
	total int64 // bytes ever written
}

func (r *ring) Write(p []byte) {
	n := len(r.buf)
	if len(p) > n {
		r.total += int64(len(p) - n)
		p = p[len(p)-n:]
	}
	start := int(r.total % int64(n))
	r.total += int64(len(p))
	c := copy(r.buf[start:], p)
	copy(r.buf, p[c:])
}

func (r *ring) len() int { return int(min(r.total, int64(len(r.buf)))) }

// bytes returns the kept bytes, oldest first.
func (r *ring) bytes() []byte {
	if r.total <= int64(len(r.buf)) {
		return append([]byte(nil), r.buf[:r.total]...)
	}
	start := int(r.total % int64(len(r.buf)))
	return append(append([]byte(nil), r.buf[start:]...), r.buf[:start]...)
}
