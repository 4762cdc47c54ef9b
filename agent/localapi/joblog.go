package localapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"time"
)

// jobLog answers GET /v1/jobs/{id}/log: the whole log, its last ?tail=N lines, and with
// ?follow=1 what the job appends until it ends.
func (s *Server) jobLog(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	tail, follow, err := logParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	path, err := s.b.JobLog(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := os.Open(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.writeError(w, r, fmt.Errorf("opening the log of job %s: %w", id, err))
		return
	}
	if f != nil {
		defer f.Close()
		if err := seekTail(f, tail); err != nil {
			s.writeError(w, r, fmt.Errorf("reading the log of job %s: %w", id, err))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !follow {
		w.WriteHeader(http.StatusOK)
		if f != nil {
			_, _ = io.Copy(w, f) // an error means the caller left
		}
		return
	}
	ctx, cancel := s.streamContext(r)
	defer cancel()
	w.WriteHeader(http.StatusOK)
	if err := s.followLog(ctx, w, id, path, f); err != nil {
		s.log.Debug("log stream ended", "job", id, "err", err)
	}
}

// followLog copies what is appended to the log at path until the job is final and the file is
// drained, or ctx ends. f is the open log, positioned, or nil when it does not exist yet.
func (s *Server) followLog(ctx context.Context, w http.ResponseWriter, id, path string, f *os.File) error {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil { // the headers go out now
		return err
	}
	tick := time.NewTicker(s.logPoll)
	defer tick.Stop()
	for {
		if f == nil { // the job has not written its log yet
			var err error
			if f, err = os.Open(path); err == nil {
				defer f.Close()
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		n, err := copyFlush(w, rc, f)
		if err != nil {
			return err
		}
		if n == 0 {
			// Look at the job only after reading to the end: what it wrote before it ended is
			// then in the file, and one more read drains it.
			j, err := s.b.Job(ctx, id)
			if err != nil {
				return fmt.Errorf("checking job %s: %w", id, err)
			}
			if j.Final() {
				_, err := copyFlush(w, rc, f)
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// copyFlush copies from f (if open) to its end and flushes what it copied.
func copyFlush(w io.Writer, rc *http.ResponseController, f *os.File) (int64, error) {
	if f == nil {
		return 0, nil
	}
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every ResponseWriter can
	n, err := io.Copy(w, f)
	if err != nil {
		return n, err
	}
	if n > 0 {
		return n, rc.Flush()
	}
	return 0, nil
}

// logParams reads ?tail=N (-1 when absent: the whole log) and ?follow=1.
func logParams(r *http.Request) (tail int, follow bool, err error) {
	q := r.URL.Query()
	tail = -1
	if v := q.Get("tail"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, false, errorf(http.StatusBadRequest, "bad_request", "tail",
				fmt.Sprintf("tail=%q is not a number of lines; give 0 or more", clip(v)))
		}
		tail = n
	}
	if v := q.Get("follow"); v != "" {
		follow, err = strconv.ParseBool(v)
		if err != nil {
			return 0, false, errorf(http.StatusBadRequest, "bad_request", "follow",
				fmt.Sprintf("follow=%q is not a boolean; give 1 or 0", clip(v)))
		}
	}
	return tail, follow, nil
}

// seekTail positions f at the start of its last n lines (n < 0: at the start of the file). A last
// line without a newline counts as a line.
func seekTail(f *os.File, n int) error {
	if n < 0 {
		return nil
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	start, err := tailStart(f, size, n)
	if err != nil {
		return err
	}
	_, err = f.Seek(start, io.SeekStart)
	return err
}

// tailStart is the offset at which the last n lines of the size bytes of r begin.
func tailStart(r io.ReaderAt, size int64, n int) (int64, error) {
	if n == 0 || size == 0 {
		return size, nil
	}
	buf := make([]byte, 32<<10)
	limit := size
	if _, err := r.ReadAt(buf[:1], size-1); err != nil {
		return 0, err
	}
	if buf[0] == '\n' {
		limit-- // the final newline ends the last line; it does not begin another
	}
	found := 0
	for pos := limit; pos > 0; {
		chunk := min(int64(len(buf)), pos)
		pos -= chunk
		if _, err := r.ReadAt(buf[:chunk], pos); err != nil {
			return 0, err
		}
		for i := chunk - 1; i >= 0; i-- {
			if buf[i] == '\n' {
				if found++; found == n {
					return pos + i + 1, nil
				}
			}
		}
	}
	return 0, nil // fewer than n lines: all of them
}
