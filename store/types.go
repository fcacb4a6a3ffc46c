package store

// Disposition says which IMAP folder a settled message is filed into.
type Disposition string

// The dispositions of a settled message.
const (
	// DispositionProcessed: the message led to a durable outcome (deposited, answered).
	DispositionProcessed Disposition = "processed"
	// DispositionReview: finance staff must look at the message.
	DispositionReview Disposition = "review"
	// DispositionIgnored: not an invoice, or an automatic message.
	DispositionIgnored Disposition = "ignored"
)

// Incoming is a raw message fetched from an IMAP mailbox, identified by
// (Mailbox, UIDValidity, UID).
type Incoming struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Raw         []byte
}

// Filing is a settled message whose IMAP copy has not yet been moved to the
// folder of its Disposition.
type Filing struct {
	MessageID   int64
	UIDValidity uint32
	UID         uint32
	Disposition Disposition
}
