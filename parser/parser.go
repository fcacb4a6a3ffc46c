// Package parser turns the raw bytes of an e-mail (or of a bare PDF or XML
// file) into what the gateway needs to decide about it: the message headers,
// whether it was sent by a machine, the attached documents, the invoice data
// read from structured invoices (Factur-X / ZUGFeRD, CII, UBL) and the
// candidate engagement numbers with their evidence.
//
// The package does no I/O: it reads only the bytes it is given. Every input is
// untrusted: the functions never panic on bad input, bound their work
// (MIME depth and part count, PDF resource limits, XML depth) and report what
// they could not read as warnings or as a document error.
package parser

import (
	"regexp"
	"time"
)

// Default limits. Each can be changed in Options; exceeding one gives a
// document error (or a message warning) with the reason, never a crash.
const (
	DefaultMaxDepth           = 20
	DefaultMaxParts           = 200
	DefaultMaxMessageBytes    = 64 << 20
	DefaultMaxDecompressed    = 64 << 20 // bytes produced by one archive or TNEF stream
	DefaultMaxRatio           = 200      // decompressed / compressed size
	DefaultMaxArchiveEntries  = 100
	DefaultMaxPDFBytes        = 50 << 20
	DefaultMaxPDFPages        = 200
	DefaultMaxPDFObjects      = 500_000
	DefaultMaxPDFOperators    = 5_000_000
	DefaultDocumentTimeout    = 10 * time.Second
	DefaultMaxTextBytes       = 1 << 20
	defaultMaxTextLinesFields = 2_000

	// maxBodyText is the largest BodyText kept, in bytes.
	maxBodyText = 64 << 10
)

// Options tunes parsing. The zero value is ready to use: every zero limit
// means its default.
type Options struct {
	// EngagementPatterns are regular expressions with exactly one capture
	// group, the engagement number. Nil means DefaultEngagementPatterns.
	EngagementPatterns []*regexp.Regexp
	// MaxDepth bounds MIME nesting (multipart and forwarded messages);
	// 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxParts bounds the number of MIME entities visited; 0 means
	// DefaultMaxParts.
	MaxParts int

	// TextOnly ignores the XML embedded in PDFs and reads their visible
	// text instead, so that the two paths can be compared.
	TextOnly bool

	// MaxMessageBytes bounds the size of a message given to Parse.
	MaxMessageBytes int
	// MaxDecompressedBytes bounds what one ZIP archive or TNEF stream may
	// expand to, and MaxRatio its expansion ratio.
	MaxDecompressedBytes int64
	MaxRatio             int
	// MaxArchiveEntries bounds the files taken from one archive.
	MaxArchiveEntries int
	// MaxPDFBytes, MaxPDFPages and MaxPDFObjects bound the PDFs read.
	MaxPDFBytes   int
	MaxPDFPages   int
	MaxPDFObjects int
	// DocumentTimeout bounds the time spent on one document.
	DocumentTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.EngagementPatterns == nil {
		o.EngagementPatterns = DefaultEngagementPatterns()
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxDepth, DefaultMaxDepth)
	def(&o.MaxParts, DefaultMaxParts)
	def(&o.MaxMessageBytes, DefaultMaxMessageBytes)
	def(&o.MaxRatio, DefaultMaxRatio)
	def(&o.MaxArchiveEntries, DefaultMaxArchiveEntries)
	def(&o.MaxPDFBytes, DefaultMaxPDFBytes)
	def(&o.MaxPDFPages, DefaultMaxPDFPages)
	def(&o.MaxPDFObjects, DefaultMaxPDFObjects)
	if o.MaxDecompressedBytes <= 0 {
		o.MaxDecompressedBytes = DefaultMaxDecompressed
	}
	if o.DocumentTimeout <= 0 {
		o.DocumentTimeout = DefaultDocumentTimeout
	}
	return o
}

// Address is a mailbox from an address header.
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// Message is what Parse read from an e-mail.
type Message struct {
	MessageID  string   `json:"message_id"` // without angle brackets
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`

	From       Address   `json:"from"`
	ReplyTo    []Address `json:"reply_to,omitempty"`
	To         []Address `json:"to,omitempty"`
	Cc         []Address `json:"cc,omitempty"`
	ReturnPath string    `json:"return_path,omitempty"` // as in the header; "" when absent, "<>" when null
	Subject    string    `json:"subject"`               // decoded
	Date       time.Time `json:"date"`

	// AuthenticationResults is the topmost Authentication-Results field
	// (RFC 8601), the one the receiving server added (at most 1 KiB); the
	// fields below it were written by other servers, possibly a forger's.
	AuthenticationResults string `json:"authentication_results,omitempty"`

	// Automatic is "" for a message written by a person, else the reason
	// (in English) why it is considered automatic, e.g.
	// "Auto-Submitted: auto-replied" or "delivery status notification".
	Automatic string `json:"automatic,omitempty"`

	// BodyText is the first text/plain part (else the first text/html part
	// stripped of its tags), at most 64 KiB.
	BodyText string `json:"body_text,omitempty"`

	// Documents are the attachment-like leaves (PDF, XML, others) in
	// message order, including those of forwarded messages.
	Documents []Document `json:"documents"`

	// Engagements are the engagement-number candidates found in the subject
	// and the body text.
	Engagements []Candidate `json:"engagements,omitempty"`

	Warnings []string `json:"warnings,omitempty"`

	// Limits are the limits this message went over while it was read
	// (MIME parts, nesting, a header section's size): part of it was not
	// read, so a person must look at it, whatever was found.
	Limits []Limit `json:"limits,omitempty"`
}

// Document is one attached (or bare) file.
type Document struct {
	Name        string `json:"name"`         // sanitized file name (no path, no control characters)
	ContentType string `json:"content_type"` // as declared
	Sniffed     string `json:"sniffed"`      // "application/pdf", "application/xml", or the detected type
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"` // hex
	Data        []byte `json:"-"`
	// Text is the visible text of a PDF (pages separated by form feeds),
	// at most 1 MiB; "" for other documents.
	Text string `json:"-"`

	// Format is "facturx" (CII D16B in a PDF), "zugferd1" (ZUGFeRD 1.0 in a
	// PDF or alone), "cii", "ubl", "pdf" (no usable invoice XML), "xml"
	// (XML that is not an invoice) or "other".
	Format    string `json:"format"`
	Profile   string `json:"profile,omitempty"` // "MINIMUM", "BASIC WL", "BASIC", "EN16931", "EXTENDED", "XRECHNUNG", a ZUGFeRD 1.0 level, or the raw BT-24 value
	IsInvoice bool   `json:"is_invoice"`
	Source    string `json:"source,omitempty"` // "xml" or "text" (visible PDF text); "" when there are no fields
	// Kind is what the document is, when it can be told: "invoice",
	// "credit_note", "purchase_order", "delivery_note",
	// "terms_and_conditions", "quote"; "" when unknown.
	Kind    string   `json:"kind,omitempty"`
	Invoice *Invoice `json:"invoice,omitempty"`

	// Candidates are the engagement numbers found in this document
	// (BT-13 → evidence "xml BT-13"; in the visible text → "pdf text").
	Candidates []Candidate `json:"candidates,omitempty"`

	// Problem is what kept the document from being read ("" when it was
	// read), Limit the limit it went over (with ProblemLimit): other
	// packages decide on these, never on Error's words.
	Problem Problem `json:"problem,omitempty"`
	Limit   Limit   `json:"limit,omitempty"`
	// Error is why the document could not be read, as a technical detail
	// in English for operators.
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Invoice holds the fields read from a structured invoice. Amounts are
// decimal strings as written in the document, "" when absent.
type Invoice struct {
	Number    string `json:"number"`
	Type      string `json:"type"`       // "invoice" | "credit_note"
	IssueDate string `json:"issue_date"` // YYYY-MM-DD (as written when it cannot be normalised)
	Currency  string `json:"currency"`

	Seller Party `json:"seller"`
	Buyer  Party `json:"buyer"`

	BuyerReference string `json:"buyer_reference"` // BT-10 (service code)
	OrderReference string `json:"order_reference"` // BT-13 (engagement / purchase order)
	// PrecedingInvoice is the invoice a credit note corrects (BT-25), as
	// read; never the credit note's own number.
	PrecedingInvoice string `json:"preceding_invoice,omitempty"`

	TotalWithoutVAT string `json:"total_without_vat"` // BT-109
	TotalVAT        string `json:"total_vat"`         // BT-110, in the invoice currency
	TotalWithVAT    string `json:"total_with_vat"`    // BT-112
	AmountDue       string `json:"amount_due"`        // BT-115

	IBAN string `json:"iban,omitempty"`
}

// Party is a seller or a buyer.
type Party struct {
	Name     string `json:"name"`
	ID       string `json:"id"`        // legal id (BT-30/BT-47), else global id, else id, as written
	IDScheme string `json:"id_scheme"` // schemeID of ID, "" when none
	SIRET    string `json:"siret"`     // only when a 14-digit Luhn-valid SIRET was found among the party's ids
	VATID    string `json:"vat_id"`
}

// Candidate is a possible engagement number and where it was found.
type Candidate struct {
	Value    string `json:"value"`
	Evidence string `json:"evidence"` // e.g. "xml BT-13", "subject", "body"; several joined by ", "
}
