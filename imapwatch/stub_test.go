package imapwatch

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/mail"
)

// FuzzOversizeStub feeds hostile envelope values (decoded by the IMAP
// client from whatever the sender wrote) to the stub builder: the stub must
// always be a readable message whose headers cannot be injected.
func FuzzOversizeStub(f *testing.F) {
	f.Add("Facture n° 42 – été", "Société Générale", "factures", "sge.example", "gros-42@sge.example", int64(52428800))
	f.Add("a\r\nBcc: victim@example.org", "x\r\nX-Evil: 1", "a", "b.example", "id>\r\nX-Evil: 2", int64(1))
	f.Add("", "", "", "", "", int64(0))
	f.Add(strings.Repeat("é", 2000), "\"quoted\" <name>", "a b", "c", "<x@y>", int64(-1))
	f.Add("\xff\xfe invalid", "=?utf-8?q?encoded?=", "user", "höst.example", "ünïcode@x", int64(7))
	f.Fuzz(func(t *testing.T, subject, name, mbox, host, msgID string, size int64) {
		env := &imap.Envelope{
			Subject:   subject,
			MessageID: msgID,
			From:      []imap.Address{{Name: name, Mailbox: mbox, Host: host}},
			To:        []imap.Address{{Mailbox: "accueil.comptabilite", Host: "casq.fr"}},
			InReplyTo: []string{msgID},
		}
		raw, err := oversizeStub(env, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), size, 1024, "INBOX", nil)
		if err != nil {
			t.Fatalf("oversizeStub: %v", err)
		}
		raw2, _ := oversizeStub(env, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), size, 1024, "INBOX", nil)
		if !bytes.Equal(raw, raw2) {
			t.Fatal("stub not deterministic")
		}
		r, err := mail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("stub unreadable: %v\n%q", err, raw)
		}
		h := r.Header
		if got := h.Get("X-Facteur-Oversize"); got != strconv.FormatInt(size, 10) {
			t.Errorf("X-Facteur-Oversize = %q, want %d", got, size)
		}
		for _, k := range []string{"Bcc", "X-Evil"} {
			if h.Has(k) {
				t.Errorf("header %s injected:\n%q", k, raw)
			}
		}
		if got, _ := h.Subject(); got != cleanText(subject) {
			t.Errorf("Subject = %q, want %q", got, cleanText(subject))
		}
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("stub body: %v", err)
		}
		if _, err := io.ReadAll(p.Body); err != nil {
			t.Fatalf("stub body: %v", err)
		}
	})
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1\u202f000", 41943040: "41\u202f943\u202f040", -1234: "-1\u202f234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
