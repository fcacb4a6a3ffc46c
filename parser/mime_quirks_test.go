package parser

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// TestMIMEQuirks covers the structures found in the corpus messages,
// with hand-built inputs (the corpus may be absent).
func TestMIMEQuirks(t *testing.T) {
	docNames := func(m *Message) []string {
		var out []string
		for _, d := range m.Documents {
			out = append(out, d.Name+":"+d.Format)
		}
		return out
	}
	// multipart/digest: each entry is a message/rfc822 by default and
	// starts with an empty MIME header.
	digest := "From: a@b\nContent-Type: multipart/digest; boundary=1\n\n--1\n\nFrom: x@y\nSubject: s\n\nhello\n--1\n\n" +
		"From: z@y\nContent-Type: multipart/mixed; boundary=2\n\n--2\nContent-Type: application/octet-stream; name=\"t.txt\"\n\nFoo\n--2--\n--1--\n"
	m, err := Parse([]byte(digest), Options{})
	if err != nil || strings.Join(docNames(m), ",") != "t.txt:other" || len(m.Warnings) != 0 {
		t.Errorf("digest: %v %q %q", err, docNames(m), m.Warnings)
	}
	// A Content-Type missing its ';' before the boundary.
	noSemi := "From: a@b\nContent-Type: multipart/mixed\n\tboundary=\"b\"\n\n--b\nContent-Type: image/png\nContent-Disposition: ;\n filename=\"i.png\"\n\nxx\n--b--\n"
	if m, err := Parse([]byte(noSemi), Options{}); err != nil || strings.Join(docNames(m), ",") != "i.png:unsupported" {
		t.Errorf("missing semicolon: %v %q", err, docNames(m))
	}
	// message/partial: a warning, nothing read.
	partial := "From: a@b\nContent-Type: message/partial; id=\"x\"; number=2; total=3\n\nabc\n"
	if m, err := Parse([]byte(partial), Options{}); err != nil || len(m.Documents) != 0 || !containsPrefix(m.Warnings, "fragment 2 of 3 of a split message") {
		t.Errorf("partial: %v %q %q", err, docNames(m), m.Warnings)
	}
	// An empty forwarded message: a warning, no document.
	empty := "From: a@b\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n--b--\n"
	if m, err := Parse([]byte(empty), Options{}); err != nil || len(m.Documents) != 0 || !contains(m.Warnings, "attached message/rfc822 is empty") {
		t.Errorf("empty rfc822: %v %q %q", err, docNames(m), m.Warnings)
	}
	// A name folded over two lines keeps a space.
	if got := sanitizeName("Kontoutskrift 90466\nBedriftskonto.pdf"); got != "Kontoutskrift 90466 Bedriftskonto.pdf" {
		t.Errorf("folded name: %q", got)
	}
}

// TestOfficeZIP: a .docx or .odt is an office document to refuse, not an
// archive to open; a plain ZIP still is opened.
func TestOfficeZIP(t *testing.T) {
	mk := func(names ...string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, _ := zw.Create(n)
			w.Write([]byte("<x/>"))
		}
		zw.Close()
		return buf.Bytes()
	}
	for _, tt := range []struct {
		name string
		data []byte
		want string
		n    int
	}{
		{"a.docx", mk("[Content_Types].xml", "word/document.xml"), FormatUnsupported, 1},
		{"renamed.zip", mk("[Content_Types].xml", "word/document.xml"), FormatUnsupported, 1},
		{"b.odt", mk("mimetype", "content.xml"), FormatUnsupported, 1},
		{"factures.zip", mk("f1.xml", "f2.xml"), FormatZIP, 3},
	} {
		docs := ParseDocuments(tt.name, tt.data, Options{})
		if len(docs) != tt.n || docs[0].Format != tt.want {
			t.Errorf("%s: %d documents, format %q %q", tt.name, len(docs), docs[0].Format, docs[0].Error)
		}
	}
}

func TestOfficeZIPSingle(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte("<Types/>"))
	zw.Close()
	if d := ParseDocument("x.docx", buf.Bytes(), Options{}); d.Format != FormatUnsupported || d.Error == "" || len(d.Warnings) != 0 {
		t.Errorf("docx: %q %q %q", d.Format, d.Error, d.Warnings)
	}
}

func TestLenientMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"multipart/mixed\r\n\tboundary=\"b\"": "multipart/mixed b",
		"  text/plain ; charset=utf-8":        "text/plain ",
		"text/plain charset=utf-8; x=1":       "text/plain ",
		"not a type; boundary=b":              " b",
	} {
		typ, params := lenientMediaType(in)
		if got := typ + " " + params["boundary"]; got != want {
			t.Errorf("lenientMediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRelatedImages: a logo shown by the HTML body (multipart/related,
// Content-ID) is part of the text, not a document; a picture attached in
// the same structure, or one without Content-ID, stays a document.
func TestRelatedImages(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	msg := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
		"--m\r\nContent-Type: multipart/related; boundary=r; type=\"text/html\"\r\n\r\n" +
		"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour</p><img src=\"cid:logo@x\"><img src=\"cid:scan@x\">\r\n" +
		"--r\r\nContent-Type: image/png; name=\"image001.png\"\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename=\"image001.png\"\r\n\r\n" + png + "\r\n" +
		"--r\r\nContent-Type: image/jpeg; name=\"scan.jpg\"\r\nContent-ID: <scan@x>\r\nContent-Disposition: attachment; filename=\"scan.jpg\"\r\n\r\n\xff\xd8\xff\xe0\r\n" +
		"--r\r\nContent-Type: image/png; name=\"nocid.png\"\r\n\r\n" + png + "\r\n" +
		"--r--\r\n" +
		"--m\r\nContent-Type: image/png; name=\"photo.png\"\r\nContent-ID: <photo@x>\r\n\r\n" + png + "\r\n" +
		"--m--\r\n"
	m, err := Parse([]byte(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range m.Documents {
		names = append(names, d.Name)
	}
	if got := strings.Join(names, ","); got != "scan.jpg,nocid.png,photo.png" {
		t.Errorf("documents %q, want scan.jpg,nocid.png,photo.png", got)
	}
	if m.BodyText != "Bonjour" {
		t.Errorf("body %q", m.BodyText)
	}
	// A big picture pasted in the text may be a scanned invoice: kept.
	scan := "From: a@b.fr\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/html\r\n\r\n<p>Voici la facture</p><img src=\"cid:s@x\">\r\n" +
		"--r\r\nContent-Type: image/jpeg\r\nContent-ID: <s@x>\r\n\r\n\xff\xd8\xff\xe0" + strings.Repeat("x", 200<<10) + "\r\n--r--\r\n"
	if m, err := Parse([]byte(scan), Options{}); err != nil || len(m.Documents) != 1 || m.Documents[0].Format != FormatUnsupported {
		t.Errorf("pasted scan: %v %+v", err, m.Documents)
	}
	// The start parameter names the root: the first part is then a resource.
	started := "From: a@b.fr\r\nContent-Type: multipart/related; boundary=r; start=\"<root@x>\"\r\n\r\n" +
		"--r\r\nContent-Type: image/gif\r\nContent-ID: <pic@x>\r\n\r\nGIF89a\r\n" +
		"--r\r\nContent-Type: text/html\r\nContent-ID: <root@x>\r\n\r\n<p>Texte</p>\r\n--r--\r\n"
	if m, err := Parse([]byte(started), Options{}); err != nil || len(m.Documents) != 0 || m.BodyText != "Texte" {
		t.Errorf("start parameter: %v %d documents, body %q", err, len(m.Documents), m.BodyText)
	}
}

// TestSignedMessage: the signature part of a multipart/signed message
// (RFC 1847) is not a document; the signed content is read.
func TestSignedMessage(t *testing.T) {
	msg := "From: a@b.fr\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n" +
		"--s\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
		"--m\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n" +
		"--m\r\nContent-Type: application/xml; name=\"f.xml\"\r\n\r\n<a/>\r\n--m--\r\n" +
		"--s\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\nMIAGCSqG\r\n--s--\r\n"
	m, err := Parse([]byte(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Documents) != 1 || m.Documents[0].Name != "f.xml" || m.BodyText != "Bonjour" {
		t.Errorf("documents %+v, body %q", m.Documents, m.BodyText)
	}
}

// TestEightBitHeaders: raw Latin-1 in a header (older clients) reads as
// Windows-1252, so that "N° d'engagement" in a subject is found; valid
// UTF-8 next to it is kept.
func TestEightBitHeaders(t *testing.T) {
	msg := "From: Fran\xe7ois <f@b.fr>\r\nSubject: =?utf-8?q?Facture_=C3=A9t=C3=A9?= n\xb0 12 - N\xb0 d'engagement : EJ-2026-77\r\n" +
		"Content-Type: application/pdf; name=\"r\xe9sum\xe9.pdf\"\r\n\r\n%PDF-1.4\r\n"
	m, err := Parse([]byte(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Facture été n° 12 - N° d'engagement : EJ-2026-77" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.Engagements) != 1 || m.Engagements[0].Value != "EJ-2026-77" {
		t.Errorf("engagements %+v", m.Engagements)
	}
	if len(m.Documents) != 1 || m.Documents[0].Name != "résumé.pdf" {
		t.Errorf("documents %+v", m.Documents)
	}
	if m.From.Name != "François" {
		t.Errorf("from %+v", m.From)
	}
}
