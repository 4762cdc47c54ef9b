package ticket

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzVerify checks that Verify never panics and never accepts a payload that a trusted key did not
// sign. The fuzzer cannot forge Ed25519, so every accepted ticket must carry one of the seed payloads.
func FuzzVerify(f *testing.F) {
	k := newKey(f)
	ring := NewKeyring(k.Public())
	var signed [][]byte
	add := func(tk Ticket) {
		data := signUnchecked(f, k, tk)
		var env envelope
		require.NoError(f, json.Unmarshal(data, &env))
		p, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(f, err)
		signed = append(signed, p)
		f.Add(data)
	}
	add(goodTicket())
	expired := goodTicket()
	expired.ExpiresAt = now.Add(-time.Second)
	add(expired)
	bad := goodTicket()
	bad.Product = "Bad Product"
	add(bad)
	f.Add([]byte(`{"payload":"e30=","key_id":"` + k.ID() + `","signature":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := ring.Verify(data, now)
		if err != nil {
			require.Nil(t, tk)
			require.NotEmpty(t, err.Error())
			return
		}
		var env envelope
		require.NoError(t, json.Unmarshal(data, &env))
		p, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		for _, s := range signed {
			if bytes.Equal(p, s) {
				return
			}
		}
		t.Fatalf("accepted a payload nobody signed: %q", p)
	})
}
