package ticket

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxSize bounds the wire form Verify reads; real tickets are a few kilobytes.
const MaxSize = 64 << 10

// envelope is the wire form. The signature covers Payload exactly as sent, so verifying needs no
// canonical JSON: the bytes checked are the bytes decoded.
type envelope struct {
	Payload   string `json:"payload"`   // base64 of the Ticket's JSON
	KeyID     string `json:"key_id"`    // which key signed; a hint for lookup, also inside the payload
	Signature string `json:"signature"` // base64 of the Ed25519 signature of the payload bytes
}

// Sign fills t.KeyID with k's id, validates t and returns the signed wire form (JSON).
func Sign(t Ticket, k PrivateKey) ([]byte, error) {
	if len(k.key) != ed25519.PrivateKeySize {
		return nil, errors.New("signing a ticket: the private key is empty; load one with ParsePrivateKey")
	}
	t.KeyID = k.id
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("signing ticket for %s: encoding it: %w", &t, err)
	}
	env := envelope{
		Payload:   base64.StdEncoding.EncodeToString(payload),
		KeyID:     k.id,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(k.key, payload)),
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("signing ticket for %s: encoding the envelope: %w", &t, err)
	}
	return append(out, '\n'), nil
}

// Keyring holds the public keys whose tickets are trusted, by id. Several keys may be trusted at
// once so that the marketplace can rotate its key. It is safe for concurrent use.
type Keyring struct {
	mu   sync.RWMutex // guards keys
	keys map[string]PublicKey
}

// NewKeyring returns a keyring that trusts keys.
func NewKeyring(keys ...PublicKey) *Keyring {
	k := &Keyring{keys: make(map[string]PublicKey)}
	for _, p := range keys {
		k.Add(p)
	}
	return k
}

// Add trusts p. A key whose id does not match its bytes is ignored, since Verify could never
// select it honestly; ParsePublicKey never returns one.
func (k *Keyring) Add(p PublicKey) {
	if len(p.Key) != ed25519.PublicKeySize || p.ID != KeyID(p.Key) {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = make(map[string]PublicKey)
	}
	k.keys[p.ID] = PublicKey{ID: p.ID, Key: bytes.Clone(p.Key), Comment: p.Comment}
}

// IDs lists the trusted key ids, sorted.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Sorted(maps.Keys(k.keys))
}

func (k *Keyring) lookup(id string) (PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	p, ok := k.keys[id]
	return p, ok
}

// Verify checks the wire form data: that it is well formed, that a trusted key signed it, that
// every field is valid and that now lies in its validity period (with ClockSkew for IssuedAt).
// It returns the ticket only when all of that holds. Check and MatchPackage come after.
func (k *Keyring) Verify(data []byte, now time.Time) (*Ticket, error) {
	if len(data) > MaxSize {
		return nil, refuse(ErrMalformed, fmt.Sprintf("ticket is %d bytes, more than the %d a ticket can be; is this a ticket file (%s)?", len(data), MaxSize, Ext))
	}
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, refuseCause(ErrMalformed, "ticket is not a signed ticket (JSON with payload, key_id and signature); get it again from the marketplace", err)
	}
	if env.Payload == "" {
		return nil, refuse(ErrMalformed, "ticket has no payload; get it again from the marketplace")
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, refuseCause(ErrMalformed, "ticket payload is not base64; get it again from the marketplace", err)
	}
	// For messages only until the signature verifies: the names may be lies.
	var claimed Ticket
	if json.Unmarshal(payload, &claimed) != nil {
		claimed = Ticket{}
	}
	if env.Signature == "" {
		return nil, refuse(ErrMalformed, fmt.Sprintf("ticket for %s is not signed; the agent installs only what a trusted key signed, get a signed ticket from the marketplace", &claimed))
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, refuse(ErrMalformed, fmt.Sprintf("ticket for %s has a signature that is not %d bytes of base64; get it again from the marketplace", &claimed, ed25519.SignatureSize))
	}
	pub, ok := k.lookup(env.KeyID)
	if !ok {
		trusted := strings.Join(k.IDs(), ", ")
		if trusted == "" {
			trusted = "none"
		}
		return nil, refuse(ErrUnknownKey, fmt.Sprintf("ticket for %s is signed by key %.40q, which this agent does not trust (trusted: %s); if that key is the marketplace's, add its public key line (iscdesk-ed25519-public <id> <key>) to the trusted keys in the agent config and restart the agent",
			&claimed, env.KeyID, trusted))
	}
	if !ed25519.Verify(pub.Key, payload, sig) {
		return nil, refuse(ErrBadSignature, fmt.Sprintf("ticket for %s was altered after signing or signed by another key; get a fresh ticket from the marketplace", &claimed))
	}

	var t Ticket
	if err := decodeStrict(payload, &t); err != nil {
		// Signed by a trusted key, yet unreadable: a marketplace newer than this agent, most likely.
		return nil, refuseCause(ErrInvalid, fmt.Sprintf("ticket for %s is signed but this agent cannot read it; update the agent", &claimed), err)
	}
	if t.KeyID != env.KeyID {
		return nil, refuse(ErrInvalid, fmt.Sprintf("ticket for %s names key %.40q inside but %s outside; get a fresh ticket from the marketplace", &t, t.KeyID, env.KeyID))
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := t.checkTime(now); err != nil {
		return nil, err
	}
	return &t, nil
}

// decodeStrict decodes one JSON value with no unknown fields and nothing after it. Unknown fields are
// refused because a newer ticket may carry a restriction that this build would silently ignore.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
