package parser

import (
	"strings"

	"facteur/ident"
)

// validVATFormat checks a VAT id: the French key for FR, else an EU
// country prefix followed by 2 to 13 letters or digits.
func validVATFormat(s string) bool {
	s = compactID(s)
	if strings.HasPrefix(s, "FR") {
		return ident.ValidFrenchVAT(s)
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
