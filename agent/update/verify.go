package update

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// verify checks a downloaded binary against its release entry: the SHA-256 first, then a minisign
// signature by one of keys. It runs on the bytes in memory, before anything is written.
func verify(rel *api.AgentRelease, data []byte, sum [32]byte, keys []minisign.PublicKey) error {
	want, err := hex.DecodeString(strings.TrimSpace(rel.SHA256))
	if err != nil || len(want) != len(sum) {
		return refused(CodeBadRelease, fmt.Sprintf("release %s has no valid sha256 (%q); the marketplace must list the binary's SHA-256 in hex", rel.Version, rel.SHA256), err)
	}
	if subtle.ConstantTimeCompare(want, sum[:]) != 1 {
		return refused(CodeChecksum, fmt.Sprintf("the downloaded agent %s has SHA-256 %s, but the release says %s: the download is damaged or was altered; nothing was installed", rel.Version, hexSum(sum), strings.ToLower(rel.SHA256)), nil)
	}
	if strings.TrimSpace(rel.Minisig) == "" {
		return refused(CodeSignature, fmt.Sprintf("release %s carries no minisign signature; the agent installs only binaries signed by a key in update.keys", rel.Version), nil)
	}
	var sig minisign.Signature
	if err := sig.UnmarshalText([]byte(rel.Minisig)); err != nil {
		return refused(CodeSignature, fmt.Sprintf("the signature of release %s is not a minisign signature: %v; nothing was installed", rel.Version, err), err)
	}
	for _, k := range keys {
		if minisign.Verify(k, data, []byte(rel.Minisig)) {
			return nil
		}
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = fmt.Sprintf("%X", k.ID())
	}
	return refused(CodeSignature, fmt.Sprintf("the agent %s is not signed by a trusted key: its signature is by key %X, which does not verify against update.keys (%s); nothing was installed", rel.Version, sig.KeyID, strings.Join(ids, ", ")), nil)
}
