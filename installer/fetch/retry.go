package fetch

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// now is the clock for Retry-After dates.
var now = time.Now

// backoff is exponential backoff with full jitter: a random delay in [0, min(maxDelay, base·2^(n-1))].
func backoff(n int, base, maxDelay time.Duration) time.Duration {
	ceil := maxDelay
	if n < 1 {
		n = 1
	}
	if n <= 32 {
		if d := base << (n - 1); d > 0 && d < maxDelay {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date.
func parseRetryAfter(v string, at time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(365*24*time.Hour/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(at), 0), true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
