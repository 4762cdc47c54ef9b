package fetch

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestParseRetryAfter(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{at.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{at.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, at)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestBackoffStaysInBounds(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, 2*time.Second
	for n := 1; n <= 70; n++ {
		ceil := min(maxDelay, base<<min(n-1, 30))
		for range 50 {
			d := backoff(n, base, maxDelay)
			assert.GreaterOrEqual(t, d, time.Duration(0))
			assert.LessOrEqual(t, d, ceil, "attempt %d", n)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes 100-199/150", 0, 0, false},
		{"bytes 5-4/10", 0, 0, false},
		{"items 0-1/2", 0, 0, false},
		{"bytes 1-2", 0, 0, false},
	}
	for _, tc := range tests {
		start, total, err := parseContentRange(tc.in)
		assert.Equal(t, tc.ok, err == nil, tc.in)
		if tc.ok {
			assert.Equal(t, tc.start, start, tc.in)
			assert.Equal(t, tc.total, total, tc.in)
		}
	}
}
