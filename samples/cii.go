package samples

import "facteur/ident"

// CII namespaces (UN/CEFACT Cross Industry Invoice D16B).
const (
	nsRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
	nsQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

	// GuidelineEN16931 is the specification identifier (BT-24) of the
	// Factur-X 1.0 EN 16931 profile, written in CII and UBL alike.
	GuidelineEN16931 = "urn:cen.eu:en16931:2017"
)

// French legal mentions printed on every sample invoice (Code de commerce,
// art. L441-10) and written as notes in the XML.
const (
	notePenalties = "En cas de retard de paiement, des pénalités égales à trois fois le taux d'intérêt légal sont exigibles à compter du lendemain de la date d'échéance."
	noteRecovery  = "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."
)

// vatCategory is the EN 16931 VAT category code (BT-151) for a rate: standard
// rate "S", zero rate "Z".
func vatCategory(r decimal) string {
	if r.mant.Sign() == 0 {
		return "Z"
	}
	return "S"
}

// CII returns the invoice as a Factur-X 1.0 / EN 16931 Cross Industry Invoice
// (UN/CEFACT D16B), the XML embedded as factur-x.xml in FacturX and deposited
// alone with the Chorus Pro syntax IN_DP_E1_CII_16B. Element order follows the
// D16B schema sequences. The seller and buyer SIRETs are written in
// SpecifiedLegalOrganization/ID with schemeID 0002, as the Chorus Pro
// production client of OCA does.
func CII(inv Invoice) []byte {
	c := inv.compute()
	cur := inv.currency()
	w := newXMLWriter()
	w.open("rsm:CrossIndustryInvoice",
		"xmlns:rsm", nsRSM, "xmlns:ram", nsRAM, "xmlns:udt", nsUDT, "xmlns:qdt", nsQDT)

	w.open("rsm:ExchangedDocumentContext")
	w.open("ram:GuidelineSpecifiedDocumentContextParameter")
	w.leaf("ram:ID", GuidelineEN16931)
	w.close("ram:GuidelineSpecifiedDocumentContextParameter")
	w.close("rsm:ExchangedDocumentContext")

	w.open("rsm:ExchangedDocument")
	w.leaf("ram:ID", inv.Number)
	w.leaf("ram:TypeCode", inv.typeCode())
	w.open("ram:IssueDateTime")
	w.leaf("udt:DateTimeString", compactDate(inv.IssueDate), "format", "102")
	w.close("ram:IssueDateTime")
	for _, n := range [][2]string{{notePenalties, "PMD"}, {noteRecovery, "PMT"}} {
		w.open("ram:IncludedNote")
		w.leaf("ram:Content", n[0])
		w.leaf("ram:SubjectCode", n[1])
		w.close("ram:IncludedNote")
	}
	w.close("rsm:ExchangedDocument")

	w.open("rsm:SupplyChainTradeTransaction")
	for i, l := range inv.Lines {
		rate := mustDecimal(l.VATRate, "VAT rate")
		w.open("ram:IncludedSupplyChainTradeLineItem")
		w.open("ram:AssociatedDocumentLineDocument")
		w.leaf("ram:LineID", itoa(i+1))
		w.close("ram:AssociatedDocumentLineDocument")
		w.open("ram:SpecifiedTradeProduct")
		w.leaf("ram:Name", l.Description)
		w.close("ram:SpecifiedTradeProduct")
		w.open("ram:SpecifiedLineTradeAgreement")
		w.open("ram:NetPriceProductTradePrice")
		w.leaf("ram:ChargeAmount", amount2(l.UnitPrice))
		w.close("ram:NetPriceProductTradePrice")
		w.close("ram:SpecifiedLineTradeAgreement")
		w.open("ram:SpecifiedLineTradeDelivery")
		w.leaf("ram:BilledQuantity", quantity4(l.Quantity), "unitCode", "C62")
		w.close("ram:SpecifiedLineTradeDelivery")
		w.open("ram:SpecifiedLineTradeSettlement")
		w.open("ram:ApplicableTradeTax")
		w.leaf("ram:TypeCode", "VAT")
		w.leaf("ram:CategoryCode", vatCategory(rate))
		w.leaf("ram:RateApplicablePercent", rate.fixed(2))
		w.close("ram:ApplicableTradeTax")
		w.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
		w.leaf("ram:LineTotalAmount", formatCents(c.lines[i]))
		w.close("ram:SpecifiedTradeSettlementLineMonetarySummation")
		w.close("ram:SpecifiedLineTradeSettlement")
		w.close("ram:IncludedSupplyChainTradeLineItem")
	}

	w.open("ram:ApplicableHeaderTradeAgreement")
	w.leafIf("ram:BuyerReference", inv.BuyerReference)
	ciiParty(w, "ram:SellerTradeParty", inv.SellerName, inv.SellerSIRET, inv.SellerAddress, inv.SellerVAT)
	ciiParty(w, "ram:BuyerTradeParty", inv.BuyerName, inv.BuyerSIRET, inv.BuyerAddress, "")
	if inv.OrderReference != "" {
		w.open("ram:BuyerOrderReferencedDocument")
		w.leaf("ram:IssuerAssignedID", inv.OrderReference)
		w.close("ram:BuyerOrderReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeAgreement")

	// The delivery group is mandatory, even when empty.
	w.open("ram:ApplicableHeaderTradeDelivery")
	w.close("ram:ApplicableHeaderTradeDelivery")

	w.open("ram:ApplicableHeaderTradeSettlement")
	w.leaf("ram:InvoiceCurrencyCode", cur)
	if inv.SellerIBAN != "" {
		w.open("ram:SpecifiedTradeSettlementPaymentMeans")
		w.leaf("ram:TypeCode", "58") // SEPA credit transfer
		w.leaf("ram:Information", "Virement SEPA")
		w.open("ram:PayeePartyCreditorFinancialAccount")
		w.leaf("ram:IBANID", ident.Compact(inv.SellerIBAN))
		w.close("ram:PayeePartyCreditorFinancialAccount")
		w.close("ram:SpecifiedTradeSettlementPaymentMeans")
	}
	for _, t := range c.taxes {
		w.open("ram:ApplicableTradeTax")
		w.leaf("ram:CalculatedAmount", formatCents(t.vat))
		w.leaf("ram:TypeCode", "VAT")
		w.leaf("ram:BasisAmount", formatCents(t.basis))
		w.leaf("ram:CategoryCode", vatCategory(t.rate))
		w.leaf("ram:RateApplicablePercent", t.rate.fixed(2))
		w.close("ram:ApplicableTradeTax")
	}
	w.open("ram:SpecifiedTradePaymentTerms")
	w.leaf("ram:Description", "Paiement à 30 jours par virement")
	if due := inv.dueDate(); due != "" {
		w.open("ram:DueDateDateTime")
		w.leaf("udt:DateTimeString", compactDate(due), "format", "102")
		w.close("ram:DueDateDateTime")
	}
	w.close("ram:SpecifiedTradePaymentTerms")
	w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	w.leaf("ram:LineTotalAmount", formatCents(c.net))
	w.leaf("ram:TaxBasisTotalAmount", formatCents(c.net))
	w.leaf("ram:TaxTotalAmount", formatCents(c.vat), "currencyID", cur)
	w.leaf("ram:GrandTotalAmount", formatCents(c.net+c.vat))
	w.leaf("ram:DuePayableAmount", formatCents(c.net+c.vat))
	w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	if inv.CorrectedInvoice != "" {
		w.open("ram:InvoiceReferencedDocument") // BT-25
		w.leaf("ram:IssuerAssignedID", inv.CorrectedInvoice)
		w.close("ram:InvoiceReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeSettlement")

	w.close("rsm:SupplyChainTradeTransaction")
	w.close("rsm:CrossIndustryInvoice")
	return w.bytes()
}

// ciiParty writes a SellerTradeParty or BuyerTradeParty in the D16B order:
// Name, SpecifiedLegalOrganization, PostalTradeAddress, SpecifiedTaxRegistration.
func ciiParty(w *xmlWriter, tag, name, siret, addr, vat string) {
	w.open(tag)
	w.leaf("ram:Name", name)
	if siret != "" {
		w.open("ram:SpecifiedLegalOrganization")
		w.leaf("ram:ID", siret, "schemeID", "0002")
		w.close("ram:SpecifiedLegalOrganization")
	}
	a := splitAddress(addr)
	w.open("ram:PostalTradeAddress")
	w.leafIf("ram:PostcodeCode", a.Postcode)
	w.leafIf("ram:LineOne", a.Line)
	w.leafIf("ram:CityName", a.City)
	w.leaf("ram:CountryID", a.Country)
	w.close("ram:PostalTradeAddress")
	if vat != "" {
		w.open("ram:SpecifiedTaxRegistration")
		w.leaf("ram:ID", vat, "schemeID", "VA")
		w.close("ram:SpecifiedTaxRegistration")
	}
	w.close(tag)
}
