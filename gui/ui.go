// Package gui is the ISCDesk desktop app (Fyne): what engineers see and click to install, repair
// and remove their industrial software and to follow what their tenant bought.
//
// # How it is put together
//
// New builds a UI from a fyne.App, an AgentAPI and a MarketAPI (the agent's and the marketplace's
// Go clients satisfy them; tests pass fakes or clients of real servers) and never reaches for
// globals. The window is a shell: banners on top (the agent is not running, the marketplace is
// offline, a restart is pending), the navigation on the left, the selected screen on the right.
//
// # Adding a screen
//
// A screen is a Screen in its own file, registered from that file's init; nothing else changes:
//
//	func init() { screens = append(screens, screenEntry{order: 30, build: newLicensesScreen}) }
//	func newLicensesScreen(u *UI) Screen { ... }
//
// order sorts the navigation: Sign in 10, Software 20, Licenses 30, Orders 40, Deliveries 50,
// API packages 60, Notifications 80, Settings 90.
//
// A screen builds its widgets once (Content is called once). Refresh is called on the UI thread
// when the screen is shown and when the session or the agent connection changes; it must not
// block. What a screen may use:
//   - u.load(fn): a one-shot task (a fetch) in a goroutine the UI owns; fn's ctx ends on Close.
//   - u.goRun(fn): the same for a loop that runs until ctx ends.
//   - u.do(fn): runs fn on the UI thread; the only way results reach widgets.
//   - u.marketResult(err): after each marketplace call, so that the offline banner is right;
//     a screen keeps showing its last data when errors.Is(err, marketplace/client.ErrUnreachable).
//   - u.showError(title, err), u.win, u.agent, u.market, u.me (nil when signed out).
//   - u.notify(n): adds to the in-app notifications and sends a desktop notification.
//
// A screen that implements notificationListener hears every marketplace notification (a license
// issued, an order moved), and one that implements agentListener hears every change of the
// agent's status, software or jobs; both are called on the UI thread.
//
// # Threads
//
// No I/O runs on the UI thread: every call runs in a goroutine that the UI owns and stops on
// Close. Fields documented "UI thread" are touched only inside u.do or a widget callback.
package gui

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Screen is one page of the app, listed in the navigation.
type Screen interface {
	Title() string
	Icon() fyne.Resource
	// Content is the screen's widgets, built once.
	Content() fyne.CanvasObject
	// Refresh brings the screen up to date; called on the UI thread, it must not block.
	Refresh()
}

// screenEntry registers a screen: order sorts the navigation, build makes it for one UI.
type screenEntry struct {
	order int
	build func(u *UI) Screen
}

// screens holds every registered screen; each screen's file appends to it from init.
var screens []screenEntry

// notificationListener is a screen that wants each marketplace notification as it arrives.
type notificationListener interface {
	Notified(n api.Notification)
}

// agentListener is a screen that wants to hear of each change of the agent's state.
type agentListener interface {
	AgentChanged()
}

// Options configure a UI. The zero value is good.
type Options struct {
	// OpenBrowser shows the marketplace's sign-in page; the app's OpenURL when nil.
	OpenBrowser func(url string) error
	// AgentPoll is how often the agent's status is asked for; 3 s when zero.
	AgentPoll time.Duration
	// MarketRefresh is how often the tenant's software is reloaded from the marketplace; 60 s
	// when zero (10 s while it is offline).
	MarketRefresh time.Duration
	// NoTray leaves out the system-tray icon (screenshots, benchmarks, a desktop without a tray).
	NoTray bool
	// DemoItems pads the software list with that many made-up products (benchmarks only).
	DemoItems int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// UI is the app's window and everything it shows.
type UI struct {
	app    fyne.App
	agent  AgentAPI
	market MarketAPI
	opts   Options
	win    fyne.Window

	ctx    context.Context // ends on Close; every goroutine of the UI watches it
	cancel context.CancelFunc
	wg     sync.WaitGroup
	busy   atomic.Int64 // one-shot tasks in flight (u.load), for screenshots

	// mu serialises the UI thread's work with goroutines' fyne.Do calls. Fyne's own driver runs
	// them on one thread anyway; its test driver runs fyne.Do inline, so tests need the lock.
	mu sync.Mutex

	// UI thread.
	screens   []Screen
	current   int
	nav       *widget.List
	title     *widget.Label
	body      *fyne.Container
	banners   *fyne.Container
	agentSt   agentState
	marketSt  marketState
	me        *api.Me
	notices   []notice
	tray      desktop.App // nil without a tray
	trayLabel string
	closed    bool
	onChange  []func() // called after every change of agent or market state
}

// New builds the app's window on a (a real app from app.NewWithID, or test.NewApp()) and starts
// following the agent and the marketplace. Show the window with ShowAndRun; end with Close.
func New(a fyne.App, agent AgentAPI, market MarketAPI, opts Options) *UI {
	if opts.AgentPoll <= 0 {
		opts.AgentPoll = 3 * time.Second
	}
	if opts.MarketRefresh <= 0 {
		opts.MarketRefresh = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	u := &UI{app: a, agent: agent, market: market, opts: opts}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	if u.opts.OpenBrowser == nil {
		u.opts.OpenBrowser = u.openURL
	}
	a.Settings().SetTheme(newTheme())
	u.win = a.NewWindow("ISCDesk")
	u.buildShell()
	u.win.Resize(fyne.NewSize(1180, 760))
	u.setupTray()
	u.startAgent()
	u.startMarket()
	return u
}

// Window is the app's main window.
func (u *UI) Window() fyne.Window { return u.win }

// ShowAndRun shows the window and runs the app until it quits; then it closes the UI.
func (u *UI) ShowAndRun() {
	u.win.ShowAndRun()
	u.Close()
}

// Close stops every goroutine of the UI and waits for them. It does not quit the app.
func (u *UI) Close() {
	u.cancel()
	u.wg.Wait()
}

// buildShell lays out banners, navigation and the screen area, and builds every registered screen.
func (u *UI) buildShell() {
	entries := slices.Clone(screens)
	slices.SortStableFunc(entries, func(a, b screenEntry) int { return cmp.Compare(a.order, b.order) })
	for _, e := range entries {
		u.screens = append(u.screens, e.build(u))
	}
	contents := make([]fyne.CanvasObject, len(u.screens))
	for i, s := range u.screens {
		contents[i] = s.Content()
		contents[i].Hide()
	}
	u.body = container.NewStack(contents...)
	u.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.title.SizeName = theme.SizeNameHeadingText
	u.banners = container.NewVBox()

	u.nav = widget.NewList(
		func() int { return len(u.screens) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.HomeIcon()), widget.NewLabel("Notifications (99)"))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(u.screens[id].Icon())
			row.Objects[1].(*widget.Label).SetText(u.screens[id].Title())
		},
	)
	u.nav.OnSelected = func(id widget.ListItemID) { u.show(id) }
	if len(u.screens) == 0 {
		u.win.SetContent(widget.NewLabel("This build has no screens."))
		return
	}
	brand := widget.NewLabelWithStyle("ISCDesk", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	brand.SizeName = theme.SizeNameSubHeadingText
	side := container.NewBorder(container.NewVBox(brand, widget.NewSeparator()), nil, nil, nil, u.nav)
	main := container.NewBorder(container.NewVBox(u.title, widget.NewSeparator()), nil, nil, nil, u.body)
	split := container.NewHSplit(side, container.NewPadded(main))
	split.Offset = 0.18
	u.win.SetContent(container.NewBorder(u.banners, nil, nil, nil, split))
	// Open on Software, as a store app opens on its apps; without a session the check in
	// startMarket moves to Account.
	u.nav.Select(0)
	u.showScreen(softwareTitle)
}

// show makes screen i the visible one. UI thread.
func (u *UI) show(i int) {
	if i < 0 || i >= len(u.screens) {
		return
	}
	for j, o := range u.body.Objects {
		if j == i {
			o.Show()
		} else {
			o.Hide()
		}
	}
	u.current = i
	u.title.SetText(u.screens[i].Title())
	u.screens[i].Refresh()
}

// showScreen selects the screen titled title in the navigation. UI thread.
func (u *UI) showScreen(title string) {
	for i, s := range u.screens {
		if s.Title() == title {
			u.nav.Select(i)
			return
		}
	}
}

// screen returns the registered screen of type T, for tests and for screens that talk.
func screenOf[T Screen](u *UI) T {
	for _, s := range u.screens {
		if t, ok := s.(T); ok {
			return t
		}
	}
	var zero T
	return zero
}

// changed tells the visible screen, the listeners, the navigation and the banners that the
// agent's or the marketplace's state changed. UI thread.
func (u *UI) changed() {
	for _, s := range u.screens {
		if l, ok := s.(agentListener); ok {
			l.AgentChanged()
		}
	}
	if len(u.screens) > 0 {
		u.screens[u.current].Refresh()
		u.title.SetText(u.screens[u.current].Title())
	}
	u.nav.Refresh()
	u.updateBanners()
	u.updateTray()
	for _, f := range u.onChange {
		f()
	}
}

// goRun runs fn in a goroutine owned by the UI; fn must return soon after ctx ends.
func (u *UI) goRun(fn func(ctx context.Context)) {
	if u.ctx.Err() != nil {
		return
	}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		fn(u.ctx)
	}()
}

// load runs a one-shot task such as a fetch in a goroutine owned by the UI.
func (u *UI) load(fn func(ctx context.Context)) {
	u.busy.Add(1)
	u.goRun(func(ctx context.Context) {
		defer u.busy.Add(-1)
		fn(ctx)
	})
}

// do runs fn on the UI thread, unless the UI is closed.
func (u *UI) do(fn func()) {
	if u.ctx.Err() != nil {
		return
	}
	fyne.Do(func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.ctx.Err() != nil {
			return
		}
		fn()
	})
}

// read runs fn on the UI thread and waits for it; false when ctx ended first.
func (u *UI) read(ctx context.Context, fn func()) bool {
	done := make(chan struct{})
	u.do(func() { fn(); close(done) })
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// showError shows err in a dialog, in words: what failed and what to do. UI thread.
func (u *UI) showError(title string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	msg := widget.NewLabel(errorText(err))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "Close", container.NewGridWrap(fyne.NewSize(460, msg.MinSize().Height*3), msg), u.win)
	d.Show()
}

// spacer is a flexible gap for boxes.
func spacer() fyne.CanvasObject { return layout.NewSpacer() }

// jobOf returns the running or last job of product: the newest the agent told about.
func (u *UI) jobOf(product string) *apitype.Job {
	return u.agentSt.jobByProduct[product]
}
