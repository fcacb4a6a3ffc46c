// Package hostile is the hostile corpus: messages built to break a mail
// and invoice reader (decompression bombs, XML entity tricks, MIME shapes
// past every limit, header and file-name injection, truncated containers,
// files lying about their type), each with the outcome Facteur owes it.
// The small files are committed under testdata (written by go generate);
// the big ones are built at test time so that the repository stays small.
// The test (hostile_test.go) runs each through the gateway. Test material
// only.
package hostile

//go:generate go run ./gen

import (
	"fmt"
	"time"

	"facteur/samples"
)

// Outcome is what must become of a message.
type Outcome string

// The outcomes. A message that yields no deposit is held for a person
// (with a reason facteur cases shows) or answered; it is ignored only for
// a positive reason (automatic mail, bounce, our own address).
const (
	// Deposited: an invoice reached Chorus Pro (and the supplier is told).
	Deposited Outcome = "deposited"
	// Held: a case is held for a person, with a reason.
	Held Outcome = "held"
	// Answered: nothing deposited, nothing held, the supplier was
	// answered (asked for a readable PDF, an engagement number...).
	Answered Outcome = "answered"
	// Ignored: every case ignored, for a positive reason.
	Ignored Outcome = "ignored"
)

// File is one message of the corpus.
type File struct {
	Name string // file name under testdata, "….eml"
	Want Outcome
	Note string // what it tries
	// Big files are built at test time only, never committed.
	Big   bool
	build func() ([]byte, error)
}

// Build returns the raw message.
func (f File) Build() ([]byte, error) {
	raw, err := f.build()
	if err != nil {
		return nil, fmt.Errorf("hostile: %s: %w", f.Name, err)
	}
	return raw, nil
}

// The sender of the corpus, a supplier of the samples; its invoices are
// for the principal budget with an engagement number, so that a readable
// one is deposited.
var supplier = samples.DemoSuppliers()[1]

// Supplier is the address every message of the corpus comes from.
var Supplier = supplier.Email

// Attacker is the address the injection attempts try to add as a
// recipient: no reply may ever reach it.
const Attacker = "evil@attacker.example"

// InjectedHeader is the header field the injection attempts try to add to
// a reply: no reply may carry it.
const InjectedHeader = "X-Hostile-Injected"

// date is the Date of every message: fixed, so that the committed files
// are what the generator writes.
var date = time.Date(2026, time.November, 24, 10, 0, 0, 0, time.UTC)

// invoice is a readable Factur-X invoice that Facteur deposits.
func invoice(number string) ([]byte, error) {
	return samples.FacturX(invoiceData(number))
}

func invoiceData(number string) samples.Invoice {
	return supplier.Invoice(number, "2026-11-20", samples.CASQBudgetPrincipal, "", "EJ-2026-000777")
}

// Corpus is every file of the corpus, in a fixed order.
func Corpus() []File {
	var all []File
	for _, group := range [][]File{archives(), pdfs(), xmls(), mimes(), names(), containers(), types()} {
		all = append(all, group...)
	}
	return all
}
