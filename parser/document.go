package parser

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
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
	// FormatUnsupported is a file Facteur cannot read (an Outlook .msg,
	// an image, an office document): the supplier is to be asked for a
	// PDF. Document.Error says why.
	FormatUnsupported = "unsupported"
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
			doc.fail(ProblemDamaged, LimitNone, fmt.Sprintf("internal error while reading the document: %v", r))
		}
	}()
	if len(data) == 0 {
		doc.fail(ProblemEmpty, LimitNone, "empty file")
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
		readPDFDocument(&doc, opts)
	case typeXML:
		readXMLDocument(&doc)
	case typeTNEF:
		doc.Warnings = append(doc.Warnings, "Outlook TNEF (winmail.dat) content is not decoded")
	case typeZIP:
		if isOfficeZIP(doc.Name, data) {
			// A .docx/.xlsx/.odt is a ZIP of XML parts: an office
			// document to be asked again as a PDF, not an archive.
			doc.Format = FormatUnsupported
			doc.fail(ProblemOffice, LimitNone, "office document: not readable, a PDF is needed")
			break
		}
		doc.Warnings = append(doc.Warnings, "ZIP archive content is not opened")
	default:
		if p, reason := unsupportedReason(doc.Sniffed, doc.Name); reason != "" {
			doc.Format = FormatUnsupported
			doc.fail(p, LimitNone, reason)
		}
	}
	boundFields(&doc)
	if doc.Invoice != nil && doc.Invoice.OrderReference != "" && doc.Source == "xml" {
		doc.Candidates = append(doc.Candidates, Candidate{Value: doc.Invoice.OrderReference, Evidence: "xml BT-13"})
	}
	if doc.Text != "" || doc.IsInvoice {
		var c candidates
		c.list = doc.Candidates
		c.find(opts.EngagementPatterns, doc.Text, "pdf text")
		if doc.IsInvoice {
			// "Facture 118 - EJ 2026-004512.pdf", "BC_2026-117_facture.pdf".
			name := strings.TrimSuffix(doc.Name, path.Ext(doc.Name))
			c.find(opts.EngagementPatterns, strings.ReplaceAll(name, "_", " "), "file name")
		}
		doc.Candidates = c.list
	}
	return doc
}

// unsupportedReason tells why a file type cannot be read, with its
// problem; "" when it is not one Facteur knows to be unreadable (it is
// then "other").
func unsupportedReason(sniffed, name string) (Problem, string) {
	switch {
	case sniffed == "application/x-ole-storage" && nameExt(name) == ".msg":
		return ProblemOffice, "Outlook .msg file: not readable, a PDF is needed"
	case sniffed == "application/x-ole-storage":
		return ProblemOffice, "OLE compound document (old Office file or Outlook item): not readable, a PDF is needed"
	case strings.HasPrefix(sniffed, "image/"):
		return ProblemImage, "image (" + sniffed + "): a scanned invoice cannot be read, a PDF is needed"
	}
	switch nameExt(name) {
	case ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".rtf":
		return ProblemOffice, "office document: not readable, a PDF is needed"
	case ".tif", ".tiff", ".heic", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp":
		return ProblemImage, "image: a scanned invoice cannot be read, a PDF is needed"
	}
	return ProblemNone, ""
}

// readXMLDocument reads a bare XML file.
func readXMLDocument(doc *Document) {
	doc.Format = FormatXML
	res, err := readInvoiceXML(doc.Data)
	if err != nil {
		doc.failErr("unreadable XML: ", err, ProblemDamaged)
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
		doc.Kind = xmlKind(res.root)
		if doc.Kind != "" {
			doc.Warnings = append(doc.Warnings, "XML is a "+strings.ReplaceAll(doc.Kind, "_", " ")+", not an invoice (root element "+res.root+")")
			return
		}
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
	doc.Kind = KindInvoice
	if res.invoice != nil && res.invoice.Type == "credit_note" {
		doc.Kind = KindCreditNote
	}
}

// readPDFDocument reads a PDF: the invoice XML embedded in it (unless
// TextOnly), and its visible text, from which the fields are read when
// there is no usable XML.
func readPDFDocument(doc *Document, opts Options) {
	doc.Format = FormatPDF
	if len(doc.Data) > opts.MaxPDFBytes {
		doc.fail(ProblemLimit, LimitSize, fmt.Sprintf("PDF of %d bytes, larger than the limit of %d", len(doc.Data), opts.MaxPDFBytes))
		return
	}
	deadline := time.Now().Add(opts.DocumentTimeout)
	ctx, err := readPDF(doc.Data)
	if err != nil {
		doc.failErr("unreadable PDF: ", err, ProblemDamaged)
		return
	}
	if n := len(ctx.XRefTable.Table); n > opts.MaxPDFObjects {
		doc.fail(ProblemLimit, LimitObjects, fmt.Sprintf("PDF with %d objects, more than the limit of %d", n, opts.MaxPDFObjects))
		return
	}
	structured := false
	if !opts.TextOnly {
		structured = readEmbeddedXML(doc, ctx)
	}
	text, err := extractText(ctx, textLimits{
		deadline:     deadline,
		maxPages:     opts.MaxPDFPages,
		maxOps:       DefaultMaxPDFOperators,
		maxDecode:    maxPDFStreamBytes,
		maxRatio:     opts.MaxRatio,
		maxTextBytes: DefaultMaxTextBytes,
	})
	doc.Text = text
	if err != nil {
		if structured {
			doc.Warnings = append(doc.Warnings, "visible text not read: "+err.Error())
			return
		}
		doc.failErr("PDF text: ", err, ProblemDamaged)
		return
	}
	if structured {
		return
	}
	if strings.TrimSpace(text) == "" {
		// Pages without text: a scan or a photo saved as PDF (or blank
		// pages). Nothing can be read, nor deposited, from it.
		doc.fail(ProblemImage, LimitNone, "no visible text (a scan or a blank page)")
		return
	}
	res := invoiceFromText(text, defaultMaxTextLinesFields)
	doc.Kind = res.kind
	doc.Warnings = append(doc.Warnings, res.warnings...)
	switch {
	case res.isInvoice:
		doc.Invoice, doc.IsInvoice, doc.Source = res.invoice, true, "text"
	case res.kind != "" && res.kind != KindInvoice && res.kind != KindCreditNote:
		doc.Warnings = append(doc.Warnings, "the text reads as a "+strings.ReplaceAll(res.kind, "_", " ")+", not an invoice")
	default:
		doc.Warnings = append(doc.Warnings, "the text does not read as an invoice")
	}
}

// extractText runs pdfText, turning a panic into an error.
func extractText(ctx *model.Context, lim textLimits) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("pdf: text reader failure: %v", r)
		}
	}()
	return pdfText(ctx.XRefTable, lim)
}

// readEmbeddedXML looks for invoice XML embedded in a PDF and reports
// whether it found one.
func readEmbeddedXML(doc *Document, ctx *model.Context) bool {
	files, err := embeddedFiles(ctx)
	if err != nil {
		doc.Warnings = append(doc.Warnings, "embedded files: "+err.Error())
		return false
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
			if k := xmlKind(res.root); k != "" {
				doc.Kind = k
				doc.Warnings = append(doc.Warnings, "embedded "+c.f.name+" is a "+strings.ReplaceAll(k, "_", " ")+", not an invoice")
				continue
			}
			notInvoice = append(notInvoice, c.f.name)
			continue
		}
		setInvoice(doc, res)
		return true
	}
	for _, n := range notInvoice {
		doc.Warnings = append(doc.Warnings, "embedded "+n+" is not an invoice")
	}
	doc.Warnings = append(doc.Warnings, warnNoStructuredData)
	return false
}

// xmlKind names the kind of a non-invoice business document from its
// root element ("{namespace}local").
func xmlKind(root string) string {
	local := root
	if i := strings.LastIndexByte(root, '}'); i >= 0 {
		local = root[i+1:]
	}
	switch {
	case local == "SCRDMCCBDACIOMessageStructure", local == "Order", local == "OrderChange",
		strings.Contains(root, "CrossIndustryOrder"):
		return KindPurchaseOrder
	case local == "DespatchAdvice", strings.Contains(root, "CrossIndustryDespatchAdvice"):
		return KindDeliveryNote
	case local == "Quotation":
		return KindQuote
	}
	return ""
}
