package gui

import (
	"context"
	"io"
	"iter"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// AgentAPI is what the app asks of the local agent; *agent/client.Client satisfies it.
type AgentAPI interface {
	Status(ctx context.Context) (*apitype.Status, error)
	Software(ctx context.Context) ([]apitype.Software, error)
	Jobs(ctx context.Context) ([]apitype.Job, error)
	Job(ctx context.Context, id string) (*apitype.Job, error)
	Submit(ctx context.Context, req apitype.JobRequest) (*apitype.Job, error)
	Cancel(ctx context.Context, id string) (*apitype.Job, error)
	Log(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error)
	Watch(ctx context.Context, lastID uint64, fn func(apitype.Event) error) error
	Socket() string
}

// MarketAPI is what the app asks of the marketplace; *marketplace/client.Client satisfies it.
// It lists the calls of every screen, so that a new screen needs no change here.
type MarketAPI interface {
	BaseURL() string

	// Session.
	Login(ctx context.Context, o mclient.LoginOptions) (*mclient.Session, error)
	Session(ctx context.Context) (*mclient.Session, error)
	Logout(ctx context.Context) error
	Me(ctx context.Context) (*api.Me, error)

	// Software.
	Entitlements(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.Entitlement, error]
	Ticket(ctx context.Context, product, version, platform string) (*api.TicketResponse, error)

	// Notifications.
	Notifications(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.Notification, error]
	NotificationsStream(ctx context.Context, lastEventID string) iter.Seq2[api.Notification, error]
	MarkRead(ctx context.Context, req api.MarkReadRequest) (*api.MarkReadResponse, error)

	// Enterprise admins.
	OrgAdmins(ctx context.Context) ([]api.OrgAdmin, error)
	AddOrgAdmin(ctx context.Context, user string) (*api.OrgAdmin, error)
	RemoveOrgAdmin(ctx context.Context, user string) error

	// Licenses.
	Licenses(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.License, error]
	License(ctx context.Context, id string) (*api.License, error)
	ApplyLicense(ctx context.Context, app api.LicenseApplication, key string) (*api.License, error)
	WaitLicense(ctx context.Context, id string, interval time.Duration) (*api.License, error)
	LicenseContentOf(ctx context.Context, id string) (*mclient.LicenseContent, error)

	// Orders.
	Orders(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.Order, error]
	Order(ctx context.Context, id string) (*api.Order, error)

	// Deliveries.
	ImageDeliveries(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.ImageDelivery, error]
	HardwareDeliveries(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.HardwareDelivery, error]
	HardwareDelivery(ctx context.Context, id string) (*api.HardwareDelivery, error)
	Unsubscribe(ctx context.Context, id string, req api.UnsubscribeRequest) (*api.HardwareDelivery, error)

	// API packages.
	APIPackages(ctx context.Context, o mclient.ListOptions) iter.Seq2[api.APIPackage, error]
	SetAlert(ctx context.Context, id string, alert api.QuotaAlert) (*api.APIPackage, error)
	ClearAlert(ctx context.Context, id string) error
}
