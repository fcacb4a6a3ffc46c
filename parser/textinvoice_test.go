package parser

import (
	"strings"
	"testing"
)

func TestInvoiceFromTextFrench(t *testing.T) {
	text := `PLOMBERIE PICARDE SARL
SIRET : 732 829 320 00074   N° TVA intracommunautaire : FR44 732829320
FACTURE N° : FA-2026-0042
Date de facture :   02/11/2026
Votre référence   EJ-26-0042
N° d'engagement : 24-00123
Désignation   Quantité   Prix HT
Réparation fuite   1   100,00 €
Total HT   100,00 €
TVA 20 %   20,00 €
Total TVA   20,00 €
Total TTC   120,00 €
Net à payer   120,00 €
IBAN : FR76 3000 6000 0112 3456 7890 189 - BIC : AGRIFRPP`
	res := invoiceFromText(text, 0)
	inv := res.invoice
	if !res.isInvoice || inv == nil {
		t.Fatalf("not an invoice: %+v", res)
	}
	got := []string{inv.Number, inv.IssueDate, inv.OrderReference, inv.TotalWithoutVAT, inv.TotalVAT, inv.TotalWithVAT, inv.AmountDue,
		inv.Seller.SIRET, inv.Seller.VATID, inv.IBAN, inv.Currency}
	want := []string{"FA-2026-0042", "2026-11-02", "EJ-26-0042", "100.00", "20.00", "120.00", "120.00",
		"73282932000074", "FR44732829320", "FR7630006000011234567890189", "EUR"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if len(res.warnings) != 0 {
		t.Errorf("warnings %q", res.warnings)
	}
}

// TestValidatorsDropValues: a value failing its validator is dropped
// with a warning, never kept.
func TestValidatorsDropValues(t *testing.T) {
	text := `Facture n° F-1
SIRET : 732 829 320 00075
N° TVA : FR45732829320
IBAN : FR76 3000 6000 0112 3456 7890 188
Total HT   100,00
Total TVA   20,00
Total TTC   125,00`
	res := invoiceFromText(text, 0)
	inv := res.invoice
	if inv.Seller.SIRET != "" || inv.Seller.VATID != "" || inv.IBAN != "" || inv.TotalWithoutVAT != "" || inv.TotalVAT != "" {
		t.Errorf("invalid values kept: %+v", inv)
	}
	for _, w := range []string{"SIRET", "VAT id", "IBAN", "≠ total with VAT"} {
		found := false
		for _, x := range res.warnings {
			found = found || strings.Contains(x, w)
		}
		if !found {
			t.Errorf("no warning about %s in %q", w, res.warnings)
		}
	}
}

func TestTextKinds(t *testing.T) {
	for text, want := range map[string]string{
		"BON DE LIVRAISON BL-778\nDate : 02/11/2026\nArticle   Qté":                   KindDeliveryNote,
		"PURCHASE ORDER: PO123456789\nDate : 31/03/2020":                              KindPurchaseOrder,
		"Conditions générales de vente\nArticle 1 - Objet\nToute facture est payable": KindTerms,
		"Avoir AV-2017-0005\nTotal TTC 10,00 €":                                       KindCreditNote,
		"Lieferant GmbH\nRECHNUNG\nRechnungsnummer 471102":                            KindInvoice,
	} {
		res := invoiceFromText(text, 0)
		if res.kind != want {
			t.Errorf("%q: kind %q, want %q", text[:20], res.kind, want)
		}
		if (want == KindDeliveryNote || want == KindPurchaseOrder || want == KindTerms) && res.isInvoice {
			t.Errorf("%q: read as an invoice", text[:20])
		}
	}
}

func TestValidators(t *testing.T) {
	for in, want := range map[string]string{"1 234,50": "1234.50", "1.234,50": "1234.50", "1,234.50": "1234.50",
		"- 7,67": "-7.67", "0.025": "0.025", "2,076.76": "2076.76", "671,15": "671.15", "1.234": "1234"} {
		if got, _ := normAmount(in); got != want {
			t.Errorf("normAmount(%q) = %q, want %q", in, got, want)
		}
	}
}
