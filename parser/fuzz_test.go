package parser

import (
	"math/big"
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
	// Corpus quirks: digest entries with an empty header, a Content-Type
	// without its ';', a message/partial fragment, an empty rfc822 part.
	f.Add([]byte("From: a@b\nContent-Type: multipart/digest; boundary=1\n\n--1\n\nFrom: x@y\n\nhi\n--1--\n"))
	f.Add([]byte("From: a@b\nContent-Type: multipart/mixed\n\tboundary=\"b\"\n\n--b\nContent-Disposition: ;\n filename=\"i.png\"\n\nxx\n--b--\n"))
	f.Add([]byte("From: a@b\nContent-Type: message/partial; id=x; number=1; total=2\n\nFrom: c@d\n\nabc"))
	f.Add([]byte("From: a@b\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n--b--\n"))
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

func FuzzTNEF(f *testing.F) {
	addSeeds(f, "eml/*.tnef", 2, 1<<20)
	f.Add([]byte("\x78\x9f\x3e\x22\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, _ := readTNEF(data, 1<<20)
		total := 0
		for _, fl := range files {
			total += len(fl.data)
		}
		if total > 1<<20 {
			t.Fatalf("%d bytes returned, limit 1 MiB", total)
		}
		ParseDocuments("winmail.dat", data, Options{MaxDecompressedBytes: 1 << 20})
	})
}

func FuzzZIP(f *testing.F) {
	f.Add(makeZIP(f, map[string][]byte{"a.xml": []byte(sampleCII), "b.txt": []byte("x")}))
	f.Add(makeZIP(f, map[string][]byte{"n.zip": makeZIP(f, map[string][]byte{"c.pdf": []byte("%PDF-1.4")})}))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxDecompressedBytes: 1 << 20, MaxArchiveEntries: 10}.withDefaults()
		files, _ := readZIP(data, opts)
		if len(files) > 10 {
			t.Fatalf("%d files, limit 10", len(files))
		}
		for _, d := range ParseDocuments("a.zip", data, opts) {
			if strings.HasPrefix(d.Error, "internal error") {
				t.Fatal(d.Error)
			}
		}
	})
}

// FuzzPDFText fuzzes the content-stream interpreter and the CMap parser
// directly (whole PDFs are fuzzed by FuzzPDF).
func FuzzPDFText(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 10 700 Td (Facture n\\260 42) Tj [(A) -300 (B)] TJ T* (x) ' 1 2 (y) \" ET"),
		[]byte("1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfrange <0001> <0003> [<0041> <0042>] <0010> <0012> <0061> endbfrange 1 beginbfchar <0020> <00660069> endbfchar"))
	f.Add([]byte("q 0 1 -1 0 0 0 cm BT 3 Tr <00010002> Tj ET Q BI /W 1 ID \x00\xff EI Do"), []byte("begincodespacerange <00> <FF> endcodespacerange"))
	f.Fuzz(func(t *testing.T, content, cmapData []byte) {
		cm := parseCMap(cmapData)
		if len(cm.uni) > maxCMapEntries {
			t.Fatalf("%d cmap entries", len(cm.uni))
		}
		font := &pdfFont{composite: len(cm.spaces) > 0, spaces: cm.spaces, toUni: cm.uni, base: &winAnsiTable, defWidth: 500}
		e := &textExtractor{lim: textLimits{maxOps: 100_000}, fonts: map[int]*pdfFont{}}
		st := textState{ctm: identity, th: 1, font: font, size: 10}
		e.run(content, nil, st, 0)
		_ = layout(e.spans)
		_ = invoiceFromText(string(content), 100)
	})
}

// FuzzInvoiceText fuzzes the field extraction from a text: no panic, and
// never a kept triple of totals that does not add up (HT + VAT = TTC).
func FuzzInvoiceText(f *testing.F) {
	f.Add("FACTURE N° : FA-1\nDate de facture : 02/11/2026\nTotal HT   100,00 €\nTotal TVA   20,00 €\nTotal TTC   120,00 €\nNet à payer   120,00 €")
	f.Add("Avoir AV-1\nTotal HT   -218,48 €\nTotal taxes   -14,99 €\nTotal TTC   -233,47 €")
	f.Add("Rechnung Nr. 1\nNettobetrag    MwSt-Betrag  MwSt-%     Endbetrag\n321,40   61,07   19,0   382,47\n127,59   8,93   7,0   136,52\n448,99   70,00   EUR   518,99")
	f.Add("Invoice 7\nTOTAL HT   TOTAL TVA   TOTAL TTC\nterms\nx.   100,00   4,90   104,90\nRechnungssumme ohne USt.   -7,67\nBruttosumme   -8,79\n1,12\nBereits bezahlt 5,00")
	f.Fuzz(func(t *testing.T, text string) {
		res := invoiceFromText(text, 200)
		inv := res.invoice
		if inv == nil || inv.TotalWithoutVAT == "" || inv.TotalVAT == "" || inv.TotalWithVAT == "" {
			return
		}
		h, ok1 := new(big.Rat).SetString(inv.TotalWithoutVAT)
		v, ok2 := new(big.Rat).SetString(inv.TotalVAT)
		w, ok3 := new(big.Rat).SetString(inv.TotalWithVAT)
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("amounts not decimal: %+v", inv)
		}
		if new(big.Rat).Add(h, v).Cmp(w) != 0 {
			t.Fatalf("HT %s + VAT %s ≠ TTC %s", inv.TotalWithoutVAT, inv.TotalVAT, inv.TotalWithVAT)
		}
	})
}
