package server

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// idempotencyTTL is how long a stored response answers a repeated key.
const idempotencyTTL = 24 * time.Hour

const maxIdempotencyKey = 200

// idempotent makes a POST with an Idempotency-Key safe to retry: the first response (unless a
// 5xx, which may succeed on retry) is stored per user and key, and a repeat with the same method,
// path and body gets it again, with Idempotent-Replayed: true. The same key with another
// request is a client bug and gets 422. Requests without the header pass through.
func (s *Server) idempotent(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(api.IdempotencyHeader)
		if r.Method != http.MethodPost || key == "" {
			h.ServeHTTP(w, r)
			return
		}
		if len(key) > maxIdempotencyKey {
			badRequest(w, api.IdempotencyHeader, "Idempotency-Key is longer than 200 characters; use a UUID")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", "the body is larger than 1 MiB")
			return
		}
		sum := sha256.Sum256(body)
		bodySum := hex.EncodeToString(sum[:])
		c := caller(r)

		// One request per user and key at a time, so a retry that races the first waits for its answer.
		unlock := s.idem.lock(c.UserID + "\x00" + key)
		defer unlock()

		var st storedResponse
		var method, path, storedSum string
		var created int64
		err = s.db.QueryRowContext(r.Context(), `SELECT method, path, body_sha256, status, content_type, body, created_at
FROM idempotency WHERE user_id = ? AND key = ?`, c.UserID, key).Scan(&method, &path, &storedSum, &st.status, &st.contentType, &st.body, &created)
		switch {
		case err == nil && s.now().Sub(fromMS(created)) < idempotencyTTL:
			if method != r.Method || path != r.URL.Path || storedSum != bodySum {
				writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", api.IdempotencyHeader,
					"this Idempotency-Key was used for a different request; use a new key for a new request")
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			st.write(w)
			return
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			s.internalError(w, r, err)
			return
		}

		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(rec, r)
		st = storedResponse{status: rec.status, contentType: rec.header.Get("Content-Type"), body: rec.buf.Bytes()}
		if st.status < 500 {
			if _, err := s.db.ExecContext(r.Context(), `INSERT OR REPLACE INTO idempotency
(user_id, key, method, path, body_sha256, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.UserID, key, r.Method, r.URL.Path, bodySum, st.status, st.contentType, st.body, ms(s.now())); err != nil {
				// The work is done; failing the request now would invite a retry that repeats it.
				s.log.Error("storing an idempotent response", "path", r.URL.Path, "err", err)
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		st.write(w)
	})
}

type storedResponse struct {
	status      int
	contentType string
	body        []byte
}

func (st storedResponse) write(w http.ResponseWriter) {
	if st.contentType != "" {
		w.Header().Set("Content-Type", st.contentType)
	}
	w.WriteHeader(st.status)
	_, _ = w.Write(st.body)
}

// recorder buffers a handler's response so that it can be stored before it is sent.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	buf         bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.buf.Write(p)
}

// keyedMutex serialises work per key; entries are dropped when no one holds or waits for them.
type keyedMutex struct {
	mu    sync.Mutex // guards locks
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedEntry)
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
