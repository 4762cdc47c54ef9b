// Package api holds the marketplace's HTTP API: its OpenAPI 3.1 description (openapi.yaml,
// embedded as Spec) and the JSON wire types that the server writes and the client reads.
// It has no logic beyond the vendor request signature, which both sides must compute alike.
//
// docs/marketplace-api.md is the long form for people.
package api

import (
	_ "embed"
	"time"
)

// Spec is openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte

// ClientID is the OAuth2 client id of the public desktop client (GUI and CLI). It may only
// redirect to a loopback address.
const ClientID = "iscdesk"

// IdempotencyHeader makes a POST safe to retry: the same key, user and body replay the first
// response; the same key with another body is refused with 422.
const IdempotencyHeader = "Idempotency-Key"

// Roles of a caller.
const (
	RoleEngineer = "engineer"
	RoleAdmin    = "admin"
	RoleVendor   = "vendor"
)

// Error is the body of every non-2xx response of /v1 (the OAuth endpoints answer RFC 6749 errors).
type Error struct {
	// Code is stable, for programs: "invalid_field", "unauthorized", "token_expired", "not_found", …
	Code string `json:"code"`
	// Field names the offending input (a JSON field or query parameter) for 400 responses.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// OAuthError is the body of an error from /oauth/token (RFC 6749 section 5.2).
type OAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// Token is the response of /oauth/token.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"` // "Bearer"
	ExpiresIn    int    `json:"expires_in"` // seconds
	RefreshToken string `json:"refresh_token"`
	TenantID     string `json:"tenant_id"`
}

// Me is the signed-in user.
type Me struct {
	UserID      string `json:"user_id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Role        string `json:"role"`
	TenantID    string `json:"tenant_id"`
	TenantName  string `json:"tenant_name"`
}

// Page is the envelope of every paged list: pass NextCursor back as ?cursor= for the next page;
// it is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Entitlement is a product the tenant may install.
type Entitlement struct {
	ID        string     `json:"id"`
	Product   string     `json:"product"`
	Name      string     `json:"name"`
	Publisher string     `json:"publisher"`
	OrderID   string     `json:"order_id,omitempty"`
	GrantedAt time.Time  `json:"granted_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Latest is the product's newest release (for the ?platform= asked for, if any); nil when
	// there is none.
	Latest *LatestRelease `json:"latest,omitempty"`
}

// LatestRelease is a product's newest version and the platforms it was released for, sorted.
type LatestRelease struct {
	Version   string   `json:"version"`
	Platforms []string `json:"platforms"`
}

// Product is a catalog entry with its releases.
type Product struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Publisher   string    `json:"publisher"`
	Description string    `json:"description,omitempty"`
	Releases    []Release `json:"releases"`
}

// Release is one package of a product version for one platform.
type Release struct {
	Version        string    `json:"version"`
	Platform       string    `json:"platform"` // "os" or "os/arch"
	URL            string    `json:"url"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	PublishedAt    time.Time `json:"published_at"`
}

// TicketRequest asks for a release ticket. Version empty means the newest release.
type TicketRequest struct {
	Product  string `json:"product"`
	Version  string `json:"version,omitempty"`
	Platform string `json:"platform"`
}

// TicketResponse carries the signed ticket (the wire form of installer/ticket, to hand to the
// agent as is) and, for display, what it names.
type TicketResponse struct {
	Ticket    RawJSON   `json:"ticket"`
	Product   string    `json:"product"`
	Version   string    `json:"version"`
	Platform  string    `json:"platform"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RawJSON is a JSON value passed through unchanged.
type RawJSON []byte

// MarshalJSON returns r itself.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON keeps a copy of data.
func (r *RawJSON) UnmarshalJSON(data []byte) error {
	*r = append((*r)[:0], data...)
	return nil
}

// Keys lists the public keys that sign release tickets.
type Keys struct {
	Keys []PublicKey `json:"keys"`
}

// PublicKey is one ticket-signing key. Line is the text form the agent config takes.
type PublicKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"` // "ed25519"
	Line      string `json:"line"`      // "iscdesk-ed25519-public <id> <base64> [comment]"
}

// Order kinds and states.
const (
	OrderSoftware   = "software"
	OrderLicense    = "license"
	OrderImage      = "image"
	OrderHardware   = "hardware"
	OrderAPIPackage = "api_package"

	StatePendingPayment = "pending_payment"
	StatePaid           = "paid"
	StateDelivering     = "delivering"
	StateDelivered      = "delivered"
	StateCancelled      = "cancelled"
	StateRefunding      = "refunding"
	StateRefunded       = "refunded"
)

// Order is something the tenant bought.
type Order struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Product     string    `json:"product,omitempty"`
	Title       string    `json:"title"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	UserID      string    `json:"user_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// OrderStateRequest moves an order (admin only).
type OrderStateRequest struct {
	State string `json:"state"`
	Note  string `json:"note,omitempty"`
}

// Notification is a message to one user; it also arrives on the SSE stream as event "notification".
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"` // "order", "license", "delivery", "quota", …
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Ref       string     `json:"ref,omitempty"` // the id of what it is about, e.g. an order id
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// MarkReadRequest marks the listed notifications, or all of them, as read.
type MarkReadRequest struct {
	IDs []int64 `json:"ids,omitempty"`
	All bool    `json:"all,omitempty"`
}

// MarkReadResponse says how many were newly marked.
type MarkReadResponse struct {
	Marked int64 `json:"marked"`
}

// PublishedRelease is the response to a vendor's upload.
type PublishedRelease struct {
	Product  string    `json:"product"`
	Name     string    `json:"name"`
	Version  string    `json:"version"`
	Releases []Release `json:"releases"`
}
