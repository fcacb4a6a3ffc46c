package parser

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// TestDocumentProblems: every kind of file Facteur cannot read gets its
// typed problem (and, over a limit, which limit), which the router decides
// on; the technical detail stays in Error.
func TestDocumentProblems(t *testing.T) {
	pdf := pdfWithPages(t, 5)
	var locked bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &locked, model.NewAESConfiguration("secret", "owner", 256)); err != nil {
		t.Fatal(err)
	}
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...)
	docx := makeZIP(t, map[string][]byte{"[Content_Types].xml": []byte("<Types/>"), "word/document.xml": []byte("<w/>")})
	many := map[string][]byte{}
	for i := 0; i < 20; i++ {
		many[strings.Repeat("a", i+1)+".txt"] = []byte("x")
	}
	deepXML := strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000)

	for _, tt := range []struct {
		name    string
		data    []byte
		opts    Options
		problem Problem
		limit   Limit
	}{
		{"vide.pdf", nil, Options{}, ProblemEmpty, LimitNone},
		{"tronque.pdf", []byte("%PDF-1.7\n1 0 obj garbage"), Options{}, ProblemDamaged, LimitNone},
		{"protege.pdf", locked.Bytes(), Options{}, ProblemPassword, LimitNone},
		{"photo.jpg", jpeg, Options{}, ProblemImage, LimitNone},
		{"Facture.msg", ole, Options{}, ProblemOffice, LimitNone},
		{"ancien.doc", ole, Options{}, ProblemOffice, LimitNone},
		{"facture.docx", docx, Options{}, ProblemOffice, LimitNone},
		{"casse.zip", []byte("PK\x03\x04garbage"), Options{}, ProblemArchive, LimitNone},
		{"protege.zip", encryptedZIP(t), Options{}, ProblemPassword, LimitNone},
		{"bombe.zip", makeZIP(t, map[string][]byte{"zeros.pdf": make([]byte, 8<<20)}), Options{}, ProblemLimit, LimitDecompressed},
		{"nombreux.zip", makeZIP(t, many), Options{MaxArchiveEntries: 5}, ProblemLimit, LimitEntries},
		{"gros.pdf", pdf, Options{MaxPDFBytes: 100}, ProblemLimit, LimitSize},
		{"pages.pdf", pdf, Options{MaxPDFPages: 2}, ProblemLimit, LimitPages},
		{"objets.pdf", pdf, Options{MaxPDFObjects: 3}, ProblemLimit, LimitObjects},
		{"lent.pdf", pdf, Options{DocumentTimeout: time.Nanosecond}, ProblemLimit, LimitTime},
		{"profond.xml", []byte(deepXML), Options{}, ProblemLimit, LimitObjects},
		{"facture.pdf", pdf, Options{}, ProblemNone, LimitNone},
	} {
		d := ParseDocuments(tt.name, tt.data, tt.opts)[0]
		if d.Problem != tt.problem || d.Limit != tt.limit {
			t.Errorf("%s: problem %q limit %q (error %q), want %q %q", tt.name, d.Problem, d.Limit, d.Error, tt.problem, tt.limit)
		}
		if (d.Problem == ProblemNone) != (d.Error == "") {
			t.Errorf("%s: problem %q with error %q", tt.name, d.Problem, d.Error)
		}
	}
}

// encryptedZIP is a ZIP archive whose one entry has the "encrypted" flag
// (general purpose bit 0), as a password-protected archive has.
func encryptedZIP(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "facture.pdf", Method: zip.Store, Flags: 0x1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("\x8a\x19 ciphertext, not a PDF"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFieldLengthsAreBounded: an invoice whose number is ten thousand
// characters long is a document with a problem, not an invoice.
func TestFieldLengthsAreBounded(t *testing.T) {
	long := strings.Replace(sampleCII, "<ram:ID>FA-2026-0042", "<ram:ID>"+strings.Repeat("9", 10_000), 1)
	d := ParseDocument("facture.xml", []byte(long), Options{})
	if d.IsInvoice || d.Invoice != nil || d.Problem != ProblemLimit || d.Limit != LimitField || !strings.Contains(d.Error, "more than 100") {
		t.Errorf("problem %q limit %q error %q invoice %v", d.Problem, d.Limit, d.Error, d.IsInvoice)
	}
	if d := ParseDocument("facture.xml", []byte(sampleCII), Options{}); !d.IsInvoice || d.Problem != ProblemNone {
		t.Errorf("a normal invoice: %q %q", d.Problem, d.Error)
	}
}
