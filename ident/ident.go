// Package ident checks the French and European identifiers found on
// invoices: SIRET and SIREN (INSEE), French VAT numbers, IBANs. One
// implementation serves the configuration, the parser and the Chorus Pro
// client.
package ident

import (
	"math/big"
	"strings"
)

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

// ValidSIREN reports whether s is a 9-digit SIREN with a valid Luhn
// checksum (La Poste's SIREN 356000000 is valid).
func ValidSIREN(s string) bool {
	if len(s) != 9 || !allDigits(s) {
		return false
	}
	return luhn(s)
}

// ValidFrenchVAT reports whether s (spaces allowed) is a French VAT
// number FRkk + SIREN whose numeric key kk matches the SIREN:
// kk = (12 + 3 × (SIREN mod 97)) mod 97. Keys with letters (old
// schemes) are accepted on their format alone.
func ValidFrenchVAT(s string) bool {
	s = compact(s)
	if len(s) != 13 || !strings.HasPrefix(s, "FR") || !allDigits(s[4:]) {
		return false
	}
	key := s[2:4]
	if !allDigits(key) {
		return isUpperAlnum(key)
	}
	siren := 0
	for _, c := range s[4:] {
		siren = siren*10 + int(c-'0')
	}
	want := (12 + 3*(siren%97)) % 97
	return int(key[0]-'0')*10+int(key[1]-'0') == want
}

// ValidIBAN reports whether s (spaces allowed) is an IBAN whose check
// digits are right (ISO 13616: mod 97 = 1).
func ValidIBAN(s string) bool {
	s = compact(s)
	if len(s) < 15 || len(s) > 34 || !isUpperAlnum(s) {
		return false
	}
	if s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	r := s[4:] + s[:4]
	var b strings.Builder
	for _, c := range r {
		if c >= 'A' && c <= 'Z' {
			b.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		} else {
			b.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	if !ok {
		return false
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// compact removes the spaces people put in identifiers and upper-cases them.
func compact(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u00a0', '\u202f', '\u2009', '-', '.':
			return -1
		}
		return r
	}, s))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
