package web

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !checkPassword(h, "correct horse battery") {
		t.Error("the right password is refused")
	}
	for _, bad := range []string{"", "correct horse batterie", "correct horse battery "} {
		if checkPassword(h, bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Error("two hashes of the same password are equal: no salt")
	}
	if _, err := HashPassword("court"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
	for _, broken := range []string{"", "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", strings.Replace(h, "$v=19$", "$v=16$", 1)} {
		if checkPassword(broken, "correct horse battery") {
			t.Errorf("broken hash %q matched", broken)
		}
	}
}
