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

// TestTableTotals: totals whose header row and values are not aligned.
func TestTableTotals(t *testing.T) {
	for _, tt := range []struct {
		name, text   string
		ttc, ht, tva string
		ok           bool
	}{
		{"values lines below their header", "TOTAL HT   TOTAL TVA   TOTAL TTC\nconditions\nNo discount.   100,00   4,90   104,90\nNET A PAYER 104,90", "104.90", "100.00", "4.90", true},
		{"breakdown with a sum row", "Warenwert  Abschlag    Nettobetrag    MwSt-Betrag  MwSt-%     Endbetrag\n" +
			"326,50   -8,10   321,40   61,07   19,0   382,47\n130,70   -3,11   127,59   8,93   7,0   136,52\n457,20   -11,21   448,99   70,00   EUR   518,99",
			"518.99", "448.99", "70.00", true},
		// Two rates and no sum row: no row is the totals.
		{"breakdown without a sum row", "Nettobetrag   MwSt-Betrag   Endbetrag\n100,00   19,00   119,00\n50,00   3,50   53,50", "", "", "", false},
		{"values that do not add up", "TOTAL HT   TOTAL TVA   TOTAL TTC\n100,00   4,90   105,90", "", "", "", false},
		{"no header", "100,00   4,90   104,90", "", "", "", false},
	} {
		ttc, ht, tva, ok := tableTotals(textLines(tt.text))
		if ttc != tt.ttc || ht != tt.ht || tva != tt.tva || ok != tt.ok {
			t.Errorf("%s: got %q %q %q %v, want %q %q %q %v", tt.name, ttc, ht, tva, ok, tt.ttc, tt.ht, tt.tva, tt.ok)
		}
	}
}

// TestTextTotalsPrintedDifference: a VAT label that read another amount
// (a breakdown line, a VAT in the tax currency) does not lose the total
// without VAT when the difference is printed; else only TTC is kept.
func TestTextTotalsPrintedDifference(t *testing.T) {
	base := "Rechnung Nr. RK-1\nRechnungssumme ohne USt.   -7,67\nUmsatzsteuer (S)   -4,85   19   -0,92\nSteuerbetrag   -0,92\n"
	res := invoiceFromText(base+"Steuer gesamt\n1,12\nBruttosumme   -8,79", 0)
	if inv := res.invoice; inv == nil || inv.TotalWithoutVAT != "-7.67" || inv.TotalVAT != "-1.12" || inv.TotalWithVAT != "-8.79" {
		t.Errorf("printed difference: %+v %q", res.invoice, res.warnings)
	}
	res = invoiceFromText(base+"Bruttosumme   -8,79", 0)
	if inv := res.invoice; inv == nil || inv.TotalWithoutVAT != "" || inv.TotalVAT != "" || inv.TotalWithVAT != "-8.79" {
		t.Errorf("difference not printed: %+v %q", res.invoice, res.warnings)
	}
}

// TestTextBuyerVATID: "Ihre USt-IdNr." is the buyer's.
func TestTextBuyerVATID(t *testing.T) {
	res := invoiceFromText("Rechnung Nr. 1\nIhr Zeichen: AB   Ihre USt.-IdentNr.:  DE234567890\nUSt.-Identnr.:   DE123456789", 0)
	if res.invoice == nil || res.invoice.Seller.VATID != "DE123456789" {
		t.Errorf("seller VAT id: %+v", res.invoice)
	}
}

// TestTextAmountDue: a residual after a payment is the amount due; with a
// payment and no due label, the amount due is not guessed.
func TestTextAmountDue(t *testing.T) {
	base := "Rechnung Nr. 1\nRechnungssumme Netto   100,00\nSumme USt.   19,00\nRechnungssumme Brutto   119,00\nBereits bezahlt   50,00\n"
	if inv := invoiceFromText(base+"Offener Betrag   69,00", 0).invoice; inv == nil || inv.AmountDue != "69.00" || inv.TotalWithVAT != "119.00" {
		t.Errorf("offener Betrag: %+v", inv)
	}
	if inv := invoiceFromText(base, 0).invoice; inv == nil || inv.AmountDue != "" {
		t.Errorf("prepaid without due label: %+v", inv)
	}
	if inv := invoiceFromText("Invoice No. 1\nTotal   2,076.76 €\nResidual   1,453.76 €", 0).invoice; inv == nil || inv.AmountDue != "1453.76" {
		t.Errorf("residual: %+v", inv)
	}
}

// TestChooseTotalsVATOnly: a total with VAT and a VAT but no total
// without VAT (a crash found on a corpus PDF).
func TestChooseTotalsVATOnly(t *testing.T) {
	ttc, ht, tva := chooseTotals([]string{"319.00"}, nil, []string{"15.00"}, nil, func(string, ...any) {})
	if ttc != "319.00" || ht != "" || tva != "" {
		t.Errorf("got %q %q %q", ttc, ht, tva)
	}
}

// TestTotalsHeader: the three totals named left to right; a label
// anchored at the line start ("TVA") does not match mid-line.
func TestTotalsHeader(t *testing.T) {
	for line, want := range map[string]bool{
		"TOTAL HT   TOTAL TVA   TOTAL TTC":                 true,
		"Nettobetrag    MwSt-Betrag  MwSt-%     Endbetrag": true,
		"Désignation   Qté   Total HT   TVA   Total TTC":   false,
		"TOTAL TTC   TOTAL TVA   TOTAL HT":                 false,
		"Total HT   100,00":                                false,
	} {
		if got := totalsHeader(line); got != want {
			t.Errorf("totalsHeader(%q) = %v", line, got)
		}
	}
}

func TestRowAmounts(t *testing.T) {
	got := strings.Join(rowAmounts("x 1,00 2,00   1 234,56 (3,50) 19,00% 4,00€ AB5,00 - 7,67 01.02.2024 9,99"), " ")
	if want := "1.00 2.00 1234.56 3.50 4.00 -7.67 9.99"; got != want {
		t.Errorf("rowAmounts: %q, want %q", got, want)
	}
}

// TestTextSellerSIRET: the buyer's SIRET printed in its address block is
// never taken for the seller's.
func TestTextSellerSIRET(t *testing.T) {
	const buyer = "Agglomération du Saint-Quentinois\n58 boulevard Henri Martin\nSIRET : 200 071 892 00067\n"
	for _, tt := range []struct {
		name, text, want, warning string
	}{
		{"the seller's VAT number tells its SIREN", buyer + "Facture n° F-1\nSIRET 487 945 511 00045 – N° TVA intracommunautaire : FR 39 487945511", "48794551100045", ""},
		{"the seller's RCS registration tells its SIREN", buyer + "Facture n° F-1\nSAS – RCS Lille Métropole 721 544 062 – SIRET 721 544 062 00046", "72154406200046", ""},
		{"under the buyer's heading", "Julien Caron   Client :\nSIRET : 525 137 790 00057   Agglomération du Saint-Quentinois\n   02100 Saint-Quentin\n   SIRET : 200 071 892 00067\nFacture n° 2025-0047", "52513779000057", ""},
		{"nothing tells them apart", buyer + "Facture n° F-1\nSIRET 487 945 511 00045", "", "several SIRETs"},
		{"only the buyer's, not of the seller's SIREN", buyer + "Facture n° F-1\nN° TVA : FR39487945511", "", "not of the seller's SIREN"},
		{"the seller's alone", "Facture n° F-1\nSIRET : 487 945 511 00045", "48794551100045", ""},
	} {
		res := invoiceFromText(tt.text, 0)
		if res.invoice == nil || res.invoice.Seller.SIRET != tt.want {
			t.Errorf("%s: got %+v, want SIRET %q", tt.name, res.invoice, tt.want)
			continue
		}
		if tt.warning != "" && !strings.Contains(strings.Join(res.warnings, "\n"), tt.warning) {
			t.Errorf("%s: warnings %q, want %q", tt.name, res.warnings, tt.warning)
		}
	}
}

// TestTextLabelVariants: label wordings of French invoicing tools.
func TestTextLabelVariants(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		get        func(*Invoice) string
		want       string
	}{
		{"place and date", "Facture n° LV-25-00871\nSaint-Quentin, le 19 mars 2025", func(i *Invoice) string { return i.IssueDate }, "2025-03-19"},
		{"due date is not the issue date", "Facture n° LV-25-00871\nPayable le 12/04/2025", func(i *Invoice) string { return i.IssueDate }, ""},
		{"issued on", "Facture n° F-1\nÉchéance : 14/06/2025\nÉmise le 15/05/2025", func(i *Invoice) string { return i.IssueDate }, "2025-05-15"},
		{"typographic apostrophe", "Facture n° F-1\nDate d’émission :   12 mai 2025", func(i *Invoice) string { return i.IssueDate }, "2025-05-12"},
		{"abridged intra-EU VAT label", "Facture n° F-1\nSAS – TVA intracom. FR18847853140", func(i *Invoice) string { return i.Seller.VATID }, "FR18847853140"},
		{"engagement number", "Facture n° F-1\nN° d'engagement   2025-004512", func(i *Invoice) string { return i.OrderReference }, "2025-004512"},
		{"no engagement", "Facture n° F-1\nContrat sans engagement de durée 12 mois", func(i *Invoice) string { return i.OrderReference }, ""},
		{"header row: number", "FACTURE\nN° FACTURE   DATE   CODE CLIENT   N° COMMANDE\n25/0412   05/05/25   411CASQ   2025-0733", func(i *Invoice) string { return i.Number }, "25/0412"},
		{"header row: date", "FACTURE\nN° FACTURE   DATE   CODE CLIENT   N° COMMANDE\n25/0412   05/05/25   411CASQ   2025-0733", func(i *Invoice) string { return i.IssueDate }, "2025-05-05"},
		{"header row: order", "FACTURE\nN° FACTURE   DATE   CODE CLIENT   N° COMMANDE\n25/0412   05/05/25   411CASQ   2025-0733", func(i *Invoice) string { return i.OrderReference }, "2025-0733"},
		{"number under the title", "FACTURE\nNuméro : F-2025/0093\nTotal TTC 12,00", func(i *Invoice) string { return i.Number }, "F-2025/0093"},
	} {
		res := invoiceFromText(tt.text, 0)
		inv := res.invoice
		if inv == nil {
			inv = &Invoice{}
		}
		if got := tt.get(inv); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTextVATVariants: VAT written per rate, after "à", or not applicable.
func TestTextVATVariants(t *testing.T) {
	for _, tt := range []struct {
		name, text        string
		ht, tva, ttc, due string
	}{
		{"VAT at a rate", "Facture n° F-1\nTotal hors taxes   1 118,40 €\nTVA à 5,5 %   61,51 €\nTotal TTC   1 179,91 €",
			"1118.40", "61.51", "1179.91", "1179.91"},
		{"one VAT line per rate, no VAT total", "Facture n° F-1\nArticle   Qté   Total HT\nBrochures   2000   1 240,00\n" +
			"Montant total HT   1 705,00 €\nTVA (5,5 %)   68,20 €\nTVA (20 %)   93,00 €\nMontant total TTC   1 866,20 €",
			"1705.00", "161.20", "1866.20", "1866.20"},
		{"VAT not applicable", "Facture n° 2025-0047\nTotal HT   1 100,00 €\nNet à payer   1 100,00 €\nTVA non applicable, article 293 B du CGI.",
			"1100.00", "0.00", "1100.00", "1100.00"},
		{"no VAT printed and no mention", "Facture n° 2025-0047\nTotal HT   1 100,00 €\nNet à payer   1 100,00 €",
			"1100.00", "", "1100.00", "1100.00"},
	} {
		res := invoiceFromText(tt.text, 0)
		inv := res.invoice
		if inv == nil || inv.TotalWithoutVAT != tt.ht || inv.TotalVAT != tt.tva || inv.TotalWithVAT != tt.ttc || inv.AmountDue != tt.due {
			t.Errorf("%s: got %+v (%q), want %s %s %s %s", tt.name, inv, res.warnings, tt.ht, tt.tva, tt.ttc, tt.due)
		}
	}
}

// TestCreditNoteOwnNumber: a credit note is read with its own number, the
// invoice it corrects kept as the preceding invoice (BT-25), whatever the
// order of the lines and the wording.
func TestCreditNoteOwnNumber(t *testing.T) {
	for _, tc := range []struct{ name, text, number, preceding string }{
		{"title then reference", "AVOIR N° AV-2026-0012\nDate : 12/11/2026\nAvoir sur facture FA-2026-0042 du 02/11/2026\nTotal HT 100,00\nTVA 20,00\nTotal TTC 120,00",
			"AV-2026-0012", "FA-2026-0042"},
		{"reference first", "AVOIR\nFacture d'origine : FA-2026-0042\nAvoir n° : AV-2026-0013\nDate : 12/11/2026\nTotal HT 100,00\nTVA 20,00\nTotal TTC 120,00",
			"AV-2026-0013", "FA-2026-0042"},
		{"english", "CREDIT NOTE\nCredit note number: CN-2026-7\nCorrects invoice: INV-2026-31\nDate: 2026-11-12\nTotal net 100.00\nVAT 20.00\nTotal 120.00",
			"CN-2026-7", "INV-2026-31"},
	} {
		res := invoiceFromText(tc.text, 0)
		if res.invoice == nil {
			t.Errorf("%s: nothing read", tc.name)
			continue
		}
		if res.invoice.Number != tc.number || res.invoice.PrecedingInvoice != tc.preceding {
			t.Errorf("%s: number %q preceding %q, want %q %q", tc.name, res.invoice.Number, res.invoice.PrecedingInvoice, tc.number, tc.preceding)
		}
	}
	// An invoice mentioning an earlier one keeps its own number.
	res := invoiceFromText("FACTURE N° FA-2026-0050\nDate : 12/11/2026\nSolde de la facture FA-2026-0042\nTotal HT 100,00\nTVA 20,00\nTotal TTC 120,00", 0)
	if res.invoice == nil || res.invoice.Number != "FA-2026-0050" {
		t.Errorf("invoice: %+v", res.invoice)
	}
}
