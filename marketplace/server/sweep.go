package server

import (
	"context"
	"fmt"
	"time"
)

// sweepInterval is how often expired codes, tokens and idempotency records are deleted.
const sweepInterval = time.Hour

// sweeper deletes expired rows every sweepInterval until ctx ends; New starts it with s.Go.
func (s *Server) sweeper(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("deleting expired sign-in records", "err", err)
			}
		}
	}
}

// sweep deletes authorization codes, tokens and idempotency records that can no longer be used.
// Revoked tokens are kept until they expire: a reused refresh token must still be recognised.
func (s *Server) sweep(ctx context.Context) error {
	now := ms(s.now())
	for _, q := range []struct {
		what, sql string
		arg       int64
	}{
		{"authorization codes", `DELETE FROM oauth_codes WHERE expires_at < ?`, now - CodeTTL.Milliseconds()},
		{"tokens", `DELETE FROM tokens WHERE expires_at < ?`, now},
		{"idempotency records", `DELETE FROM idempotency WHERE created_at < ?`, now - idempotencyTTL.Milliseconds()},
	} {
		if _, err := s.db.ExecContext(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("deleting expired %s: %w", q.what, err)
		}
	}
	return nil
}
