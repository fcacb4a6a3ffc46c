package samples

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

// testInvoice has two VAT rates, characters that need escaping, BT-10 and BT-13.
func testInvoice() Invoice {
	return Invoice{
		Number:         "FA-2026-0042",
		IssueDate:      "2026-11-02",
		Currency:       "EUR",
		SellerName:     "Dupont & Fils <Réseaux> SARL",
		SellerSIRET:    "81245637400022",
		SellerVAT:      "FR82812456374",
		SellerAddress:  "14 rue des Canonniers\nBâtiment « B », 02100 Saint-Quentin",
		SellerIBAN:     "FR76 3000 4012 3400 0123 4567 862",
		BuyerName:      CASQName,
		BuyerSIRET:     CASQBudgetAssainissement,
		BuyerAddress:   CASQAddress,
		BuyerReference: "SERV-ASSAI",
		OrderReference: "EJ-2026-004217",
		Lines: []Line{
			{Description: `Curage "haute pression" ]]> & <débouchage>`, Quantity: "3", UnitPrice: "0.335", VATRate: "20"},
			{Description: "Ouvrage technique", Quantity: "2", UnitPrice: "49.99", VATRate: "5.5"},
		},
	}
}

type ciiPartyXML struct {
	Name     string `xml:"Name"`
	LegalID  ciiID  `xml:"SpecifiedLegalOrganization>ID"`
	Postcode string `xml:"PostalTradeAddress>PostcodeCode"`
	LineOne  string `xml:"PostalTradeAddress>LineOne"`
	City     string `xml:"PostalTradeAddress>CityName"`
	Country  string `xml:"PostalTradeAddress>CountryID"`
	TaxID    *ciiID `xml:"SpecifiedTaxRegistration>ID"`
}

type ciiID struct {
	Scheme string `xml:"schemeID,attr"`
	Value  string `xml:",chardata"`
}

type ciiDoc struct {
	XMLName   xml.Name `xml:"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice"`
	Guideline string   `xml:"ExchangedDocumentContext>GuidelineSpecifiedDocumentContextParameter>ID"`
	Number    string   `xml:"ExchangedDocument>ID"`
	TypeCode  string   `xml:"ExchangedDocument>TypeCode"`
	IssueDate ciiDate  `xml:"ExchangedDocument>IssueDateTime>DateTimeString"`
	Lines     []struct {
		ID        string `xml:"AssociatedDocumentLineDocument>LineID"`
		Name      string `xml:"SpecifiedTradeProduct>Name"`
		Price     string `xml:"SpecifiedLineTradeAgreement>NetPriceProductTradePrice>ChargeAmount"`
		Quantity  string `xml:"SpecifiedLineTradeDelivery>BilledQuantity"`
		Rate      string `xml:"SpecifiedLineTradeSettlement>ApplicableTradeTax>RateApplicablePercent"`
		LineTotal string `xml:"SpecifiedLineTradeSettlement>SpecifiedTradeSettlementLineMonetarySummation>LineTotalAmount"`
	} `xml:"SupplyChainTradeTransaction>IncludedSupplyChainTradeLineItem"`
	Agreement struct {
		BuyerReference *string     `xml:"BuyerReference"`
		Seller         ciiPartyXML `xml:"SellerTradeParty"`
		Buyer          ciiPartyXML `xml:"BuyerTradeParty"`
		Order          *struct {
			ID string `xml:"IssuerAssignedID"`
		} `xml:"BuyerOrderReferencedDocument"`
	} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeAgreement"`
	Settlement struct {
		Currency  string `xml:"InvoiceCurrencyCode"`
		MeansCode string `xml:"SpecifiedTradeSettlementPaymentMeans>TypeCode"`
		IBAN      string `xml:"SpecifiedTradeSettlementPaymentMeans>PayeePartyCreditorFinancialAccount>IBANID"`
		Taxes     []struct {
			Calculated string `xml:"CalculatedAmount"`
			Basis      string `xml:"BasisAmount"`
			Category   string `xml:"CategoryCode"`
			Rate       string `xml:"RateApplicablePercent"`
		} `xml:"ApplicableTradeTax"`
		Due ciiDate `xml:"SpecifiedTradePaymentTerms>DueDateDateTime>DateTimeString"`
		Sum struct {
			LineTotal  string    `xml:"LineTotalAmount"`
			TaxBasis   string    `xml:"TaxBasisTotalAmount"`
			TaxTotal   ciiAmount `xml:"TaxTotalAmount"`
			GrandTotal string    `xml:"GrandTotalAmount"`
			DuePayable string    `xml:"DuePayableAmount"`
		} `xml:"SpecifiedTradeSettlementHeaderMonetarySummation"`
	} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement"`
}

type ciiDate struct {
	Format string `xml:"format,attr"`
	Value  string `xml:",chardata"`
}

type ciiAmount struct {
	Currency string `xml:"currencyID,attr"`
	Value    string `xml:",chardata"`
}

func TestCII(t *testing.T) {
	inv := testInvoice()
	raw := CII(inv)
	var d ciiDoc
	if err := xml.Unmarshal(raw, &d); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, raw)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("BT-24", d.Guideline, "urn:cen.eu:en16931:2017")
	check("BT-1", d.Number, "FA-2026-0042")
	check("BT-3", d.TypeCode, "380")
	check("BT-2 format", d.IssueDate.Format, "102")
	check("BT-2", d.IssueDate.Value, "20261102")
	check("BT-27", d.Agreement.Seller.Name, inv.SellerName)
	check("BT-30 scheme", d.Agreement.Seller.LegalID.Scheme, "0002")
	check("BT-30", d.Agreement.Seller.LegalID.Value, "81245637400022")
	check("seller postcode", d.Agreement.Seller.Postcode, "02100")
	check("seller line", d.Agreement.Seller.LineOne, "14 rue des Canonniers, Bâtiment « B »")
	check("seller city", d.Agreement.Seller.City, "Saint-Quentin")
	check("seller country", d.Agreement.Seller.Country, "FR")
	if d.Agreement.Seller.TaxID == nil {
		t.Fatal("no seller SpecifiedTaxRegistration")
	}
	check("BT-31 scheme", d.Agreement.Seller.TaxID.Scheme, "VA")
	check("BT-31", d.Agreement.Seller.TaxID.Value, "FR82812456374")
	check("BT-44", d.Agreement.Buyer.Name, CASQName)
	check("BT-47 scheme", d.Agreement.Buyer.LegalID.Scheme, "0002")
	check("BT-47", d.Agreement.Buyer.LegalID.Value, CASQBudgetAssainissement)
	if d.Agreement.Buyer.TaxID != nil {
		t.Errorf("buyer has a VAT registration %q", d.Agreement.Buyer.TaxID.Value)
	}
	if d.Agreement.BuyerReference == nil {
		t.Error("BT-10 missing")
	} else {
		check("BT-10", *d.Agreement.BuyerReference, "SERV-ASSAI")
	}
	if d.Agreement.Order == nil {
		t.Error("BT-13 missing")
	} else {
		check("BT-13", d.Agreement.Order.ID, "EJ-2026-004217")
	}
	check("BT-5", d.Settlement.Currency, "EUR")
	check("BT-81", d.Settlement.MeansCode, "58")
	check("BT-84", d.Settlement.IBAN, "FR7630004012340001234567862")
	check("BT-9 format", d.Settlement.Due.Format, "102")
	check("BT-9", d.Settlement.Due.Value, "20261202")

	if len(d.Lines) != 2 {
		t.Fatalf("%d lines, want 2", len(d.Lines))
	}
	check("BT-126", d.Lines[0].ID, "1")
	check("BT-153", d.Lines[0].Name, inv.Lines[0].Description)
	check("BT-146", d.Lines[0].Price, "0.335")
	check("BT-129", d.Lines[0].Quantity, "3.0000")
	check("BT-152", d.Lines[0].Rate, "20.00")
	check("BT-131", d.Lines[0].LineTotal, "1.01")
	check("BT-131 #2", d.Lines[1].LineTotal, "99.98")

	if len(d.Settlement.Taxes) != 2 {
		t.Fatalf("%d ApplicableTradeTax, want 2", len(d.Settlement.Taxes))
	}
	// Increasing rate order: 5.5 then 20.
	check("tax[0] rate", d.Settlement.Taxes[0].Rate, "5.50")
	check("tax[0] basis", d.Settlement.Taxes[0].Basis, "99.98")
	check("tax[0] amount", d.Settlement.Taxes[0].Calculated, "5.50")
	check("tax[0] category", d.Settlement.Taxes[0].Category, "S")
	check("tax[1] rate", d.Settlement.Taxes[1].Rate, "20.00")
	check("tax[1] basis", d.Settlement.Taxes[1].Basis, "1.01")
	check("tax[1] amount", d.Settlement.Taxes[1].Calculated, "0.20")

	ht, tva, ttc := inv.Totals()
	check("BT-106", d.Settlement.Sum.LineTotal, ht)
	check("BT-109", d.Settlement.Sum.TaxBasis, ht)
	check("BT-110", d.Settlement.Sum.TaxTotal.Value, tva)
	check("BT-110 currency", d.Settlement.Sum.TaxTotal.Currency, "EUR")
	check("BT-112", d.Settlement.Sum.GrandTotal, ttc)
	check("BT-115", d.Settlement.Sum.DuePayable, ttc)
	check("totals", ht+" "+tva+" "+ttc, "100.99 5.70 106.69")
}

func TestCIIOptionalReferences(t *testing.T) {
	inv := testInvoice()
	inv.BuyerReference, inv.OrderReference, inv.SellerIBAN = "", "", ""
	raw := CII(inv)
	var d ciiDoc
	if err := xml.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.Agreement.Order != nil || bytes.Contains(raw, []byte("BuyerOrderReferencedDocument")) {
		t.Error("BT-13 written although OrderReference is empty")
	}
	if d.Agreement.BuyerReference != nil || bytes.Contains(raw, []byte("BuyerReference")) {
		t.Error("BT-10 written although BuyerReference is empty")
	}
	if bytes.Contains(raw, []byte("PaymentMeans")) {
		t.Error("payment means written without IBAN")
	}
	// Still a complete invoice.
	if d.Number != inv.Number || d.Agreement.Buyer.LegalID.Value != inv.BuyerSIRET {
		t.Errorf("number %q buyer %q", d.Number, d.Agreement.Buyer.LegalID.Value)
	}
}

// childOrder returns, for every element whose local name is parent, the local
// names of its children in document order, and checks every element is in
// one of the allowed namespaces.
func childOrder(t *testing.T, raw []byte, parent string, namespaces []string) [][]string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var stack []string
	var out [][]string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if !slices.Contains(namespaces, tok.Name.Space) {
				t.Errorf("element %s in namespace %q", tok.Name.Local, tok.Name.Space)
			}
			if len(stack) > 0 && stack[len(stack)-1] == parent {
				out[len(out)-1] = append(out[len(out)-1], tok.Name.Local)
			}
			if tok.Name.Local == parent {
				out = append(out, nil)
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return out
}

// inSchemaOrder reports whether children follow the order of seq (each child
// must appear in seq; repeated elements are allowed).
func inSchemaOrder(children, seq []string) bool {
	last := -1
	for _, c := range children {
		i := slices.Index(seq, c)
		if i < last || i < 0 {
			return false
		}
		last = i
	}
	return true
}

func TestCIISchemaOrder(t *testing.T) {
	ns := []string{nsRSM, nsRAM, nsUDT, nsQDT}
	// Sequences from the CII D16B schema (only the elements used here and
	// their neighbours).
	seqs := map[string][]string{
		"CrossIndustryInvoice":                            {"ExchangedDocumentContext", "ExchangedDocument", "SupplyChainTradeTransaction"},
		"ExchangedDocumentContext":                        {"TestIndicator", "BusinessProcessSpecifiedDocumentContextParameter", "GuidelineSpecifiedDocumentContextParameter"},
		"ExchangedDocument":                               {"ID", "Name", "TypeCode", "IssueDateTime", "CopyIndicator", "LanguageID", "IncludedNote", "EffectiveSpecifiedPeriod"},
		"SupplyChainTradeTransaction":                     {"IncludedSupplyChainTradeLineItem", "ApplicableHeaderTradeAgreement", "ApplicableHeaderTradeDelivery", "ApplicableHeaderTradeSettlement"},
		"IncludedSupplyChainTradeLineItem":                {"AssociatedDocumentLineDocument", "SpecifiedTradeProduct", "SpecifiedLineTradeAgreement", "SpecifiedLineTradeDelivery", "SpecifiedLineTradeSettlement"},
		"SpecifiedLineTradeSettlement":                    {"ApplicableTradeTax", "BillingSpecifiedPeriod", "SpecifiedTradeAllowanceCharge", "SpecifiedTradeSettlementLineMonetarySummation"},
		"ApplicableTradeTax":                              {"CalculatedAmount", "TypeCode", "ExemptionReason", "BasisAmount", "CategoryCode", "ExemptionReasonCode", "DueDateTypeCode", "RateApplicablePercent"},
		"ApplicableHeaderTradeAgreement":                  {"BuyerReference", "SellerTradeParty", "BuyerTradeParty", "SellerTaxRepresentativeTradeParty", "SellerOrderReferencedDocument", "BuyerOrderReferencedDocument", "ContractReferencedDocument", "AdditionalReferencedDocument"},
		"SellerTradeParty":                                {"ID", "GlobalID", "Name", "Description", "SpecifiedLegalOrganization", "DefinedTradeContact", "PostalTradeAddress", "URIUniversalCommunication", "SpecifiedTaxRegistration"},
		"BuyerTradeParty":                                 {"ID", "GlobalID", "Name", "SpecifiedLegalOrganization", "DefinedTradeContact", "PostalTradeAddress", "URIUniversalCommunication", "SpecifiedTaxRegistration"},
		"PostalTradeAddress":                              {"PostcodeCode", "LineOne", "LineTwo", "LineThree", "CityName", "CountryID", "CountrySubDivisionName"},
		"ApplicableHeaderTradeSettlement":                 {"CreditorReferenceID", "PaymentReference", "TaxCurrencyCode", "InvoiceCurrencyCode", "PayeeTradeParty", "SpecifiedTradeSettlementPaymentMeans", "ApplicableTradeTax", "BillingSpecifiedPeriod", "SpecifiedTradeAllowanceCharge", "SpecifiedTradePaymentTerms", "SpecifiedTradeSettlementHeaderMonetarySummation"},
		"SpecifiedTradeSettlementPaymentMeans":            {"TypeCode", "Information", "ApplicableTradeSettlementFinancialCard", "PayerPartyDebtorFinancialAccount", "PayeePartyCreditorFinancialAccount"},
		"SpecifiedTradeSettlementHeaderMonetarySummation": {"LineTotalAmount", "ChargeTotalAmount", "AllowanceTotalAmount", "TaxBasisTotalAmount", "TaxTotalAmount", "RoundingAmount", "GrandTotalAmount", "TotalPrepaidAmount", "DuePayableAmount"},
	}
	raw := CII(testInvoice())
	for parent, seq := range seqs {
		groups := childOrder(t, raw, parent, ns)
		if len(groups) == 0 {
			t.Errorf("no %s element", parent)
		}
		for _, children := range groups {
			if !inSchemaOrder(children, seq) {
				t.Errorf("%s children %v not in schema order %v", parent, children, seq)
			}
		}
	}
}

type ublPartyXML struct {
	ID struct {
		Scheme string `xml:"schemeID,attr"`
		Value  string `xml:",chardata"`
	} `xml:"Party>PartyIdentification>ID"`
	Name    string `xml:"Party>PartyName>Name"`
	Street  string `xml:"Party>PostalAddress>StreetName"`
	City    string `xml:"Party>PostalAddress>CityName"`
	Zone    string `xml:"Party>PostalAddress>PostalZone"`
	Country string `xml:"Party>PostalAddress>Country>IdentificationCode"`
	VAT     string `xml:"Party>PartyTaxScheme>CompanyID"`
	TaxSch  string `xml:"Party>PartyTaxScheme>TaxScheme>ID"`
	RegName string `xml:"Party>PartyLegalEntity>RegistrationName"`
	Company struct {
		Scheme string `xml:"schemeID,attr"`
		Value  string `xml:",chardata"`
	} `xml:"Party>PartyLegalEntity>CompanyID"`
}

type ublDoc struct {
	XMLName        xml.Name `xml:"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice"`
	Customization  string   `xml:"CustomizationID"`
	ID             string   `xml:"ID"`
	IssueDate      string   `xml:"IssueDate"`
	DueDate        string   `xml:"DueDate"`
	TypeCode       string   `xml:"InvoiceTypeCode"`
	Currency       string   `xml:"DocumentCurrencyCode"`
	BuyerReference *string  `xml:"BuyerReference"`
	Order          *struct {
		ID string `xml:"ID"`
	} `xml:"OrderReference"`
	Supplier  ublPartyXML `xml:"AccountingSupplierParty"`
	Customer  ublPartyXML `xml:"AccountingCustomerParty"`
	MeansCode string      `xml:"PaymentMeans>PaymentMeansCode"`
	IBAN      string      `xml:"PaymentMeans>PayeeFinancialAccount>ID"`
	TaxAmount string      `xml:"TaxTotal>TaxAmount"`
	Subtotals []struct {
		Taxable string `xml:"TaxableAmount"`
		Tax     string `xml:"TaxAmount"`
		Cat     string `xml:"TaxCategory>ID"`
		Percent string `xml:"TaxCategory>Percent"`
	} `xml:"TaxTotal>TaxSubtotal"`
	LineExt string `xml:"LegalMonetaryTotal>LineExtensionAmount"`
	TaxExcl string `xml:"LegalMonetaryTotal>TaxExclusiveAmount"`
	TaxIncl string `xml:"LegalMonetaryTotal>TaxInclusiveAmount"`
	Payable struct {
		Currency string `xml:"currencyID,attr"`
		Value    string `xml:",chardata"`
	} `xml:"LegalMonetaryTotal>PayableAmount"`
	Lines []struct {
		ID       string `xml:"ID"`
		Quantity string `xml:"InvoicedQuantity"`
		Amount   string `xml:"LineExtensionAmount"`
		Name     string `xml:"Item>Name"`
		Percent  string `xml:"Item>ClassifiedTaxCategory>Percent"`
		Price    string `xml:"Price>PriceAmount"`
	} `xml:"InvoiceLine"`
}

func TestUBL(t *testing.T) {
	inv := testInvoice()
	raw := UBL(inv)
	var d ublDoc
	if err := xml.Unmarshal(raw, &d); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, raw)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("BT-24", d.Customization, GuidelineEN16931)
	check("BT-1", d.ID, inv.Number)
	check("BT-2", d.IssueDate, "2026-11-02")
	check("BT-9", d.DueDate, "2026-12-02")
	check("BT-3", d.TypeCode, "380")
	check("BT-5", d.Currency, "EUR")
	if d.BuyerReference == nil || *d.BuyerReference != "SERV-ASSAI" {
		t.Errorf("BT-10 = %v", d.BuyerReference)
	}
	if d.Order == nil || d.Order.ID != "EJ-2026-004217" {
		t.Errorf("BT-13 = %v", d.Order)
	}
	check("BT-29 scheme", d.Supplier.ID.Scheme, "0009")
	check("BT-29", d.Supplier.ID.Value, inv.SellerSIRET)
	check("BT-27", d.Supplier.RegName, inv.SellerName)
	check("BT-28", d.Supplier.Name, inv.SellerName)
	check("BT-30", d.Supplier.Company.Value, inv.SellerSIRET)
	check("BT-31", d.Supplier.VAT, inv.SellerVAT)
	check("tax scheme", d.Supplier.TaxSch, "VAT")
	check("seller street", d.Supplier.Street, "14 rue des Canonniers, Bâtiment « B »")
	check("seller city", d.Supplier.City, "Saint-Quentin")
	check("seller zone", d.Supplier.Zone, "02100")
	check("seller country", d.Supplier.Country, "FR")
	check("BT-46 scheme", d.Customer.ID.Scheme, "0009")
	check("BT-46", d.Customer.ID.Value, CASQBudgetAssainissement)
	check("BT-44", d.Customer.RegName, CASQName)
	check("BT-47", d.Customer.Company.Value, CASQBudgetAssainissement)
	check("buyer VAT", d.Customer.VAT, "")
	check("BT-81", d.MeansCode, "58")
	check("BT-84", d.IBAN, "FR7630004012340001234567862")

	ht, tva, ttc := inv.Totals()
	check("BT-110", d.TaxAmount, tva)
	check("BT-106", d.LineExt, ht)
	check("BT-109", d.TaxExcl, ht)
	check("BT-112", d.TaxIncl, ttc)
	check("BT-115", d.Payable.Value, ttc)
	check("BT-115 currency", d.Payable.Currency, "EUR")
	if len(d.Subtotals) != 2 || d.Subtotals[0].Percent != "5.50" || d.Subtotals[1].Tax != "0.20" {
		t.Errorf("tax subtotals = %+v", d.Subtotals)
	}
	if len(d.Lines) != 2 {
		t.Fatalf("%d lines", len(d.Lines))
	}
	check("line name", d.Lines[0].Name, inv.Lines[0].Description)
	check("line qty", d.Lines[0].Quantity, "3")
	check("line amount", d.Lines[0].Amount, "1.01")
	check("line price", d.Lines[0].Price, "0.335")
	check("line rate", d.Lines[1].Percent, "5.50")

	inv.BuyerReference, inv.OrderReference = "", ""
	raw = UBL(inv)
	d = ublDoc{}
	if err := xml.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.BuyerReference != nil || d.Order != nil || bytes.Contains(raw, []byte("OrderReference")) {
		t.Errorf("empty BT-10/BT-13 written: %v %v", d.BuyerReference, d.Order)
	}
}

func TestUBLSchemaOrder(t *testing.T) {
	ns := []string{nsUBLInvoice, nsCAC, nsCBC}
	seqs := map[string][]string{
		"Invoice": {"UBLExtensions", "UBLVersionID", "CustomizationID", "ProfileID", "ProfileExecutionID", "ID",
			"CopyIndicator", "UUID", "IssueDate", "IssueTime", "DueDate", "InvoiceTypeCode", "Note", "TaxPointDate",
			"DocumentCurrencyCode", "TaxCurrencyCode", "PricingCurrencyCode", "PaymentCurrencyCode",
			"PaymentAlternativeCurrencyCode", "AccountingCostCode", "AccountingCost", "LineCountNumeric",
			"BuyerReference", "InvoicePeriod", "OrderReference", "BillingReference", "DespatchDocumentReference",
			"ReceiptDocumentReference", "StatementDocumentReference", "OriginatorDocumentReference",
			"ContractDocumentReference", "AdditionalDocumentReference", "ProjectReference", "Signature",
			"AccountingSupplierParty", "AccountingCustomerParty", "PayeeParty", "BuyerCustomerParty",
			"SellerSupplierParty", "TaxRepresentativeParty", "Delivery", "DeliveryTerms", "PaymentMeans",
			"PaymentTerms", "PrepaidPayment", "AllowanceCharge", "TaxExchangeRate", "PricingExchangeRate",
			"PaymentExchangeRate", "PaymentAlternativeExchangeRate", "TaxTotal", "WithholdingTaxTotal",
			"LegalMonetaryTotal", "InvoiceLine"},
		"Party":              {"MarkCareIndicator", "MarkAttentionIndicator", "WebsiteURI", "LogoReferenceID", "EndpointID", "IndustryClassificationCode", "PartyIdentification", "PartyName", "Language", "PostalAddress", "PhysicalLocation", "PartyTaxScheme", "PartyLegalEntity", "Contact"},
		"PostalAddress":      {"ID", "AddressTypeCode", "AddressFormatCode", "Postbox", "Floor", "Room", "StreetName", "AdditionalStreetName", "BlockName", "BuildingName", "BuildingNumber", "InhouseMail", "Department", "MarkAttention", "MarkCare", "PlotIdentification", "CitySubdivisionName", "CityName", "PostalZone", "CountrySubentity", "CountrySubentityCode", "Region", "District", "TimezoneOffset", "AddressLine", "Country"},
		"PartyLegalEntity":   {"RegistrationName", "CompanyID"},
		"TaxSubtotal":        {"TaxableAmount", "TaxAmount", "CalculationSequenceNumeric", "TransactionCurrencyTaxAmount", "Percent", "BaseUnitMeasure", "PerUnitAmount", "TierRange", "TierRatePercent", "TaxCategory"},
		"TaxCategory":        {"ID", "Name", "Percent", "BaseUnitMeasure", "PerUnitAmount", "TaxExemptionReasonCode", "TaxExemptionReason", "TierRange", "TierRatePercent", "TaxScheme"},
		"LegalMonetaryTotal": {"LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "AllowanceTotalAmount", "ChargeTotalAmount", "PrepaidAmount", "PayableRoundingAmount", "PayableAmount"},
		"InvoiceLine":        {"ID", "UUID", "Note", "InvoicedQuantity", "LineExtensionAmount", "TaxPointDate", "AccountingCostCode", "AccountingCost", "PaymentPurposeCode", "FreeOfChargeIndicator", "InvoicePeriod", "OrderLineReference", "DespatchLineReference", "ReceiptLineReference", "BillingReference", "DocumentReference", "PricingReference", "OriginatorParty", "Delivery", "PaymentTerms", "AllowanceCharge", "TaxTotal", "WithholdingTaxTotal", "Item", "Price"},
		"PaymentMeans":       {"ID", "PaymentMeansCode", "PaymentDueDate", "PaymentChannelCode", "InstructionID", "InstructionNote", "PaymentID", "CardAccount", "PayerFinancialAccount", "PayeeFinancialAccount"},
	}
	raw := UBL(testInvoice())
	for parent, seq := range seqs {
		groups := childOrder(t, raw, parent, ns)
		if len(groups) == 0 {
			t.Errorf("no %s element", parent)
		}
		for _, children := range groups {
			if !inSchemaOrder(children, seq) {
				t.Errorf("%s children %v not in schema order", parent, children)
			}
		}
	}
}

func TestXMLEscaping(t *testing.T) {
	inv := testInvoice()
	for name, raw := range map[string][]byte{"CII": CII(inv), "UBL": UBL(inv)} {
		if !bytes.HasPrefix(raw, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
			t.Errorf("%s: no XML declaration", name)
		}
		if bytes.Contains(raw, []byte("Dupont & Fils")) || bytes.Contains(raw, []byte("<Réseaux>")) ||
			bytes.Contains(raw, []byte("]]> &")) {
			t.Errorf("%s: unescaped text", name)
		}
		// Every name survives a round trip.
		var all struct {
			Inner string `xml:",innerxml"`
		}
		if err := xml.Unmarshal(raw, &all); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		dec := xml.NewDecoder(bytes.NewReader(raw))
		var texts []string
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if cd, ok := tok.(xml.CharData); ok {
				texts = append(texts, string(cd))
			}
		}
		joined := strings.Join(texts, "\n")
		for _, want := range []string{inv.SellerName, inv.Lines[0].Description} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: %q not found after decoding", name, want)
			}
		}
	}
}
