package samples

import (
	"math/big"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type mailAddress struct{ name, addr string }

func (a *mailAddress) String() string { return (&mail.Address{Name: a.name, Address: a.addr}).String() }

func luhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func validSIRET(s string) bool {
	return regexp.MustCompile(`^[0-9]{14}$`).MatchString(s) && luhn(s) && luhn(s[:9])
}

func validFrenchVAT(vat, siren string) bool {
	n, _ := strconv.Atoi(siren)
	key := (12 + 3*(n%97)) % 97
	return vat == "FR"+strconv.Itoa(key/10)+strconv.Itoa(key%10)+siren
}

// validIBAN checks ISO 13616 (mod 97 = 1) and, for a French IBAN, the RIB key.
func validIBAN(iban string) bool {
	if !regexp.MustCompile(`^FR[0-9]{2}[0-9]{10}[0-9A-Z]{11}[0-9]{2}$`).MatchString(iban) {
		return false
	}
	var digits strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(strconv.Itoa(int(c-'A') + 10))
		} else {
			digits.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return false
	}
	bank, _ := new(big.Int).SetString(iban[4:9], 10)
	branch, _ := new(big.Int).SetString(iban[9:14], 10)
	account, ok := new(big.Int).SetString(iban[14:25], 10) // numeric accounts only in the samples
	if !ok {
		return false
	}
	key, _ := strconv.Atoi(iban[25:27])
	sum := new(big.Int).Mul(bank, big.NewInt(89))
	sum.Add(sum, new(big.Int).Mul(branch, big.NewInt(15)))
	sum.Add(sum, new(big.Int).Mul(account, big.NewInt(3)))
	return int64(key) == 97-new(big.Int).Mod(sum, big.NewInt(97)).Int64()
}

func TestValidators(t *testing.T) {
	// Known values: the CASQ SIRET and an official IBAN example.
	if !validSIRET(CASQBudgetPrincipal) || validSIRET("20007189200068") {
		t.Error("validSIRET is wrong")
	}
	if !validFrenchVAT("FR40303265045", "303265045") || validFrenchVAT("FR41303265045", "303265045") {
		t.Error("validFrenchVAT is wrong")
	}
	if !validIBAN("FR1420041010050500013M02606") && validIBAN("FR1420041010050500013102606") {
		t.Error("validIBAN is wrong")
	}
	if validIBAN("FR7630004012340001234567863") {
		t.Error("validIBAN accepts a wrong check")
	}
}

func TestDemoSuppliers(t *testing.T) {
	ss := DemoSuppliers()
	if len(ss) < 3 {
		t.Fatalf("%d suppliers", len(ss))
	}
	seen := map[string]bool{}
	for _, s := range ss {
		if s.Name == "" || s.Address == "" || s.Email == "" || len(s.Lines) == 0 {
			t.Errorf("%+v: incomplete", s)
		}
		if !validSIRET(s.SIRET) {
			t.Errorf("%s: invalid SIRET %s", s.Name, s.SIRET)
		}
		if !validFrenchVAT(s.VAT, s.SIRET[:9]) {
			t.Errorf("%s: VAT %s does not match SIREN %s", s.Name, s.VAT, s.SIRET[:9])
		}
		if !validIBAN(s.IBAN) {
			t.Errorf("%s: invalid IBAN %s", s.Name, s.IBAN)
		}
		if seen[s.SIRET] {
			t.Errorf("%s: duplicate SIRET", s.Name)
		}
		seen[s.SIRET] = true
		if a := splitAddress(s.Address); a.Postcode == "" || a.City == "" {
			t.Errorf("%s: address %q has no postcode and city", s.Name, s.Address)
		}
		if _, err := mail.ParseAddress(s.Email); err != nil {
			t.Errorf("%s: e-mail %q: %v", s.Name, s.Email, err)
		}
		// Every sample's lines compute and render.
		inv := s.Invoice("FA-1", "2026-11-02", CASQBudgetPrincipal, "", "")
		if ht, _, _ := inv.Totals(); ht == "0.00" {
			t.Errorf("%s: zero total", s.Name)
		}
	}
	for _, b := range []string{CASQBudgetPrincipal, CASQBudgetEauPotable, CASQBudgetAssainissement, CASQBudgetCircuitAutomobile} {
		if !validSIRET(b) {
			t.Errorf("CASQ SIRET %s invalid", b)
		}
		if seen[b] {
			t.Errorf("a supplier uses the CASQ SIRET %s", b)
		}
	}
	if DemoSupplier().SIRET != ss[0].SIRET {
		t.Error("DemoSupplier is not the first supplier")
	}
	// The returned lines are copies.
	inv := ss[0].Invoice("FA-1", "2026-11-02", CASQBudgetPrincipal, "", "")
	inv.Lines[0].Description = "changed"
	if DemoSuppliers()[0].Lines[0].Description == "changed" || ss[0].Lines[0].Description == "changed" {
		t.Error("Supplier.Invoice shares its lines")
	}
}

func TestDemoInvoice(t *testing.T) {
	inv := DemoInvoice()
	if inv.OrderReference == "" || inv.BuyerSIRET != CASQBudgetEauPotable || !validSIRET(inv.SellerSIRET) {
		t.Errorf("DemoInvoice = %+v", inv)
	}
	ht, tva, ttc := inv.Totals()
	if ht != "2673.00" || tva != "534.60" || ttc != "3207.60" {
		t.Errorf("totals %s %s %s", ht, tva, ttc)
	}
	for _, s := range DemoSuppliers() {
		inv := s.Invoice("FA-2026-0100", "2026-11-02", CASQBudgetPrincipal, "SERV01", "EJ-1")
		if _, err := FacturX(inv); err != nil {
			t.Errorf("%s: FacturX: %v", s.Name, err)
		}
	}
}
