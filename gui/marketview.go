package gui

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"time"

	"fyne.io/fyne/v2/widget"

	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// How often a marketplace screen reloads its list while it is shown.
const (
	marketViewFresh   = time.Minute      // after a good answer
	marketViewRetry   = 10 * time.Second // after no answer (offline) or an error
	marketViewMaxRows = 10000            // a list longer than this is cut, and says so
)

// marketView is one marketplace list of a screen (licenses, orders, deliveries, API packages):
// fetched off the UI thread, kept and marked offline when the marketplace does not answer,
// reloaded when it is stale or the session changed, and forgotten on sign-out. All fields and
// methods are UI thread.
type marketView[T any] struct {
	u     *UI
	what  string                                 // "licenses", for the status line
	fetch func(ctx context.Context) ([]T, error) // runs in a goroutine of the UI
	shown func()                                 // called after items or the status changed
	items []T

	session  int       // the u.marketSt.session items belong to
	loadedAt time.Time // of items; zero when nothing was loaded
	nextLoad time.Time
	loading  bool
	offline  bool  // the last load got no answer
	err      error // the last load's error, when the marketplace answered with one
	cut      bool  // the list was longer than marketViewMaxRows
}

// refresh loads the list when it is stale or force is set; signed out, it empties it.
func (v *marketView[T]) refresh(force bool) {
	u := v.u
	if u.me == nil {
		if v.items != nil || !v.loadedAt.IsZero() || v.err != nil {
			v.items, v.loadedAt, v.nextLoad, v.err, v.offline = nil, time.Time{}, time.Time{}, nil, false
			v.shown()
		}
		return
	}
	now := u.opts.Now()
	if v.loading || (!force && v.session == u.marketSt.session && now.Before(v.nextLoad)) {
		return
	}
	if v.session != u.marketSt.session {
		v.items, v.loadedAt = nil, time.Time{} // another user's data must not linger
	}
	v.loading = true
	session := u.marketSt.session
	u.load(func(ctx context.Context) {
		items, err := v.fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		u.do(func() {
			v.loading = false
			if session != u.marketSt.session {
				return // signed out or in again meanwhile: the next refresh loads afresh
			}
			v.session = session
			u.marketResult(err)
			now := u.opts.Now()
			v.offline = errors.Is(err, mclient.ErrUnreachable)
			switch {
			case err == nil:
				v.items, v.loadedAt, v.err = items, now, nil
				v.cut = len(items) >= marketViewMaxRows
				v.nextLoad = now.Add(marketViewFresh)
			case v.offline:
				v.err = nil // keep the last items: the banner and the status say they may be old
				v.nextLoad = now.Add(marketViewRetry)
			default:
				v.err = err
				v.nextLoad = now.Add(marketViewRetry)
			}
			v.shown()
		})
	})
}

// status is the line under a screen's toolbar: loading, offline, an error, or when it was loaded.
func (v *marketView[T]) status() (string, widget.Importance) {
	switch {
	case v.u.me == nil:
		return "Sign in (Account) to see your " + v.what + ".", widget.MediumImportance
	case v.err != nil:
		return "Could not load your " + v.what + ": " + errorText(v.err), widget.DangerImportance
	case v.offline && v.loadedAt.IsZero():
		return "The marketplace cannot be reached; your " + v.what + " will show when it answers.", widget.WarningImportance
	case v.offline:
		return "Offline: showing your " + v.what + " as loaded at " + v.loadedAt.Local().Format("15:04") + ".", widget.WarningImportance
	case v.loading && v.loadedAt.IsZero():
		return "Loading your " + v.what + "…", widget.MediumImportance
	case v.cut:
		return "Showing the newest " + strconv.Itoa(marketViewMaxRows) + " " + v.what + "; use the filters to find older ones.", widget.MediumImportance
	default:
		return "Updated at " + v.loadedAt.Local().Format("15:04") + ".", widget.MediumImportance
	}
}

// collectMax gathers up to limit items of a list.
func collectMax[T any](seq iter.Seq2[T, error], limit int) ([]T, error) {
	var out []T
	for item, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, item)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}
