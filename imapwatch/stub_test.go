package imapwatch

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/mail"
)

// FuzzEnvelopeMessage feeds hostile envelope values (decoded by the IMAP
// client from whatever the sender wrote) to the envelope writer used for a
// message not downloaded: the result must always be a readable message
// whose headers cannot be injected.
func FuzzEnvelopeMessage(f *testing.F) {
	f.Add("Facture n° 42 – été", "Société Générale", "factures", "sge.example", "gros-42@sge.example", int64(52428800))
	f.Add("a\r\nBcc: victim@example.org", "x\r\nX-Evil: 1", "a", "b.example", "id>\r\nX-Evil: 2", int64(1))
	f.Add("", "", "", "", "", int64(0))
	f.Add(strings.Repeat("é", 2000), "\"quoted\" <name>", "a b", "c", "<x@y>", int64(-1))
	f.Add("\xff\xfe invalid", "=?utf-8?q?encoded?=", "user", "höst.example", "ünïcode@x", int64(7))
	f.Fuzz(func(t *testing.T, subject, name, mbox, host, msgID string, _ int64) {
		env := &imap.Envelope{
			Subject:   subject,
			MessageID: msgID,
			From:      []imap.Address{{Name: name, Mailbox: mbox, Host: host}},
			To:        []imap.Address{{Mailbox: "accueil.comptabilite", Host: "casq.fr"}},
			InReplyTo: []string{msgID},
		}
		raw, err := envelopeMessage(env, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("envelopeMessage: %v", err)
		}
		raw2, _ := envelopeMessage(env, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC))
		if !bytes.Equal(raw, raw2) {
			t.Fatal("envelope message not deterministic")
		}
		r, err := mail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("envelope message unreadable: %v\n%q", err, raw)
		}
		h := r.Header
		for _, k := range []string{"Bcc", "X-Evil", "X-Facteur-Oversize"} {
			if h.Has(k) {
				t.Errorf("header %s injected:\n%q", k, raw)
			}
		}
		if got, _ := h.Subject(); got != cleanText(subject) {
			t.Errorf("Subject = %q, want %q", got, cleanText(subject))
		}
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("envelope message body: %v", err)
		}
		if b, err := io.ReadAll(p.Body); err != nil || len(b) != 0 {
			t.Fatalf("envelope message body: %q %v", b, err)
		}
	})
}
