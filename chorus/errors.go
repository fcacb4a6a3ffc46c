package chorus

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidRequest is wrapped by the *Error returned when a request fails the
// client's pre-flight checks (file name, syntax, size, content). No call was made.
var ErrInvalidRequest = errors.New("invalid request")

// Error is the error returned by every Client method.
//
// Transient errors (network failures, timeouts, HTTP 429, HTTP 5xx, non-JSON
// answers) may succeed later; permanent ones (HTTP 400/401/403/404/415, a
// business error codeRetour ≠ 0, a pre-flight failure) will not succeed without
// a change of request or configuration.
type Error struct {
	Op         string // "token", "deposer/flux", "consulterCRDetaille", "soumettre", "structures/rechercher"…
	HTTPStatus int    // 0 when no HTTP answer was received
	Code       int    // codeRetour of a business error, 0 otherwise
	Label      string // libelle, OAuth error description, or a short explanation
	Transient  bool
	Err        error // underlying cause, may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("chorus: ")
	b.WriteString(e.Op)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": codeRetour %d", e.Code)
	}
	if e.Label != "" {
		b.WriteString(": ")
		b.WriteString(e.Label)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err is a *Error worth retrying later.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// MaybeDeposited reports whether an error returned by DeposerFlux or
// Soumettre leaves the deposit in doubt: the request may have reached Chorus Pro and created a flow
// although no flow number came back (timeout, connection cut, 5xx, malformed
// answer). The caller must then look the invoice up before depositing it again
// (reference §2.15 step 4): Chorus Pro refuses a second invoice with the same
// number from the same supplier.
func MaybeDeposited(err error) bool {
	var e *Error
	if !errors.As(err, &e) || (e.Op != opDeposer && e.Op != opSoumettre) || !e.Transient {
		return false
	}
	// A token failure has Op "token": nothing was sent to deposer/flux.
	// A 429 is refused by the gateway before reaching Chorus Pro.
	return e.HTTPStatus != 429
}
