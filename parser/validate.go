package parser

import (
	"math/big"
	"strings"
)

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
	s = compactID(s)
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
	s = compactID(s)
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

// validVATFormat checks a VAT id: the French key for FR, else an EU
// country prefix followed by 2 to 13 letters or digits.
func validVATFormat(s string) bool {
	s = compactID(s)
	if strings.HasPrefix(s, "FR") {
		return ValidFrenchVAT(s)
	}
	if len(s) < 4 || len(s) > 15 || !isUpperAlnum(s) {
		return false
	}
	cc := s[:2]
	if !strings.Contains(vatCountries, cc) {
		return false
	}
	digits := 0
	for _, c := range s[2:] {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if cc == "DE" {
		return len(s) == 11 && digits == 9
	}
	return digits >= 2
}

const vatCountries = "AT BE BG CY CZ DE DK EE EL ES FI FR GB HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI CH NO"

// compactID removes spaces, dots and dashes and upper-cases.
func compactID(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\u00a0', '\u202f':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 32
		}
		return r
	}, s)
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}
