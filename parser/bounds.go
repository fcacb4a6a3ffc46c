package parser

import (
	"fmt"
	"unicode/utf8"
)

// Every field read from a document has a sane maximum length: Chorus Pro
// takes 20 characters for an invoice number, a few dozen for identifiers
// and amounts. A document whose field goes over it is not an invoice to
// act on (a hostile or broken file): it gets a problem with the reason,
// never a ten-million-character value carried through the store, the
// replies and the logs.
const (
	maxIDField     = 100 // numbers, identifiers, references, dates, currency
	maxAmountField = 40
	maxNameField   = 500
)

// fieldTooLong returns the first field of inv over its maximum, with its
// length and the maximum; "" when all are within bounds.
func fieldTooLong(inv *Invoice) (name string, n, max int) {
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"number", inv.Number, maxIDField}, {"type", inv.Type, maxIDField}, {"issue_date", inv.IssueDate, maxIDField},
		{"currency", inv.Currency, maxIDField}, {"buyer_reference", inv.BuyerReference, maxIDField},
		{"order_reference", inv.OrderReference, maxIDField}, {"preceding_invoice", inv.PrecedingInvoice, maxIDField},
		{"total_without_vat", inv.TotalWithoutVAT, maxAmountField}, {"total_vat", inv.TotalVAT, maxAmountField},
		{"total_with_vat", inv.TotalWithVAT, maxAmountField}, {"amount_due", inv.AmountDue, maxAmountField},
		{"iban", inv.IBAN, maxIDField},
		{"seller.name", inv.Seller.Name, maxNameField}, {"seller.id", inv.Seller.ID, maxIDField},
		{"seller.id_scheme", inv.Seller.IDScheme, maxIDField}, {"seller.vat_id", inv.Seller.VATID, maxIDField},
		{"buyer.name", inv.Buyer.Name, maxNameField}, {"buyer.id", inv.Buyer.ID, maxIDField},
		{"buyer.id_scheme", inv.Buyer.IDScheme, maxIDField}, {"buyer.vat_id", inv.Buyer.VATID, maxIDField},
	} {
		if l := utf8.RuneCountInString(f.v); l > f.max {
			return f.name, l, f.max
		}
	}
	return "", 0, 0
}

// boundFields turns a document whose invoice has an over-long field into a
// document with a problem: no invoice is acted on from it.
func boundFields(doc *Document) {
	if doc.Invoice == nil {
		return
	}
	if name, n, max := fieldTooLong(doc.Invoice); name != "" {
		doc.Invoice, doc.IsInvoice, doc.Source, doc.Candidates = nil, false, "", nil
		doc.fail(ProblemLimit, LimitField, fmt.Sprintf("field %s of %d characters, more than %d", name, n, max))
	}
}
