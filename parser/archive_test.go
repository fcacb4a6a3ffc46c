package parser

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func makeZIP(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZIPAttachment(t *testing.T) {
	pdf := makePDF(t, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	deepest := makeZIP(t, map[string][]byte{"deepest.pdf": pdf})
	inner := makeZIP(t, map[string][]byte{"deep.pdf": pdf, "deeper.zip": deepest})
	z := makeZIP(t, map[string][]byte{"../../etc/Facture été.pdf": pdf, "nested.zip": inner})
	raw := mimeMessage(stdHeader, part{plainPart, "ci-joint"},
		part{"Content-Type: application/zip; name=\"factures.zip\"\r\nContent-Transfer-Encoding: base64", b64(z)})
	m := mustParse(t, raw)
	var names []string
	for _, d := range m.Documents {
		names = append(names, d.Name+":"+d.Format)
	}
	got := strings.Join(names, " ")
	// Two levels are opened (an Outlook winmail.dat holding a ZIP, a ZIP
	// in a ZIP); a third is a document with a problem, never skipped.
	for _, want := range []string{"factures.zip:zip", "Facture été.pdf:facturx", "nested.zip:zip", "deep.pdf:facturx", "deeper.zip:zip"} {
		if !strings.Contains(got, want) {
			t.Errorf("documents %s, want %s", got, want)
		}
	}
	if strings.Contains(got, "deepest.pdf") {
		t.Errorf("a third level opened: %s", got)
	}
	for _, d := range m.Documents {
		if d.Name == "deeper.zip" && (d.Problem != ProblemLimit || d.Limit != LimitDepth) {
			t.Errorf("the archive not opened has no problem: %q %q", d.Problem, d.Limit)
		}
	}
}

func TestZIPBomb(t *testing.T) {
	z := makeZIP(t, map[string][]byte{"zeros.pdf": make([]byte, 8<<20)})
	docs := ParseDocuments("bomb.zip", z, Options{})
	if len(docs) != 1 || !strings.Contains(docs[0].Error, "expands beyond the limits") {
		t.Errorf("bomb: %d documents, error %q", len(docs), docs[0].Error)
	}
	many := map[string][]byte{}
	for i := 0; i < 20; i++ {
		many[strings.Repeat("a", i+1)+".txt"] = []byte("x")
	}
	docs = ParseDocuments("many.zip", makeZIP(t, many), Options{MaxArchiveEntries: 5})
	if len(docs) != 6 || !strings.Contains(docs[0].Error, "more than 5 files") {
		t.Errorf("entries: %d documents, error %q", len(docs), docs[0].Error)
	}
	if d := ParseDocuments("broken.zip", []byte("PK\x03\x04garbage"), Options{}); d[0].Error == "" {
		t.Errorf("broken zip: no error")
	}
}

func TestTNEFAttachment(t *testing.T) {
	dir := corpusDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "eml", "mimekit__MAPI_ATTACH_DATA_OBJ.tnef"))
	if err != nil {
		t.Fatal(err)
	}
	raw := mimeMessage(stdHeader, part{"Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64", b64(data)})
	m := mustParse(t, raw)
	var names []string
	for _, d := range m.Documents {
		names = append(names, d.Name+":"+d.Format)
	}
	want := "winmail.dat:tnef VIA_Nytt_1402.doc:unsupported VIA_Nytt_1402.pdf:pdf VIA_Nytt_14021.htm:other"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("documents %q, want %q", got, want)
	}
}

func TestUnsupportedDocuments(t *testing.T) {
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...)
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"Facture.msg", ole, "Outlook .msg"},
		{"scan.jpg", jpeg, "image"},
	} {
		d := ParseDocument(tt.name, tt.data, Options{})
		if d.Format != FormatUnsupported || !strings.Contains(d.Error, tt.want) {
			t.Errorf("%s: format %q error %q", tt.name, d.Format, d.Error)
		}
	}
}

func TestHostileNames(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":        "passwd",
		`C:\Windows\evil.pdf`:     "evil.pdf",
		"facture\x00.pdf":         "facture.pdf",
		"fac\u202eture\u202c.pdf": "facture.pdf",
		"a\r\nBcc: x@y.pdf":       "a Bcc: x@y.pdf", // line break → one space
		"...":                     "",
		strings.Repeat("é", 300):  strings.Repeat("é", 100),
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCorpusWinmail: the winmail.dat of mimekit's rich-text.eml holds a
// JPEG and two unnamed attachments (as Debian's tnef -t lists them).
func TestCorpusWinmail(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir(t), "eml", "mimekit__rich-text.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, data)
	var names []string
	for _, d := range m.Documents {
		names = append(names, d.Name+":"+d.Format)
	}
	want := "winmail.dat:tnef kitten-playing-with-a-christmas-tree.jpg:unsupported winmail-2.bin:other winmail-3.bin:other"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("documents %q, want %q", got, want)
	}
}
