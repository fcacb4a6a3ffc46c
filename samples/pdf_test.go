package samples

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func TestFacturX(t *testing.T) {
	inv := testInvoice()
	pdf, err := FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}

	// The attachment, read back by pdfcpu, is exactly the CII.
	if name, data := onlyAttachment(t, pdf); name != FacturXFileName {
		t.Errorf("attachment name %q, want %q", name, FacturXFileName)
	} else if !bytes.Equal(data, CII(inv)) {
		t.Errorf("embedded factur-x.xml differs from CII(inv)")
	}

	// Raw structure: plain objects, so the keys are visible.
	for _, re := range []string{
		`/AFRelationship\s*/Data`,
		`/Type\s*/Catalog`,
		`/AF\s*\[\s*\d+ 0 R\s*\]`,
		`/Subtype\s*/text#2[fF]xml`,
		`/EmbeddedFiles`,
	} {
		if !regexp.MustCompile(re).Match(pdf) {
			t.Errorf("raw PDF does not match %s", re)
		}
	}

	// Model: catalog /AF → Filespec with /AFRelationship /Data whose embedded
	// stream has /Subtype text/xml; /Metadata with the Factur-X XMP.
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Errorf("pdfcpu validation: %v", err)
	}
	xrt := ctx.XRefTable
	root, err := xrt.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	af, err := xrt.DereferenceArray(root["AF"])
	if err != nil || len(af) != 1 {
		t.Fatalf("catalog /AF = %v (%v)", root["AF"], err)
	}
	fs, err := xrt.DereferenceDict(af[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := fs.NameEntry("AFRelationship"); n == nil || *n != "Data" {
		t.Errorf("/AFRelationship = %v", n)
	}
	if n := fs.Type(); n == nil || *n != "Filespec" {
		t.Errorf("filespec /Type = %v", n)
	}
	for _, k := range []string{"F", "UF"} {
		s, err := fs.StringOrHexLiteralEntry(k)
		if err != nil || s == nil || *s != FacturXFileName {
			t.Errorf("filespec /%s = %v (%v)", k, s, err)
		}
	}
	ef := fs.DictEntry("EF")
	if ef == nil {
		t.Fatal("filespec without /EF")
	}
	sd, _, err := xrt.DereferenceStreamDict(ef["F"])
	if err != nil || sd == nil {
		t.Fatalf("EF /F stream: %v", err)
	}
	if st := sd.Subtype(); st == nil || *st != "text/xml" {
		t.Errorf("embedded file /Subtype = %v", st)
	}
	// The /AF file spec is the one in the EmbeddedFiles name tree.
	if ir, ok := af[0].(types.IndirectRef); !ok {
		t.Errorf("/AF entry is %T, want an indirect reference", af[0])
	} else if !regexp.MustCompile(`/Names\s*\[\s*(\(factur-x\.xml\)|<6661637475722d782e786d6c>)\s*` +
		fmt.Sprintf(`%d 0 R`, ir.ObjectNumber.Value())).Match(pdf) {
		t.Errorf("EmbeddedFiles name tree does not point to %s", ir)
	}

	xmp := metadata(t, pdf)
	for _, want := range []string{
		"<fx:DocumentType>INVOICE</fx:DocumentType>",
		"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
		"<fx:Version>1.0</fx:Version>",
		"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
		"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
		"Dupont &amp; Fils &lt;Réseaux&gt; SARL",
	} {
		if !strings.Contains(xmp, want) {
			t.Errorf("XMP lacks %q", want)
		}
	}
}

// onlyAttachment returns the name and the content of the one attachment of
// pdf, as pdfcpu reads them back.
func onlyAttachment(t *testing.T, pdf []byte) (string, []byte) {
	t.Helper()
	aa, err := api.ExtractAttachmentsRaw(bytes.NewReader(pdf), "", nil, model.NewDefaultConfiguration())
	if err != nil {
		t.Fatalf("extract attachments: %v", err)
	}
	if len(aa) != 1 {
		t.Fatalf("%d attachments, want 1", len(aa))
	}
	data, err := io.ReadAll(aa[0])
	if err != nil {
		t.Fatal(err)
	}
	return aa[0].FileName, data
}

// metadata returns the decoded XMP stream of pdf's catalog.
func metadata(t *testing.T, pdf []byte) string {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	root, err := ctx.XRefTable.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	md, _, err := ctx.XRefTable.DereferenceStreamDict(root["Metadata"])
	if err != nil || md == nil {
		t.Fatalf("catalog /Metadata: %v", err)
	}
	if err := md.Decode(); err != nil {
		t.Fatal(err)
	}
	return string(md.Content)
}

// TestFacturXWithXML: any bytes, under any name, embedded as given and named
// so in the file specification and the XMP; an empty name is factur-x.xml.
func TestFacturXWithXML(t *testing.T) {
	inv := testInvoice()
	for _, tc := range []struct {
		xml        []byte
		name, want string
	}{
		{[]byte("<x/>"), "notes.xml", "notes.xml"},
		{CII(inv), "zugferd-invoice.xml", "zugferd-invoice.xml"},
		{[]byte("<rsm:CrossIndustryInvoice><!-- cut"), "", FacturXFileName},
		{[]byte("not xml \x00\xff"), "a&b.xml", "a&b.xml"},
	} {
		pdf, err := FacturXWithXML(inv, tc.xml, tc.name)
		if err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		if name, data := onlyAttachment(t, pdf); name != tc.want || !bytes.Equal(data, tc.xml) {
			t.Errorf("%q: attachment %q %.20q, want %q %.20q", tc.name, name, data, tc.want, tc.xml)
		}
		var esc bytes.Buffer
		escape(&esc, tc.want)
		if xmp := metadata(t, pdf); !strings.Contains(xmp, "<fx:DocumentFileName>"+esc.String()+"</fx:DocumentFileName>") {
			t.Errorf("%q: XMP does not name %q", tc.name, tc.want)
		}
	}
}

func TestPlainPDF(t *testing.T) {
	pdf, err := PlainPDF(testInvoice())
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Errorf("pdfcpu validation: %v", err)
	}
	if ctx.PageCount != 1 {
		t.Errorf("%d pages, want 1", ctx.PageCount)
	}
	aa, err := api.Attachments(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if len(aa) != 0 {
		t.Errorf("plain PDF has %d attachments", len(aa))
	}
	if regexp.MustCompile(`/AF\s*\[|/Type\s*/EmbeddedFile\b|/AFRelationship`).Match(pdf) {
		t.Error("plain PDF has associated files")
	}
}

// TestPageText checks the visible French text: fpdf writes the page content
// with the cp1252 core-font encoding, so the decoded content stream holds the
// accented labels as cp1252 bytes.
func TestPageText(t *testing.T) {
	inv := testInvoice()
	pdf, err := PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := pdfcpu.ExtractPageContent(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	content, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	text := cp1252ToUTF8(pdfStrings(content))
	for _, want := range []string{
		"FACTURE", "Facture n° :", "FA-2026-0042", "Date de facture :", "02/11/2026",
		"N° d'engagement :", "EJ-2026-004217", "Service exécutant :", "SERV-ASSAI",
		"Destinataire", CASQName, "SIRET : 200 071 892 00034", "SIRET : 812 456 374 00022",
		"TVA intracommunautaire : FR82812456374", "FR76 3000 4012 3400 0123 4567 862",
		"Total HT", "100,99\u00a0€", "TVA 5,5 %", "Total TTC", "106,69\u00a0€", "Net à payer",
		"Désignation",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}

	// Without BT-10 and BT-13, their labels disappear.
	inv.BuyerReference, inv.OrderReference = "", ""
	pdf, err = PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err = api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = pdfcpu.ExtractPageContent(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	content, _ = io.ReadAll(r)
	text = cp1252ToUTF8(pdfStrings(content))
	for _, absent := range []string{"engagement", "Service ex"} {
		if strings.Contains(text, absent) {
			t.Errorf("page text has %q without the reference", absent)
		}
	}
}

// pdfStrings returns the (…) string operands of a content stream, joined by
// newlines, with PDF escapes resolved.
func pdfStrings(content []byte) []byte {
	var out []byte
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		depth := 1
		for i++; i < len(content) && depth > 0; i++ {
			c := content[i]
			switch {
			case c == '\\' && i+1 < len(content):
				i++
				switch e := content[i]; e {
				case 'n':
					out = append(out, '\n')
				case 'r', 't', 'b', 'f':
					out = append(out, ' ')
				default:
					if e >= '0' && e <= '7' {
						v := 0
						for k := 0; k < 3 && i < len(content) && content[i] >= '0' && content[i] <= '7'; k++ {
							v = v*8 + int(content[i]-'0')
							i++
						}
						i--
						out = append(out, byte(v))
					} else {
						out = append(out, e)
					}
				}
			case c == '(':
				depth++
				out = append(out, c)
			case c == ')':
				depth--
				if depth > 0 {
					out = append(out, c)
				}
			default:
				out = append(out, c)
			}
		}
		i--
		out = append(out, '\n')
	}
	return out
}

// cp1252ToUTF8 decodes the few cp1252 bytes above 0x7f the invoice uses and
// Latin-1 for the rest.
func cp1252ToUTF8(b []byte) string {
	high := map[byte]rune{0x80: '€', 0x9c: 'œ', 0x96: '–', 0x97: '—', 0x92: '’'}
	var sb strings.Builder
	for _, c := range b {
		if r, ok := high[c]; ok {
			sb.WriteRune(r)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}
