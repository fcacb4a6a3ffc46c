package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Local accounts' passwords are kept as argon2id hashes (RFC 9106) in the
// PHC string format: $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$HASH.
// The parameters are in the string, so that they can be raised later
// without making older hashes unreadable.

// The argon2id parameters of new hashes: 19 MiB, 2 passes, 1 lane (the
// OWASP recommendation for argon2id), a 16-byte salt, a 32-byte key.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password a local account may have.
const MinPasswordLength = 12

// maxPasswordLength bounds what is hashed (a login form is untrusted).
const maxPasswordLength = 1024

// ErrWeakPassword: the password is shorter than MinPasswordLength
// characters (or not text).
var ErrWeakPassword = errors.New("web: password too short")

// HashPassword returns the argon2id hash of a new password.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength || !utf8.ValidString(password) {
		return "", ErrWeakPassword
	}
	if len(password) > maxPasswordLength {
		return "", fmt.Errorf("web: password longer than %d bytes", maxPasswordLength)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("web: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the encoded hash; a hash
// that cannot be read (or "", an account without a password) matches
// nothing.
func checkPassword(encoded, password string) bool {
	if len(password) > maxPasswordLength {
		return false
	}
	p, ok := parseHash(encoded)
	if !ok {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads a PHC argon2id string, refusing parameters beyond what
// this program would ever write times a margin (the store is trusted,
// but a hash is no reason to spend a gigabyte).
func parseHash(s string) (argonHash, bool) {
	var h argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, false
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); n != 3 || err != nil {
		return h, false
	}
	if h.memory < 8 || h.memory > 256*1024 || h.time < 1 || h.time > 16 || threads < 1 || threads > 16 {
		return h, false
	}
	h.threads = uint8(threads)
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, false
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, false
	}
	return h, true
}

// dummyHash is checked against when the person is unknown, so that the
// time of a failed login does not tell whether the name exists.
var dummyHash = func() string {
	h, err := HashPassword("facteur-dummy-password-never-used")
	if err != nil {
		panic(err)
	}
	return h
}()

// The roles of the web page.
const (
	// RoleRead sees every case.
	RoleRead = "lecture"
	// RoleManage sees and acts.
	RoleManage = "gestion"
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool { return r == RoleRead || r == RoleManage }

// ValidUserName reports whether name may name a person: 1 to 200
// characters, no space, no control character (it is written in the
// ledger and compared with what the identity provider says).
func ValidUserName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) })
}
