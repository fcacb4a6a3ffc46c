package parser

import (
	"strings"

	"facteur/ident"
)

// Namespaces of the invoice syntaxes.
const (
	nsCIIrsm = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsCIIram = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsCIIudt = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
	nsCIIqdt = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

	nsZF1rsm = "urn:ferd:CrossIndustryDocument:invoice:1p0"
	nsZF1ram = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
	nsZF1udt = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"
	nsZF1qdt = "urn:un:unece:uncefact:data:standard:QualifiedDataType:12"

	// ZUGFeRD 1.0 release candidate (2013/2014): root rsm:Invoice, other
	// elements without namespace.
	nsZFRC = "urn:un:unece:uncefact:data:standard:CBFBUY:5"

	nsUBLInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsUBLCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsUBLcac        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsUBLcbc        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

var (
	nsCII = nsSet{nsCIIrsm: true, nsCIIram: true, nsCIIudt: true, nsCIIqdt: true}
	nsZF1 = nsSet{nsZF1rsm: true, nsZF1ram: true, nsZF1udt: true, nsZF1qdt: true}
	nsRC  = nsSet{nsZFRC: true, "": true}
	nsUBL = nsSet{nsUBLInvoice: true, nsUBLCreditNote: true, nsUBLcac: true, nsUBLcbc: true}
)

// Syntaxes an XML document can have.
const (
	syntaxNone = ""
	syntaxCII  = "cii"      // UN/CEFACT CII D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII)
	syntaxZF1  = "zugferd1" // ZUGFeRD 1.0 CrossIndustryDocument
	syntaxUBL  = "ubl"      // UBL 2.x Invoice or CreditNote
)

// xmlResult is what reading an XML document gave.
type xmlResult struct {
	syntax  string // syntaxNone when not an invoice
	root    string // "{namespace}local" of the root element
	profile string // raw BT-24
	invoice *Invoice
}

// readInvoiceXML parses data and reads the invoice it holds, if any.
func readInvoiceXML(data []byte) (xmlResult, error) {
	root, err := parseXML(data)
	if err != nil {
		return xmlResult{}, err
	}
	res := xmlResult{root: "{" + root.space + "}" + root.local}
	switch {
	case root.local == "CrossIndustryInvoice" && strings.HasPrefix(root.space, "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice"):
		ns := nsCII
		if root.space != nsCIIrsm {
			ns = nsFromRoot(root, nsCII)
		}
		res.syntax = syntaxCII
		res.invoice, res.profile = readCII(root, ns)
	case root.local == "CrossIndustryDocument" && strings.HasPrefix(root.space, "urn:ferd:CrossIndustryDocument"):
		ns := nsZF1
		if root.space != nsZF1rsm {
			ns = nsFromRoot(root, nsZF1)
		}
		res.syntax = syntaxZF1
		res.invoice, res.profile = readCII(root, ns)
	case root.local == "Invoice" && root.space == nsZFRC:
		res.syntax = syntaxZF1
		res.invoice, res.profile = readCII(root, nsRC)
	case (root.local == "Invoice" && root.space == nsUBLInvoice) || (root.local == "CreditNote" && root.space == nsUBLCreditNote):
		res.syntax = syntaxUBL
		res.invoice, res.profile = readUBL(root)
	}
	return res, nil
}

// nsFromRoot extends a namespace set with the namespaces a variant
// document (e.g. a ZUGFeRD release candidate) binds to the usual prefixes
// rsm, ram, udt and qdt.
func nsFromRoot(root *node, base nsSet) nsSet {
	ns := nsSet{root.space: true}
	for k := range base {
		ns[k] = true
	}
	for _, a := range root.attrs {
		if a.Name.Space == "xmlns" {
			switch a.Name.Local {
			case "rsm", "ram", "udt", "qdt":
				ns[a.Value] = true
			}
		}
	}
	return ns
}

// readCII reads CII D16B and ZUGFeRD 1.0 documents (same shape, other
// element names in places).
func readCII(root *node, ns nsSet) (*Invoice, string) {
	inv := &Invoice{Type: "invoice"}
	ctx := root.child(ns, "ExchangedDocumentContext", "SpecifiedExchangedDocumentContext")
	profile := ctx.path(ns, "GuidelineSpecifiedDocumentContextParameter", "ID").value()

	doc := root.child(ns, "ExchangedDocument", "HeaderExchangedDocument")
	inv.Number = doc.child(ns, "ID").value()
	if doc.child(ns, "TypeCode").value() == "381" {
		inv.Type = "credit_note"
	}
	issued := doc.child(ns, "IssueDateTime")
	if dts := issued.child(ns, "DateTimeString"); dts != nil {
		issued = dts
	}
	inv.IssueDate = normDate(issued.value())

	tx := root.child(ns, "SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
	agr := tx.child(ns, "ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement")
	set := tx.child(ns, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement")

	inv.BuyerReference = agr.child(ns, "BuyerReference").value()
	inv.OrderReference = agr.child(ns, "BuyerOrderReferencedDocument").child(ns, "IssuerAssignedID", "ID").value()
	inv.Seller = ciiParty(agr.child(ns, "SellerTradeParty"), ns)
	inv.Buyer = ciiParty(agr.child(ns, "BuyerTradeParty"), ns)

	inv.Currency = set.child(ns, "InvoiceCurrencyCode").value()
	// BT-25: the invoice a credit note corrects.
	inv.PrecedingInvoice = set.child(ns, "InvoiceReferencedDocument").child(ns, "IssuerAssignedID").value()
	sum := set.child(ns, "SpecifiedTradeSettlementHeaderMonetarySummation", "SpecifiedTradeSettlementMonetarySummation")
	inv.TotalWithoutVAT = sum.child(ns, "TaxBasisTotalAmount").value()
	inv.TotalVAT = amountInCurrency(sum.children(ns, "TaxTotalAmount"), inv.Currency)
	inv.TotalWithVAT = sum.child(ns, "GrandTotalAmount").value()
	inv.AmountDue = sum.child(ns, "DuePayableAmount").value()
	for _, pm := range set.children(ns, "SpecifiedTradeSettlementPaymentMeans") {
		if iban := pm.path(ns, "PayeePartyCreditorFinancialAccount", "IBANID").value(); iban != "" {
			inv.IBAN = iban
			break
		}
	}
	return inv, profile
}

// ciiParty reads a CII trade party: id = legal organisation id (BT-30),
// else global id, else id (BT-29).
func ciiParty(p *node, ns nsSet) Party {
	if p == nil {
		return Party{}
	}
	party := Party{Name: p.child(ns, "Name").value()}
	var ids []*node
	if legal := p.path(ns, "SpecifiedLegalOrganization", "ID"); legal.value() != "" {
		ids = append(ids, legal)
	}
	for _, kind := range []string{"GlobalID", "ID"} {
		for _, n := range p.children(ns, kind) {
			if n.value() != "" {
				ids = append(ids, n)
			}
		}
	}
	if len(ids) > 0 {
		party.ID, party.IDScheme = ids[0].value(), ids[0].attr("schemeID")
	}
	party.SIRET = firstSIRET(ids)
	for _, tr := range p.children(ns, "SpecifiedTaxRegistration") {
		id := tr.child(ns, "ID")
		if strings.EqualFold(id.attr("schemeID"), "VA") && id.value() != "" {
			party.VATID = id.value()
			break
		}
	}
	return party
}

// readUBL reads a UBL 2.x Invoice or CreditNote.
func readUBL(root *node) (*Invoice, string) {
	ns := nsUBL
	inv := &Invoice{Type: "invoice"}
	if root.local == "CreditNote" {
		inv.Type = "credit_note"
	}
	profile := root.child(ns, "CustomizationID").value()
	inv.Number = root.child(ns, "ID").value()
	inv.IssueDate = normDate(root.child(ns, "IssueDate").value())
	if root.child(ns, "InvoiceTypeCode", "CreditNoteTypeCode").value() == "381" {
		inv.Type = "credit_note"
	}
	inv.Currency = root.child(ns, "DocumentCurrencyCode").value()
	inv.BuyerReference = root.child(ns, "BuyerReference").value()
	inv.OrderReference = root.path(ns, "OrderReference", "ID").value()
	inv.PrecedingInvoice = root.path(ns, "BillingReference", "InvoiceDocumentReference").child(ns, "ID").value() // BT-25
	inv.Seller = ublParty(root.path(ns, "AccountingSupplierParty", "Party"))
	inv.Buyer = ublParty(root.path(ns, "AccountingCustomerParty", "Party"))

	var taxAmounts []*node
	for _, tt := range root.children(ns, "TaxTotal") {
		taxAmounts = append(taxAmounts, tt.children(ns, "TaxAmount")...)
	}
	inv.TotalVAT = amountInCurrency(taxAmounts, inv.Currency)
	total := root.child(ns, "LegalMonetaryTotal")
	inv.TotalWithoutVAT = total.child(ns, "TaxExclusiveAmount").value()
	inv.TotalWithVAT = total.child(ns, "TaxInclusiveAmount").value()
	inv.AmountDue = total.child(ns, "PayableAmount").value()
	for _, pm := range root.children(ns, "PaymentMeans") {
		if iban := pm.path(ns, "PayeeFinancialAccount", "ID").value(); iban != "" {
			inv.IBAN = iban
			break
		}
	}
	return inv, profile
}

// ublParty reads a UBL party: id = PartyLegalEntity/CompanyID, else
// PartyIdentification/ID.
func ublParty(p *node) Party {
	if p == nil {
		return Party{}
	}
	ns := nsUBL
	party := Party{Name: p.path(ns, "PartyLegalEntity", "RegistrationName").value()}
	if party.Name == "" {
		party.Name = p.path(ns, "PartyName", "Name").value()
	}
	var ids []*node
	if c := p.path(ns, "PartyLegalEntity", "CompanyID"); c.value() != "" {
		ids = append(ids, c)
	}
	for _, pi := range p.children(ns, "PartyIdentification") {
		if id := pi.child(ns, "ID"); id.value() != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		party.ID, party.IDScheme = ids[0].value(), ids[0].attr("schemeID")
	}
	if ep := p.child(ns, "EndpointID"); ep.attr("schemeID") == "0009" {
		ids = append(ids, ep)
	}
	party.SIRET = firstSIRET(ids)
	for _, ts := range p.children(ns, "PartyTaxScheme") {
		if strings.EqualFold(ts.path(ns, "TaxScheme", "ID").value(), "VAT") {
			if v := ts.child(ns, "CompanyID").value(); v != "" {
				party.VATID = v
				break
			}
		}
	}
	return party
}

// firstSIRET returns the first valid SIRET among the identifiers, in its
// normal form (written with spaces, dots or dashes in the XML).
func firstSIRET(ids []*node) string {
	for _, n := range ids {
		if s := ident.Compact(n.value()); ident.ValidSIRET(s) {
			return s
		}
	}
	return ""
}

// amountInCurrency picks, among amounts, the one in the given currency;
// else one without currency; else the first.
func amountInCurrency(amounts []*node, currency string) string {
	var noCurrency, first string
	for _, a := range amounts {
		v := a.value()
		if v == "" {
			continue
		}
		if first == "" {
			first = v
		}
		c := a.attr("currencyID")
		if currency != "" && strings.EqualFold(c, currency) {
			return v
		}
		if c == "" && noCurrency == "" {
			noCurrency = v
		}
	}
	if noCurrency != "" {
		return noCurrency
	}
	return first
}

// normDate turns "20260131" (CII format 102) or "2026-01-31..." into
// "2026-01-31"; other values are returned as written.
func normDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 8 && ident.AllDigits(s) {
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	if len(s) >= 10 && ident.AllDigits(s[:4]) && s[4] == '-' && ident.AllDigits(s[5:7]) && s[7] == '-' && ident.AllDigits(s[8:10]) {
		return s[:10]
	}
	return s
}

// normProfile maps a BT-24 specification identifier to a profile name;
// unknown identifiers are returned as written.
func normProfile(raw string) string {
	p := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case p == "":
		return ""
	case strings.Contains(p, "xrechnung"):
		return "XRECHNUNG"
	case strings.HasPrefix(p, "urn:ferd:"):
		// ZUGFeRD 1.0 (and its release candidate): BASIC, COMFORT, EXTENDED.
		for _, l := range []string{"basic", "comfort", "extended"} {
			if strings.HasSuffix(p, ":"+l) {
				return strings.ToUpper(l)
			}
		}
		return raw
	case strings.HasSuffix(p, "minimum"):
		return "MINIMUM"
	case strings.HasSuffix(p, "basicwl"):
		return "BASIC WL"
	case strings.HasSuffix(p, ":basic"):
		return "BASIC"
	case strings.Contains(p, "extended"):
		return "EXTENDED"
	case p == "urn:cen.eu:en16931:2017":
		return "EN16931"
	case strings.HasPrefix(p, "urn:cen.eu:en16931:2017#compliant#"):
		// A CIUS of EN 16931 (e.g. PEPPOL BIS Billing 3.0).
		return "EN16931"
	}
	return raw
}
