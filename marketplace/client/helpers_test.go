package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// memStore is a secretstore.Store in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemStore() *memStore { return &memStore{m: map[string]string{}} }

func (s *memStore) Get(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	if !ok {
		return "", fmt.Errorf("%q: %w", name, secretstore.ErrNotFound)
	}
	return v, nil
}

func (s *memStore) Set(name, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = secret
	return nil
}

func (s *memStore) Delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	return nil
}

// session reads the stored session of the marketplace at base, nil when there is none.
func (s *memStore) session(t *testing.T, base string) *Session {
	t.Helper()
	data, err := s.Get(sessionName(base))
	if err != nil {
		return nil
	}
	var sess Session
	require.NoError(t, json.Unmarshal([]byte(data), &sess))
	return &sess
}

func (s *memStore) put(t *testing.T, base string, sess Session) {
	t.Helper()
	data, err := json.Marshal(sess)
	require.NoError(t, err)
	require.NoError(t, s.Set(sessionName(base), string(data)))
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, api.Error{Code: code, Field: field, Message: msg})
}

// fastOptions retry without waiting long and keep sessions in memory.
func fastOptions(store *memStore) Options {
	return Options{Backoff: time.Millisecond, Store: store, Timeout: 10 * time.Second}
}

// newServer starts h on 127.0.0.1 and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
