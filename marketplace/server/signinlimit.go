package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits on failed sign-ins, against password guessing: per username, and per remote address so
// that one client cannot try many usernames either.
const (
	SignInWindow         = 15 * time.Minute
	MaxFailuresPerUser   = 5
	MaxFailuresPerRemote = 20
	// maxFailureEntries bounds the memory a flood of made-up usernames can take.
	maxFailureEntries = 10000
)

// failureCounter counts failures per key in a fixed window that opens at the key's first failure.
// Once a key has max failures it stays refused until its window ends; then it starts afresh.
type failureCounter struct {
	max    int
	window time.Duration
	limit  int // most keys kept

	mu      sync.Mutex // guards entries
	entries map[string]failures
}

type failures struct {
	start time.Time
	n     int
}

func newFailureCounter(max int, window time.Duration, limit int) *failureCounter {
	return &failureCounter{max: max, window: window, limit: limit, entries: map[string]failures{}}
}

// refused reports whether key has used up its failures at now, and until when.
func (c *failureCounter) refused(key string, now time.Time) (until time.Time, refused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.entries[key]
	if !ok {
		return time.Time{}, false
	}
	end := f.start.Add(c.window)
	if !now.Before(end) {
		delete(c.entries, key)
		return time.Time{}, false
	}
	return end, f.n >= c.max
}

// fail counts one failure of key at now.
func (c *failureCounter) fail(key string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.entries[key]
	if ok && !now.Before(f.start.Add(c.window)) {
		ok = false
	}
	if !ok {
		c.makeRoom(now)
		f = failures{start: now}
	}
	f.n++
	c.entries[key] = f
}

// makeRoom drops expired keys when the map is full and, if that is not enough, the oldest one.
// It runs only when full, so its scan is paid once per many failures.
func (c *failureCounter) makeRoom(now time.Time) {
	if len(c.entries) < c.limit {
		return
	}
	var oldest string
	var oldestStart time.Time
	for k, f := range c.entries {
		if !now.Before(f.start.Add(c.window)) {
			delete(c.entries, k)
			continue
		}
		if oldest == "" || f.start.Before(oldestStart) {
			oldest, oldestStart = k, f.start
		}
	}
	if len(c.entries) >= c.limit {
		delete(c.entries, oldest)
	}
}

// signInLimits are the server's failure counters for the login form and the token endpoint.
type signInLimits struct {
	users, remotes *failureCounter
}

func newSignInLimits() *signInLimits {
	return &signInLimits{
		users:   newFailureCounter(MaxFailuresPerUser, SignInWindow, maxFailureEntries),
		remotes: newFailureCounter(MaxFailuresPerRemote, SignInWindow, maxFailureEntries),
	}
}

// refusal says why a sign-in is refused before its password is checked, and for how long;
// the zero value means it may go ahead.
type refusal struct {
	msg   string
	retry time.Duration
}

// check reports whether a sign-in of username (may be "", at the token endpoint) from remote is
// refused at now. The remote's limit is checked first: it covers every username.
func (l *signInLimits) check(username, remote string, now time.Time) refusal {
	if until, ok := l.remotes.refused(remote, now); ok {
		d := until.Sub(now)
		return refusal{retry: d, msg: fmt.Sprintf("too many failed sign-ins from %s; try again in %s", remote, minutes(d))}
	}
	if username == "" {
		return refusal{}
	}
	if until, ok := l.users.refused(userKey(username), now); ok {
		d := until.Sub(now)
		return refusal{retry: d, msg: fmt.Sprintf("too many failed sign-ins for %s; try again in %s", username, minutes(d))}
	}
	return refusal{}
}

// fail counts a failed sign-in of username ("" for none) from remote.
func (l *signInLimits) fail(username, remote string, now time.Time) {
	l.remotes.fail(remote, now)
	if username != "" {
		l.users.fail(userKey(username), now)
	}
}

// userKey keeps a long made-up username from costing more than its first 200 bytes of memory.
func userKey(username string) string {
	if len(username) > 200 {
		return username[:200]
	}
	return username
}

// remoteIP is the client's address without its port. Proxy headers are not trusted: the embedded
// marketplace is reached directly.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// minutes says d in whole minutes, rounded up: "1 minute", "15 minutes".
func minutes(d time.Duration) string {
	n := int(math.Ceil(d.Minutes()))
	if n <= 1 {
		return "1 minute"
	}
	return strconv.Itoa(n) + " minutes"
}

// setRetryAfter tells the client in whole seconds (rounded up) when to try again.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
}
