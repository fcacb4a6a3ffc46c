package parser

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func init() {
	// pdfcpu would otherwise create ~/.config/pdfcpu with a config.yml and
	// font directories on first use. Done in init so that no goroutine can
	// race with this write of a package variable.
	api.DisableConfigDir()
}

// Limits applied to pdfcpu when reading a PDF.
const (
	maxPDFStreamBytes = 64 << 20
	maxEmbeddedXML    = 32 << 20
)

// pdfConfig returns a pdfcpu configuration that reads without writing
// anything anywhere, with tight resource limits.
func pdfConfig() *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.EXTRACTATTACHMENTS
	conf.ValidationMode = model.ValidationRelaxed
	conf.Offline = true
	conf.Optimize = false
	conf.Limits.MaxStreamBytes = maxPDFStreamBytes
	conf.Limits.MaxDecodeBytes = maxPDFStreamBytes
	conf.Limits.MaxImageBytes = maxPDFStreamBytes
	conf.Limits.MaxImagePixels = 64 << 20
	conf.Limits.MaxObjectCount = 2_000_000
	conf.Limits.MaxObjectStreamCount = 200_000
	conf.Limits.MaxXRefEntries = 2_000_000
	conf.Limits.MaxRecursionDepth = 64
	return conf
}

// embeddedFile is a file embedded in a PDF.
type embeddedFile struct {
	name string
	data []byte
	err  error // set when this file could not be decoded
}

// pdfEmbeddedFiles lists the files embedded in a PDF with their decoded
// content: those of the EmbeddedFiles name tree, then those of the
// catalog's /AF array (PDF/A-3 associated files) not already seen. The
// object graph is walked directly, without pdfcpu's validation, which
// rejects many real Factur-X files (e.g. /AFRelationship in a PDF 1.3
// file). Files that cannot be decoded are returned with err set; the
// returned error is for the PDF as a whole.
func pdfEmbeddedFiles(data []byte) (files []embeddedFile, err error) {
	ctx, err := readPDF(data)
	if err != nil {
		return nil, err
	}
	return embeddedFiles(ctx)
}

// readPDF reads the cross-reference table and objects of a PDF.
func readPDF(data []byte) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("pdf: reader failure: %v", r)
		}
	}()
	ctx, err = api.ReadContext(bytes.NewReader(data), pdfConfig())
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	if ctx == nil || ctx.XRefTable == nil {
		return nil, fmt.Errorf("pdf: no cross-reference table")
	}
	return ctx, nil
}

// embeddedFiles lists the embedded files of a PDF read by readPDF.
func embeddedFiles(ctx *model.Context) (files []embeddedFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			files, err = nil, fmt.Errorf("pdf: reader failure: %v", r)
		}
	}()
	x := ctx.XRefTable
	cat, err := x.Catalog()
	if err != nil {
		return nil, fmt.Errorf("pdf: catalog: %w", err)
	}
	if cat == nil {
		return nil, fmt.Errorf("pdf: no catalog")
	}
	w := &fileSpecWalker{x: x, seenRef: map[int]bool{}, seenName: map[string]bool{}}
	if o, ok := cat.Find("Names"); ok {
		if names, err := x.DereferenceDict(o); err == nil && names != nil {
			if o, ok := names.Find("EmbeddedFiles"); ok {
				w.nameTree(o, 0)
			}
		}
	}
	if o, ok := cat.Find("AF"); ok {
		if arr, err := x.DereferenceArray(o); err == nil {
			for _, spec := range arr {
				w.fileSpec(spec, "")
			}
		}
	}
	return w.files, nil
}

// fileSpecWalker collects embedded files, bounded.
type fileSpecWalker struct {
	x        *model.XRefTable
	files    []embeddedFile
	seenRef  map[int]bool
	seenName map[string]bool
	nodes    int
}

const (
	maxNameTreeDepth = 32
	maxNameTreeNodes = 10_000
	maxEmbeddedFiles = 100
)

// nameTree walks a name tree node (ISO 32000-1 §7.9.6).
func (w *fileSpecWalker) nameTree(o types.Object, depth int) {
	w.nodes++
	if depth > maxNameTreeDepth || w.nodes > maxNameTreeNodes {
		return
	}
	if ref, ok := o.(types.IndirectRef); ok {
		nr := ref.ObjectNumber.Value()
		if w.seenRef[-nr] {
			return // a loop in the tree
		}
		w.seenRef[-nr] = true
	}
	d, err := w.x.DereferenceDict(o)
	if err != nil || d == nil {
		return
	}
	if o, ok := d.Find("Names"); ok {
		if arr, err := w.x.DereferenceArray(o); err == nil {
			for i := 0; i+1 < len(arr); i += 2 {
				key, _ := w.x.DereferenceStringOrHexLiteral(arr[i], model.V10, nil)
				w.fileSpec(arr[i+1], key)
			}
		}
	}
	if o, ok := d.Find("Kids"); ok {
		if arr, err := w.x.DereferenceArray(o); err == nil {
			for _, kid := range arr {
				w.nameTree(kid, depth+1)
			}
		}
	}
}

// fileSpec reads one file specification dictionary.
func (w *fileSpecWalker) fileSpec(o types.Object, key string) {
	if len(w.files) >= maxEmbeddedFiles {
		return
	}
	if ref, ok := o.(types.IndirectRef); ok {
		nr := ref.ObjectNumber.Value()
		if w.seenRef[nr] {
			return
		}
		w.seenRef[nr] = true
	}
	d, err := w.x.DereferenceDict(o)
	if err != nil || d == nil {
		return
	}
	name := ""
	for _, k := range []string{"UF", "F"} {
		if v, ok := d.Find(k); ok {
			if s, err := w.x.DereferenceStringOrHexLiteral(v, model.V10, nil); err == nil && s != "" {
				name = s
				break
			}
		}
	}
	if name == "" {
		name = key
	}
	ef, ok := d.Find("EF")
	if !ok {
		return
	}
	efd, err := w.x.DereferenceDict(ef)
	if err != nil || efd == nil {
		return
	}
	stream, ok := efd.Find("F")
	if !ok {
		if stream, ok = efd.Find("UF"); !ok {
			return
		}
	}
	if w.seenName[name] {
		return
	}
	w.seenName[name] = true
	f := embeddedFile{name: name}
	if xmlPrecedence(name) < 0 {
		// Not an XML candidate: listed, never decoded (it may be large).
		w.files = append(w.files, f)
		return
	}
	f.data, f.err = decodeStream(w.x, stream)
	if f.err != nil {
		f.err = fmt.Errorf("pdf: embedded file %q: %w", name, f.err)
	}
	w.files = append(w.files, f)
}

// decodeStream returns the decoded content of a stream object.
func decodeStream(x *model.XRefTable, o types.Object) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("reader failure: %v", r)
		}
	}()
	sd, _, err := x.DereferenceStreamDict(o)
	if err != nil {
		return nil, err
	}
	if sd == nil {
		return nil, fmt.Errorf("missing stream")
	}
	if len(sd.FilterPipeline) == 0 {
		data = sd.Raw
	} else {
		if err := sd.DecodeWithLimit(maxEmbeddedXML); err != nil {
			return nil, err
		}
		data = sd.Content
	}
	if len(data) > maxEmbeddedXML {
		return nil, overLimit(LimitSize, fmt.Errorf("larger than %d bytes", maxEmbeddedXML))
	}
	return data, nil
}

// invoiceXMLNames are the embedded file names of invoice XML, by
// precedence (compared case-insensitively).
var invoiceXMLNames = []string{"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"}

// xmlPrecedence ranks an embedded file: lower is preferred; -1 means not
// an XML candidate.
func xmlPrecedence(name string) int {
	base := strings.ToLower(name)
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	for i, n := range invoiceXMLNames {
		if base == n {
			return i
		}
	}
	if strings.HasSuffix(base, ".xml") {
		return len(invoiceXMLNames)
	}
	return -1
}
