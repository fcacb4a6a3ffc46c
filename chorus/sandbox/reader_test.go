package sandbox

import (
	"strings"
	"testing"

	"facteur/samples"
)

func TestReadFacturX(t *testing.T) {
	inv := sample("FA-2026-0042")
	inv.BuyerReference = "SERV-1"
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readInvoice(syntaxFacturX, pdf)
	if err != nil {
		t.Fatal(err)
	}
	want := invoiceData{Number: "FA-2026-0042", SellerSIRET: inv.SellerSIRET, BuyerSIRET: samples.CASQBudgetPrincipal, BuyerReference: "SERV-1", OrderReference: "EJ-2026-000451"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestReadFacturXOtherNames(t *testing.T) {
	inv := sample("Z-1")
	pdf, err := samples.FacturXWithXML(inv, samples.CII(inv), "zugferd-invoice.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readInvoice(syntaxFacturX, pdf)
	if err != nil || got.Number != "Z-1" {
		t.Fatalf("zugferd-invoice.xml: got %+v, %v", got, err)
	}
	pdf, err = samples.FacturXWithXML(inv, []byte("<x/>"), "notes.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readInvoice(syntaxFacturX, pdf); err == nil || !strings.Contains(err.Error(), "factur-x.xml") {
		t.Fatalf("PDF without factur-x.xml: err = %v", err)
	}
	plain, err := samples.PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readInvoice(syntaxFacturX, plain); err == nil {
		t.Fatal("PDF without attachments: no error")
	}
}

func TestReadCIISIRETFallbacks(t *testing.T) {
	const doc = `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
<rsm:ExchangedDocument><ram:ID> A-1 </ram:ID></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement>
<ram:SellerTradeParty><ram:GlobalID schemeID="0088">3000000000000</ram:GlobalID><ram:GlobalID schemeID="0009">845 123 678 00011</ram:GlobalID><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">845123678</ram:ID></ram:SpecifiedLegalOrganization></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:SpecifiedLegalOrganization><ram:ID schemeID="1">20007189200026</ram:ID></ram:SpecifiedLegalOrganization></ram:BuyerTradeParty>
</ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>`
	got, err := readInvoice(syntaxCII, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "A-1" || got.SellerSIRET != "84512367800011" || got.BuyerSIRET != "20007189200026" {
		t.Fatalf("got %+v", got)
	}
}

func TestReadUBL(t *testing.T) {
	inv := sample("U-7")
	inv.BuyerReference = "DST-VOIRIE"
	got, err := readInvoice(syntaxUBL, samples.UBL(inv))
	if err != nil {
		t.Fatal(err)
	}
	want := invoiceData{Number: "U-7", SellerSIRET: inv.SellerSIRET, BuyerSIRET: samples.CASQBudgetPrincipal, BuyerReference: "DST-VOIRIE", OrderReference: "EJ-2026-000451", UBL: true}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// CompanyID when PartyIdentification is absent.
	const doc = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>U-8</cbc:ID>
<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:CompanyID schemeID="0002">845123678</cbc:CompanyID><cbc:CompanyID>84512367800011</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0009">20007189200034</cbc:EndpointID></cac:Party></cac:AccountingCustomerParty>
</Invoice>`
	got, err = readInvoice(syntaxUBL, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got.SellerSIRET != "84512367800011" || got.BuyerSIRET != "20007189200034" || got.Number != "U-8" {
		t.Fatalf("got %+v", got)
	}
}

func TestReadWrongRoot(t *testing.T) {
	inv := sample("X")
	for _, tc := range []struct {
		syntax string
		data   []byte
	}{
		{syntaxCII, samples.UBL(inv)},
		{syntaxUBL, samples.CII(inv)},
		{syntaxCII, []byte("<a><b></a>")},
		{syntaxUBL, []byte("not xml at all")},
		{"IN_DP_E1_XCBL", []byte("<x/>")},
	} {
		if got, err := readInvoice(tc.syntax, tc.data); err == nil {
			t.Errorf("%s %.30q: no error, got %+v", tc.syntax, tc.data, got)
		}
	}
}

func TestReadLatin1(t *testing.T) {
	// samples writes UTF-8 only: the number is put in Latin-1 by hand.
	cii := strings.Replace(string(samples.CII(sample("N-1"))), "<ram:ID>N-1</ram:ID>", "<ram:ID>N\xb01</ram:ID>", 1)
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + strings.Replace(cii, `<?xml version="1.0" encoding="UTF-8"?>`, "", 1)
	got, err := readInvoice(syntaxCII, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "N°1" {
		t.Fatalf("number = %q", got.Number)
	}
}

// FuzzReadInvoice feeds arbitrary bytes to the sandbox's own file reader, for
// each syntax: it must return, never panic.
func FuzzReadInvoice(f *testing.F) {
	inv := sample("FA-1")
	cii, ubl := samples.CII(inv), samples.UBL(inv)
	pdf, err := samples.FacturX(inv)
	if err != nil {
		f.Fatal(err)
	}
	plain, err := samples.PlainPDF(inv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), pdf)
	f.Add(uint8(0), plain)
	f.Add(uint8(0), pdf[:len(pdf)/2])
	f.Add(uint8(1), cii)
	f.Add(uint8(2), ubl)
	f.Add(uint8(1), []byte(`<?xml version="1.0" encoding="KOI8-R"?><a/>`))
	f.Add(uint8(2), []byte("<Invoice"))
	f.Add(uint8(0), []byte("%PDF-1.7\n%%EOF"))
	syntaxes := []string{syntaxFacturX, syntaxCII, syntaxUBL}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		syntax := syntaxes[int(which)%len(syntaxes)]
		got, err := readInvoice(syntax, data)
		if err != nil && got != (invoiceData{}) {
			t.Fatalf("error %v with data %+v", err, got)
		}
	})
}
