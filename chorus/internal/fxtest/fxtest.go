// Package fxtest builds small invoices (CII, UBL, Factur-X PDF) for the tests
// of the chorus packages. It is test support only: nothing in the product
// imports it.
package fxtest

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Invoice holds the routing data of a test invoice.
type Invoice struct {
	Number         string
	SellerSIRET    string
	BuyerSIRET     string
	BuyerReference string // BT-10, "" = absent
	OrderReference string // BT-13, "" = absent
}

// Sample returns a valid invoice from a supplier to the CASQ main budget with
// an engagement number.
func Sample(number string) Invoice {
	return Invoice{
		Number:         number,
		SellerSIRET:    "84512367800011",
		BuyerSIRET:     "20007189200067",
		OrderReference: "EJ-2026-000451",
	}
}

func esc(s string) string { return html.EscapeString(s) }

// CII returns a Factur-X EN 16931 CII document for inv (routing data only,
// plus a few mandatory-looking elements).
func CII(inv Invoice) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>`)
	b.WriteString(esc(inv.Number))
	b.WriteString(`</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261102</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
`)
	if inv.BuyerReference != "" {
		fmt.Fprintf(&b, "   <ram:BuyerReference>%s</ram:BuyerReference>\n", esc(inv.BuyerReference))
	}
	fmt.Fprintf(&b, `   <ram:SellerTradeParty><ram:Name>ATELIER VERT PAYSAGE SARL</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">%s</ram:ID></ram:SpecifiedLegalOrganization></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Agglomération du Saint-Quentinois</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">%s</ram:ID></ram:SpecifiedLegalOrganization></ram:BuyerTradeParty>
`, esc(inv.SellerSIRET), esc(inv.BuyerSIRET))
	if inv.OrderReference != "" {
		fmt.Fprintf(&b, "   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>%s</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>\n", esc(inv.OrderReference))
	}
	b.WriteString(`  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">20.00</ram:TaxTotalAmount><ram:GrandTotalAmount>120.00</ram:GrandTotalAmount><ram:DuePayableAmount>120.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`)
	return b.Bytes()
}

// UBL returns a UBL 2.1 Invoice for inv.
func UBL(inv Invoice) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ID>%s</cbc:ID>
 <cbc:IssueDate>2026-11-02</cbc:IssueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
`, esc(inv.Number))
	if inv.BuyerReference != "" {
		fmt.Fprintf(&b, " <cbc:BuyerReference>%s</cbc:BuyerReference>\n", esc(inv.BuyerReference))
	}
	if inv.OrderReference != "" {
		fmt.Fprintf(&b, " <cac:OrderReference><cbc:ID>%s</cbc:ID></cac:OrderReference>\n", esc(inv.OrderReference))
	}
	fmt.Fprintf(&b, ` <cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="0009">%s</cbc:ID></cac:PartyIdentification><cac:PartyLegalEntity><cbc:RegistrationName>ATELIER VERT PAYSAGE SARL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="0009">%s</cbc:ID></cac:PartyIdentification><cac:PartyLegalEntity><cbc:RegistrationName>Agglomération du Saint-Quentinois</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
 <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>
`, esc(inv.SellerSIRET), esc(inv.BuyerSIRET))
	return b.Bytes()
}

var once sync.Once

// PlainPDF returns a one-page PDF with a line of text and no attachment.
func PlainPDF(text string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.Cell(0, 10, text)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FacturX returns a PDF with xmlData embedded as factur-x.xml (pdfcpu, in
// memory, without pdfcpu's configuration directory). name overrides the
// attachment name when not empty.
func FacturX(xmlData []byte, name string) ([]byte, error) {
	if name == "" {
		name = "factur-x.xml"
	}
	page, err := PlainPDF("Facture (test)")
	if err != nil {
		return nil, err
	}
	once.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	ctx, err := api.ReadContext(bytes.NewReader(page), conf)
	if err != nil {
		return nil, err
	}
	mod := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	a := model.Attachment{Reader: io.Reader(bytes.NewReader(xmlData)), ID: name, FileName: name, Desc: "Factur-X XML file", ModTime: &mod}
	if err := ctx.AddAttachment(a, false); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
