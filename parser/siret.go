package parser

import "strings"

// ValidSIRET reports whether s is a 14-digit SIRET with a valid checksum:
// the Luhn algorithm, or for La Poste establishments (SIREN 356000000) a
// sum of digits that is a multiple of 5.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if strings.HasPrefix(s, "356000000") {
		// La Poste: its establishments cannot all satisfy Luhn; INSEE
		// validates them by the sum of their digits (the head office,
		// 356 000 000 00048, satisfies Luhn).
		sum := 0
		for i := 0; i < len(s); i++ {
			sum += int(s[i] - '0')
		}
		if sum%5 == 0 {
			return true
		}
	}
	return luhn(s)
}

// luhn checks the Luhn checksum of a string of ASCII digits.
func luhn(s string) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// siretCandidate returns the digits of id when, once spaces, dots and
// dashes are removed, it is a valid SIRET; else "".
func siretCandidate(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '\u00a0' || r == '\u202f':
		default:
			return ""
		}
	}
	if s := b.String(); ValidSIRET(s) {
		return s
	}
	return ""
}
