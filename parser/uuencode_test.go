package parser

import (
	"bytes"
	"strings"
	"testing"
)

// uuencode writes data as a uuencoded block, as the Unix uuencode does.
func uuencode(name string, data []byte) string {
	enc := func(b byte) byte {
		if b == 0 {
			return '`'
		}
		return b + 32
	}
	var b strings.Builder
	b.WriteString("begin 644 " + name + "\n")
	for len(data) > 0 {
		n := min(45, len(data))
		chunk := append([]byte(nil), data[:n]...)
		data = data[n:]
		b.WriteByte(enc(byte(n)))
		for len(chunk)%3 != 0 {
			chunk = append(chunk, 0)
		}
		for i := 0; i < len(chunk); i += 3 {
			c0, c1, c2 := chunk[i], chunk[i+1], chunk[i+2]
			b.WriteByte(enc(c0 >> 2))
			b.WriteByte(enc((c0<<4 | c1>>4) & 63))
			b.WriteByte(enc((c1<<2 | c2>>6) & 63))
			b.WriteByte(enc(c2 & 63))
		}
		b.WriteByte('\n')
	}
	b.WriteString("`\nend\n")
	return b.String()
}

// TestUUEncodedAttachment: an invoice uuencoded in the text of a message
// (old mail programs, some billing systems) is read as a document, and
// leaves the text.
func TestUUEncodedAttachment(t *testing.T) {
	pdf := makePDF(t, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	body := "Bonjour,\r\n\r\nCi-joint notre facture.\r\n\r\n" + strings.ReplaceAll(uuencode("facture FA-2026-0042.pdf", pdf), "\n", "\r\n") + "\r\nCordialement\r\n"
	raw := "From: compta@fournisseur.example\r\nSubject: Facture\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Documents) != 1 || m.Documents[0].Name != "facture FA-2026-0042.pdf" || m.Documents[0].Format != FormatFacturX ||
		!bytes.Equal(m.Documents[0].Data, pdf) {
		t.Fatalf("documents %+v", m.Documents)
	}
	if !strings.Contains(m.BodyText, "Ci-joint notre facture.") || !strings.Contains(m.BodyText, "Cordialement") || strings.Contains(m.BodyText, "begin 644") {
		t.Errorf("body %q", m.BodyText)
	}
	// A "begin" line that is not followed by uuencoding stays text.
	m, _ = Parse([]byte("From: a@b.fr\r\n\r\nbegin 644 is how it starts\r\nnot uuencoded at all ~~~\r\n"), Options{})
	if len(m.Documents) != 0 || !strings.Contains(m.BodyText, "begin 644") {
		t.Errorf("false block: %+v %q", m.Documents, m.BodyText)
	}
}

// TestUUEncodedCutShort: a uuencoded block that decodes, then stops
// without its end line (truncated, or cut by a line that is not
// uuencoding), is a damaged document named as sent, never no document.
func TestUUEncodedCutShort(t *testing.T) {
	pdf := makePDF(t, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	uu := uuencode("FA-2026-0043.pdf", pdf)
	for name, block := range map[string]string{
		"truncated":   uu[:len(uu)/2],
		"interrupted": uu[:len(uu)/2] + "\nCordialement,\n",
	} {
		raw := "From: compta@fournisseur.example\r\nSubject: Facture\r\n\r\nCi-joint.\r\n" + strings.ReplaceAll(block, "\n", "\r\n")
		m, err := Parse([]byte(raw), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Documents) != 1 || m.Documents[0].Name != "FA-2026-0043.pdf" || m.Documents[0].Problem != ProblemDamaged ||
			m.Documents[0].IsInvoice || !strings.Contains(m.Documents[0].Error, "no end line") {
			t.Errorf("%s: documents %+v", name, m.Documents)
		}
	}
}
