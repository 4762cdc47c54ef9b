package api

import "time"

// AgentRelease is one item of GET /v1/agent/releases: one build of the agent itself, which the
// marketplace serves and the agent's updater reads. The agent trusts the minisign signature, not
// the marketplace (docs/self-update.md).
type AgentRelease struct {
	Version     string    `json:"version"`
	OS          string    `json:"os"`
	Arch        string    `json:"arch"`
	Channel     string    `json:"channel"`
	URL         string    `json:"url"` // absolute, or relative to the marketplace
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`  // hex of the binary
	Minisig     string    `json:"minisig"` // the minisign signature file of the binary, as text
	PublishedAt time.Time `json:"published_at"`
}

// AgentReleaseUpload is the body of POST /v1/vendor/agent-releases. The vendor signature covers
// the body, so every field is signed with the binary.
type AgentReleaseUpload struct {
	Version string `json:"version"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	Channel string `json:"channel"` // default "stable"
	Minisig string `json:"minisig"`
	Binary  []byte `json:"binary"` // base64 in JSON
}
