package gui

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
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
	id    func(T) string                         // an item's marketplace id, which selections keep
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

// refresher is a marketView of any item type.
type refresher interface{ refresh(force bool) }

// marketScreen is what the marketplace screens share: it answers for the Screen and the
// notificationListener, loads the screen's lists when they are stale or when a notification says
// one moved, and reloads them at the toolbar's reload button. The screen embeds it and fills it in.
type marketScreen struct {
	title   string
	icon    fyne.Resource
	content fyne.CanvasObject
	views   []refresher // the screen's lists, in the order they load
	kinds   []string    // the notification kinds that move the lists
	draw    func()      // redraws the screen; UI thread
}

func (m *marketScreen) Title() string              { return m.title }
func (m *marketScreen) Icon() fyne.Resource        { return m.icon }
func (m *marketScreen) Content() fyne.CanvasObject { return m.content }

// Refresh loads the lists that are stale and redraws.
func (m *marketScreen) Refresh() {
	for _, v := range m.views {
		v.refresh(false)
	}
	m.draw()
}

// Notified reloads the lists when the notification is of a kind that moves them.
func (m *marketScreen) Notified(n api.Notification) {
	if !slices.Contains(m.kinds, n.Kind) {
		return
	}
	for _, v := range m.views {
		v.refresh(true)
	}
}

// reloadButton is the toolbar's button that loads the lists afresh, now.
func (m *marketScreen) reloadButton() *widget.Button {
	return widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() {
		for _, v := range m.views {
			v.refresh(true)
		}
		m.draw()
	})
}

// byID is the item whose id is id, nil when none; it points into items.
func (v *marketView[T]) byID(id string) *T {
	if i := indexOf(v.items, id, v.id); i >= 0 {
		return &v.items[i]
	}
	return nil
}

// put replaces the item with x's id by x, or adds x first: the marketplace answered about one item
// (issued, unsubscribed) before the next load of the list.
func (v *marketView[T]) put(x T) {
	if cur := v.byID(v.id(x)); cur != nil {
		*cur = x
		return
	}
	v.items = append([]T{x}, v.items...)
}

// indexOf is the index of the item of items whose id is id, -1 when none.
func indexOf[T any](items []T, id string, idOf func(T) string) int {
	return slices.IndexFunc(items, func(x T) bool { return idOf(x) == id })
}

// newStatusLabel is the line under a marketplace screen's toolbar that shows a view's status.
func newStatusLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis // a wrapped label in a toolbar takes all the height it is offered
	return l
}

// setStatus shows a view's status (or the status with more said) on a status label.
func setStatus(l *widget.Label, text string, imp widget.Importance) {
	l.SetText(text)
	l.Importance = imp
	l.Refresh()
}

// newPickList is a list of what items returns, whose rows are made by newRow and filled by bind;
// selecting a row hands its item's id to picked. UI thread.
func newPickList[T any](items func() []T, id func(T) string, newRow func() fyne.CanvasObject,
	bind func(widget.ListItemID, fyne.CanvasObject), picked func(id string)) *widget.List {
	list := widget.NewList(func() int { return len(items()) }, newRow, bind)
	list.OnSelected = func(i widget.ListItemID) {
		if all := items(); i >= 0 && i < len(all) {
			picked(id(all[i]))
		}
	}
	return list
}

// reselect selects row i of list again after the list changed (none when i < 0), so that the
// detail pane follows the same item.
func reselect(list *widget.List, i int) {
	list.UnselectAll()
	if i >= 0 {
		list.Select(i)
	}
}

// detailSplit lays out a list screen: list on the left; on the right, in a card, detail when a
// row is selected, else the hint to select one. It returns the split and the hint, for showDetail.
func detailSplit(list, detail fyne.CanvasObject, hint string, offset float64) (split *container.Split, empty fyne.CanvasObject) {
	hintText := widget.NewLabel(hint)
	hintText.Alignment = fyne.TextAlignCenter
	empty = container.NewCenter(hintText)
	right := container.NewStack(container.NewPadded(container.NewVScroll(detail)), empty)
	split = container.NewHSplit(list, widget.NewCard("", "", right))
	split.Offset = offset
	return split, empty
}

// showDetail shows detail when a row is selected, else the hint of detailSplit.
func showDetail(detail, empty fyne.CanvasObject, selected bool) {
	if !selected {
		detail.Hide()
		empty.Show()
		return
	}
	empty.Hide()
	detail.Show()
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
