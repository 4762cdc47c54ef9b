package server

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepDeletesExpiredRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(DemoEngineer, DemoPassword)
	decode(t, e.do("POST", "/v1/tickets", e.login(DemoEngineer, DemoPassword).AccessToken,
		api.TicketRequest{Product: "cad-viewer", Platform: "linux"}, api.IdempotencyHeader, "k"), 201, nil)
	count := func(table string) int {
		var n int
		require.NoError(t, e.db.QueryRow(`SELECT count(*) FROM `+table).Scan(&n))
		return n
	}
	require.NoError(t, e.srv.sweep(context.Background()))
	assert.Positive(t, count("tokens"), "live tokens stay")
	assert.Positive(t, count("oauth_codes"), "codes stay until they are old")
	assert.Equal(t, 1, count("idempotency"))

	e.clock.Advance(RefreshTokenTTL + time.Hour)
	require.NoError(t, e.srv.sweep(context.Background()))
	for _, table := range []string{"tokens", "oauth_codes", "idempotency"} {
		assert.Zero(t, count(table), table)
	}
	// A swept refresh token is simply unknown.
	var oe api.OAuthError
	decode(t, e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {api.ClientID}, "refresh_token": {"x"}}), 400, &oe)
	assert.Equal(t, "invalid_grant", oe.Error)
}

func TestHubDropsSlowSubscribers(t *testing.T) {
	t.Parallel()
	h := newHub()
	slow := h.subscribe("t", "u")
	other := h.subscribe("t", "v")
	for i := range subscriptionBuffer + 1 {
		h.publish("t", "u", api.Notification{ID: int64(i + 1)})
	}
	got := 0
	for range slow.ch {
		got++
	}
	assert.Equal(t, subscriptionBuffer, got, "the buffer is delivered, then the channel is closed")
	select {
	case <-other.ch:
		t.Fatal("another user's stream received a notification")
	default:
	}
	h.unsubscribe("t", "u", slow) // already dropped: a no-op, not a double close
	h.close()
	_, open := <-other.ch
	assert.False(t, open, "close ends every stream")
	late := h.subscribe("t", "u")
	_, open = <-late.ch
	assert.False(t, open, "a stream opened after close ends at once")
}
