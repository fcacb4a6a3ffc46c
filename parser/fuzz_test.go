package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds up to n corpus files matching pattern as fuzz seeds. Seeds
// are kept small: the fuzzer minimises every new interesting input, which
// takes long on large ones and leaves little of a short run for fuzzing.
func addSeeds(f *testing.F, pattern string, n int, maxSize int) {
	dir := filepath.Join("..", "..", "shared", "corpus")
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, file := range files {
		if n == 0 {
			return
		}
		if strings.HasSuffix(file, ".truth.json") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil || len(data) > maxSize {
			continue
		}
		f.Add(data)
		n--
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f, "eml/*.eml", 12, 4<<10)
	f.Add(mimeMessage(stdHeader, part{plainPart, "N° d'engagement : 24-00123"},
		part{"Content-Type: message/rfc822", "From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--"}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw, Options{MaxParts: 50, MaxDepth: 10})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if len(m.BodyText) > maxBodyText {
			t.Fatalf("body text of %d bytes", len(m.BodyText))
		}
		for _, d := range m.Documents {
			if strings.HasPrefix(d.Error, "internal error") {
				t.Fatal(d.Error)
			}
			if strings.ContainsAny(d.Name, "/\\\x00") {
				t.Fatalf("unsanitized name %q", d.Name)
			}
		}
	})
}

func fuzzXML(t *testing.T, data []byte) {
	res, err := readInvoiceXML(data)
	if err != nil {
		return
	}
	if res.syntax != syntaxNone && res.invoice == nil {
		t.Fatalf("syntax %q without invoice", res.syntax)
	}
	d := ParseDocument("f.xml", data, Options{})
	if strings.HasPrefix(d.Error, "internal error") {
		t.Fatal(d.Error)
	}
}

func FuzzCII(f *testing.F) {
	addSeeds(f, "cii/*.xml", 6, 8<<10)
	f.Add([]byte(sampleCII))
	f.Fuzz(fuzzXML)
}

func FuzzUBL(f *testing.F) {
	addSeeds(f, "ubl/*.xml", 6, 8<<10)
	f.Fuzz(fuzzXML)
}

func FuzzPDF(f *testing.F) {
	addSeeds(f, "pdf/mustang-cli__corrupt-factur-x-waytoosmall.pdf", 1, 1<<20)
	addSeeds(f, "pdf/horstoeko__pdf_plain.pdf", 1, 1<<20)
	f.Add(makePDF(f, map[string][]byte{"factur-x.xml": []byte(sampleCII)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := pdfEmbeddedFiles(data)
		if err != nil && strings.Contains(err.Error(), "reader failure") {
			// A recovered panic inside pdfcpu: tolerated (the document
			// gets an error), but report it so that it can be looked at.
			t.Logf("recovered: %v", err)
		}
		_ = files
		d := ParseDocument("f.pdf", data, Options{})
		if strings.HasPrefix(d.Error, "internal error") {
			t.Fatal(d.Error)
		}
	})
}
