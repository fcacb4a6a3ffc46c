package ident

import "testing"

func TestValidSIRET(t *testing.T) {
	for _, s := range []string{
		"20007189200067", "20007189200026", "20007189200034", "20007189200059", // the four CASQ budgets
		"73282932000074", "35600000000048", "35600000000024", "35600000049995", // La Poste: head office (Luhn), establishments (digit sum)
	} {
		if !ValidSIRET(s) {
			t.Errorf("ValidSIRET(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"20007189200068", "2000718920006", "200071892000670", "2000718920006a", "", "35600000000025", "35600000049996", "12345678901234"} {
		if ValidSIRET(s) {
			t.Errorf("ValidSIRET(%q) = true, want false", s)
		}
	}
	// Every single-digit change and every swap of neighbours is caught.
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

func TestValidators(t *testing.T) {
	if !ValidFrenchVAT("FR11999999998") || !ValidFrenchVAT("FR 11 123 456 782") || ValidFrenchVAT("FR12999999998") {
		t.Error("French VAT key")
	}
	if !ValidIBAN("DE88 2008 0000 0970 3757 00") || ValidIBAN("DE88 2008 0000 0970 3757 01") || !ValidIBAN("FR76 3000 6000 0112 3456 7890 189") {
		t.Error("IBAN")
	}
	if !ValidSIREN("732829320") || ValidSIREN("732829321") || !ValidSIREN("200071892") {
		t.Error("SIREN")
	}
}

func FuzzValidSIRET(f *testing.F) {
	f.Add("20007189200067")
	f.Add("35600000049995")
	f.Fuzz(func(t *testing.T, s string) {
		if ValidSIRET(s) && (len(s) != 14 || !allDigits(s)) {
			t.Errorf("ValidSIRET(%q) accepted a malformed value", s)
		}
		ValidSIREN(s)
		ValidFrenchVAT(s)
		ValidIBAN(s)
	})
}
