package config

import (
	"strings"
	"unicode"
)

// normalizeSIRET removes the spaces (including no-break and thin spaces)
// people put in SIRETs: "200 071 892 00067" → "20007189200067".
func normalizeSIRET(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u202f' || r == '\u2009' {
			return -1
		}
		return r
	}, s)
}

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs do not
// follow the Luhn rule: the sum of their 14 digits is a multiple of 5.
const laPosteSIREN = "356000000"

// validSIRET reports whether s is 14 digits passing the Luhn check, or the
// La Poste rule.
func validSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	sum, plain := 0, 0
	for i := range 14 {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		plain += d
		if i%2 == 0 { // from the right, positions 14, 12, ... are doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if sum%10 == 0 {
		return true
	}
	return strings.HasPrefix(s, laPosteSIREN) && plain%5 == 0
}
