package apisign

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The expected values of these tests were computed with openssl, not with this package. When
// openssl is on PATH the tests compute them again with it; the pinned constants check either way.

func openssl(t *testing.T, input string, args ...string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		return "", false
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	require.NoError(t, err, "openssl %v", args)
	return string(out), true
}

// opensslSHA256 is the hex SHA-256 of input, per openssl.
func opensslSHA256(t *testing.T, input string) (string, bool) {
	out, ok := openssl(t, input, "dgst", "-sha256", "-r")
	if !ok {
		return "", false
	}
	return strings.Fields(out)[0], true
}

// opensslHMACHex is the hex HMAC-SHA256 of msg under key, per openssl.
func opensslHMACHex(t *testing.T, key, msg string) (string, bool) {
	out, ok := openssl(t, msg, "dgst", "-sha256", "-r", "-hmac", key)
	if !ok {
		return "", false
	}
	return strings.Fields(out)[0], true
}

// opensslHMACBase64 is the base64 HMAC-SHA256 of msg under key, per openssl.
func opensslHMACBase64(t *testing.T, key, msg string) (string, bool) {
	raw, ok := openssl(t, msg, "dgst", "-sha256", "-binary", "-hmac", key)
	if !ok {
		return "", false
	}
	out, _ := openssl(t, raw, "base64", "-A")
	return strings.TrimSpace(out), true
}
