package server

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Passwords are stored as "pbkdf2-sha256$<iterations>$<salt>$<key>" (base64 without padding):
// PBKDF2 from the standard library, HMAC-SHA256, 600,000 iterations (OWASP 2023), 16-byte salt.
const (
	DefaultPasswordIterations = 600_000
	passwordScheme            = "pbkdf2-sha256"
	maxPasswordIterations     = 10_000_000
	maxPasswordLen            = 1024
)

// HashPassword returns the stored form of password; iterations <= 0 means the default.
func HashPassword(password string, iterations int) (string, error) {
	if iterations <= 0 {
		iterations = DefaultPasswordIterations
	}
	if len(password) == 0 || len(password) > maxPasswordLen {
		return "", fmt.Errorf("a password must be 1 to %d bytes", maxPasswordLen)
	}
	salt := randomBytes(16)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hashing the password: %w", err)
	}
	enc := base64.RawStdEncoding
	return strings.Join([]string{passwordScheme, strconv.Itoa(iterations), enc.EncodeToString(salt), enc.EncodeToString(key)}, "$"), nil
}

// checkPassword reports whether password matches the stored form.
func checkPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != passwordScheme || len(password) > maxPasswordLen {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxPasswordIterations {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
