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

func FuzzUUDecode(f *testing.F) {
	f.Add([]byte("%PDF-1.4 hello"), "begin 644 x\nM\nend\n")
	f.Add([]byte{0, 1, 2, 255}, "begin 666 a b.pdf\r\n#86)C\r\n`\r\nend\r\n")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		// Any text: never a panic, never more files than allowed.
		if _, files := extractUU(text, 3); len(files) > 3 {
			t.Fatalf("%d files", len(files))
		}
		// What uuencode writes comes back intact.
		if len(data) == 0 {
			return
		}
		rest, files := extractUU("avant\n"+uuencode("f.bin", data)+"après\n", 3)
		if len(files) != 1 || !bytes.Equal(files[0].data, data) || files[0].name != "f.bin" || rest != "avant\naprès\n" {
			t.Fatalf("round trip: %d files, rest %q", len(files), rest)
		}
	})
}
