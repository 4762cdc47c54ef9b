package fetch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newFetcher is a Fetcher with short delays for tests.
func newFetcher(t testing.TB) *Fetcher {
	return &Fetcher{
		CacheDir:  filepath.Join(t.TempDir(), "cache"),
		Retries:   4,
		BaseDelay: 5 * time.Millisecond,
		MaxDelay:  500 * time.Millisecond,
	}
}

// requireVerified checks that path holds exactly the content.
func requireVerified(t *testing.T, path string, c content) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, c.size, fi.Size())
	require.Equal(t, os.FileMode(0o400), fi.Mode().Perm())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want := make([]byte, c.size)
	_, err = c.ReadAt(want, 0)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// requireNoPartial checks that nothing of a bad download is left.
func requireNoPartial(t *testing.T, f *Fetcher, sha string) {
	t.Helper()
	for _, ext := range []string{".pkg", ".partial", ".state"} {
		assert.NoFileExists(t, filepath.Join(f.CacheDir, sha+ext))
	}
}

func TestFetchFromMisbehavingServer(t *testing.T) {
	const size = 3<<20 + 12345
	rng := rand.New(rand.NewPCG(1, 2))
	drops := make([]int64, 5)
	for i := range drops {
		drops[i] = 1 + rng.Int64N(size/4)
	}

	tests := []struct {
		name        string
		plan        func(n int) reply
		between     func(s *server, n int) // called by the plan before answering request n
		readTimeout time.Duration
		bigger      bool // the server's file is longer than the ticket says
		wantErr     error
		wantMsg     []string
		check       func(t *testing.T, s *server)
	}{
		{
			name: "behaves",
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 1, s.requests.Load())
				assert.EqualValues(t, size, s.sent.Load())
			},
		},
		{
			name: "drops the connection at random offsets",
			plan: func(n int) reply {
				if n < len(drops) {
					return reply{dropAfter: drops[n]}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, len(drops)+1, s.requests.Load())
				assert.EqualValues(t, size, s.sent.Load(), "every byte is sent once: each attempt resumes")
				assert.NotEmpty(t, s.header(1).Get("Range"))
				assert.Equal(t, `"v1"`, s.header(1).Get("If-Range"))
			},
		},
		{
			name: "ignores Range",
			plan: func(n int) reply {
				if n == 0 {
					return reply{dropAfter: size / 2}
				}
				return reply{ignoreRange: true}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 2, s.requests.Load())
				assert.EqualValues(t, size/2+size, s.sent.Load())
			},
		},
		{
			name: "changes the file between attempts",
			plan: func(n int) reply {
				if n == 0 {
					return reply{dropAfter: size / 3}
				}
				return reply{}
			},
			between: func(s *server, n int) {
				if n == 1 {
					v, _ := testFile(1, size)
					s.setFile(v)
				}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 2, s.requests.Load())
				assert.Equal(t, `"v7"`, s.header(1).Get("If-Range"), "the second request names the old version")
				assert.EqualValues(t, size/3+size, s.sent.Load(), "the new version is sent whole")
			},
		},
		{
			name: "answers a Range request from the wrong offset",
			plan: func(n int) reply {
				switch n {
				case 0:
					return reply{dropAfter: size / 2}
				case 1:
					return reply{wrongStart: 100}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 3, s.requests.Load())
				assert.Empty(t, s.header(2).Get("Range"), "after a bad Content-Range the download starts over")
			},
		},
		{
			name: "answers 416",
			plan: func(n int) reply {
				switch n {
				case 0:
					return reply{dropAfter: size / 2}
				case 1:
					return reply{status: http.StatusRequestedRangeNotSatisfiable}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 3, s.requests.Load())
				assert.Empty(t, s.header(2).Get("Range"))
			},
		},
		{
			name:        "stalls",
			readTimeout: 500 * time.Millisecond,
			plan: func(n int) reply {
				if n == 0 {
					return reply{stallAfter: size / 4}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 2, s.requests.Load())
				assert.EqualValues(t, size, s.sent.Load())
			},
		},
		{
			name: "answers 500 then 200",
			plan: func(n int) reply {
				if n == 0 {
					return reply{status: http.StatusInternalServerError}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) { assert.EqualValues(t, 2, s.requests.Load()) },
		},
		{
			name: "answers 429 with Retry-After: 1",
			plan: func(n int) reply {
				if n == 0 {
					return reply{status: http.StatusTooManyRequests, retryAfter: "1"}
				}
				return reply{}
			},
			check: func(t *testing.T, s *server) {
				require.EqualValues(t, 2, s.requests.Load())
				// A lower bound only: a loaded machine can make it later, never earlier.
				s.mu.Lock()
				defer s.mu.Unlock()
				assert.GreaterOrEqual(t, s.times[1].Sub(s.times[0]), 900*time.Millisecond)
			},
		},
		{
			name:    "answers 404",
			plan:    func(int) reply { return reply{status: http.StatusNotFound} },
			wantErr: ErrNotFound,
			wantMsg: []string{"not found at http://127.0.0.1"},
			check:   func(t *testing.T, s *server) { assert.EqualValues(t, 1, s.requests.Load(), "404 is not retried") },
		},
		{
			name:    "answers 403",
			plan:    func(int) reply { return reply{status: http.StatusForbidden} },
			wantMsg: []string{"403 Forbidden"},
			check:   func(t *testing.T, s *server) { assert.EqualValues(t, 1, s.requests.Load()) },
		},
		{
			name:    "answers 503 forever",
			plan:    func(int) reply { return reply{status: http.StatusServiceUnavailable} },
			wantMsg: []string{"gave up after 5 attempts", "503 Service Unavailable"},
			check:   func(t *testing.T, s *server) { assert.EqualValues(t, 5, s.requests.Load()) },
		},
		{
			name:    "serves wrong bytes",
			plan:    func(int) reply { return reply{corrupt: true} },
			wantErr: ErrHashMismatch,
			wantMsg: []string{fmt.Sprintf("served %d bytes whose SHA-256 is", size), "the file was deleted"},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 1, s.requests.Load(), "bad bytes are not fetched again")
			},
		},
		{
			name:    "serves more bytes than the ticket says",
			bigger:  true,
			plan:    func(int) reply { return reply{chunked: true} },
			wantErr: ErrHashMismatch,
			wantMsg: []string{fmt.Sprintf("served more than the %d bytes", size)},
		},
		{
			name:    "announces more bytes than the ticket says",
			bigger:  true,
			wantErr: ErrHashMismatch,
			wantMsg: []string{fmt.Sprintf("serves %d bytes but the ticket says %d", size+1000, size)},
			check: func(t *testing.T, s *server) {
				assert.EqualValues(t, 1, s.requests.Load(), "a wrong size is not retried")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			served, c := testFile(1, size)
			if tc.between != nil {
				served, _ = testFile(7, size)
			}
			if tc.bigger {
				served, _ = testFile(1, size+1000)
			}
			var s *server
			plan := func(n int) reply {
				if tc.between != nil {
					tc.between(s, n)
				}
				if tc.plan == nil {
					return reply{}
				}
				return tc.plan(n)
			}
			s = newServer(t, served, plan)
			f := newFetcher(t)
			f.ReadTimeout = tc.readTimeout
			r := Request{URLs: []string{s.URL + "/x.pkg"}, Size: size, SHA256: c.sha256()}

			path, err := f.Fetch(t.Context(), r)
			if tc.check != nil {
				tc.check(t, s)
			}
			if tc.wantErr != nil || tc.wantMsg != nil {
				require.Error(t, err)
				assert.Empty(t, path)
				if tc.wantErr != nil {
					assert.ErrorIs(t, err, tc.wantErr)
				}
				for _, m := range tc.wantMsg {
					assert.Contains(t, err.Error(), m)
				}
				if errors.Is(err, ErrHashMismatch) {
					requireNoPartial(t, f, r.SHA256)
				}
				_, ok := f.Cached(r)
				assert.False(t, ok)
				return
			}
			require.NoError(t, err)
			requireVerified(t, path, c)
			assert.NoFileExists(t, filepath.Join(f.CacheDir, r.SHA256+".partial"))
			assert.NoFileExists(t, filepath.Join(f.CacheDir, r.SHA256+".state"))
		})
	}
}

func TestMirrors(t *testing.T) {
	v, c := testFile(3, 1<<20)
	missing := newServer(t, v, func(int) reply { return reply{status: http.StatusNotFound} })
	broken := newServer(t, v, func(int) reply { return reply{status: http.StatusBadGateway} })
	good := newServer(t, v, nil)
	r := func(urls ...string) Request { return Request{URLs: urls, Size: c.size, SHA256: c.sha256()} }

	t.Run("first mirror 404", func(t *testing.T) {
		f := newFetcher(t)
		path, err := f.Fetch(t.Context(), r(missing.URL+"/a.pkg", good.URL+"/a.pkg"))
		require.NoError(t, err)
		requireVerified(t, path, c)
	})
	t.Run("every mirror fails", func(t *testing.T) {
		f := newFetcher(t)
		f.Retries = 1
		_, err := f.Fetch(t.Context(), r(missing.URL+"/b.pkg", broken.URL+"/b.pkg"))
		var fe *Error
		require.ErrorAs(t, err, &fe)
		require.Len(t, fe.Mirrors, 2)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), missing.URL+"/b.pkg: not found at "+missing.URL+"/b.pkg")
		assert.Contains(t, err.Error(), broken.URL+"/b.pkg: gave up after 2 attempts")
		assert.Contains(t, err.Error(), "502 Bad Gateway")
	})
}

func TestCache(t *testing.T) {
	const size = 1 << 20
	var servers []*server
	req := func(seed uint64) Request {
		v, c := testFile(seed, size)
		s := newServer(t, v, nil)
		servers = append(servers, s)
		return Request{URLs: []string{s.URL + "/p.pkg"}, Size: size, SHA256: c.sha256()}
	}
	requests := func() (n int64) {
		for _, s := range servers {
			n += s.requests.Load()
		}
		return n
	}
	f := newFetcher(t)
	f.CacheCap = 2*size + size/2

	a, b, c := req(1), req(2), req(3)
	_, ok := f.Cached(a)
	require.False(t, ok)
	pa, err := f.Fetch(t.Context(), a)
	require.NoError(t, err)
	n := requests()

	t.Run("a second fetch makes no request", func(t *testing.T) {
		again, err := f.Fetch(t.Context(), a)
		require.NoError(t, err)
		assert.Equal(t, pa, again)
		assert.Equal(t, n, requests(), "no request was made")
		got, ok := f.Cached(a)
		require.True(t, ok)
		assert.Equal(t, pa, got)
	})

	t.Run("least recently used is evicted over the cap", func(t *testing.T) {
		_, err := f.Fetch(t.Context(), b)
		require.NoError(t, err)
		// Make b look older than a, then use a: b is the least recently used.
		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(filepath.Join(f.CacheDir, b.SHA256+".pkg"), old, old))
		_, ok := f.Cached(a)
		require.True(t, ok)
		_, err = f.Fetch(t.Context(), c)
		require.NoError(t, err)

		_, ok = f.Cached(b)
		assert.False(t, ok, "b was evicted")
		_, ok = f.Cached(a)
		assert.True(t, ok)
		_, ok = f.Cached(c)
		assert.True(t, ok)
	})

	t.Run("cache folder is root-only", func(t *testing.T) {
		fi, err := os.Stat(f.CacheDir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	})
}

func TestResumeAcrossRestart(t *testing.T) {
	const size = 9<<20 + 4321
	v, c := testFile(5, size)
	s := newServer(t, v, func(n int) reply {
		if n == 0 {
			return reply{stallAfter: size / 2}
		}
		return reply{}
	})
	r := Request{URLs: []string{s.URL + "/p.pkg"}, Size: size, SHA256: c.sha256()}
	dir := filepath.Join(t.TempDir(), "cache")

	// First run: stopped half way, as by a shutdown of the agent.
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-s.stalled
		cancel()
	}()
	_, err := (&Fetcher{CacheDir: dir}).Fetch(ctx, r)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "partial download is kept")
	require.FileExists(t, filepath.Join(dir, r.SHA256+".partial"))
	require.FileExists(t, filepath.Join(dir, r.SHA256+".state"))
	sentBefore := s.sent.Load()

	// Second run: a new Fetcher, as after a restart.
	var resumed int64 = -1
	second := &Fetcher{CacheDir: dir, Progress: func(p Progress) { resumed = p.Resumed }}
	path, err := second.Fetch(t.Context(), r)
	require.NoError(t, err)
	requireVerified(t, path, c)
	sentAgain := s.sent.Load() - sentBefore
	assert.Positive(t, resumed)
	assert.Equal(t, size-resumed, sentAgain, "the server sent only the rest")
	assert.Equal(t, "bytes="+itoa(resumed)+"-", s.header(1).Get("Range"))
}

func TestFileURL(t *testing.T) {
	const size = 5<<20 + 3
	_, c := testFile(9, size)
	dir := t.TempDir()
	src := filepath.Join(dir, "p.pkg")
	data := make([]byte, size)
	_, err := c.ReadAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(src, data, 0o644))

	tests := []struct {
		name    string
		url     string
		size    int64
		wantErr error
	}{
		{"copies and verifies", "file://" + filepath.ToSlash(src), size, nil},
		{"missing file", "file://" + filepath.ToSlash(filepath.Join(dir, "nope.pkg")), size, ErrNotFound},
		{"wrong size", "file://" + filepath.ToSlash(src), size - 1, ErrHashMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFetcher(t)
			path, err := f.Fetch(t.Context(), Request{URLs: []string{tc.url}, Size: tc.size, SHA256: c.sha256()})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			requireVerified(t, path, c)
		})
	}
}

func TestBadRequests(t *testing.T) {
	sha := content{seed: 1, size: 10}.sha256()
	tests := []struct {
		name string
		r    Request
		msg  string
	}{
		{"no URL", Request{Size: 10, SHA256: sha}, "has no URL"},
		{"no size", Request{URLs: []string{"http://x/"}, SHA256: sha}, "size 0 is not positive"},
		{"bad hash", Request{URLs: []string{"http://x/"}, Size: 10, SHA256: "abc"}, "is not a hex SHA-256"},
		{"bad URL", Request{URLs: []string{"http://x/%zz"}, Size: 10, SHA256: sha}, "is not a URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newFetcher(t).Fetch(t.Context(), tc.r)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestProgress(t *testing.T) {
	const size = 6 << 20
	v, c := testFile(11, size)
	s := newServer(t, v, nil)
	f := newFetcher(t)
	var calls []Progress
	f.Progress = func(p Progress) { calls = append(calls, p) }
	_, err := f.Fetch(t.Context(), Request{URLs: []string{s.URL}, Size: size, SHA256: c.sha256()})
	require.NoError(t, err)
	require.NotEmpty(t, calls)
	last := calls[len(calls)-1]
	assert.EqualValues(t, size, last.Done)
	assert.EqualValues(t, size, last.Total)
	assert.Equal(t, s.URL, last.URL)
	assert.Positive(t, last.Rate)
	for i := 1; i < len(calls); i++ {
		assert.GreaterOrEqual(t, calls[i].Done, calls[i-1].Done)
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	const size = 2 << 20
	v, c := testFile(13, size)
	s := newServer(t, v, func(int) reply { return reply{stallAfter: size / 2} })
	f := newFetcher(t)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-s.stalled
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := f.Fetch(ctx, Request{URLs: []string{s.URL}, Size: size, SHA256: c.sha256()})
		done <- err
	}()
	// The server stalls, so only the cancel (not the 30 s read timeout) can end the fetch in time.
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(20 * time.Second):
		t.Fatal("Fetch did not return after its context was cancelled")
	}
	assert.FileExists(t, filepath.Join(f.CacheDir, c.sha256()+".partial"))
}
