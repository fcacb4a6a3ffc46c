package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantDoc is one document a careful reader sees in a corpus message.
type wantDoc struct {
	name      string
	format    string
	isInvoice bool
	err       string // Document.Error, "" when none
}

// TestCorpusEMLFiles asserts, for every message of the corpus, what a
// careful reader of the file sees: the parse outcome, the warnings that
// justify a degraded reading, and each document (name, format,
// is_invoice, error). count is the number of documents (only the first
// ones are listed for the 330-part message).
func TestCorpusEMLFiles(t *testing.T) {
	dir := corpusDir(t)
	table := []struct {
		file  string
		err   string   // substring of Parse's error, "" for success
		warn  []string // message warnings expected (all of them)
		docs  []wantDoc
		count int
	}{
		// forwarded messages holding only text; both multiparts lack their closing boundary
		{file: "dovecot-malformed__012.eml", warn: []string{"multipart without closing boundary \"1\"", "multipart without closing boundary \"2\""}, docs: nil, count: 0},
		// Content-Type lacks the ';' before boundary: read leniently; the part is declared image/png, named .png (its bytes are text)
		{file: "dovecot-malformed__017.eml", warn: nil, docs: []wantDoc{
			{"image001.png", "unsupported", false, "image: a scanned invoice cannot be read, a PDF is needed"},
		}, count: 1},
		// multipart/related with an unnamed inline PNG shown by the HTML (Content-ID): part of the text, no document
		{file: "dovecot-malformed__020.eml", warn: []string{"multipart without closing boundary \"------------alternative\""}, docs: nil, count: 0},
		// a message/rfc822 part that is not a message: kept as a plain document
		{file: "dovecot-malformed__022.eml", warn: []string{"attached message/rfc822 has no header; kept as a document"}, docs: []wantDoc{
			{"broken.eml", "other", false, ""},
		}, count: 1},
		// text parts in several charsets, no attachment
		{file: "dovecot__005.eml", warn: []string{"multipart without closing boundary \"1\""}, docs: nil, count: 0},
		// multipart/digest: parts default to message/rfc822; the third digest entry carries test.txt
		{file: "dovecot__007.eml", warn: []string{"malformed From header \"Moderator-Address <moderator>\""}, docs: []wantDoc{
			{"test.txt", "other", false, ""},
		}, count: 1},
		// forwarded message with only text alternatives
		{file: "dovecot__008.eml", warn: nil, docs: nil, count: 0},
		// three message/rfc822 attachments holding only text: no document
		{file: "dovecot__015.eml", warn: []string{"multipart without closing boundary \"1N0DHcvl\"", "multipart without closing boundary \"qOqVarFP\"", "header ended by a malformed line"}, docs: nil, count: 0},
		// an image shown inline by the HTML (multipart/related, Content-ID: not a document) + an attached PNG
		{file: "dovecot__019.eml", warn: nil, docs: []wantDoc{
			{"attach2.png", "unsupported", false, "image (image/png): a scanned invoice cannot be read, a PDF is needed"},
		}, count: 1},
		// bounce: automatic, no document
		{file: "mimekit__bounce.eml", warn: nil, docs: nil, count: 0},
		// text only
		{file: "mimekit__japanese.eml", warn: nil, docs: nil, count: 0},
		// fragment 1/3 of a split message: cannot be reassembled from one e-mail (justified warning, no document)
		{file: "mimekit__message-partial.0.eml", warn: []string{"fragment 1 of 3 of a split message (message/partial): not reassembled, its attachments cannot be read"}, docs: nil, count: 0},
		// digest of text messages
		{file: "mimekit__multipart-digest.eml", warn: nil, docs: nil, count: 0},
		// RFC 2060 structure: unnamed octet-stream/gif leaves whose bytes are text
		{file: "mimekit__rfc2060.eml", warn: []string{"multipart without closing boundary \"4.x\""}, docs: []wantDoc{
			{"document-1.bin", "other", false, ""},
			{"document-2.bin", "other", false, ""},
			{"document-3.bin", "other", false, ""},
		}, count: 3},
		// winmail.dat opened: the JPEG and two unnamed 89-byte attachments
		{file: "mimekit__rich-text.eml", warn: nil, docs: []wantDoc{
			{"winmail.dat", "tnef", false, ""},
			{"kitten-playing-with-a-christmas-tree.jpg", "unsupported", false, "image (image/jpeg): a scanned invoice cannot be read, a PDF is needed"},
			{"winmail-2.bin", "other", false, ""},
			{"winmail-3.bin", "other", false, ""},
		}, count: 4},
		// single-part image
		{file: "nodemailer__base64encodedroot.eml", warn: nil, docs: []wantDoc{
			{"screenshot.png", "unsupported", false, "image (image/png): a scanned invoice cannot be read, a PDF is needed"},
		}, count: 1},
		// empty message/rfc822 part: a warning, no document
		{file: "nodemailer__decoderended.eml", warn: []string{"attached message/rfc822 is empty"}, docs: nil, count: 0},
		// DSN: automatic, the returned message has no attachment
		{file: "nodemailer__delivery-status.eml", warn: nil, docs: nil, count: 0},
		// text only
		{file: "nodemailer__mixed.eml", warn: nil, docs: nil, count: 0},
		// text only
		{file: "nodemailer__nested.eml", warn: nil, docs: nil, count: 0},
		// RFC 2231 UTF-8 name with emoji
		{file: "nodemailer__nodemailer.eml", warn: nil, docs: []wantDoc{
			{"image.png", "unsupported", false, "image (image/png): a scanned invoice cannot be read, a PDF is needed"},
			{"nyan cat ✔.gif", "unsupported", false, "image (image/gif): a scanned invoice cannot be read, a PDF is needed"},
			{"notes.txt", "other", false, ""},
		}, count: 3},
		// text only
		{file: "phpmmp__issue116.eml", warn: nil, docs: nil, count: 0},
		// doubly forwarded text
		{file: "phpmmp__issue158d.eml", warn: nil, docs: nil, count: 0},
		// text only
		{file: "phpmmp__issue230.eml", warn: nil, docs: nil, count: 0},
		// declared image/png named .pdf but the body is missing: empty file; the encoded name's line break becomes a space
		{file: "phpmmp__issue250.eml", warn: nil, docs: []wantDoc{
			{"Kontoutskrift for 1506.14.90466 Bedriftskonto.pdf", "other", false, "empty file"},
		}, count: 1},
		// office files are not ZIP archives to open; the forwarded test-localhost.eml repeats the four attachments
		{file: "phpmmp__issue274.eml", warn: nil, docs: []wantDoc{
			{"Hello from SwiftMailer.docx", "unsupported", false, "office document: not readable, a PDF is needed"},
			{"Hello from SwiftMailer.pdf", "pdf", false, ""},
			{"Hello from SwiftMailer.odt", "unsupported", false, "office document: not readable, a PDF is needed"},
			{"Cours-Tutoriels-Serge-Tahé-1568x268.png", "unsupported", false, "image (image/png): a scanned invoice cannot be read, a PDF is needed"},
			{"Hello from SwiftMailer.docx", "unsupported", false, "office document: not readable, a PDF is needed"},
			{"Hello from SwiftMailer.pdf", "pdf", false, ""},
			{"Hello from SwiftMailer.odt", "unsupported", false, "office document: not readable, a PDF is needed"},
			{"Cours-Tutoriels-Serge-Tahé-1568x268.png", "unsupported", false, "image (image/png): a scanned invoice cannot be read, a PDF is needed"},
		}, count: 8},
		// 330 parts: the 200-part limit stops the walk (justified warning)
		{file: "phpmmp__issue408.eml", warn: []string{"more than 200 MIME parts; the rest is ignored"}, docs: []wantDoc{
			{"6294736_18_01042023_1.txt", "other", false, ""},
			{"6294354_349_01042023_2.txt", "other", false, ""},
			{"6294593_702_01042023_3.txt", "other", false, ""},
			{"6295066_782_01042023_4.txt", "other", false, ""},
		}, count: 198},
		// name without extension
		{file: "phpmmp__m0001.eml", warn: nil, docs: []wantDoc{
			{"attach01", "other", false, ""},
		}, count: 1},
		// logo.jpg and background.jpg are shown by the HTML (multipart/related, Content-ID): not documents
		{file: "phpmmp__m0008.eml", warn: nil, docs: []wantDoc{
			{"attachment.txt", "other", false, ""},
		}, count: 1},
		// RFC 2047 name with N°; the 10-byte body is text, not a PDF
		{file: "phpmmp__m0013.eml", warn: nil, docs: []wantDoc{
			{"50032266 CAR 11_MNPA00A01_9PTX_H00 ATT N° 1467829.pdf", "other", false, ""},
		}, count: 1},
		// RFC 2047 name with umlaut
		{file: "phpmmp__m0014.eml", warn: nil, docs: []wantDoc{
			{"HasenundFrösche.txt", "other", false, ""},
		}, count: 1},
		// ks_c_5601-1987 name; the JPEG's base64 is damaged: still an image by its name
		{file: "phpmmp__m0018.eml", warn: []string{"damaged base64 content: unexpected EOF"}, docs: []wantDoc{
			{"사진.JPG", "unsupported", false, "image: a scanned invoice cannot be read, a PDF is needed"},
			{"ATT00001.txt", "other", false, ""},
		}, count: 2},
		// old Word .doc
		{file: "phpmmp__m0024.eml", warn: nil, docs: []wantDoc{
			{"Biodiversité de semaine en semaine.doc", "unsupported", false, "OLE compound document (old Office file or Outlook item): not readable, a PDF is needed"},
		}, count: 1},
		// path traversal neutralised; no body
		{file: "phpmmp__m0027.eml", warn: nil, docs: []wantDoc{
			{"1234.txt", "other", false, "empty file"},
		}, count: 1},
		// 'fi1ename' typo: the name comes from Content-Type; the GIF magic is corrupted
		{file: "stalwart-rfc__002.eml", warn: nil, docs: []wantDoc{
			{"map_of_Argentina.gif", "unsupported", false, "image: a scanned invoice cannot be read, a PDF is needed"},
		}, count: 1},
		// unnamed 1-byte placeholder leaves
		{file: "stalwart-rfc__007.eml", warn: nil, docs: []wantDoc{
			{"document-1.bin", "other", false, ""},
			{"document-2.bin", "other", false, ""},
			{"document-3.bin", "other", false, ""},
			{"document-4.bin", "other", false, ""},
		}, count: 4},
		// base64 message/rfc822 with text only
		{file: "stalwart-rfc__008.eml", warn: nil, docs: nil, count: 0},
	}
	files, _ := filepath.Glob(filepath.Join(dir, "eml", "*.eml"))
	seen := map[string]bool{}
	for _, tt := range table {
		seen[tt.file] = true
		data, err := os.ReadFile(filepath.Join(dir, "eml", tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		m, err := Parse(data, Options{})
		if tt.err != "" || err != nil {
			if err == nil || tt.err == "" || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.file, err, tt.err)
			}
			continue
		}
		if strings.Join(m.Warnings, "|") != strings.Join(tt.warn, "|") {
			t.Errorf("%s: warnings %q, want %q", tt.file, m.Warnings, tt.warn)
		}
		if len(m.Documents) != tt.count {
			t.Errorf("%s: %d documents, want %d", tt.file, len(m.Documents), tt.count)
		}
		for i, w := range tt.docs {
			if i >= len(m.Documents) {
				t.Errorf("%s: document %d %q missing", tt.file, i+1, w.name)
				continue
			}
			d := m.Documents[i]
			if d.Name != w.name || d.Format != w.format || d.IsInvoice != w.isInvoice || d.Error != w.err {
				t.Errorf("%s: document %d = {%q %q %v %q}, want {%q %q %v %q}", tt.file, i+1,
					d.Name, d.Format, d.IsInvoice, d.Error, w.name, w.format, w.isInvoice, w.err)
			}
		}
	}
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s: not in the table", filepath.Base(f))
		}
	}
}

// TestCorpusRawTNEF: a raw winmail.dat stream is not an e-mail (Parse
// says so); read as a file it is opened and its attachments listed.
func TestCorpusRawTNEF(t *testing.T) {
	dir := corpusDir(t)
	for _, tt := range []struct {
		file string
		docs []wantDoc
	}{
		// Checked against Debian's tnef -t: a Word file, a PDF (a
		// newsletter, not an invoice) and an HTML page.
		{"mimekit__MAPI_ATTACH_DATA_OBJ.tnef", []wantDoc{
			{"winmail.dat", FormatTNEF, false, ""},
			{"VIA_Nytt_1402.doc", FormatUnsupported, false, "OLE compound document (old Office file or Outlook item): not readable, a PDF is needed"},
			{"VIA_Nytt_1402.pdf", FormatPDF, false, ""},
			{"VIA_Nytt_14021.htm", FormatOther, false, ""},
		}},
		// Two unnamed attachments (embedded OLE objects).
		{"mimekit__winmail.tnef", []wantDoc{
			{"winmail.dat", FormatTNEF, false, ""},
			{"winmail-1.bin", FormatUnsupported, false, "OLE compound document (old Office file or Outlook item): not readable, a PDF is needed"},
			{"winmail-2.bin", FormatUnsupported, false, "OLE compound document (old Office file or Outlook item): not readable, a PDF is needed"},
		}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, "eml", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data, Options{}); err == nil || !strings.Contains(err.Error(), "no message header found") {
			t.Errorf("%s: Parse error %v, want no message header found", tt.file, err)
		}
		docs := ParseDocuments("winmail.dat", data, Options{})
		if len(docs) != len(tt.docs) {
			t.Errorf("%s: %d documents, want %d", tt.file, len(docs), len(tt.docs))
			continue
		}
		for i, w := range tt.docs {
			d := docs[i]
			if d.Name != w.name || d.Format != w.format || d.IsInvoice != w.isInvoice || d.Error != w.err {
				t.Errorf("%s: document %d = {%q %q %v %q}, want {%q %q %v %q}", tt.file, i+1,
					d.Name, d.Format, d.IsInvoice, d.Error, w.name, w.format, w.isInvoice, w.err)
			}
		}
	}
}

// TestCorpusPDFNoInternalError: every PDF of the corpus without truth
// gives no internal error (a recovered panic); the Factur-X PDFs are
// checked by the accuracy tests, with and without their XML.
func TestCorpusPDFNoInternalError(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "pdf", "*.pdf"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d := ParseDocument(filepath.Base(f), data, Options{}); strings.HasPrefix(d.Error, "internal error") {
			t.Errorf("%s: %s", filepath.Base(f), d.Error)
		}
	}
}
