package notifier

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// Kind is the kind of reply: what the supplier is told.
// EngagementExample is the number shown as an example in the request for
// an engagement number; a supplier's answer quoting it does not give it.
const EngagementExample = "2026-000123"

type Kind string

const (
	// KindConfirmation: the invoice was deposited on Chorus Pro.
	KindConfirmation Kind = "confirmation"
	// KindNeedEngagement: the invoice has no engagement number; please send it.
	KindNeedEngagement Kind = "need_engagement"
	// KindNeedInvoice: no usable invoice was found in the message.
	KindNeedInvoice Kind = "need_invoice"
	// KindRejected: Chorus Pro refused the deposit.
	KindRejected Kind = "rejected"
	// KindGuide: Facteur cannot deposit the invoice; here is what to enter
	// on Chorus Pro to deposit it yourself.
	KindGuide Kind = "guide"
	// KindNeedBudget: which of our budgets is the invoice for? (or: it
	// names another buyer; please send it corrected).
	KindNeedBudget Kind = "need_budget"
	// KindAlreadyReceived: the invoice sent again was already received
	// (and deposited): nothing more to do.
	KindAlreadyReceived Kind = "already_received"
	// KindBankCheck: the invoice asks to be paid to other bank details
	// than the supplier's earlier invoices: they will be checked with the
	// supplier through its usual contact before anything is done.
	KindBankCheck Kind = "bank_check"
	// KindStatus: where an invoice the supplier asks about stands.
	KindStatus Kind = "status"
	// KindDailySummary: the replies to an address over the daily limit
	// were held back; the next day, one summary tells where each of its
	// invoices of that day stands.
	KindDailySummary Kind = "daily_summary"
	// KindStatusUnknown: the invoice the supplier asks about is not known
	// to us; how to follow or send it.
	KindStatusUnknown Kind = "status_unknown"
)

// Budget is one of the public body's budgets, as a reply lists it.
type Budget struct{ Name, SIRET string }

// Reply is everything a reply says. Empty fields are left out of the text.
type Reply struct {
	Kind         Kind
	CaseRef      string // "FAC-2026-000123"; required: it goes in the subject and the Message-ID
	Organisation string // "Agglomération du Saint-Quentinois"
	// Department signs the reply; "" → DefaultDepartment
	// ("Direction des Finances et de l'Achat Public").
	Department string

	From netmail.Address // header From; its domain names the Message-ID
	To   netmail.Address // the supplier
	Bcc  []string        // envelope-only copies (finance staff): never written in the headers

	OriginalMessageID  string   // without angle brackets
	OriginalReferences []string // without angle brackets
	OriginalSubject    string

	InvoiceNumber, InvoiceDate, SupplierName, AmountWithVAT, Currency string
	BudgetName, RecipientSIRET, Engagement                            string
	FlowNumber, DepositDate                                           string
	Reason                                                            string // French, for KindRejected / KindNeedInvoice details

	// For KindGuide: the service code to enter (when known), and whether
	// the recipient demands an engagement number or a service code.
	ServiceCode                         string
	EngagementRequired, ServiceRequired bool
	ServiceChoices                      []string // the recipient's active service codes, when one must be chosen

	// CreditNote: the document is a credit note (an avoir), and the reply
	// says so.
	CreditNote bool

	// For KindNeedEngagement: whether the supplier's answer giving the
	// number is enough for us to deposit the invoice (else a corrected
	// invoice carrying it is asked for). Decided before writing: the
	// reply promises only what will happen.
	AnswerDeposits bool

	// For KindNeedBudget: our budgets, and the buyer the invoice names
	// when it is none of them.
	Budgets                     []Budget
	OtherBuyer, OtherBuyerSIRET string

	// For KindAlreadyReceived: the case the invoice was first received
	// under, when, and where it stands (French, e.g. "intégrée par le
	// destinataire").
	PriorRef, PriorReceived, PriorStatus string

	// For KindStatus: where the invoice stands, in the supplier's words
	// (StatusText), and the Chorus Pro status as it was last read
	// (Lifecycle, e.g. "MISE_EN_PAIEMENT"). For KindStatusUnknown:
	// Asked is what the supplier asked about (a number, a reference).
	StatusText, Lifecycle, Asked string

	// For KindDailySummary: the day summarised (YYYY-MM-DD), the daily
	// limit that held replies back, and the invoices of that day. CaseRef
	// names the summary itself.
	SummaryDay   string
	SummaryLimit int
	Summary      []SummaryLine
}

// SummaryLine is one invoice in a daily summary.
type SummaryLine struct {
	CaseRef, InvoiceNumber, AmountWithVAT, Currency string
	// Status says where it stands, in the supplier's words.
	Status string
}

// maxSummaryLines bounds the invoices listed in one summary; the rest are
// counted.
const maxSummaryLines = 200

// Recipients returns the envelope recipients of the reply: To, then each
// Bcc address, blanks and repeats (compared case-insensitively) left out.
func (r Reply) Recipients() []string {
	var rcpt []string
	seen := make(map[string]bool)
	for _, a := range append([]string{r.To.Address}, r.Bcc...) {
		a = strings.TrimSpace(a)
		if a == "" || seen[strings.ToLower(a)] {
			continue
		}
		seen[strings.ToLower(a)] = true
		rcpt = append(rcpt, a)
	}
	return rcpt
}

// maxReferences bounds the References field (RFC 5322 §3.6.4 lets a
// responder trim it; the first and last ids matter most to threading, the
// last ones to us).
const maxReferences = 10

var caseRefRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Compose writes the reply r as a complete RFC 5322 message with CRLF line
// endings: a multipart/alternative body with a text/plain and a text/html part
// (UTF-8, quoted-printable), in French. It returns the message and its
// Message-ID (without angle brackets), "<CaseRef>.<16 hex digits>@<domain of
// From>". now is the Date of the message (the zero time means time.Now()).
func Compose(r Reply, now time.Time) (raw []byte, messageID string, err error) {
	if !caseRefRE.MatchString(r.CaseRef) {
		return nil, "", fmt.Errorf("notifier: compose: invalid case reference %q", r.CaseRef)
	}
	domain, err := checkAddress("from", r.From.Address)
	if err != nil {
		return nil, "", err
	}
	if _, err := checkAddress("to", r.To.Address); err != nil {
		return nil, "", err
	}
	l, err := newLetter(r)
	if err != nil {
		return nil, "", err
	}
	if now.IsZero() {
		now = time.Now()
	}

	nonce, err := randomHex(8)
	if err != nil {
		return nil, "", err
	}
	messageID = r.CaseRef + "." + nonce + "@" + domain

	from := r.From
	from.Name = clean(from.Name, maxName)
	if from.Name == "" {
		from.Name = clean(r.Organisation, maxName)
	}
	to := r.To
	to.Name = clean(to.Name, maxName)

	// Format each value (RFC 2047 words short enough for go-message to fold
	// the field at 76 characters, RFC 5322 date, msg-id lists), then add the
	// fields in a readable order.
	var f mail.Header
	f.Set("From", formatAddress(from))
	f.Set("To", formatAddress(to))
	f.Set("Subject", encodeText(l.Subject))
	f.SetDate(now)
	f.SetMessageID(messageID)
	inReplyTo := ""
	if validMsgID(strings.Trim(strings.TrimSpace(r.OriginalMessageID), "<>")) {
		inReplyTo = strings.Trim(strings.TrimSpace(r.OriginalMessageID), "<>")
		f.SetMsgIDList("In-Reply-To", []string{inReplyTo})
	}
	f.SetMsgIDList("References", references(r.OriginalReferences, inReplyTo))

	htmlBody, err := l.html()
	if err != nil {
		return nil, "", err
	}
	raw, err = assemble([][2]string{
		{"From", f.Get("From")},
		{"To", f.Get("To")},
		{"Subject", f.Get("Subject")},
		{"Date", f.Get("Date")},
		{"Message-Id", f.Get("Message-Id")},
		{"In-Reply-To", f.Get("In-Reply-To")},
		{"References", f.Get("References")},
		{"Auto-Submitted", "auto-replied"},
		{"X-Auto-Response-Suppress", "All"},
	}, l.text(), htmlBody)
	if err != nil {
		return nil, "", err
	}
	return raw, messageID, nil
}

// assemble writes a French multipart/alternative message: the given header
// fields (empty ones left out), then the text and HTML parts (UTF-8,
// quoted-printable), CRLF line endings.
func assemble(fields [][2]string, text, html []byte) ([]byte, error) {
	boundary, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	fields = append(fields,
		[2]string{"Content-Language", "fr"},
		[2]string{"MIME-Version", "1.0"},
		[2]string{"Content-Type", `multipart/alternative; boundary="facteur-` + boundary + `"`},
	)
	// go-message writes fields in the reverse order of their addition.
	var h message.Header
	for i := len(fields) - 1; i >= 0; i-- {
		if fields[i][1] != "" {
			h.Add(fields[i][0], fields[i][1])
		}
	}
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("notifier: compose: %w", err)
	}
	for _, p := range []struct {
		ctype string
		body  []byte
	}{
		{"text/plain", text},
		{"text/html", html},
	} {
		var ph message.Header
		ph.SetContentType(p.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("notifier: compose %s part: %w", p.ctype, err)
		}
		if _, err := pw.Write(p.body); err != nil {
			return nil, fmt.Errorf("notifier: compose %s part: %w", p.ctype, err)
		}
		if err := pw.Close(); err != nil {
			return nil, fmt.Errorf("notifier: compose %s part: %w", p.ctype, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("notifier: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// references returns the References list of a reply: the original's
// references followed by the original's Message-ID, invalid and repeated ids
// dropped, bounded to the last maxReferences.
func references(orig []string, inReplyTo string) []string {
	var refs []string
	seen := make(map[string]bool)
	for _, id := range append(append([]string(nil), orig...), inReplyTo) {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		if !validMsgID(id) || seen[id] {
			continue
		}
		seen[id] = true
		refs = append(refs, id)
	}
	if len(refs) > maxReferences {
		refs = refs[len(refs)-maxReferences:]
	}
	return refs
}

// validMsgID reports whether id (without angle brackets) is an ASCII RFC 5322
// msg-id: dot-atom-text "@" (dot-atom-text or no-fold-literal).
func validMsgID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	left, right, ok := strings.Cut(id, "@")
	if !ok || !isDotAtom(left) {
		return false
	}
	if strings.HasPrefix(right, "[") && strings.HasSuffix(right, "]") && len(right) >= 2 {
		for i := 1; i < len(right)-1; i++ {
			c := right[i]
			if c < '!' || c > '~' || c == '[' || c == ']' || c == '\\' {
				return false
			}
		}
		return true
	}
	return isDotAtom(right)
}

func isDotAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return false
		}
	}
	return true
}

var domainRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// checkAddress checks that addr is a bare, ASCII addr-spec and returns its
// domain.
// CheckRecipient reports whether a reply can be addressed to addr: a bare
// address whose domain is an ASCII host name (what Compose requires).
func CheckRecipient(addr string) error {
	_, err := checkAddress("to", addr)
	return err
}

func checkAddress(what, addr string) (string, error) {
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return "", fmt.Errorf("notifier: compose: invalid %s address %q", what, addr)
	}
	i := strings.LastIndexByte(addr, '@')
	domain := addr[i+1:]
	if i <= 0 || !domainRE.MatchString(domain) {
		return "", fmt.Errorf("notifier: compose: invalid %s address %q: domain must be an ASCII host name", what, addr)
	}
	return domain, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("notifier: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// maxWordText bounds the encoded text of one RFC 2047 encoded-word, so that
// "=?utf-8?q?" + text + "?=" after a field name stays within the 76
// characters RFC 2047 §2 allows on a line holding encoded-words.
const maxWordText = 48

// encodeText encodes an unstructured header value (a Subject): unchanged when
// it is printable ASCII, else as a run of short Q encoded-words separated by
// spaces, which the header writer can fold between. Decoders ignore the
// spaces between adjacent encoded-words (RFC 2047 §6.2).
func encodeText(s string) string {
	if isPrintableASCII(s) {
		return s
	}
	return encodeWords(s)
}

// encodeWords encodes s as Q encoded-words, never splitting a character.
// Only letters, digits and "!*+-/" stay literal, which is safe in both
// unstructured text and phrases (RFC 2047 §5).
func encodeWords(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var words []string
	var cur strings.Builder
	var enc strings.Builder
	for _, r := range s {
		enc.Reset()
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
				c == '!', c == '*', c == '+', c == '-', c == '/':
				enc.WriteByte(c)
			default:
				enc.WriteByte('=')
				enc.WriteByte(hexdigits[c>>4])
				enc.WriteByte(hexdigits[c&0x0f])
			}
		}
		if cur.Len() > 0 && cur.Len()+enc.Len() > maxWordText {
			words = append(words, "=?utf-8?q?"+cur.String()+"?=")
			cur.Reset()
		}
		cur.WriteString(enc.String())
	}
	if cur.Len() > 0 {
		words = append(words, "=?utf-8?q?"+cur.String()+"?=")
	}
	return strings.Join(words, " ")
}

// formatAddress writes a name-addr: the display name quoted by net/mail when
// it is ASCII, else RFC 2047-encoded in short words.
func formatAddress(a netmail.Address) string {
	if a.Name == "" || isPrintableASCII(a.Name) {
		return a.String()
	}
	return encodeWords(a.Name) + " <" + a.Address + ">"
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
