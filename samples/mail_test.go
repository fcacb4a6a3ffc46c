package samples

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

type parsedPart struct {
	inline      bool
	contentType string
	disposition string
	filename    string
	body        []byte
}

func parseMail(t testing.TB, raw []byte) (*mail.Reader, []parsedPart) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("CreateReader: %v", err)
	}
	var parts []parsedPart
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		var pp parsedPart
		pp.body = body
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			pp.inline = true
			pp.contentType, _, _ = h.ContentType()
			pp.disposition, _, _ = h.ContentDisposition()
			ah := mail.AttachmentHeader{Header: h.Header}
			pp.filename, _ = ah.Filename()
		case *mail.AttachmentHeader:
			pp.contentType, _, _ = h.ContentType()
			pp.disposition, _, _ = h.ContentDisposition()
			pp.filename, err = h.Filename()
			if err != nil {
				t.Fatalf("Filename: %v", err)
			}
		}
		parts = append(parts, pp)
	}
	return mr, parts
}

func checkWireFormat(t *testing.T, raw []byte) {
	t.Helper()
	lines := bytes.Split(raw, []byte("\r\n"))
	for i, l := range lines {
		if bytes.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 998 {
			t.Fatalf("line %d is %d bytes long", i+1, len(l))
		}
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Error("message does not end with CRLF")
	}
	// Header lines are ASCII.
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, c := range head {
		if c >= 0x80 {
			t.Fatalf("non-ASCII byte in header: %q", head)
		}
	}
}

func TestMailBytes(t *testing.T) {
	date := time.Date(2026, 11, 2, 9, 41, 7, 0, time.FixedZone("CET", 3600))
	xmlData := CII(testInvoice())
	pdfData := []byte("%PDF-1.7\n" + strings.Repeat("données binaires \x00\xff", 40))
	m := Mail{
		From:      "Émilie Lefèvre <facturation@hydro-services-picardie.example>",
		To:        "Agglomération du Saint-Quentinois <accueil.comptabilite@casq.fr>, compta@casq.fr",
		Subject:   "Facture n° FA-2026-0042 – réseau d'eau potable, engagement EJ-2026-004217 (très long objet pour vérifier le pliage)",
		Body:      "Bonjour,\n\nVeuillez trouver ci-joint notre facture n° FA-2026-0042.\nCordialement,\nÉmilie Lefèvre — Hydro Services Picardie\n",
		MessageID: "fa-2026-0042.1@hydro-services-picardie.example",
		Date:      date,
		Headers:   [][2]string{{"X-Mailer", "Courrielleur 2.1"}, {"Auto-Submitted", "no"}},
		Attachments: []Attachment{
			{Name: "Facture n°42 – été.pdf", ContentType: "application/pdf", Data: pdfData},
			{Name: "factur-x.xml", Data: xmlData},
			{Name: "logo.png", Data: []byte{0x89, 'P', 'N', 'G'}, Inline: true},
		},
	}
	raw := m.Bytes()
	checkWireFormat(t, raw)

	mr, parts := parseMail(t, raw)
	subj, err := mr.Header.Subject()
	if err != nil || subj != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", subj, err, m.Subject)
	}
	from, err := mr.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Émilie Lefèvre" || from[0].Address != "facturation@hydro-services-picardie.example" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := mr.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Agglomération du Saint-Quentinois" || to[1].Address != "compta@casq.fr" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if id, err := mr.Header.MessageID(); err != nil || id != m.MessageID {
		t.Errorf("Message-ID = %q (%v)", id, err)
	}
	if d, err := mr.Header.Date(); err != nil || !d.Equal(date) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if got := mr.Header.Get("X-Mailer"); got != "Courrielleur 2.1" {
		t.Errorf("X-Mailer = %q", got)
	}
	if got := mr.Header.Get("Auto-Submitted"); got != "no" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if got := mr.Header.Get("MIME-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}
	if ct, _, _ := mr.Header.ContentType(); ct != "multipart/mixed" {
		t.Errorf("Content-Type = %q", ct)
	}

	if len(parts) != 4 {
		t.Fatalf("%d parts, want 4", len(parts))
	}
	body := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n")
	if !parts[0].inline || parts[0].contentType != "text/plain" || body != m.Body {
		t.Errorf("text part: inline=%v %s %q", parts[0].inline, parts[0].contentType, body)
	}
	if p := parts[1]; p.filename != "Facture n°42 – été.pdf" || p.contentType != "application/pdf" ||
		p.disposition != "attachment" || !bytes.Equal(p.body, pdfData) {
		t.Errorf("pdf part: %q %q %q, %d bytes", p.filename, p.contentType, p.disposition, len(p.body))
	}
	if p := parts[2]; p.filename != "factur-x.xml" || p.contentType != "application/xml" || !bytes.Equal(p.body, xmlData) {
		t.Errorf("xml part: %q %q, %d bytes", p.filename, p.contentType, len(p.body))
	}
	if p := parts[3]; !p.inline || p.disposition != "inline" || p.filename != "logo.png" || p.contentType != "image/png" {
		t.Errorf("inline part: %q %q %q", p.filename, p.disposition, p.contentType)
	}

	// Wire details: RFC 2047 subject, RFC 2231 name with an ASCII fallback,
	// quoted-printable body, base64 attachments.
	for _, want := range []string{
		"Subject: =?UTF-8?q?",
		`filename="Facture no42 - ete.pdf"`,
		"filename*=UTF-8''Facture%20n%C2%B042%20%E2%80%93%20%C3%A9t%C3%A9.pdf",
		"Content-Transfer-Encoding: quoted-printable",
		"Content-Transfer-Encoding: base64",
		"Message-ID: <fa-2026-0042.1@hydro-services-picardie.example>",
		"Date: Mon, 02 Nov 2026 09:41:07 +0100",
	} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("raw message lacks %q", want)
		}
	}
	if bytes.Contains(raw, []byte(`filename*=UTF-8''factur-x.xml`)) {
		t.Error("RFC 2231 form used for an ASCII name")
	}
}

func TestMailBytesSinglePart(t *testing.T) {
	m := Mail{
		From:    "fournisseur@example.com",
		To:      "accueil.comptabilite@casq.fr",
		Subject: "Relance facture",
		Body:    "Bonjour,\r\nPouvez-vous confirmer la réception ?\r\n",
		Date:    time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC),
	}
	raw := m.Bytes()
	checkWireFormat(t, raw)
	mr, parts := parseMail(t, raw)
	if ct, params, _ := mr.Header.ContentType(); ct != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q %v", ct, params)
	}
	if s, _ := mr.Header.Subject(); s != "Relance facture" || !bytes.Contains(raw, []byte("Subject: Relance facture\r\n")) {
		t.Errorf("Subject = %q", s)
	}
	if len(parts) != 1 || !parts[0].inline {
		t.Fatalf("parts = %+v", parts)
	}
	if got := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n"); got != "Bonjour,\nPouvez-vous confirmer la réception ?\n" {
		t.Errorf("body = %q", got)
	}
	// A Message-ID is generated, on the sender's domain.
	id, err := mr.Header.MessageID()
	if err != nil || !strings.HasSuffix(id, "@example.com") || len(id) < len("@example.com")+8 {
		t.Errorf("generated Message-ID = %q (%v)", id, err)
	}
	if id2, _ := parseMessageID(t, Mail{From: m.From}.Bytes()); id2 == id {
		t.Error("two generated Message-IDs are equal")
	}
}

func parseMessageID(t *testing.T, raw []byte) (string, error) {
	mr, _ := parseMail(t, raw)
	return mr.Header.MessageID()
}

func TestMailHeaderInjection(t *testing.T) {
	m := Mail{
		From:    "a@example.com",
		To:      "b@example.com",
		Subject: "Facture\r\nBcc: victim@example.com",
		Headers: [][2]string{{"X-Test", "x\nBcc: other@example.com"}},
		Body:    "x",
		Date:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	raw := m.Bytes()
	checkWireFormat(t, raw)
	mr, _ := parseMail(t, raw)
	if mr.Header.Has("Bcc") {
		t.Errorf("a Bcc header was injected:\n%s", raw)
	}
}

// FuzzMailRoundTrip checks that any UTF-8 subject, body and file name come
// back unchanged through go-message.
func FuzzMailRoundTrip(f *testing.F) {
	f.Add("Facture n°42 – été", "Bonjour,\nci-joint.\n", "Facture é.pdf", "Émilie Lefèvre")
	f.Add("", "", "a.pdf", "")
	f.Add("x", "0", "a.pdf", "")
	f.Add(strings.Repeat("très long ", 30), "=3D\n.\n", "x\"y\\z;.pdf", "Dupont, \"Jean\"")
	f.Fuzz(func(t *testing.T, subject, body, name, display string) {
		clean := func(s string) string {
			s = strings.ToValidUTF8(s, "")
			return strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f || r == '\ufeff' || r == '\ufffd' {
					return -1
				}
				return r
			}, s)
		}
		subject = strings.Join(strings.Fields(clean(subject)), " ")
		display = strings.Join(strings.Fields(clean(display)), " ")
		name = strings.TrimSpace(clean(name))
		body = strings.ToValidUTF8(strings.ReplaceAll(body, "\r", ""), "")
		if name == "" {
			name = "facture.pdf"
		}
		m := Mail{
			From:        (&mailAddress{display, "fournisseur@example.com"}).String(),
			To:          "accueil.comptabilite@casq.fr",
			Subject:     subject,
			Body:        body,
			Date:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Attachments: []Attachment{{Name: name, Data: []byte(body)}},
		}
		raw := m.Bytes()
		mr, parts := parseMail(t, raw)
		if got, _ := mr.Header.Subject(); got != subject {
			t.Errorf("subject %q → %q", subject, got)
		}
		if len(parts) != 2 {
			t.Fatalf("%d parts", len(parts))
		}
		if got := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n"); got != body {
			t.Errorf("body %q → %q", body, got)
		}
		if parts[1].filename != name {
			t.Errorf("file name %q → %q", name, parts[1].filename)
		}
		if display != "" {
			from, err := mr.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != display {
				t.Errorf("display name %q → %v (%v)", display, from, err)
			}
		}
	})
}
