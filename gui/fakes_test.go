package gui

import (
	"context"
	"errors"
	"io"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/internal/testenv"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// fakeAgent is an AgentAPI in memory: a running agent with an inventory and jobs, whose events
// the test sends on events.
type fakeAgent struct {
	mu       sync.Mutex // guards the fields that follow
	status   apitype.Status
	software []apitype.Software
	jobs     []apitype.Job
	err      error // returned by every call when set (an agent that is away)

	events chan apitype.Event
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{status: apitype.Status{Version: "1.0.0-test", OS: "linux/amd64", Mode: "user"}, events: make(chan apitype.Event)}
}

func (f *fakeAgent) Socket() string { return "/tmp/fake-agent.sock" }

func (f *fakeAgent) Status(context.Context) (*apitype.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	st := f.status
	return &st, nil
}

func (f *fakeAgent) Software(context.Context) ([]apitype.Software, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apitype.Software(nil), f.software...), f.err
}

func (f *fakeAgent) Jobs(context.Context) ([]apitype.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apitype.Job(nil), f.jobs...), f.err
}

func (f *fakeAgent) Job(_ context.Context, id string) (*apitype.Job, error) {
	return nil, errors.New("fakeAgent: no job " + id)
}

func (f *fakeAgent) Submit(context.Context, apitype.JobRequest) (*apitype.Job, error) {
	return nil, errors.New("fakeAgent: Submit is not faked")
}

func (f *fakeAgent) Cancel(_ context.Context, id string) (*apitype.Job, error) {
	return nil, errors.New("fakeAgent: no job " + id)
}

func (f *fakeAgent) Log(context.Context, string, int, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("line 1\n")), nil
}

// Watch delivers what the test sends on events until ctx ends.
func (f *fakeAgent) Watch(ctx context.Context, _ uint64, fn func(apitype.Event) error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-f.events:
			if err := fn(e); err != nil {
				return err
			}
		}
	}
}

// fakeMarket is a MarketAPI in memory: a signed-in engineer whose tenant owns ents.
type fakeMarket struct {
	mu          sync.Mutex // guards the fields that follow
	me          *api.Me    // nil: not signed in
	ents        []api.Entitlement
	entsErr     error
	admins      []api.OrgAdmin
	removeErr   error
	entsAsked   int
	streamAsked int

	stream chan api.Notification // what NotificationsStream delivers
}

func newFakeMarket(ents ...api.Entitlement) *fakeMarket {
	return &fakeMarket{
		stream: make(chan api.Notification),
		me:     &api.Me{UserID: "u1", Username: "engineer", DisplayName: "Demo Engineer", Role: "engineer", TenantName: "Demo Plant"},
		ents:   ents,
	}
}

func (f *fakeMarket) BaseURL() string { return "http://127.0.0.1:1" }

func (f *fakeMarket) Login(context.Context, mclient.LoginOptions) (*mclient.Session, error) {
	return nil, errors.New("fakeMarket: Login is not faked")
}

func (f *fakeMarket) Session(context.Context) (*mclient.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.me == nil {
		return nil, mclient.ErrNotSignedIn
	}
	return &mclient.Session{AccessToken: "t", RefreshToken: "r", User: f.me.Username}, nil
}

func (f *fakeMarket) Logout(context.Context) error { return nil }

func (f *fakeMarket) Me(context.Context) (*api.Me, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.me == nil {
		return nil, mclient.ErrNotSignedIn
	}
	me := *f.me
	return &me, nil
}

func (f *fakeMarket) Entitlements(context.Context, mclient.ListOptions) iter.Seq2[api.Entitlement, error] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entsAsked++
	return seq(append([]api.Entitlement(nil), f.ents...), f.entsErr)
}

func (f *fakeMarket) asked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entsAsked
}

func (f *fakeMarket) set(fn func(f *fakeMarket)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeMarket) Ticket(context.Context, string, string, string) (*api.TicketResponse, error) {
	return nil, errors.New("fakeMarket: Ticket is not faked")
}

func (f *fakeMarket) Notifications(context.Context, mclient.ListOptions) iter.Seq2[api.Notification, error] {
	return seq[api.Notification](nil, nil)
}

// NotificationsStream delivers what the test sends on stream until ctx ends.
func (f *fakeMarket) NotificationsStream(ctx context.Context, _ string) iter.Seq2[api.Notification, error] {
	return func(yield func(api.Notification, error) bool) {
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-f.stream:
				if !yield(n, nil) {
					return
				}
			}
		}
	}
}

func (f *fakeMarket) MarkRead(context.Context, api.MarkReadRequest) (*api.MarkReadResponse, error) {
	return &api.MarkReadResponse{}, nil
}

func (f *fakeMarket) OrgAdmins(context.Context) ([]api.OrgAdmin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.OrgAdmin(nil), f.admins...), nil
}

func (f *fakeMarket) AddOrgAdmin(context.Context, string) (*api.OrgAdmin, error) {
	return nil, errors.New("fakeMarket: AddOrgAdmin is not faked")
}

func (f *fakeMarket) RemoveOrgAdmin(context.Context, string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.removeErr
}

func (f *fakeMarket) Licenses(context.Context, mclient.ListOptions) iter.Seq2[api.License, error] {
	return seq[api.License](nil, nil)
}

func (f *fakeMarket) License(_ context.Context, id string) (*api.License, error) {
	return nil, errors.New("fakeMarket: no license " + id)
}

func (f *fakeMarket) ApplyLicense(context.Context, api.LicenseApplication, string) (*api.License, error) {
	return nil, errors.New("fakeMarket: ApplyLicense is not faked")
}

func (f *fakeMarket) WaitLicense(_ context.Context, id string, _ time.Duration) (*api.License, error) {
	return nil, errors.New("fakeMarket: no license " + id)
}

func (f *fakeMarket) LicenseContentOf(_ context.Context, id string) (*mclient.LicenseContent, error) {
	return nil, errors.New("fakeMarket: no license " + id)
}

func (f *fakeMarket) Orders(context.Context, mclient.ListOptions) iter.Seq2[api.Order, error] {
	return seq[api.Order](nil, nil)
}

func (f *fakeMarket) Order(_ context.Context, id string) (*api.Order, error) {
	return nil, errors.New("fakeMarket: no order " + id)
}

func (f *fakeMarket) ImageDeliveries(context.Context, mclient.ListOptions) iter.Seq2[api.ImageDelivery, error] {
	return seq[api.ImageDelivery](nil, nil)
}

func (f *fakeMarket) HardwareDeliveries(context.Context, mclient.ListOptions) iter.Seq2[api.HardwareDelivery, error] {
	return seq[api.HardwareDelivery](nil, nil)
}

func (f *fakeMarket) HardwareDelivery(_ context.Context, id string) (*api.HardwareDelivery, error) {
	return nil, errors.New("fakeMarket: no delivery " + id)
}

func (f *fakeMarket) Unsubscribe(context.Context, string, api.UnsubscribeRequest) (*api.HardwareDelivery, error) {
	return nil, errors.New("fakeMarket: Unsubscribe is not faked")
}

func (f *fakeMarket) APIPackages(context.Context, mclient.ListOptions) iter.Seq2[api.APIPackage, error] {
	return seq[api.APIPackage](nil, nil)
}

func (f *fakeMarket) SetAlert(context.Context, string, api.QuotaAlert) (*api.APIPackage, error) {
	return nil, errors.New("fakeMarket: SetAlert is not faked")
}

func (f *fakeMarket) ClearAlert(context.Context, string) error { return nil }

// seq yields items, then err if not nil.
func seq[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// Compile-time checks that the real clients satisfy the interfaces.
var (
	_ MarketAPI = (*mclient.Client)(nil)
	_ MarketAPI = (*fakeMarket)(nil)
	_ AgentAPI  = (*fakeAgent)(nil)
)

// newTestUI builds a UI on a fresh test app with fast polling; Close runs at the test's end.
func newTestUI(t *testing.T, agent AgentAPI, market MarketAPI, opts Options) *UI {
	t.Helper()
	test.NewTempApp(t)
	if opts.AgentPoll == 0 {
		opts.AgentPoll = 50 * time.Millisecond
	}
	u := New(fyne.CurrentApp(), agent, market, opts)
	u.win.Resize(fyne.NewSize(1180, 760))
	t.Cleanup(u.Close)
	return u
}

// onUI runs fn as the UI thread would: under u.mu, which the UI's goroutines take for their
// fyne.Do work (the test driver runs that inline, on their goroutine).
func onUI(u *UI, fn func()) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fn()
}

// eventually is testenv.Eventually with cond run on the UI thread.
func eventually(t *testing.T, u *UI, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, within, what, func() bool {
		var ok bool
		onUI(u, func() { ok = cond() })
		return ok
	})
}

// texts lists the text of every label under o, in order.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			if w.Visible() {
				out = append(out, w.Text)
			}
			return
		case *fyne.Container:
			if !w.Visible() {
				return
			}
			for _, c := range w.Objects {
				walk(c)
			}
			return
		case fyne.Widget:
			if !w.Visible() {
				return
			}
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// bannerText is what the banners say.
func bannerText(u *UI) string { return strings.Join(texts(u.banners), "\n") }

// topDialogText is what the topmost dialog says, "" when none is open.
func topDialogText(u *UI) string {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return strings.Join(texts(top), "\n")
}
