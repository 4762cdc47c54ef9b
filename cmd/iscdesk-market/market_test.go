package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is an io.Writer safe to read while the server writes to it.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestServeSeedsAndStops(t *testing.T) {
	c := &common{data: filepath.Join(t.TempDir(), "data"), examples: "../../packaging/examples"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ln, "", out, newSyncBuffer()) }()

	base := "http://" + ln.Addr().String()
	var keys api.Keys
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/v1/keys")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&keys) == nil
	}, 60*time.Second, 50*time.Millisecond, "the marketplace did not answer; output: %s", out)
	require.Len(t, keys.Keys, 1)
	assert.Contains(t, out.String(), "seeded")
	assert.Contains(t, out.String(), keys.Keys[0].Line)

	// `token` signs the demo engineer in beside the running server; the token works over HTTP.
	var tokOut bytes.Buffer
	tokCmd := newTokenCmd(c)
	tokCmd.SetOut(&tokOut)
	tokCmd.SetArgs([]string{})
	require.NoError(t, tokCmd.ExecuteContext(ctx))
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tokOut.String()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var me api.Me
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, server.DemoEngineer, me.Username)
	bad := newTokenCmd(c)
	bad.SetOut(&tokOut)
	bad.SetErr(&tokOut)
	bad.SetArgs([]string{"--password", "wrong"})
	assert.ErrorIs(t, bad.ExecuteContext(ctx), server.ErrBadCredentials)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	assert.Contains(t, out.String(), "marketplace stopped")
}

func TestSeedCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, tc := range []struct {
		args []string
		ok   bool
		out  string
	}{
		{[]string{"seed", "--data", dir, "--examples", "../../packaging/examples", "--products", "20", "--orders", "50"}, true, "added 20 products and 50 orders"},
		{[]string{"seed", "--data", dir, "--products", "5"}, true, "added 5 products"}, // a second run adds, no reseed
		{[]string{"seed", "--data", dir, "--orders", "-1"}, false, ""},
		{[]string{"serve", "--data", dir, "--addr", "not an address"}, false, ""},
	} {
		var stdout bytes.Buffer
		root := newRootCmd(&stdout, &bytes.Buffer{})
		root.SetArgs(tc.args)
		err := root.ExecuteContext(context.Background())
		if !tc.ok {
			assert.Error(t, err, strings.Join(tc.args, " "))
			continue
		}
		require.NoError(t, err)
		assert.Contains(t, stdout.String(), tc.out)
	}
	db, err := server.Open(context.Background(), filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	defer db.Close()
	var orders int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM orders WHERE title LIKE 'Load order %'`).Scan(&orders))
	assert.Equal(t, 50, orders)
}
