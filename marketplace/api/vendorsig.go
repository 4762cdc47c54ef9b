package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Vendor requests (POST /v1/vendor/releases) are signed with the vendor's secret:
//
//	X-Date: 20260102T150405Z                      (UTC, within VendorClockSkew of the server)
//	X-Content-SHA256: <hex SHA-256 of the body>
//	Authorization: ISCDESK-HMAC-SHA256 Access=<access key>, Signature=<hex HMAC>
//
// where the HMAC-SHA256, keyed with the secret, covers VendorStringToSign.
const (
	VendorAlgorithm  = "ISCDESK-HMAC-SHA256"
	VendorDateHeader = "X-Date"
	VendorBodyHeader = "X-Content-SHA256"
	VendorDateFormat = "20060102T150405Z"
)

// VendorStringToSign is the algorithm, the method, the path (no query), X-Date and the body's
// hex SHA-256, each on its own line.
func VendorStringToSign(method, path, date, bodySHA256 string) string {
	return strings.Join([]string{VendorAlgorithm, strings.ToUpper(method), path, date, strings.ToLower(bodySHA256)}, "\n")
}

// VendorSignature is the hex HMAC-SHA256 of VendorStringToSign under secret.
func VendorSignature(secret, method, path, date, bodySHA256 string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(VendorStringToSign(method, path, date, bodySHA256)))
	return hex.EncodeToString(m.Sum(nil))
}

// VendorAuthorization is the Authorization header value for accessKey and signature.
func VendorAuthorization(accessKey, signature string) string {
	return VendorAlgorithm + " Access=" + accessKey + ", Signature=" + signature
}
