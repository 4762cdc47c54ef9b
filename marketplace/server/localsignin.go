package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ErrBadCredentials is a sign-in with a wrong user name or password.
var ErrBadCredentials = errors.New("wrong user name or password")

// SignInLocal signs a user in without the browser flow, as the desktop client's login would, and
// returns its tokens. It is for whoever holds the marketplace's data folder (the demo script, the
// vendors' sandbox, tests): it needs the user's password all the same, and it is not reachable
// over HTTP.
func SignInLocal(ctx context.Context, db *DB, username, password string) (api.Token, error) {
	s := &Server{db: db, opts: Options{Now: time.Now}}
	userID, tenantID, ok, err := s.checkLogin(ctx, username, password)
	if err != nil {
		return api.Token{}, err
	}
	if !ok {
		return api.Token{}, ErrBadCredentials
	}
	var tok api.Token
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		tok, err = s.issueTokens(ctx, tx, userID, tenantID, api.ClientID, randomToken(16))
		return err
	})
	if err != nil {
		return api.Token{}, fmt.Errorf("signing %s in: %w", username, err)
	}
	return tok, nil
}
