package ticket

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyTextRoundTrip(t *testing.T) {
	for _, comment := range []string{"", "marketplace 2026 (rotated)"} {
		t.Run(fmt.Sprintf("comment %q", comment), func(t *testing.T) {
			k, err := GenerateKey(comment)
			require.NoError(t, err)

			privText, err := k.MarshalText()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(privText), "iscdesk-ed25519-private "+k.ID()+" "))
			k2, err := ParsePrivateKey(append(privText, '\n'))
			require.NoError(t, err)
			assert.Equal(t, k, k2)

			pubText, err := k.Public().MarshalText()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(pubText), "iscdesk-ed25519-public "+k.ID()+" "))
			assert.NotContains(t, string(pubText), "\n")
			pub, err := ParsePublicKey(pubText)
			require.NoError(t, err)
			assert.Equal(t, k.Public(), pub)
			assert.Equal(t, comment, pub.Comment)

			// A ticket signed by the re-read private key verifies with the re-read public key.
			_, err = NewKeyring(pub).Verify(mustSign(t, k2, goodTicket()), now)
			require.NoError(t, err)
		})
	}
}

func TestKeyIDIsSHA256Prefix(t *testing.T) {
	k := newKey(t)
	id := KeyID(k.Public().Key)
	assert.Len(t, id, 16)
	assert.Equal(t, id, k.ID())
	assert.Equal(t, id, k.Public().ID)
}

func TestPrivateKeyNotPrinted(t *testing.T) {
	k := newKey(t)
	text, err := k.MarshalText()
	require.NoError(t, err)
	seed := strings.Fields(string(text))[2]
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		assert.NotContains(t, s, seed)
		assert.Contains(t, s, k.ID())
	}
}

func TestParseKeyErrors(t *testing.T) {
	k := newKey(t)
	privText, err := k.MarshalText()
	require.NoError(t, err)
	pubText, err := k.Public().MarshalText()
	require.NoError(t, err)
	pubFields := strings.Fields(string(pubText))
	otherID := newKey(t).ID()

	cases := []struct {
		name    string
		text    string
		private bool
		msg     string
	}{
		{"empty public", "", false, "got nothing"},
		{"private given as public", string(privText), false, "right file"},
		{"public given as private", string(pubText), true, "right file"},
		{"two lines", string(pubText) + "\n" + string(pubText), false, "one line"},
		{"id not hex", "iscdesk-ed25519-public zzzz " + pubFields[2], false, "16 hex"},
		{"key not base64", "iscdesk-ed25519-public " + k.ID() + " ***", false, "not base64"},
		{"key too short", "iscdesk-ed25519-public " + k.ID() + " AAAA", false, "3 bytes, want 32"},
		{"public id edited", "iscdesk-ed25519-public " + otherID + " " + pubFields[2], false, "was edited"},
		{"private id edited", "iscdesk-ed25519-private " + otherID + " " + strings.Fields(string(privText))[2], true, "was edited"},
		{"control char in comment", string(pubText) + " a\tb", false, "control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.private {
				_, err = ParsePrivateKey([]byte(c.text))
			} else {
				_, err = ParsePublicKey([]byte(c.text))
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}

	_, err = GenerateKey("two\nlines")
	assert.ErrorContains(t, err, "control character")
	_, err = PrivateKey{}.MarshalText()
	assert.ErrorContains(t, err, "empty")
	_, err = PublicKey{ID: otherID, Key: k.Public().Key}.MarshalText()
	assert.ErrorContains(t, err, "does not match")
}

func TestWriteKeyFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "vendor")
	k := newKey(t)
	keyPath, pubPath, err := WriteKeyFiles(name, k)
	require.NoError(t, err)
	assert.Equal(t, name+".key", keyPath)
	assert.Equal(t, name+".pub", pubPath)

	for path, mode := range map[string]os.FileMode{keyPath: 0o600, pubPath: 0o644} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, mode, st.Mode().Perm(), path)
	}
	priv, err := ReadPrivateKeyFile(keyPath)
	require.NoError(t, err)
	assert.Equal(t, k, priv)
	pub, err := ReadPublicKeyFile(pubPath)
	require.NoError(t, err)
	assert.Equal(t, k.Public(), pub)

	// Never overwrites, and writes nothing when one of the two exists.
	_, _, err = WriteKeyFiles(name, newKey(t))
	require.ErrorContains(t, err, "already exists")
	again, err := ReadPrivateKeyFile(keyPath)
	require.NoError(t, err)
	assert.Equal(t, k, again)

	only := filepath.Join(dir, "half")
	require.NoError(t, os.WriteFile(only+".pub", []byte("x"), 0o644))
	_, _, err = WriteKeyFiles(only, newKey(t))
	require.ErrorContains(t, err, "half.pub already exists")
	assert.NoFileExists(t, only+".key")

	_, err = ReadPrivateKeyFile(pubPath)
	assert.ErrorContains(t, err, "vendor.pub")
	_, err = ReadPublicKeyFile(filepath.Join(dir, "missing.pub"))
	assert.ErrorContains(t, err, "missing.pub")

	big := filepath.Join(dir, "big.ticket")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxSize+1), 0o644))
	_, err = ReadFile(big)
	assert.ErrorContains(t, err, "larger than")
}
