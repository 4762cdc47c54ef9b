package gui

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// marketState is what the app knows of the marketplace. UI thread.
type marketState struct {
	checked      bool // the stored session was looked at
	entitlements []api.Entitlement
	loaded       bool      // entitlements were read at least once
	offline      bool      // the last call got no answer
	offlineErr   error     // that call's error
	syncedAt     time.Time // when the last call was answered
	stopStream   context.CancelFunc
	session      int // counts sign-ins, so that a late answer of an old session is dropped
	refresh      chan struct{}
}

// startMarket looks for a stored session and keeps the tenant's data fresh.
func (u *UI) startMarket() {
	u.marketSt.refresh = make(chan struct{}, 1)
	u.load(func(ctx context.Context) {
		_, err := u.market.Session(ctx)
		if err == nil {
			u.loadMe(ctx)
		}
		u.do(func() {
			u.marketSt.checked = true
			if err != nil && len(u.screens) > 0 {
				u.showScreen(signInTitle)
			}
			u.changed()
		})
	})
	u.goRun(u.refreshMarket)
}

// loadMe reads who is signed in and, on success, starts that session's data and notifications.
func (u *UI) loadMe(ctx context.Context) {
	me, err := u.market.Me(ctx)
	u.do(func() {
		u.marketResult(err)
		if err != nil {
			if !errors.Is(err, mclient.ErrUnreachable) {
				u.showError("Signing in to the marketplace", err)
			}
			return
		}
		u.signedIn(me)
	})
}

// signedIn switches the app to me's session. UI thread.
func (u *UI) signedIn(me *api.Me) {
	u.me = me
	u.marketSt.session++
	if u.marketSt.stopStream != nil {
		u.marketSt.stopStream()
	}
	ctx, cancel := context.WithCancel(u.ctx)
	u.marketSt.stopStream = cancel
	session := u.marketSt.session
	u.goRun(func(context.Context) { u.followNotifications(ctx, session) })
	u.triggerMarketRefresh()
	u.refreshAll()
}

// signedOut forgets the session's data. UI thread.
func (u *UI) signedOut() {
	u.me = nil
	u.marketSt.session++
	if u.marketSt.stopStream != nil {
		u.marketSt.stopStream()
		u.marketSt.stopStream = nil
	}
	u.marketSt.entitlements, u.marketSt.loaded = nil, false
	u.marketSt.offline, u.marketSt.offlineErr = false, nil
	u.refreshAll()
}

// refreshAll refreshes every screen, after the session changed. UI thread.
func (u *UI) refreshAll() {
	for i, s := range u.screens {
		if i != u.current {
			s.Refresh()
		}
	}
	u.changed()
}

func (u *UI) triggerMarketRefresh() {
	select {
	case u.marketSt.refresh <- struct{}{}:
	default: // one is pending already
	}
}

// refreshMarket reloads the entitlements when asked, every MarketRefresh, and every 10 s while
// the marketplace is offline.
func (u *UI) refreshMarket(ctx context.Context) {
	var offline atomic.Bool
	for {
		wait := u.opts.MarketRefresh
		if offline.Load() {
			wait = min(wait, 10*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-u.marketSt.refresh:
		case <-t.C:
		}
		t.Stop()
		u.busy.Add(1)
		u.loadEntitlements(ctx, &offline)
		u.busy.Add(-1)
	}
}

// loadEntitlements reads the tenant's software; a marketplace that does not answer leaves the
// last list in place, marked offline.
func (u *UI) loadEntitlements(ctx context.Context, offline *atomic.Bool) {
	var session int
	var signedIn bool
	if !u.read(ctx, func() { session, signedIn = u.marketSt.session, u.me != nil }) || !signedIn {
		return
	}
	ents, err := mclient.Collect(u.market.Entitlements(ctx, mclient.ListOptions{PageSize: 500}))
	if ctx.Err() != nil {
		return
	}
	offline.Store(errors.Is(err, mclient.ErrUnreachable))
	u.do(func() {
		if session != u.marketSt.session {
			return // signed out or in again meanwhile
		}
		u.marketResult(err)
		if err != nil {
			if !errors.Is(err, mclient.ErrUnreachable) {
				u.marketSt.offlineErr = err
			}
			u.changed()
			return
		}
		u.marketSt.entitlements, u.marketSt.loaded = ents, true
		u.changed()
	})
}

// marketResult records whether the marketplace answered a call: err wrapping ErrUnreachable
// marks the data shown as offline; any answer marks it online. UI thread.
func (u *UI) marketResult(err error) {
	wasOffline := u.marketSt.offline
	switch {
	case err == nil:
		u.marketSt.offline, u.marketSt.offlineErr = false, nil
		u.marketSt.syncedAt = u.opts.Now()
	case errors.Is(err, mclient.ErrUnreachable):
		u.marketSt.offline, u.marketSt.offlineErr = true, err
	default:
		u.marketSt.offline = false // it answered, if with an error
		u.marketSt.syncedAt = u.opts.Now()
	}
	if wasOffline != u.marketSt.offline {
		u.updateBanners()
	}
	if u.me != nil && (errors.Is(err, mclient.ErrSessionEnded) || errors.Is(err, mclient.ErrNotSignedIn)) {
		// The refresh token expired or was revoked: the user must sign in again.
		u.signedOut()
		u.showScreen(signInTitle)
	}
}

// followNotifications loads the latest notifications, then follows the stream from the newest
// of them until ctx ends (sign-out or Close).
func (u *UI) followNotifications(ctx context.Context, session int) {
	recent, err := mclient.Collect(u.market.Notifications(ctx, mclient.ListOptions{PageSize: 50}))
	if len(recent) > 50 {
		recent = recent[:50]
	}
	var last int64
	for _, n := range recent {
		last = max(last, n.ID)
	}
	u.do(func() {
		if session != u.marketSt.session {
			return
		}
		u.marketResult(err)
		for i := len(recent) - 1; i >= 0; i-- {
			u.addNotice(marketNotice(recent[i]), false)
		}
		u.changed()
	})
	lastID := ""
	if last > 0 {
		lastID = strconv.FormatInt(last, 10)
	}
	for n, err := range u.market.NotificationsStream(ctx, lastID) {
		u.do(func() {
			if session != u.marketSt.session {
				return
			}
			u.marketResult(err)
			if err == nil {
				u.notify(marketNotice(n))
				for _, s := range u.screens {
					if l, ok := s.(notificationListener); ok {
						l.Notified(n)
					}
				}
			}
			u.changed()
		})
	}
}

// openURL opens a web page in the user's browser.
func (u *UI) openURL(raw string) error {
	target, err := url.Parse(raw)
	if err != nil {
		return err
	}
	return u.app.OpenURL(target)
}
