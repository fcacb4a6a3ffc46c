package samples

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// FacturXFileName is the name of the CII XML embedded in a Factur-X PDF.
const FacturXFileName = "factur-x.xml"

func init() {
	// pdfcpu would otherwise create and read a configuration directory under
	// the user's home the first time a configuration is needed. This package
	// must not touch files, and the switch is a process-wide variable that is
	// only race-free when set before any goroutine uses pdfcpu: hence init.
	api.DisableConfigDir()
}

// FacturX returns a Factur-X 1.0 (EN 16931 profile) invoice: the visible page
// of PlainPDF with CII(inv) embedded as factur-x.xml. The file specification
// carries /AFRelationship /Data, the embedded stream /Subtype text/xml, the
// catalog an /AF array pointing to it, and the XMP metadata the Factur-X
// extension schema (fx:DocumentType INVOICE, fx:DocumentFileName,
// fx:Version 1.0, fx:ConformanceLevel EN 16931).
//
// The result is not a conforming PDF/A-3 file (the core fonts are not
// embedded and there is no output intent), so the XMP does not claim PDF/A
// conformance: it is good for parsers and for the sandbox, not for the real
// Chorus Pro, which checks PDF/A-3. Two calls do not give the same bytes:
// pdfcpu stamps the write time in the Info /ModDate and the file /ID
// (PlainPDF, written by fpdf alone, is reproducible).
func FacturX(inv Invoice) ([]byte, error) {
	return FacturXWithXML(inv, CII(inv), FacturXFileName)
}

// FacturXWithXML returns the PDF of FacturX(inv) with xml embedded in place
// of CII(inv), under the file name name (FacturXFileName when empty), which
// the XMP fx:DocumentFileName gives too. xml is embedded as given, never
// read: it is for tests that need a Factur-X PDF whose XML was altered by
// hand, is hostile or is not XML at all, or whose attachment has another
// name (a ZUGFeRD zugferd-invoice.xml, a stray notes.xml).
func FacturXWithXML(inv Invoice, xml []byte, name string) ([]byte, error) {
	if name == "" {
		name = FacturXFileName
	}
	modTime, err := time.Parse(time.DateOnly, inv.IssueDate)
	if err != nil {
		modTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	page, err := renderPDF(inv)
	if err != nil {
		return nil, err
	}

	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.ADDATTACHMENTS
	// Plain objects and a classic xref table keep the structure readable by
	// simple tools (and by the tests, which look for /AF in the raw bytes).
	conf.WriteObjectStream = false
	conf.WriteXRefStream = false
	ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(page), conf)
	if err != nil {
		return nil, fmt.Errorf("samples: facturx: read page: %w", err)
	}
	if err := embedFacturX(ctx.XRefTable, xml, name, modTime); err != nil {
		return nil, fmt.Errorf("samples: facturx: %w", err)
	}
	if err := addMetadata(ctx.XRefTable, facturXMP(inv, name, modTime)); err != nil {
		return nil, fmt.Errorf("samples: facturx: %w", err)
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, fmt.Errorf("samples: facturx: write: %w", err)
	}
	return out.Bytes(), nil
}

// embedFacturX adds xml as the associated file name: an embedded file
// stream (/Subtype /text#2Fxml), a file specification with /AFRelationship
// /Data in the EmbeddedFiles name tree, and the catalog's /AF array.
// pdfcpu's AddAttachment writes neither /AF nor /AFRelationship, so the
// objects are built here with the same model calls.
func embedFacturX(xrt *model.XRefTable, xml []byte, name string, modTime time.Time) error {
	if err := xrt.LocateNameTree("EmbeddedFiles", true); err != nil {
		return fmt.Errorf("locate EmbeddedFiles name tree: %w", err)
	}

	sd, err := xrt.NewStreamDictForBuf(xml)
	if err != nil {
		return fmt.Errorf("embedded file stream: %w", err)
	}
	sd.InsertName("Type", "EmbeddedFile")
	sd.InsertName("Subtype", "text/xml")
	params := types.NewDict()
	params.InsertInt("Size", len(xml))
	params.Insert("ModDate", types.StringLiteral(types.DateString(modTime)))
	sd.Insert("Params", params)
	if err := sd.Encode(); err != nil {
		return fmt.Errorf("embedded file stream: encode: %w", err)
	}
	streamRef, err := xrt.IndRefForNewObject(*sd)
	if err != nil {
		return fmt.Errorf("embedded file stream: add object: %w", err)
	}

	fs, err := xrt.NewFileSpecDict(name, name, "Factur-X invoice", *streamRef)
	if err != nil {
		return fmt.Errorf("file specification: %w", err)
	}
	fs.Delete("CI") // a collection item, meaningless outside a portfolio
	// Plain strings rather than pdfcpu's UTF-16: this is how Factur-X
	// producers write the name.
	fs.Update("F", types.StringLiteral(name))
	fs.Update("UF", types.StringLiteral(name))
	fs.Update("Desc", types.StringLiteral("Factur-X invoice"))
	fs.InsertName("AFRelationship", "Data")
	fsRef, err := xrt.IndRefForNewObject(fs)
	if err != nil {
		return fmt.Errorf("file specification: add object: %w", err)
	}

	m := model.NameMap{name: []types.Dict{fs}}
	if err := xrt.Names["EmbeddedFiles"].Add(xrt, name, *fsRef, m, []string{"F", "UF"}); err != nil {
		return fmt.Errorf("EmbeddedFiles name tree: add %s: %w", name, err)
	}

	root, err := xrt.Catalog()
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	root.Insert("AF", types.Array{*fsRef})
	return nil
}

// addMetadata sets xmp, uncompressed, as the catalog's /Metadata stream.
// (fpdf's SetXmpMetadata writes the stream but does not reference it from the
// catalog.)
func addMetadata(xrt *model.XRefTable, xmp []byte) error {
	sd := types.StreamDict{Dict: types.NewDict(), Content: xmp}
	sd.InsertName("Type", "Metadata")
	sd.InsertName("Subtype", "XML")
	if err := sd.Encode(); err != nil {
		return fmt.Errorf("metadata stream: encode: %w", err)
	}
	ref, err := xrt.IndRefForNewObject(sd)
	if err != nil {
		return fmt.Errorf("metadata stream: add object: %w", err)
	}
	root, err := xrt.Catalog()
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	root.Update("Metadata", *ref)
	return nil
}

// facturXMP returns the XMP packet of a Factur-X 1.0 EN 16931 invoice whose
// XML is embedded as fileName.
func facturXMP(inv Invoice, fileName string, created time.Time) []byte {
	esc := func(s string) string {
		var b bytes.Buffer
		escape(&b, s)
		return b.String()
	}
	prop := func(name, desc string) string {
		return `          <rdf:li rdf:parseType="Resource">
            <pdfaProperty:name>` + name + `</pdfaProperty:name>
            <pdfaProperty:valueType>Text</pdfaProperty:valueType>
            <pdfaProperty:category>external</pdfaProperty:category>
            <pdfaProperty:description>` + desc + `</pdfaProperty:description>
          </rdf:li>
`
	}
	date := created.Format("2006-01-02T15:04:05Z07:00")
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Facture ` + esc(inv.Number) + `</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>` + esc(inv.SellerName) + `</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>Facteur (exemples de factures)</xmp:CreatorTool>
   <xmp:CreateDate>` + date + `</xmp:CreateDate>
   <xmp:ModifyDate>` + date + `</xmp:ModifyDate>
  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
`)
	b.WriteString(prop("DocumentFileName", "The name of the embedded XML document"))
	b.WriteString(prop("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"))
	b.WriteString(prop("Version", "The actual version of the standard applying to the embedded XML document"))
	b.WriteString(prop("ConformanceLevel", "The conformance level of the embedded XML document"))
	b.WriteString(`       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>` + esc(fileName) + `</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
	return []byte(b.String())
}
