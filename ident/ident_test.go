package ident

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
)

type boolCase struct {
	in   string
	want bool
}

// checkBool checks a predicate on its table of cases.
func checkBool(t *testing.T, name string, f func(string) bool, cases []boolCase) {
	t.Helper()
	for _, c := range cases {
		if got := f(c.in); got != c.want {
			t.Errorf("%s(%q) = %v, want %v", name, c.in, got, c.want)
		}
	}
}

type stringCase struct{ in, want string }

// checkString checks a function of a string on its table of cases.
func checkString(t *testing.T, name string, f func(string) string, cases []stringCase) {
	t.Helper()
	for _, c := range cases {
		if got := f(c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", name, c.in, got, c.want)
		}
	}
}

func TestCompact(t *testing.T) {
	checkString(t, "Compact", Compact, []stringCase{
		{"", ""},
		{"20007189200067", "20007189200067"},
		{"200 071 892 00067", "20007189200067"},
		{" 200 071\u00a0892\u202f00067 ", "20007189200067"}, // no-break and narrow no-break spaces
		{"200\u2009071\t892\n00067", "20007189200067"},      // thin space, tab, newline
		{"200.071.892-00067", "20007189200067"},
		{"fr 11 123 456 782", "FR11123456782"},
		{"de88 2008 0000 0970 3757 00", "DE88200800000970375700"},
		{"2000718920006a", "2000718920006A"},
		{"200071892_00067", "200071892_00067"}, // other characters are kept
		{"éß×", "éß×"},                         // only ASCII letters are upper-cased
	})
}

func TestAllDigits(t *testing.T) {
	checkBool(t, "AllDigits", AllDigits, []boolCase{
		{"0", true},
		{"20007189200067", true},
		{"", false},
		{" 1", false},
		{"1a", false},
		{"-1", false},
		{"１", false}, // a full-width digit is not an ASCII digit
		{"٣", false}, // nor an Arabic-Indic one
	})
}

func TestValidSIRET(t *testing.T) {
	checkBool(t, "ValidSIRET", ValidSIRET, []boolCase{
		// The four budgets of the CASQ.
		{"20007189200067", true},
		{"20007189200026", true},
		{"20007189200034", true},
		{"20007189200059", true},
		{"73282932000074", true},
		// La Poste: the head office satisfies Luhn, the establishments
		// the sum of their digits (a multiple of 5).
		{"35600000000048", true},
		{"35600000000024", true},
		{"35600000049995", true},
		{"35600000000025", false},
		{"35600000049996", false},
		// A digit sum multiple of 5 helps only La Poste.
		{"20007189200068", false},
		{"12345678901234", false},
		// Only the 14 digits are checked: this one passes though its
		// SIREN, 123456789, fails its own Luhn key.
		{"12345678900007", true},
		// Not in the normal form, or not 14 digits.
		{"", false},
		{"2000718920006", false},
		{"200071892000670", false},
		{"2000718920006a", false},
		{"200 071 892 00067", false},
		{"２0007189200067", false},
	})
	// Every single-digit change and every swap of neighbours is caught
	// (but for the swap of 0 and 9, which Luhn does not see).
	const good = "20007189200067"
	for i := range good {
		for d := byte('0'); d <= '9'; d++ {
			b := []byte(good)
			if b[i] == d {
				continue
			}
			b[i] = d
			if ValidSIRET(string(b)) {
				t.Errorf("altered %s accepted", b)
			}
		}
		if i+1 < len(good) && good[i] != good[i+1] {
			b := []byte(good)
			b[i], b[i+1] = b[i+1], b[i]
			if ValidSIRET(string(b)) && !(b[i] == '0' && b[i+1] == '9' || b[i] == '9' && b[i+1] == '0') {
				t.Errorf("swapped %s accepted", b)
			}
		}
	}
}

func TestValidSIREN(t *testing.T) {
	checkBool(t, "ValidSIREN", ValidSIREN, []boolCase{
		{"732829320", true},
		{"200071892", true},
		{"356000000", true}, // La Poste
		{"000000000", true},
		{"732829321", false},
		{"356000001", false},
		{"", false},
		{"73282932", false},
		{"7328293200", false},
		{"732 829 320", false},
		{"73282932a", false},
	})
}

func TestFormatSIRET(t *testing.T) {
	checkString(t, "FormatSIRET", FormatSIRET, []stringCase{
		{"20007189200067", "200 071 892 00067"},
		{"200 071 892 00067", "200 071 892 00067"},
		{"200.071.892.00067", "200 071 892 00067"},
		{"200\u00a0071\u00a0892\u00a000067", "200 071 892 00067"},
		{"20007189200068", "200 071 892 00068"}, // the checksum is not checked
		{"", ""},
		{"2000718920006", "2000718920006"},
		{"2000718920006A", "2000718920006A"},
		{"200 071 892 0006a", "200 071 892 0006a"}, // returned as written
	})
}

func TestValidFrenchVAT(t *testing.T) {
	checkBool(t, "ValidFrenchVAT", ValidFrenchVAT, []boolCase{
		{"FR11999999998", true},
		{"FR 11 123 456 782", true},
		{"fr11123456782", true},
		{"FR44732829320", true},
		{"FR82812456374", true},
		{"FR40303265045", true},
		{"FRAB123456789", true}, // a key with letters: its format only
		{"FR1A123456789", true},
		{"FR12999999998", false}, // wrong key
		{"FR41303265045", false},
		{"FRab12345678", false},
		{"FR4030326504", false},   // 8 digits
		{"FR403032650451", false}, // 10 digits
		{"DE123456789", false},
		{"FR4030326504X", false},
		{"FR_A303265045", false},
		{"", false},
	})
}

func TestFrenchVATSIREN(t *testing.T) {
	checkString(t, "FrenchVATSIREN", FrenchVATSIREN, []stringCase{
		{"FR44732829320", "732829320"},
		{"FR 44 732 829 320", "732829320"},
		{"FR39487945511", "487945511"},
		{"FR11999999998", "999999998"},
		{"FR32123456789", ""}, // a valid VAT number, but 123456789 fails its Luhn key: no SIREN
		{"FRAB732829320", "732829320"},
		{"FR45732829320", ""},
		{"DE123456789", ""},
		{"", ""},
	})
}

func TestValidVAT(t *testing.T) {
	checkBool(t, "ValidVAT", ValidVAT, []boolCase{
		{"FR44732829320", true},
		{"FR 44 732 829 320", true},
		{"FR45732829320", false}, // the French key is checked
		{"DE123456789", true},
		{"de 123 456 789", true},
		{"DE12345678", false}, // a German one is 9 digits
		{"DE1234567890", false},
		{"DE12345678A", false},
		{"BE0123456789", true},
		{"ATU12345678", true},
		{"ELA12345678", true},
		{"NL123456789B01", true},
		{"XI123456789", true},
		{"CHE123456789", true},
		{"ESX1234567A", true},
		{"IT1", false},                // too short
		{"IT1234567890123456", false}, // too long
		{"ITABCDEF", false},           // fewer than 2 digits
		{"US123456789", false},        // not a prefix of the list
		{"TB123456789", false},        // not a prefix either, though "AT BE" holds "T B"
		{"GR123456789", false},        // Greece is EL
		{"BE01234_6789", false},       // not letters or digits
		{"", false},
		{"12", false},
	})
}

func TestValidIBAN(t *testing.T) {
	checkBool(t, "ValidIBAN", ValidIBAN, []boolCase{
		{"DE89370400440532013000", true},
		{"DE88 2008 0000 0970 3757 00", true},
		{"FR76 3000 6000 0112 3456 7890 189", true},
		{"FR1420041010050500013M02606", true},
		{"fr14 2004 1010 0505 0001 3m02 606", true},
		{"GB29NWBK60161331926819", true},
		{"NO9386011117947", true}, // 15 characters, the shortest
		{"FR7630004012340001234567862", true},
		{"DE88 2008 0000 0970 3757 01", false},
		{"DE89370400440532013001", false},
		{"FR1420041010050500013102606", false},
		{"NO938601111794", false},                         // 14 characters
		{"LC55HEMM000100010012001200023015123456", false}, // 38 characters
		{"D589370400440532013000", false},                 // country code not letters
		{"DEX9370400440532013000", false},                 // check digits not digits
		{"DE89_370400440532013000", false},
		{"", false},
	})
}

func TestFormatIBAN(t *testing.T) {
	checkString(t, "FormatIBAN", FormatIBAN, []stringCase{
		{"FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189"},
		{"fr76 3000 6000 0112 3456 7890 189", "FR76 3000 6000 0112 3456 7890 189"},
		{"DE89370400440532013000", "DE89 3704 0044 0532 0130 00"},
		{"NO9386011117947", "NO93 8601 1117 947"},
		{"DE89370400440532013001", "DE89 3704 0044 0532 0130 01"}, // the check digits are not checked
		{"", ""},
		{"FR76 3000", "FR76 3000"}, // too short: as written
		{"1234567890123456", "1234567890123456"},
	})
}

// frenchVATKey computes the key of the French VAT number of a 9-digit
// SIREN written in decimal.
func frenchVATKey(siren string) int {
	n, _ := strconv.Atoi(siren)
	return (12 + 3*(n%97)) % 97
}

func FuzzIdent(f *testing.F) {
	for _, s := range []string{
		"20007189200067", "200 071 892 00067", "35600000049995", "35600000000048",
		"732829320", "FR44732829320", "FR 11 123 456 782", "FRAB732829320", "DE123456789",
		"DE89 3704 0044 0532 0130 00", "FR76 3000 6000 0112 3456 7890 189", "", "fr.11-123\u00a0456\u202f782",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Compact(s)
		if Compact(c) != c {
			t.Errorf("Compact(%q) = %q is not compact", s, c)
		}
		if strings.IndexFunc(c, func(r rune) bool {
			return r == '.' || r == '-' || unicode.IsSpace(r) || r >= 'a' && r <= 'z'
		}) >= 0 {
			t.Errorf("Compact(%q) = %q keeps a separator or a lower-case letter", s, c)
		}
		if AllDigits(s) != (s != "" && strings.Trim(s, "0123456789") == "") {
			t.Errorf("AllDigits(%q) = %v", s, AllDigits(s))
		}

		// A SIRET: its normal form is 14 digits, its Luhn checksum is
		// right but at La Poste, and its printed form compacts back to
		// it.
		if ValidSIRET(s) {
			if len(s) != 14 || !AllDigits(s) {
				t.Errorf("ValidSIRET(%q) accepted a malformed value", s)
			}
			if !luhn(s) && !(strings.HasPrefix(s, "356000000") && digitSum(s)%5 == 0) {
				t.Errorf("ValidSIRET(%q) without Luhn outside La Poste", s)
			}
			p := FormatSIRET(s)
			if len(p) != 17 || Compact(p) != s || !ValidSIRET(Compact(p)) {
				t.Errorf("FormatSIRET(%q) = %q does not compact back", s, p)
			}
		}
		if ValidSIRET(c) && FormatSIRET(s) != FormatSIRET(c) {
			t.Errorf("FormatSIRET(%q) = %q, of its normal form %q", s, FormatSIRET(s), FormatSIRET(c))
		}
		if d := Compact(s); len(d) != 14 || !AllDigits(d) {
			if FormatSIRET(s) != s {
				t.Errorf("FormatSIRET(%q) = %q, want it as written", s, FormatSIRET(s))
			}
		}

		// A SIREN is 9 digits; the French VAT number built on it with
		// its key is valid, and with any other numeric key is not.
		if ValidSIREN(s) && (len(s) != 9 || !AllDigits(s) || ValidSIRET(s)) {
			t.Errorf("ValidSIREN(%q) accepted a malformed value", s)
		}
		if len(c) >= 9 && AllDigits(c[:9]) {
			siren := c[:9]
			key := frenchVATKey(siren)
			vat := "FR" + strconv.Itoa(key/10) + strconv.Itoa(key%10) + siren
			if !ValidFrenchVAT(vat) || !ValidVAT(vat) {
				t.Errorf("%s (the key of %s) refused", vat, siren)
			}
			if got := FrenchVATSIREN(vat); got != siren && ValidSIREN(siren) || got != "" && !ValidSIREN(siren) {
				t.Errorf("FrenchVATSIREN(%q) = %q", vat, got)
			}
			other := (key + 1 + len(s)%96) % 97
			bad := "FR" + strconv.Itoa(other/10) + strconv.Itoa(other%10) + siren
			if ValidFrenchVAT(bad) || ValidVAT(bad) || FrenchVATSIREN(bad) != "" {
				t.Errorf("%s (not the key of %s) accepted", bad, siren)
			}
		}

		// The VAT and IBAN checks read through the separators.
		if ValidFrenchVAT(s) != ValidFrenchVAT(c) || ValidVAT(s) != ValidVAT(c) || ValidIBAN(s) != ValidIBAN(c) {
			t.Errorf("%q and its normal form %q are checked differently", s, c)
		}
		if ValidFrenchVAT(s) && (!ValidVAT(s) || len(c) != 13 || !strings.HasPrefix(c, "FR")) {
			t.Errorf("ValidFrenchVAT(%q) but ValidVAT = %v", s, ValidVAT(s))
		}
		if v := FrenchVATSIREN(s); v != "" && (!ValidFrenchVAT(s) || !ValidSIREN(v) || !strings.HasSuffix(c, v)) {
			t.Errorf("FrenchVATSIREN(%q) = %q", s, v)
		}
		if ValidVAT(s) && (len(c) < 4 || len(c) > 15 || !isUpperAlnum(c)) {
			t.Errorf("ValidVAT(%q) accepted a malformed value", s)
		}

		// An IBAN's printed form compacts back to its normal form and is
		// still valid; a single changed character is caught.
		if ValidIBAN(s) {
			p := FormatIBAN(s)
			if Compact(p) != c || !ValidIBAN(p) {
				t.Errorf("FormatIBAN(%q) = %q does not compact back", s, p)
			}
			if len(c) < 15 || len(c) > 34 || !isUpperAlnum(c) {
				t.Errorf("ValidIBAN(%q) accepted a malformed value", s)
			}
			b := []byte(c)
			i := len(s) % len(b)
			if b[i] >= '0' && b[i] <= '8' {
				b[i]++
				if ValidIBAN(string(b)) {
					t.Errorf("ValidIBAN(%q) accepted, altered from %q", b, c)
				}
			}
		} else if !ibanShape(c) && FormatIBAN(s) != s {
			t.Errorf("FormatIBAN(%q) = %q, want it as written", s, FormatIBAN(s))
		}
	})
}
