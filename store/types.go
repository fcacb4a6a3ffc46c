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
	// NotDownloaded is set when the message was too big to download: Raw
	// is then only its envelope as the server gave it (a header block
	// rebuilt from IMAP ENVELOPE), and the message stays in the mailbox.
	// It is data of the row, never read back from the bytes: a header in
	// a message cannot make it pass for one that was not downloaded.
	NotDownloaded *NotDownloaded
}

// NotDownloaded describes a message imapwatch did not download because it
// is bigger than the mailbox's size limit.
type NotDownloaded struct {
	Size        int64        `json:"size"`  // bytes, as the server announced or sent them
	Limit       int64        `json:"limit"` // the limit in force
	Folder      string       `json:"folder"`
	Attachments []Attachment `json:"attachments,omitempty"` // as BODYSTRUCTURE announced them
}

// Attachment is an attachment of a message not downloaded, as the IMAP
// server described it.
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// Filing is a settled message whose IMAP copy has not yet been moved to the
// folder of its Disposition.
type Filing struct {
	MessageID   int64
	UIDValidity uint32
	UID         uint32
	Disposition Disposition
}
