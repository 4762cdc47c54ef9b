package ticket

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Text-form prefixes: one line each, "<prefix> <id> <base64> [comment]".
const (
	publicPrefix  = "iscdesk-ed25519-public"
	privatePrefix = "iscdesk-ed25519-private"
)

// maxCommentLen bounds a key comment; it is for people ("marketplace 2026"), not for data.
const maxCommentLen = 200

// PublicKey is a trusted signing key and its id.
type PublicKey struct {
	ID  string // KeyID(Key)
	Key ed25519.PublicKey
	// Comment is free text from the key line, for people; it is not covered by anything.
	Comment string
}

// PrivateKey signs tickets. Its String and GoString never print the seed.
type PrivateKey struct {
	id      string
	comment string
	key     ed25519.PrivateKey
}

// KeyID is the id of a public key: the first 16 hex characters of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// GenerateKey makes a new signing key from crypto/rand. The comment is kept in the text forms.
func GenerateKey(comment string) (PrivateKey, error) {
	if err := checkComment(comment); err != nil {
		return PrivateKey{}, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("generating an ed25519 key: %w", err)
	}
	return PrivateKey{id: KeyID(pub), comment: comment, key: priv}, nil
}

// ID is the key's id, the same as Public().ID.
func (k PrivateKey) ID() string { return k.id }

// Public returns the public half, to give to the agents that should trust this key.
func (k PrivateKey) Public() PublicKey {
	if len(k.key) != ed25519.PrivateKeySize {
		return PublicKey{}
	}
	return PublicKey{ID: k.id, Key: k.key.Public().(ed25519.PublicKey), Comment: k.comment}
}

func (k PrivateKey) String() string   { return privatePrefix + " " + k.id + " (secret not shown)" }
func (k PrivateKey) GoString() string { return "ticket.PrivateKey{" + k.id + "}" }

// MarshalText returns "iscdesk-ed25519-private <id> <base64 seed> [comment]".
func (k PrivateKey) MarshalText() ([]byte, error) {
	if len(k.key) != ed25519.PrivateKeySize {
		return nil, errors.New("marshalling a private key: the key is empty; make one with GenerateKey")
	}
	return keyLine(privatePrefix, k.id, k.key.Seed(), k.comment)
}

// MarshalText returns "iscdesk-ed25519-public <id> <base64 key> [comment]".
func (p PublicKey) MarshalText() ([]byte, error) {
	if len(p.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("marshalling public key %q: it has %d bytes, want %d", p.ID, len(p.Key), ed25519.PublicKeySize)
	}
	if p.ID != KeyID(p.Key) {
		return nil, fmt.Errorf("marshalling public key: id %q does not match the key (its id is %s)", p.ID, KeyID(p.Key))
	}
	return keyLine(publicPrefix, p.ID, p.Key, p.Comment)
}

func keyLine(prefix, id string, raw []byte, comment string) ([]byte, error) {
	if err := checkComment(comment); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(prefix + " " + id + " " + base64.StdEncoding.EncodeToString(raw))
	if comment != "" {
		b.WriteString(" " + comment)
	}
	return b.Bytes(), nil
}

// ParsePublicKey reads the one-line text form written by PublicKey.MarshalText.
func ParsePublicKey(text []byte) (PublicKey, error) {
	id, raw, comment, err := parseKeyLine(text, publicPrefix, ed25519.PublicKeySize)
	if err != nil {
		return PublicKey{}, err
	}
	pub := ed25519.PublicKey(raw)
	if got := KeyID(pub); got != id {
		return PublicKey{}, fmt.Errorf("public key line says id %s but the key's id is %s; the line was edited, copy it again from its source", id, got)
	}
	return PublicKey{ID: id, Key: pub, Comment: comment}, nil
}

// ParsePrivateKey reads the one-line text form written by PrivateKey.MarshalText.
func ParsePrivateKey(text []byte) (PrivateKey, error) {
	id, seed, comment, err := parseKeyLine(text, privatePrefix, ed25519.SeedSize)
	if err != nil {
		return PrivateKey{}, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if got := KeyID(priv.Public().(ed25519.PublicKey)); got != id {
		return PrivateKey{}, fmt.Errorf("private key line says id %s but the key's id is %s; the line was edited, restore it from backup", id, got)
	}
	return PrivateKey{id: id, comment: comment, key: priv}, nil
}

func parseKeyLine(text []byte, prefix string, size int) (id string, raw []byte, comment string, err error) {
	line := strings.TrimSpace(string(text))
	if strings.ContainsAny(line, "\r\n") {
		return "", nil, "", fmt.Errorf("reading %s key: want one line, got several", prefix)
	}
	fields := strings.SplitN(line, " ", 4)
	if len(fields) < 3 || fields[0] != prefix {
		what := "nothing"
		if len(fields) > 0 && fields[0] != "" {
			what = fmt.Sprintf("%.40q", fields[0])
		}
		return "", nil, "", fmt.Errorf("reading key: want a line %q, got %s; is this the right file (.key holds the private key, .pub the public one)?", prefix+" <id> <base64> [comment]", what)
	}
	id = fields[1]
	if !isHex(id, 16) {
		return "", nil, "", fmt.Errorf("reading %s key: id %.40q is not 16 hex characters", prefix, id)
	}
	raw, err = base64.StdEncoding.DecodeString(fields[2])
	if err != nil {
		return "", nil, "", fmt.Errorf("reading %s key %s: the key is not base64: %w", prefix, id, err)
	}
	if len(raw) != size {
		return "", nil, "", fmt.Errorf("reading %s key %s: it has %d bytes, want %d", prefix, id, len(raw), size)
	}
	if len(fields) == 4 {
		comment = strings.TrimSpace(fields[3])
	}
	if err := checkComment(comment); err != nil {
		return "", nil, "", err
	}
	return id, raw, comment, nil
}

func checkComment(c string) error {
	if len(c) > maxCommentLen {
		return fmt.Errorf("key comment is %d bytes long; keep it under %d", len(c), maxCommentLen)
	}
	for _, r := range c {
		if unicode.IsControl(r) {
			return fmt.Errorf("key comment %q holds a control character; use plain text on one line", c)
		}
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
