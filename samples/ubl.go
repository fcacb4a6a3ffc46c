package samples

import "facteur/ident"

// UBL 2.1 namespaces.
const (
	nsUBLInvoice = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// UBL returns the invoice as an EN 16931 UBL 2.1 Invoice, deposited with the
// Chorus Pro syntax IN_DP_E1_UBL_INVOICE. The SIRETs are written as
// PartyIdentification/ID and PartyLegalEntity/CompanyID with schemeID 0009
// (SIRET); elements follow the UBL 2.1 schema order.
func UBL(inv Invoice) []byte {
	c := inv.compute()
	cur := inv.currency()
	w := newXMLWriter()
	w.open("Invoice", "xmlns", nsUBLInvoice, "xmlns:cac", nsCAC, "xmlns:cbc", nsCBC)
	w.leaf("cbc:CustomizationID", GuidelineEN16931)
	w.leaf("cbc:ID", inv.Number)
	w.leaf("cbc:IssueDate", inv.IssueDate)
	w.leafIf("cbc:DueDate", inv.dueDate())
	w.leaf("cbc:InvoiceTypeCode", "380")
	w.leaf("cbc:Note", "#PMD#"+notePenalties)
	w.leaf("cbc:Note", "#PMT#"+noteRecovery)
	w.leaf("cbc:DocumentCurrencyCode", cur)
	w.leafIf("cbc:BuyerReference", inv.BuyerReference)
	if inv.OrderReference != "" {
		w.open("cac:OrderReference")
		w.leaf("cbc:ID", inv.OrderReference)
		w.close("cac:OrderReference")
	}

	w.open("cac:AccountingSupplierParty")
	ublParty(w, inv.SellerName, inv.SellerSIRET, inv.SellerAddress, inv.SellerVAT)
	w.close("cac:AccountingSupplierParty")
	w.open("cac:AccountingCustomerParty")
	ublParty(w, inv.BuyerName, inv.BuyerSIRET, inv.BuyerAddress, "")
	w.close("cac:AccountingCustomerParty")

	if inv.SellerIBAN != "" {
		w.open("cac:PaymentMeans")
		w.leaf("cbc:PaymentMeansCode", "58", "name", "Virement SEPA")
		w.leaf("cbc:PaymentID", inv.Number)
		w.open("cac:PayeeFinancialAccount")
		w.leaf("cbc:ID", ident.Compact(inv.SellerIBAN))
		w.leaf("cbc:Name", inv.SellerName)
		w.close("cac:PayeeFinancialAccount")
		w.close("cac:PaymentMeans")
	}
	w.open("cac:PaymentTerms")
	w.leaf("cbc:Note", "Paiement à 30 jours par virement")
	w.close("cac:PaymentTerms")

	w.open("cac:TaxTotal")
	w.leaf("cbc:TaxAmount", formatCents(c.vat), "currencyID", cur)
	for _, t := range c.taxes {
		w.open("cac:TaxSubtotal")
		w.leaf("cbc:TaxableAmount", formatCents(t.basis), "currencyID", cur)
		w.leaf("cbc:TaxAmount", formatCents(t.vat), "currencyID", cur)
		ublTaxCategory(w, "cac:TaxCategory", t.rate)
		w.close("cac:TaxSubtotal")
	}
	w.close("cac:TaxTotal")

	w.open("cac:LegalMonetaryTotal")
	w.leaf("cbc:LineExtensionAmount", formatCents(c.net), "currencyID", cur)
	w.leaf("cbc:TaxExclusiveAmount", formatCents(c.net), "currencyID", cur)
	w.leaf("cbc:TaxInclusiveAmount", formatCents(c.net+c.vat), "currencyID", cur)
	w.leaf("cbc:PayableAmount", formatCents(c.net+c.vat), "currencyID", cur)
	w.close("cac:LegalMonetaryTotal")

	for i, l := range inv.Lines {
		w.open("cac:InvoiceLine")
		w.leaf("cbc:ID", itoa(i+1))
		w.leaf("cbc:InvoicedQuantity", mustDecimal(l.Quantity, "quantity").String(), "unitCode", "C62")
		w.leaf("cbc:LineExtensionAmount", formatCents(c.lines[i]), "currencyID", cur)
		w.open("cac:Item")
		w.leaf("cbc:Name", l.Description)
		ublTaxCategory(w, "cac:ClassifiedTaxCategory", mustDecimal(l.VATRate, "VAT rate"))
		w.close("cac:Item")
		w.open("cac:Price")
		w.leaf("cbc:PriceAmount", amount2(l.UnitPrice), "currencyID", cur)
		w.close("cac:Price")
		w.close("cac:InvoiceLine")
	}
	w.close("Invoice")
	return w.bytes()
}

func ublParty(w *xmlWriter, name, siret, addr, vat string) {
	w.open("cac:Party")
	if siret != "" {
		w.open("cac:PartyIdentification")
		w.leaf("cbc:ID", siret, "schemeID", "0009")
		w.close("cac:PartyIdentification")
	}
	w.open("cac:PartyName")
	w.leaf("cbc:Name", name)
	w.close("cac:PartyName")
	a := splitAddress(addr)
	w.open("cac:PostalAddress")
	w.leafIf("cbc:StreetName", a.Line)
	w.leafIf("cbc:CityName", a.City)
	w.leafIf("cbc:PostalZone", a.Postcode)
	w.open("cac:Country")
	w.leaf("cbc:IdentificationCode", a.Country)
	w.close("cac:Country")
	w.close("cac:PostalAddress")
	if vat != "" {
		w.open("cac:PartyTaxScheme")
		w.leaf("cbc:CompanyID", vat)
		w.open("cac:TaxScheme")
		w.leaf("cbc:ID", "VAT")
		w.close("cac:TaxScheme")
		w.close("cac:PartyTaxScheme")
	}
	w.open("cac:PartyLegalEntity")
	w.leaf("cbc:RegistrationName", name)
	w.leafIf("cbc:CompanyID", siret, "schemeID", "0009")
	w.close("cac:PartyLegalEntity")
	w.close("cac:Party")
}

func ublTaxCategory(w *xmlWriter, tag string, rate decimal) {
	w.open(tag)
	w.leaf("cbc:ID", vatCategory(rate))
	w.leaf("cbc:Percent", rate.fixed(2))
	w.open("cac:TaxScheme")
	w.leaf("cbc:ID", "VAT")
	w.close("cac:TaxScheme")
	w.close(tag)
}
