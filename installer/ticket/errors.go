package ticket

import "errors"

// Kinds of refusal. Every error Verify, Check and MatchPackage return wraps exactly one of them, so a
// caller can tell them apart with errors.Is while people read the message, which says what to do.
var (
	// ErrMalformed: the data is not a ticket, or it has no signature.
	ErrMalformed = errors.New("malformed ticket")
	// ErrBadSignature: the signature does not verify; the ticket was altered or signed by another key.
	ErrBadSignature = errors.New("ticket signature does not verify")
	// ErrUnknownKey: the ticket names a key the keyring does not trust.
	ErrUnknownKey = errors.New("ticket signed by an unknown key")
	// ErrInvalid: the ticket is signed but one of its fields is not acceptable.
	ErrInvalid = errors.New("invalid ticket")
	// ErrExpired: the ticket's ExpiresAt has passed.
	ErrExpired = errors.New("ticket expired")
	// ErrNotYetValid: the ticket's IssuedAt is in the future by more than the allowed clock skew.
	ErrNotYetValid = errors.New("ticket not yet valid")
	// ErrPlatform: the ticket is for another operating system or architecture.
	ErrPlatform = errors.New("ticket for another platform")
	// ErrDowngrade: the ticket's version is lower than the installed one.
	ErrDowngrade = errors.New("ticket would downgrade")
	// ErrPackageMismatch: the package's size or digests differ from what the ticket says.
	ErrPackageMismatch = errors.New("package does not match ticket")
)

// refusal carries a message for people and the kind for errors.Is.
type refusal struct {
	kind error
	msg  string
	// cause is an underlying error (a JSON or base64 error), kept for errors.As; may be nil.
	cause error
}

func (r *refusal) Error() string { return r.msg }

func (r *refusal) Unwrap() []error {
	if r.cause == nil {
		return []error{r.kind}
	}
	return []error{r.kind, r.cause}
}

func refuse(kind error, msg string) error { return &refusal{kind: kind, msg: msg} }

func refuseCause(kind error, msg string, cause error) error {
	return &refusal{kind: kind, msg: msg + ": " + cause.Error(), cause: cause}
}
