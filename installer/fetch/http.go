package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// httpSource speaks HTTP with Range and If-Range.
type httpSource struct{ client *http.Client }

func (s *httpSource) open(ctx context.Context, u string, off int64, validator string, size int64) (*body, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &permanent{fmt.Errorf("bad mirror URL %s: %w", redact(u), err)}
	}
	setRange(req, off, validator)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("requesting %s: %w", redact(u), err)
	}
	return answer(resp, redact(u), off, size)
}

// setRange asks for the file from byte off, and for all of it if it no longer matches validator.
func setRange(req *http.Request, off int64, validator string) {
	// Ranges must count the bytes of the file itself, not of a compressed transfer.
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		if validator != "" {
			req.Header.Set("If-Range", validator)
		}
	}
}

// answer reads the status of a response to a request made with setRange; where names the mirror in
// errors. It closes the body unless it returns it.
func answer(resp *http.Response, where string, off, size int64) (*body, error) {
	b := &body{ReadCloser: resp.Body, validator: validatorOf(resp.Header)}
	fail := func(err error) (*body, error) {
		resp.Body.Close()
		return nil, err
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		if resp.ContentLength >= 0 && resp.ContentLength != size {
			return fail(&permanent{fmt.Errorf("%w: %s serves %d bytes but the ticket says %d", ErrHashMismatch, where, resp.ContentLength, size)})
		}
		b.start = 0
		return b, nil
	case code == http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || off == 0 {
			// Not an answer to our request: start over with a plain request.
			return fail(fmt.Errorf("%s answered 206 with Content-Range %q to a request for bytes %d-: %w", where, resp.Header.Get("Content-Range"), off, errRestart))
		}
		if total >= 0 && total != size {
			return fail(&permanent{fmt.Errorf("%w: %s serves %d bytes but the ticket says %d", ErrHashMismatch, where, total, size)})
		}
		b.start = start
		return b, nil
	case code == http.StatusRequestedRangeNotSatisfiable:
		if off == 0 {
			return fail(&permanent{fmt.Errorf("%s answered 416 Range Not Satisfiable to a plain request", where)})
		}
		return fail(fmt.Errorf("%s cannot serve from byte %d (416): %w", where, off, errRestart))
	case code == http.StatusNotFound:
		return fail(&permanent{fmt.Errorf("%w at %s (404); the mirror does not have this package", ErrNotFound, where)})
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		err := fmt.Errorf("%s answered %s", where, resp.Status)
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now()); ok {
			return fail(&retryAfter{err: err, delay: d})
		}
		return fail(err)
	case code >= 400:
		return fail(&permanent{fmt.Errorf("%s answered %s; check the ticket's URL and the mirror's access rules", where, resp.Status)})
	default:
		return fail(&permanent{fmt.Errorf("%s answered %s, which a package download does not expect", where, resp.Status)})
	}
}

// validatorOf picks a strong ETag, else Last-Modified: If-Range may not carry a weak ETag.
func validatorOf(h http.Header) string {
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		return et
	}
	return h.Get("Last-Modified")
}

// parseContentRange reads "bytes start-end/total"; total is -1 when "*".
func parseContentRange(v string) (start, total int64, err error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("Content-Range %q is not in bytes", v)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("Content-Range %q has no total", v)
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("Content-Range %q has no range", v)
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, fmt.Errorf("Content-Range %q has a bad range", v)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= end {
			return 0, 0, fmt.Errorf("Content-Range %q has a bad total", v)
		}
	}
	return start, total, nil
}
