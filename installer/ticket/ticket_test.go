package ticket

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// now is the verifier's clock in these tests.
var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const (
	digestA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	digestB = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func newKey(t testing.TB) PrivateKey {
	t.Helper()
	k, err := GenerateKey("test")
	require.NoError(t, err)
	return k
}

func goodTicket() Ticket {
	return Ticket{
		Product: "demo-solver", Name: "Demo Solver", Version: "2.1.0", Platform: "linux/amd64",
		URLs: []string{"https://market.example/pkg/demo-solver-2.1.0.iscpkg", "file:///srv/pkg/demo-solver-2.1.0.iscpkg"},
		Size: 12345, SHA256: digestA, ManifestSHA256: digestB,
		Tenant: "t-1", Order: "o-42",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(7 * 24 * time.Hour),
	}
}

// signRaw signs payload bytes as they are, skipping Sign's validation, to make signed bad tickets.
func signRaw(k PrivateKey, payload []byte) []byte {
	out, err := json.Marshal(envelope{
		Payload:   base64.StdEncoding.EncodeToString(payload),
		KeyID:     k.id,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(k.key, payload)),
	})
	if err != nil {
		panic(err)
	}
	return out
}

func signUnchecked(t testing.TB, k PrivateKey, tk Ticket) []byte {
	t.Helper()
	tk.KeyID = k.id
	payload, err := json.Marshal(tk)
	require.NoError(t, err)
	return signRaw(k, payload)
}

func mustSign(t testing.TB, k PrivateKey, tk Ticket) []byte {
	t.Helper()
	data, err := Sign(tk, k)
	require.NoError(t, err)
	return data
}

func TestVerifyGoodTicket(t *testing.T) {
	k := newKey(t)
	want := goodTicket()
	got, err := NewKeyring(k.Public()).Verify(mustSign(t, k, want), now)
	require.NoError(t, err)
	want.KeyID = k.ID()
	assert.Equal(t, &want, got)
}

// invalidTickets are signed tickets whose fields Validate must refuse.
var invalidTickets = []struct {
	name   string
	mutate func(*Ticket)
	msg    string
}{
	{"product upper case", func(t *Ticket) { t.Product = "Demo" }, "product id"},
	{"product empty", func(t *Ticket) { t.Product = "" }, "product id"},
	{"product with slash", func(t *Ticket) { t.Product = "a/../b" }, "product id"},
	{"name empty", func(t *Ticket) { t.Name = " " }, "name is empty"},
	{"name with newline", func(t *Ticket) { t.Name = "a\nb" }, "control character"},
	{"version empty", func(t *Ticket) { t.Version = "" }, "version"},
	{"version words", func(t *Ticket) { t.Version = "latest" }, "version"},
	{"platform unknown os", func(t *Ticket) { t.Platform = "plan9" }, "platform"},
	{"platform unknown arch", func(t *Ticket) { t.Platform = "linux/mips" }, "architecture"},
	{"platform empty", func(t *Ticket) { t.Platform = "" }, "platform"},
	{"no urls", func(t *Ticket) { t.URLs = nil }, "0 package URLs"},
	{"ftp url", func(t *Ticket) { t.URLs = []string{"ftp://x/p.iscpkg"} }, "scheme"},
	{"relative url", func(t *Ticket) { t.URLs = []string{"pkg.iscpkg"} }, "scheme"},
	{"url with password", func(t *Ticket) { t.URLs = []string{"https://u:secret@x/p"} }, "password"},
	{"https without host", func(t *Ticket) { t.URLs = []string{"https:///p"} }, "host"},
	{"size zero", func(t *Ticket) { t.Size = 0 }, "size 0"},
	{"size negative", func(t *Ticket) { t.Size = -1 }, "size -1"},
	{"sha256 short", func(t *Ticket) { t.SHA256 = "abc" }, "sha256"},
	{"sha256 not hex", func(t *Ticket) { t.SHA256 = strings.Repeat("z", 64) }, "sha256"},
	{"manifest sha256 missing", func(t *Ticket) { t.ManifestSHA256 = "" }, "manifest_sha256"},
	{"tenant too long", func(t *Ticket) { t.Tenant = strings.Repeat("t", 300) }, "tenant"},
	{"no issue time", func(t *Ticket) { t.IssuedAt = time.Time{} }, "must both be set"},
	{"expires before issue", func(t *Ticket) { t.ExpiresAt = t.IssuedAt.Add(-time.Second) }, "before it is issued"},
	{"lifetime over 30 days", func(t *Ticket) { t.ExpiresAt = t.IssuedAt.Add(31 * 24 * time.Hour) }, "longer than"},
}

func TestSignRefusesInvalidTicket(t *testing.T) {
	k := newKey(t)
	for _, tc := range invalidTickets {
		t.Run(tc.name, func(t *testing.T) {
			tk := goodTicket()
			tc.mutate(&tk)
			_, err := Sign(tk, k)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	_, err := Sign(goodTicket(), PrivateKey{})
	assert.ErrorContains(t, err, "private key is empty")
}

func TestVerifyRefusals(t *testing.T) {
	k, other, stranger := newKey(t), newKey(t), newKey(t)
	ring := NewKeyring(k.Public(), other.Public())
	good := mustSign(t, k, goodTicket())
	var env envelope
	require.NoError(t, json.Unmarshal(good, &env))
	withEnv := func(f func(*envelope)) []byte {
		e := env
		f(&e)
		out, err := json.Marshal(e)
		require.NoError(t, err)
		return out
	}
	withTicket := func(f func(*Ticket)) []byte {
		tk := goodTicket()
		f(&tk)
		return signUnchecked(t, k, tk)
	}

	type tc struct {
		name string
		data []byte
		kind error
		msgs []string
	}
	cases := []tc{
		{"empty", nil, ErrMalformed, []string{"not a signed ticket"}},
		{"not json", []byte("hello"), ErrMalformed, []string{"not a signed ticket"}},
		{"json null", []byte("null"), ErrMalformed, []string{"no payload"}},
		{"trailing data", append(good, []byte(`{}`)...), ErrMalformed, []string{"after the JSON value"}},
		{"unknown envelope field", []byte(`{"payload":"e30=","key_id":"x","signature":"","extra":1}`), ErrMalformed, []string{"unknown field"}},
		{"too large", make([]byte, MaxSize+1), ErrMalformed, []string{"more than"}},
		{"payload not base64", withEnv(func(e *envelope) { e.Payload = "!!" }), ErrMalformed, []string{"not base64"}},
		{"no signature", withEnv(func(e *envelope) { e.Signature = "" }), ErrMalformed,
			[]string{`ticket for "demo-solver" 2.1.0 is not signed`}},
		{"signature not base64", withEnv(func(e *envelope) { e.Signature = "%%%" }), ErrMalformed, []string{"signature that is not 64 bytes"}},
		{"signature short", withEnv(func(e *envelope) { e.Signature = "AAAA" }), ErrMalformed, []string{"signature that is not 64 bytes"}},
		{"unknown key", mustSign(t, stranger, goodTicket()), ErrUnknownKey,
			[]string{stranger.ID(), k.ID(), other.ID(), "agent config"}},
		{"tampered payload", withEnv(func(e *envelope) {
			p, _ := base64.StdEncoding.DecodeString(e.Payload)
			p = []byte(strings.Replace(string(p), `"size":12345`, `"size":12346`, 1))
			e.Payload = base64.StdEncoding.EncodeToString(p)
		}), ErrBadSignature, []string{`ticket for "demo-solver" 2.1.0 was altered after signing or signed by another key; get a fresh ticket from the marketplace`}},
		{"signed by another key claiming a trusted id", withEnv(func(e *envelope) {
			p, _ := base64.StdEncoding.DecodeString(e.Payload)
			e.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(stranger.key, p))
		}), ErrBadSignature, []string{"signed by another key"}},
		{"key id swapped to another trusted key", withEnv(func(e *envelope) { e.KeyID = other.ID() }), ErrBadSignature, []string{"altered"}},
		{"expired", withTicket(func(t *Ticket) { t.ExpiresAt = now.Add(-time.Minute) }), ErrExpired,
			[]string{"expired at 2026-11-20T09:59:00Z", "refresh it from the marketplace"}},
		{"expires right now", withTicket(func(t *Ticket) { t.ExpiresAt = now }), ErrExpired, []string{"expired at 2026-11-20T10:00:00Z"}},
		{"issued in the future", withTicket(func(t *Ticket) { t.IssuedAt = now.Add(6 * time.Minute) }), ErrNotYetValid,
			[]string{"2026-11-20T10:06:00Z", "clock"}},
		{"unknown payload field", func() []byte {
			tk := goodTicket()
			tk.KeyID = k.id
			p, _ := json.Marshal(tk)
			p = append(p[:len(p)-1], []byte(`,"device":"abc"}`)...)
			return signRaw(k, p)
		}(), ErrInvalid, []string{"cannot read it", "update the agent"}},
		{"key id inside differs", func() []byte {
			tk := goodTicket()
			tk.KeyID = other.id
			p, _ := json.Marshal(tk)
			return signRaw(k, p)
		}(), ErrInvalid, []string{"names key"}},
	}
	for _, inv := range invalidTickets {
		cases = append(cases, tc{"invalid: " + inv.name, withTicket(inv.mutate), ErrInvalid, []string{inv.msg}})
	}
	kinds := []error{ErrMalformed, ErrBadSignature, ErrUnknownKey, ErrInvalid, ErrExpired, ErrNotYetValid, ErrPlatform, ErrDowngrade, ErrPackageMismatch}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ring.Verify(c.data, now)
			require.ErrorIs(t, err, c.kind)
			assert.Nil(t, got)
			for _, m := range c.msgs {
				assert.Contains(t, err.Error(), m)
			}
			for _, other := range kinds {
				if other != c.kind {
					assert.NotErrorIs(t, err, other, "an error has exactly one kind")
				}
			}
		})
	}
}

func TestVerifyClockSkew(t *testing.T) {
	k := newKey(t)
	tk := goodTicket()
	tk.IssuedAt = now.Add(ClockSkew - time.Second)
	_, err := NewKeyring(k.Public()).Verify(mustSign(t, k, tk), now)
	assert.NoError(t, err, "a ticket issued within the allowed clock skew is valid")
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey_ := newKey(t), newKey(t)
	ring := NewKeyring(oldKey.Public())
	ring.Add(newKey_.Public())
	assert.ElementsMatch(t, []string{oldKey.ID(), newKey_.ID()}, ring.IDs())
	for _, k := range []PrivateKey{oldKey, newKey_} {
		tk, err := ring.Verify(mustSign(t, k, goodTicket()), now)
		require.NoError(t, err)
		assert.Equal(t, k.ID(), tk.KeyID)
	}
	// An agent that trusts only the new key refuses the old key's tickets.
	_, err := NewKeyring(newKey_.Public()).Verify(mustSign(t, oldKey, goodTicket()), now)
	assert.ErrorIs(t, err, ErrUnknownKey)
}

func TestKeyringAddIgnoresBadKeys(t *testing.T) {
	k := newKey(t)
	pub := k.Public()
	ring := NewKeyring(PublicKey{ID: "0000000000000000", Key: pub.Key}, PublicKey{ID: pub.ID, Key: pub.Key[:5]})
	assert.Empty(t, ring.IDs())
	var zero Keyring
	zero.Add(pub)
	assert.Equal(t, []string{pub.ID}, zero.IDs())
}

// TestTamperEveryField alters each payload field, and then each payload bit, keeping the signature.
func TestTamperEveryField(t *testing.T) {
	k := newKey(t)
	ring := NewKeyring(k.Public())
	var env envelope
	require.NoError(t, json.Unmarshal(mustSign(t, k, goodTicket()), &env))
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	require.NoError(t, err)
	resend := func(p []byte) []byte {
		e := env
		e.Payload = base64.StdEncoding.EncodeToString(p)
		out, err := json.Marshal(e)
		require.NoError(t, err)
		return out
	}

	var fields map[string]any
	require.NoError(t, json.Unmarshal(payload, &fields))
	require.Len(t, fields, 13, "every Ticket field is in the payload")
	for name, v := range fields {
		t.Run(name, func(t *testing.T) {
			altered := map[string]any{}
			for n, x := range fields {
				altered[n] = x
			}
			switch v := v.(type) {
			case string:
				altered[name] = v + "0"
			case float64:
				altered[name] = v + 1
			case []any:
				altered[name] = append([]any{"https://evil.example/p.iscpkg"}, v...)
			default:
				t.Fatalf("field %s has an unexpected type %T", name, v)
			}
			p, err := json.Marshal(altered)
			require.NoError(t, err)
			_, err = ring.Verify(resend(p), now)
			assert.ErrorIs(t, err, ErrBadSignature)
		})
	}

	for i := range payload {
		p := append([]byte(nil), payload...)
		p[i] ^= 0x20
		_, err := ring.Verify(resend(p), now)
		require.ErrorIs(t, err, ErrBadSignature, "flipping a bit of payload byte %d", i)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name     string
		platform string
		version  string
		c        Checks
		kind     error
		msg      string
	}{
		{"os and arch match", "linux/amd64", "2.1.0", Checks{GOOS: "linux", GOARCH: "amd64"}, nil, ""},
		{"os only matches any arch", "windows", "2.1.0", Checks{GOOS: "windows", GOARCH: "arm64"}, nil, ""},
		{"other os", "windows", "2.1.0", Checks{GOOS: "linux", GOARCH: "amd64"}, ErrPlatform, "is for windows but this machine is linux/amd64"},
		{"other arch", "linux/arm64", "2.1.0", Checks{GOOS: "linux", GOARCH: "amd64"}, ErrPlatform, "linux/arm64"},
		{"upgrade", "linux", "2.1.0", Checks{GOOS: "linux", Installed: "2.0.9"}, nil, ""},
		{"same version is a repair", "linux", "2.1.0", Checks{GOOS: "linux", Installed: "2.1.0"}, nil, ""},
		{"downgrade refused", "linux", "2.1.0", Checks{GOOS: "linux", Installed: "2.10.0"}, ErrDowngrade, "replace the installed 2.10.0 with an older version"},
		{"release over its pre-release", "linux", "2.1.0", Checks{GOOS: "linux", Installed: "2.1.0-rc1"}, nil, ""},
		{"pre-release under the release", "linux", "2.1.0-rc1", Checks{GOOS: "linux", Installed: "2.1.0"}, ErrDowngrade, "older"},
		{"downgrade allowed", "linux", "2.1.0", Checks{GOOS: "linux", Installed: "3", AllowDowngrade: true}, nil, ""},
		{"bad platform", "beos", "2.1.0", Checks{GOOS: "linux"}, ErrInvalid, "platform"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := goodTicket()
			tk.Platform, tk.Version = c.platform, c.version
			err := tk.Check(c.c)
			if c.kind == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, c.kind)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestCheckDefaultsToThisMachine(t *testing.T) {
	tk := goodTicket()
	tk.Platform = runtime.GOOS
	require.NoError(t, tk.Check(Checks{}))
}

func TestMatchPackage(t *testing.T) {
	cases := []struct {
		name       string
		size       int64
		sum, mfSum string
		msgs       []string
	}{
		{"match", 12345, digestA, digestB, nil},
		{"upper-case hex matches", 12345, strings.ToUpper(digestA), strings.ToUpper(digestB), nil},
		{"size", 12, digestA, digestB, []string{"it is 12 bytes, the ticket says 12345"}},
		{"sha256", 12345, digestB, digestB, []string{"its SHA-256 is " + digestB}},
		{"manifest", 12345, digestA, digestA, []string{"its package.yaml SHA-256"}},
		{"all", 1, "", "", []string{"1 bytes", "its SHA-256", "package.yaml", "download it again"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := goodTicket()
			err := tk.MatchPackage(c.size, c.sum, c.mfSum)
			if c.msgs == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrPackageMismatch)
			for _, m := range c.msgs {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestErrorsAreUnwrappable(t *testing.T) {
	_, err := NewKeyring().Verify([]byte("{"), now)
	require.ErrorIs(t, err, ErrMalformed)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the JSON decoder's error is kept")
}

func TestStringQuotesOddVersions(t *testing.T) {
	cases := []struct{ product, version, want string }{
		{"demo-solver", "2.1.0", `"demo-solver" 2.1.0`},
		{"demo-solver", "2.1.0\nok", `"demo-solver" "2.1.0\nok"`},
		{"x\x1b[2J", "", `"x\x1b[2J" ""`},
	}
	for _, c := range cases {
		tk := Ticket{Product: c.product, Version: c.version}
		assert.Equal(t, c.want, tk.String())
	}
}

// TestKeyringConcurrentUse adds keys while tickets are verified; run with -race.
func TestKeyringConcurrentUse(t *testing.T) {
	k := newKey(t)
	ring := NewKeyring(k.Public())
	data := mustSign(t, k, goodTicket())
	extra := make([]PublicKey, 8)
	for i := range extra {
		extra[i] = newKey(t).Public()
	}
	done := make(chan error)
	for range 4 {
		go func() {
			for range 20 {
				if _, err := ring.Verify(data, now); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for _, p := range extra {
		ring.Add(p)
	}
	for range 4 {
		require.NoError(t, <-done)
	}
	assert.Len(t, ring.IDs(), 1+len(extra))
}

func BenchmarkVerify(b *testing.B) {
	k := newKey(b)
	ring := NewKeyring(k.Public())
	data := mustSign(b, k, goodTicket())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Verify(data, now); err != nil {
			b.Fatal(err)
		}
	}
}
