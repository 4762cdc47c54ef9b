package fetch

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// content is a file generated from a seed, readable at any offset without being stored.
type content struct {
	seed uint64
	size int64
}

const genBlock = 64 << 10

func (c content) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < c.size {
		blk := off / genBlock
		var key [32]byte
		binary.LittleEndian.PutUint64(key[0:], c.seed)
		binary.LittleEndian.PutUint64(key[8:], uint64(blk))
		buf := make([]byte, genBlock)
		rand.NewChaCha8(key).Read(buf)
		in := off - blk*genBlock
		k := copy(p[n:], buf[in:min(int64(genBlock), c.size-blk*genBlock)])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c content) sha256() string {
	h := sha256.New()
	_, err := io.Copy(h, io.NewSectionReader(c, 0, c.size))
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// version is what the server serves at a given moment.
type version struct {
	data io.ReaderAt
	size int64
	etag string
}

// reply says how the server misbehaves on one request. The zero reply serves the file properly.
type reply struct {
	status      int    // answer this status and no file
	retryAfter  string // with this Retry-After
	ignoreRange bool   // answer 200 with the whole file to a Range request
	dropAfter   int64  // hijack and close the connection after this many body bytes
	stallAfter  int64  // stop sending after this many body bytes until the client goes away
	wrongStart  int64  // answer a Range request from this many bytes before the asked offset
	corrupt     bool   // flip one byte in the middle of the file
	chunked     bool   // send no Content-Length
	hookAt      int64  // call hook once this many body bytes are sent, then go on
	hook        func()
}

// server is a file server on 127.0.0.1 that misbehaves as plan says.
type server struct {
	*httptest.Server
	plan func(n int) reply // reply for request n (from 0); nil: always behave

	mu      sync.Mutex
	file    version
	headers []http.Header // request headers, in order
	times   []time.Time

	requests atomic.Int64
	sent     atomic.Int64 // body bytes written

	// pauseAt, if set, makes the server close paused once it has sent that many body bytes in
	// total; the handler then blocks until the client goes away.
	pauseAt atomic.Int64
	paused  chan struct{}
	// stalled receives a value (if a receiver is ready or the buffer has room) when a reply stalls.
	stalled chan struct{}
}

func newServer(t testing.TB, file version, plan func(n int) reply) *server {
	s := &server{file: file, plan: plan, paused: make(chan struct{}), stalled: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) setFile(v version) {
	s.mu.Lock()
	s.file = v
	s.mu.Unlock()
}

func (s *server) header(n int) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[n]
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	n := int(s.requests.Add(1) - 1)
	var rp reply
	if s.plan != nil {
		rp = s.plan(n)
	}
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.times = append(s.times, time.Now())
	f := s.file
	s.mu.Unlock()
	if rp.status != 0 {
		if rp.retryAfter != "" {
			w.Header().Set("Retry-After", rp.retryAfter)
		}
		http.Error(w, http.StatusText(rp.status), rp.status)
		return
	}

	w.Header().Set("ETag", f.etag)
	start := int64(0)
	if rng := r.Header.Get("Range"); rng != "" && !rp.ignoreRange {
		if ir := r.Header.Get("If-Range"); ir == "" || ir == f.etag {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rng, "bytes="), "-"), 10, 64)
			if err != nil {
				http.Error(w, "bad range", http.StatusBadRequest)
				return
			}
			if v >= f.size {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", f.size))
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
				return
			}
			start = max(v-rp.wrongStart, 0)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, f.size-1, f.size))
		}
	}
	if !rp.chunked {
		w.Header().Set("Content-Length", strconv.FormatInt(f.size-start, 10))
	}
	if w.Header().Get("Content-Range") != "" {
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}

	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	var written int64
	for pos := start; pos < f.size; {
		chunk := min(int64(len(buf)), f.size-pos)
		if rp.dropAfter > 0 {
			chunk = min(chunk, rp.dropAfter-written)
		}
		if rp.stallAfter > 0 {
			chunk = min(chunk, rp.stallAfter-written)
		}
		if rp.hook != nil && written < rp.hookAt {
			chunk = min(chunk, rp.hookAt-written)
		}
		pauseAt := s.pauseAt.Load()
		if pauseAt > 0 {
			if left := pauseAt - s.sent.Load(); left > 0 {
				chunk = min(chunk, left)
			}
		}
		if _, err := f.data.ReadAt(buf[:chunk], pos); err != nil && err != io.EOF {
			panic(err)
		}
		if mid := f.size / 2; rp.corrupt && pos <= mid && mid < pos+chunk {
			buf[mid-pos] ^= 0xff
		}
		k, err := w.Write(buf[:chunk])
		s.sent.Add(int64(k))
		written += int64(k)
		pos += int64(k)
		if err != nil {
			return
		}
		if rp.hook != nil && written == rp.hookAt {
			rc.Flush()
			rp.hook()
		}
		switch {
		case rp.dropAfter > 0 && written >= rp.dropAfter:
			rc.Flush()
			conn, _, err := rc.Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case rp.stallAfter > 0 && written >= rp.stallAfter:
			rc.Flush()
			select {
			case s.stalled <- struct{}{}:
			default:
			}
			<-r.Context().Done()
			return
		case pauseAt > 0 && s.sent.Load() == pauseAt:
			rc.Flush()
			close(s.paused)
			<-r.Context().Done()
			return
		}
	}
}

// testFile makes a small file and the request for it at the server.
func testFile(seed uint64, size int64) (version, content) {
	c := content{seed: seed, size: size}
	return version{data: c, size: size, etag: fmt.Sprintf(`"v%d"`, seed)}, c
}

func TestContentIsDeterministic(t *testing.T) {
	a, b := content{seed: 1, size: 3*genBlock + 17}, content{seed: 1, size: 3*genBlock + 17}
	require.Equal(t, a.sha256(), b.sha256())
	require.NotEqual(t, a.sha256(), content{seed: 2, size: a.size}.sha256())
	// Reads at odd offsets see the same bytes as one read of everything.
	all := make([]byte, a.size)
	_, err := a.ReadAt(all, 0)
	require.NoError(t, err)
	part := make([]byte, 1000)
	_, err = a.ReadAt(part, genBlock-500)
	require.NoError(t, err)
	require.Equal(t, all[genBlock-500:genBlock+500], part)
}
