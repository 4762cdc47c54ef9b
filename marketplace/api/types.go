package api

import "time"

// The types of this file mirror the JSON that the feature files of marketplace/server write, for
// the client (which may not import the server).

// License states.
const (
	LicensePending  = "pending"
	LicenseIssued   = "issued"
	LicenseRejected = "rejected"
)

// License kinds, once issued.
const (
	LicenseKindText = "text"
	LicenseKindFile = "file"
)

// License is an application for a license bound to one device and, once issued, what was
// issued. The content is at GET /v1/licenses/{id}/content.
type License struct {
	ID          string     `json:"id"`
	Product     string     `json:"product"`
	Fingerprint string     `json:"fingerprint"` // MAC|disk|board|cpu, MAC normalised
	EffectiveAt time.Time  `json:"effective_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	State       string     `json:"state"`               // LicensePending, LicenseIssued or LicenseRejected
	Reason      string     `json:"reason,omitempty"`    // why it was rejected
	Kind        string     `json:"kind,omitempty"`      // LicenseKindText or LicenseKindFile, once issued
	FileName    string     `json:"file_name,omitempty"` // for LicenseKindFile
	SHA256      string     `json:"sha256,omitempty"`    // of the content, once issued
	UserID      string     `json:"user_id"`             // who applied
	CreatedAt   time.Time  `json:"created_at"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
}

// LicenseApplication is the body of POST /v1/licenses. Times are RFC 3339; EffectiveAt empty
// means now.
type LicenseApplication struct {
	Product     string `json:"product"`
	Fingerprint string `json:"fingerprint"`
	EffectiveAt string `json:"effective_at,omitempty"`
	ExpiresAt   string `json:"expires_at"`
}

// LicenseContentSHA256Header carries the hex SHA-256 of a license's content on its download.
const LicenseContentSHA256Header = "X-Content-SHA256"

// Billing modes and states of an image delivery.
const (
	BillingPayPerUse = "pay_per_use" // billed by the hour, bound to one cloud server
	BillingMonthly   = "monthly"
	BillingYearly    = "yearly"

	ImageProvisioning = "provisioning"
	ImageActive       = "active"
	ImageExpired      = "expired"
	ImageReleased     = "released"
)

// States of a hardware delivery.
const (
	HardwarePending   = "pending"
	HardwareShipped   = "shipped"
	HardwareInTransit = "in_transit"
	HardwareDelivered = "delivered"
	HardwareReturned  = "returned"
	HardwareRefunded  = "refunded"
)

// Unsubscribe types, review decisions and review states of a hardware delivery.
const (
	UnsubscribeNotReceived = "not_received" // a refund: the goods never arrived
	UnsubscribeReceived    = "received"     // a return, with a return tracking number

	ReviewApprove = "approve"
	ReviewReject  = "reject"

	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewRejected = "rejected"
)

// ImageDelivery is a cloud image the tenant bought.
type ImageDelivery struct {
	ID            string     `json:"id"`
	OrderID       string     `json:"order_id,omitempty"`
	Product       string     `json:"product,omitempty"`
	Name          string     `json:"name"`
	ImageID       string     `json:"image_id"`
	Region        string     `json:"region,omitempty"`
	BillingMode   string     `json:"billing_mode"`              // BillingPayPerUse, BillingMonthly, BillingYearly
	CloudServerID string     `json:"cloud_server_id,omitempty"` // pay per use only
	PriceCents    int64      `json:"price_cents"`               // per PriceUnit
	PriceUnit     string     `json:"price_unit"`                // "hour", "month" or "year"
	Currency      string     `json:"currency"`
	State         string     `json:"state"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"` // end of the paid period (monthly, yearly)
}

// HardwareDelivery is a device the tenant bought, with its latest unsubscribe request if any.
type HardwareDelivery struct {
	ID             string               `json:"id"`
	OrderID        string               `json:"order_id,omitempty"`
	Title          string               `json:"title"`
	Quantity       int                  `json:"quantity"`
	PaidCents      int64                `json:"paid_cents"`
	Currency       string               `json:"currency"`
	State          string               `json:"state"`
	Carrier        string               `json:"carrier,omitempty"`
	TrackingNumber string               `json:"tracking_number,omitempty"`
	ShippedAt      *time.Time           `json:"shipped_at,omitempty"`
	DeliveredAt    *time.Time           `json:"delivered_at,omitempty"`
	CreatedAt      time.Time            `json:"created_at"`
	UpdatedAt      time.Time            `json:"updated_at"`
	Unsubscribe    *HardwareUnsubscribe `json:"unsubscribe,omitempty"`
}

// HardwareUnsubscribe is a refund or return request and its review.
type HardwareUnsubscribe struct {
	ID             string     `json:"id"`
	Type           string     `json:"type"`
	AmountCents    int64      `json:"amount_cents"`
	Reason         string     `json:"reason"`
	ReturnTracking string     `json:"return_tracking,omitempty"`
	ReviewState    string     `json:"review_state"`
	ReviewNote     string     `json:"review_note,omitempty"`
	RequestedBy    string     `json:"requested_by"`
	CreatedAt      time.Time  `json:"created_at"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
}

// UnsubscribeRequest is the body of POST /v1/deliveries/hardware/{id}/unsubscribe.
type UnsubscribeRequest struct {
	Type           string `json:"type"`
	AmountCents    int64  `json:"amount_cents"` // 0 < amount_cents ≤ paid_cents
	Reason         string `json:"reason"`
	ReturnTracking string `json:"return_tracking,omitempty"` // required for UnsubscribeReceived
}

// ReviewRequest is the body of POST /v1/admin/deliveries/hardware/{id}/review.
type ReviewRequest struct {
	Decision string `json:"decision"`       // ReviewApprove or ReviewReject
	Note     string `json:"note,omitempty"` // required when rejecting: the buyer reads it
}

// Quota alert modes and channels of an API package.
const (
	AlertPercent  = "percent"  // Threshold is a percentage of the total calls, 1..99
	AlertAbsolute = "absolute" // Threshold is a number of remaining calls, 1..total-1

	ChannelSMS    = "sms"
	ChannelEmail  = "email"
	ChannelInSite = "in_site" // also arrives on the notification stream
)

// APIPackage is a bought quota of calls to an API product.
type APIPackage struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	API            string      `json:"api"` // the API product the calls are for
	OrderID        string      `json:"order_id,omitempty"`
	OwnerID        string      `json:"owner_id"` // who receives the alerts
	TotalCalls     int64       `json:"total_calls"`
	RemainingCalls int64       `json:"remaining_calls"`
	Alert          *QuotaAlert `json:"alert,omitempty"`
	ExpiresAt      *time.Time  `json:"expires_at,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// QuotaAlert fires once when the remaining calls of a package cross its threshold; it is the body
// of PUT /v1/api-packages/{id}/alert.
type QuotaAlert struct {
	Mode      string   `json:"mode"` // AlertPercent or AlertAbsolute
	Threshold int64    `json:"threshold"`
	Channels  []string `json:"channels"` // ChannelSMS, ChannelEmail, ChannelInSite
}

// UsageRequest is the body of POST /v1/api-packages/{id}/usage: calls made against the quota.
type UsageRequest struct {
	Calls int64 `json:"calls"`
}

// UsageResult is the answer to a usage report.
type UsageResult struct {
	Package    APIPackage `json:"package"`
	AlertFired bool       `json:"alert_fired"` // this use crossed the alert threshold
}

// OrgAdmin is an admin of the caller's organisation (tenant).
type OrgAdmin struct {
	UserID      string     `json:"user_id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email,omitempty"`
	Creator     bool       `json:"creator"`              // created the organisation; cannot be removed
	InvitedBy   string     `json:"invited_by,omitempty"` // user id of the admin who added this one
	AddedAt     *time.Time `json:"added_at,omitempty"`   // unknown for admins made outside the API
}

// AddAdminRequest is the body of POST /v1/org/admins.
type AddAdminRequest struct {
	User string `json:"user"` // a user id or username of the organisation
}
