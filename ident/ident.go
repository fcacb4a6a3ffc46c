// Package ident is the one home of the French and European identifiers
// found on invoices: SIRET and SIREN (INSEE), VAT numbers, IBANs. It checks
// them, gives their normal form (Compact) and their printed form
// (FormatSIRET, FormatIBAN); the configuration, the parser, the notifier,
// the Chorus Pro client and the sample generator all use it.
//
// The package imports nothing of the module: it is a leaf that any package
// may import.
package ident

import (
	"math/big"
	"strings"
	"unicode"
)

// Compact returns the normal form of an identifier as people write it: the
// white space (every Unicode space: space, tab, no-break space U+00A0,
// thin space U+2009, narrow no-break space U+202F…), dots and dashes
// removed, and the ASCII letters upper-cased: " fr 11.123-456 782" →
// "FR11123456782". Other characters are kept, so that a value with one
// stays invalid.
func Compact(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.' || r == '-' || unicode.IsSpace(r):
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// AllDigits reports whether s is a non-empty string of ASCII digits.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs are
// checked by the sum of their digits rather than by Luhn.
const laPosteSIREN = "356000000"

// ValidSIRET reports whether s is a SIRET in its normal form: 14 ASCII
// digits whose Luhn checksum is right or, for an establishment of La Poste
// (SIREN 356000000), whose digits add up to a multiple of 5 (INSEE's
// exception: La Poste's establishments cannot all satisfy Luhn; its head
// office, 356 000 000 00048, does). Only the 14 digits as a whole are
// checked, not the SIREN's own Luhn key. A SIRET written with spaces is
// not in its normal form: check ValidSIRET(Compact(s)).
func ValidSIRET(s string) bool {
	if len(s) != 14 || !AllDigits(s) {
		return false
	}
	if strings.HasPrefix(s, laPosteSIREN) && digitSum(s)%5 == 0 {
		return true
	}
	return luhn(s)
}

// ValidSIREN reports whether s is a SIREN in its normal form: 9 ASCII digits
// whose Luhn checksum is right (La Poste's SIREN 356000000 is).
func ValidSIREN(s string) bool {
	return len(s) == 9 && AllDigits(s) && luhn(s)
}

// luhn checks the Luhn checksum of a string of ASCII digits: from the
// right, every second digit is doubled (less 9 when above 9), and the sum
// of all is a multiple of 10.
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

// digitSum adds the digits of a string of ASCII digits.
func digitSum(s string) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i] - '0')
	}
	return sum
}

// FormatSIRET prints a SIRET the French way, "200 071 892 00067": the
// SIREN in three groups of three digits, then the NIC (5 digits). s may be
// written with separators (it is compacted first); its checksum is not
// checked. Anything that does not compact to 14 digits is returned as
// written.
func FormatSIRET(s string) string {
	d := Compact(s)
	if len(d) != 14 || !AllDigits(d) {
		return s
	}
	return d[0:3] + " " + d[3:6] + " " + d[6:9] + " " + d[9:14]
}

// ValidFrenchVAT reports whether s (compacted first: separators allowed)
// is a French VAT number: FR, a key kk of two characters, then the 9
// digits of a SIREN, where a numeric key must be the one computed from the
// SIREN, kk = (12 + 3 × (SIREN mod 97)) mod 97. A key with a letter (the
// older schemes) is accepted on its format alone (two upper-case letters
// or digits). The SIREN's own Luhn key is not checked (see FrenchVATSIREN).
func ValidFrenchVAT(s string) bool {
	s = Compact(s)
	if len(s) != 13 || !strings.HasPrefix(s, "FR") || !AllDigits(s[4:]) {
		return false
	}
	key := s[2:4]
	if !AllDigits(key) {
		return isUpperAlnum(key)
	}
	siren := 0
	for _, c := range s[4:] {
		siren = siren*10 + int(c-'0')
	}
	want := (12 + 3*(siren%97)) % 97
	return int(key[0]-'0')*10+int(key[1]-'0') == want
}

// FrenchVATSIREN returns the SIREN a French VAT number is made of (its
// last 9 digits) when s (compacted first) is a valid French VAT number
// (ValidFrenchVAT) and those digits a valid SIREN (ValidSIREN); else "".
func FrenchVATSIREN(s string) string {
	s = Compact(s)
	if !ValidFrenchVAT(s) || !ValidSIREN(s[4:]) {
		return ""
	}
	return s[4:]
}

// vatCountries are the VAT prefixes ValidVAT accepts: the EU member states
// (EL for Greece), Northern Ireland (XI), Great Britain, Switzerland and
// Norway.
const vatCountries = "AT BE BG CY CZ DE DK EE EL ES FI FR GB HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI CH NO"

// ValidVAT reports whether s (compacted first: separators allowed) looks
// like a VAT number. A French one (FR) must pass ValidFrenchVAT. Any other
// is a country prefix among the EU member states, XI, GB, CH and NO,
// followed by 2 to 13 upper-case letters or digits of which at least 2
// are digits; a German one (DE) is exactly 9 digits. Only the French key
// is checked: other countries' check digits are not.
func ValidVAT(s string) bool {
	s = Compact(s)
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

// ValidIBAN reports whether s (compacted first: separators allowed) is an
// IBAN whose check digits are right: 15 to 34 upper-case letters or
// digits, a country code of two letters, two check digits, and the number
// read with the first four characters moved to the end and each letter
// replaced by its value (A = 10 … Z = 35) is 1 mod 97 (ISO 13616, ISO
// 7064 MOD 97-10). The national (BBAN) checks, such as the French RIB
// key, are not made.
func ValidIBAN(s string) bool {
	s = Compact(s)
	if !ibanShape(s) {
		return false
	}
	var b strings.Builder
	for _, c := range s[4:] + s[:4] {
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

// ibanShape reports whether a compacted s has the shape of an IBAN: 15 to
// 34 upper-case letters or digits, starting with two letters and two
// digits.
func ibanShape(s string) bool {
	return len(s) >= 15 && len(s) <= 34 && isUpperAlnum(s) &&
		s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
		s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9'
}

// FormatIBAN prints an IBAN in groups of four characters separated by
// spaces, the last one shorter when need be: "FR76 3000 6000 0112 3456
// 7890 189". s may be written with separators (it is compacted first);
// its check digits are not checked. Anything that does not compact to the
// shape of an IBAN is returned as written.
func FormatIBAN(s string) string {
	c := Compact(s)
	if !ibanShape(c) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(c); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c[i:min(i+4, len(c))])
	}
	return b.String()
}

// isUpperAlnum reports whether s is a non-empty string of ASCII upper-case
// letters and digits.
func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
