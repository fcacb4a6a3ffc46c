package parser

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// Document formats.
const (
	FormatFacturX  = "facturx"
	FormatZUGFeRD1 = "zugferd1"
	FormatCII      = "cii"
	FormatUBL      = "ubl"
	FormatPDF      = "pdf"
	FormatXML      = "xml"
	FormatOther    = "other"
)

// warnNoStructuredData is the warning of a PDF without invoice XML.
const warnNoStructuredData = "no structured data"

// ParseDocument reads a bare file (.pdf, .xml or anything else). The name
// is only used for display and for warnings: the type is detected from
// the bytes. It never fails: problems are in Document.Error and Warnings.
func ParseDocument(name string, data []byte, opts Options) (doc Document) {
	return parseDocument(name, data, opts.withDefaults())
}

func parseDocument(name string, data []byte, opts Options) (doc Document) {
	sum := sha256.Sum256(data)
	doc = Document{
		Name:    sanitizeName(name),
		Size:    len(data),
		SHA256:  hex.EncodeToString(sum[:]),
		Data:    data,
		Sniffed: sniff(data),
		Format:  FormatOther,
	}
	defer func() {
		if r := recover(); r != nil {
			doc.Invoice, doc.IsInvoice, doc.Source, doc.Candidates = nil, false, "", nil
			doc.Error = fmt.Sprintf("internal error while reading the document: %v", r)
		}
	}()
	if len(data) == 0 {
		doc.Error = "empty file"
		return doc
	}
	switch ext := nameExt(doc.Name); {
	case ext == ".pdf" && doc.Sniffed != typePDF:
		doc.Warnings = append(doc.Warnings, fmt.Sprintf("named .pdf but the content is %s", doc.Sniffed))
	case ext == ".xml" && doc.Sniffed != typeXML:
		doc.Warnings = append(doc.Warnings, fmt.Sprintf("named .xml but the content is %s", doc.Sniffed))
	}
	switch doc.Sniffed {
	case typePDF:
		readPDFDocument(&doc)
	case typeXML:
		readXMLDocument(&doc)
	case typeTNEF:
		doc.Warnings = append(doc.Warnings, "Outlook TNEF (winmail.dat) content is not decoded")
	case typeZIP:
		doc.Warnings = append(doc.Warnings, "ZIP archive content is not opened")
	}
	if doc.Invoice != nil && doc.Invoice.OrderReference != "" {
		doc.Candidates = append(doc.Candidates, Candidate{Value: doc.Invoice.OrderReference, Evidence: "xml BT-13"})
	}
	return doc
}

// readXMLDocument reads a bare XML file.
func readXMLDocument(doc *Document) {
	doc.Format = FormatXML
	res, err := readInvoiceXML(doc.Data)
	if err != nil {
		doc.Error = "unreadable XML: " + err.Error()
		return
	}
	switch res.syntax {
	case syntaxCII:
		doc.Format = FormatCII
	case syntaxZF1:
		doc.Format = FormatZUGFeRD1
	case syntaxUBL:
		doc.Format = FormatUBL
	default:
		doc.Warnings = append(doc.Warnings, "XML is not an invoice (root element "+res.root+")")
		return
	}
	setInvoice(doc, res)
}

func setInvoice(doc *Document, res xmlResult) {
	doc.Invoice = res.invoice
	doc.Profile = normProfile(res.profile)
	doc.IsInvoice = true
	doc.Source = "xml"
}

// readPDFDocument looks for invoice XML embedded in a PDF.
func readPDFDocument(doc *Document) {
	doc.Format = FormatPDF
	files, err := pdfEmbeddedFiles(doc.Data)
	if err != nil {
		doc.Error = "unreadable PDF: " + err.Error()
		return
	}
	// Candidates by precedence, stable for equal ranks.
	type cand struct {
		rank int
		f    embeddedFile
	}
	var cands []cand
	for _, f := range files {
		if r := xmlPrecedence(f.name); r >= 0 {
			cands = append(cands, cand{r, f})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].rank < cands[j].rank })

	var notInvoice []string
	for _, c := range cands {
		if c.f.err != nil {
			doc.Warnings = append(doc.Warnings, c.f.err.Error())
			continue
		}
		res, err := readInvoiceXML(c.f.data)
		if err != nil {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("embedded %s: unreadable XML: %v", c.f.name, err))
			continue
		}
		switch res.syntax {
		case syntaxCII:
			doc.Format = FormatFacturX
		case syntaxZF1:
			doc.Format = FormatZUGFeRD1
		case syntaxUBL:
			// A PDF with UBL inside (Odoo does this) is not Factur-X: it
			// cannot be deposited as a structured flow, but its data is good.
			doc.Warnings = append(doc.Warnings, "embedded "+c.f.name+" is UBL, not Factur-X")
		default:
			notInvoice = append(notInvoice, c.f.name)
			continue
		}
		setInvoice(doc, res)
		return
	}
	for _, n := range notInvoice {
		doc.Warnings = append(doc.Warnings, "embedded "+n+" is not an invoice")
	}
	doc.Warnings = append(doc.Warnings, warnNoStructuredData)
}
