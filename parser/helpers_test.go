package parser

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// makePDF returns a one-page PDF with the given files embedded.
func makePDF(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	doc.SetFont("Helvetica", "", 12)
	doc.Cell(40, 10, "Facture FA-2026-0042")
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		return buf.Bytes()
	}
	ctx, err := api.ReadAndValidate(bytes.NewReader(buf.Bytes()), pdfConfig())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		a := model.Attachment{Reader: bytes.NewReader(data), ID: name, FileName: name, Desc: "test"}
		if err := ctx.AddAttachment(a, false); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sampleCII is a small Factur-X EN 16931 invoice to a CASQ budget.
const sampleCII = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>FA-2026-0042</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20261102</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>SERV01</ram:BuyerReference>
   <ram:SellerTradeParty>
    <ram:Name>Plomberie Picarde SARL</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">732 829 320 00074</ram:ID></ram:SpecifiedLegalOrganization>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">123/456</ram:ID></ram:SpecifiedTaxRegistration>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR44732829320</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty>
    <ram:Name>Agglomération du Saint-Quentinois</ram:Name>
    <ram:GlobalID schemeID="0088">5790000435968</ram:GlobalID>
    <ram:GlobalID schemeID="0009">20007189200026</ram:GlobalID>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">200071892</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>EJ-26-0042</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
   </ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>100.00</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="USD">21.50</ram:TaxTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">20.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>120.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>120.00</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`

// part is one leaf of a hand-built MIME message.
type part struct {
	header string // header lines, CRLF-separated, without the final blank line
	body   string
}

// mimeMessage builds a multipart/mixed message with CRLF line ends.
func mimeMessage(header string, parts ...part) []byte {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n")
	b.WriteString("This is a multi-part message in MIME format.\r\n")
	for _, p := range parts {
		b.WriteString("--XYZ\r\n")
		b.WriteString(p.header)
		b.WriteString("\r\n\r\n")
		b.WriteString(p.body)
		b.WriteString("\r\n")
	}
	b.WriteString("--XYZ--\r\n")
	return []byte(b.String())
}

// b64 encodes data in 76-column base64 lines.
func b64(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

const stdHeader = "From: =?UTF-8?Q?Fran=C3=A7oise_Martin?= <f.martin@plomberie-picarde.fr>\r\n" +
	"To: accueil.comptabilite@casq.fr\r\n" +
	"Subject: =?UTF-8?Q?Facture_FA-2026-0042_=E2=80=93_N=C2=B0_d'engagement_:_24-00123?=\r\n" +
	"Date: Mon, 02 Nov 2026 10:15:00 +0100\r\n" +
	"Message-ID: <abc123@plomberie-picarde.fr>"

const plainPart = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
