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
