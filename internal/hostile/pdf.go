package hostile

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
)

// rawPDF writes a PDF from object bodies (objs[i] is object i+1, without
// "n 0 obj" and "endobj"), with a classic cross-reference table and the
// given trailer entries (besides /Size and /Root 1 0 R). prev, when set,
// is the /Prev written in the trailer: "self" points at this very table.
func rawPDF(objs [][]byte, trailer string, prevSelf bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s", len(objs)+1, trailer)
	if prevSelf {
		fmt.Fprintf(&b, " /Prev %d", xref)
	}
	fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// stream is a stream object: dict entries, then the data as is.
func stream(dict string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<< %s /Length %d >>\nstream\n", dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream")
	return b.Bytes()
}

// deflatedZeros is a zlib stream (FlateDecode) of n zero bytes, n a
// multiple of zeroChunk. It is built without compressing n bytes: once the
// compressor's window holds only zeros, every further chunk of zeros
// flushed compresses to the same bytes, which are repeated; the Adler-32 of
// n zeros is (n mod 65521) << 16 | 1.
func deflatedZeros(n int64) ([]byte, error) {
	if n <= 0 || n%zeroChunk != 0 {
		return nil, fmt.Errorf("deflatedZeros: %d is not a positive multiple of %d", n, zeroChunk)
	}
	var b bytes.Buffer
	b.Write([]byte{0x78, 0xda}) // zlib header: deflate, 32 KiB window, best compression
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	chunk := make([]byte, zeroChunk)
	flushed := func() ([]byte, error) {
		start := b.Len()
		if _, err := w.Write(chunk); err != nil {
			return nil, err
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		return bytes.Clone(b.Bytes()[start:]), nil
	}
	if _, err := flushed(); err != nil { // the first chunk fills the window
		return nil, err
	}
	var repeat []byte
	for i := int64(1); i < n/zeroChunk; i++ {
		if i <= 2 {
			// The second and third chunks must compress alike: the
			// repetition holds from then on.
			got, err := flushed()
			if err != nil {
				return nil, err
			}
			if i == 2 && !bytes.Equal(got, repeat) {
				return nil, fmt.Errorf("deflatedZeros: flushed chunks differ")
			}
			repeat = got
			continue
		}
		b.Write(repeat)
	}
	// The final block: an empty fixed-Huffman block with BFINAL set (bits
	// 1, 01, then end-of-block 0000000), byte-aligned after the flush.
	b.Write([]byte{0x03, 0x00})
	adler := uint32(n%65521)<<16 | 1
	b.Write([]byte{byte(adler >> 24), byte(adler >> 16), byte(adler >> 8), byte(adler)})
	return b.Bytes(), nil
}

// zeroChunk is the unit of deflatedZeros.
const zeroChunk = 1 << 20

func deflated(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write(data) // writes to a bytes.Buffer never fail
	_ = w.Close()
	return b.Bytes()
}

// onePage is a catalog and a page tree of one page whose content is
// object 4 and resources res; more objects follow from 5.
func onePage(res string, more ...[]byte) [][]byte {
	objs := [][]byte{
		[]byte("<< /Type /Catalog /Pages 2 0 R >>"),
		[]byte("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
		[]byte("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << " + res + " >> >>"),
		stream("/Filter /FlateDecode", deflated([]byte("BT /F1 12 Tf 72 720 Td (Facture FH-PDF) Tj ET"))),
	}
	return append(objs, more...)
}

func pdfMessage(id, subject, name string, pdf []byte) []byte {
	return withAttachments(id, subject, pdfAttachment(name, pdf))
}

func pdfs() []File {
	const gib = 1 << 30
	return []File{
		{Name: "pdf-page-content-bomb.eml", Want: Answered, Big: true,
			Note: "five pages sharing one page-content stream of about 1 MB that inflates to 1 GiB (read by the text path)",
			build: func() ([]byte, error) {
				bomb, err := deflatedZeros(gib)
				if err != nil {
					return nil, err
				}
				objs := [][]byte{
					[]byte("<< /Type /Catalog /Pages 2 0 R >>"),
					[]byte("<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R 6 0 R 7 0 R] /Count 5 >>"),
				}
				for i := 0; i < 5; i++ {
					objs = append(objs, []byte("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 8 0 R /Resources << >> >>"))
				}
				objs = append(objs, stream("/Filter /FlateDecode", bomb))
				return pdfMessage("pdf-page-content-bomb", "Facture FH-PDF-1", "FH-PDF-1.pdf", rawPDF(objs, "", false)), nil
			}},
		{Name: "pdf-facturx-xml-bomb.eml", Want: Held, Big: true,
			Note: "a Factur-X whose embedded factur-x.xml stream inflates to 1 GiB",
			build: func() ([]byte, error) {
				bomb, err := deflatedZeros(gib)
				if err != nil {
					return nil, err
				}
				objs := onePage("",
					[]byte("<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Data /EF << /F 6 0 R >> >>"),
					stream("/Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode", bomb),
				)
				objs[0] = []byte("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(factur-x.xml) 5 0 R] >> >> /AF [5 0 R] >>")
				return pdfMessage("pdf-facturx-xml-bomb", "Facture FH-PDF-2", "FH-PDF-2.pdf", rawPDF(objs, "", false)), nil
			}},
		{Name: "pdf-form-xobject-bomb.eml", Want: Answered, Big: true,
			Note: "a page drawing a form XObject whose stream inflates to 1 GiB",
			build: func() ([]byte, error) {
				bomb, err := deflatedZeros(gib)
				if err != nil {
					return nil, err
				}
				objs := onePage("/XObject << /Fm1 5 0 R >>", stream("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Filter /FlateDecode", bomb))
				objs[3] = stream("", []byte("/Fm1 Do"))
				return pdfMessage("pdf-form-xobject-bomb", "Facture FH-PDF-3", "FH-PDF-3.pdf", rawPDF(objs, "", false)), nil
			}},
		{Name: "pdf-xref-loop.eml", Want: Answered,
			Note: "a PDF whose trailer's /Prev points at its own cross-reference table",
			build: func() ([]byte, error) {
				return pdfMessage("pdf-xref-loop", "Facture FH-PDF-4", "FH-PDF-4.pdf", rawPDF(onePage(""), "", true)), nil
			}},
		{Name: "pdf-xref-stream-loop.eml", Want: Answered,
			Note: "a PDF whose cross-reference stream's /Prev points at itself",
			build: func() ([]byte, error) {
				var b bytes.Buffer
				b.WriteString("%PDF-1.7\n")
				objs := onePage("")
				offs := []int{}
				for i, o := range objs {
					offs = append(offs, b.Len())
					fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
				}
				xref := b.Len()
				var rows []byte
				rows = append(rows, 0, 0, 0, 0, 0xff, 0xff)
				for _, off := range offs {
					rows = append(rows, 1, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), 0)
				}
				rows = append(rows, 1, byte(xref>>24), byte(xref>>16), byte(xref>>8), byte(xref), 0)
				fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(objs)+1,
					stream(fmt.Sprintf("/Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Prev %d /Filter /FlateDecode", len(objs)+2, xref), deflated(rows)))
				fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
				return pdfMessage("pdf-xref-stream-loop", "Facture FH-PDF-5", "FH-PDF-5.pdf", b.Bytes()), nil
			}},
		{Name: "pdf-huge-object-count.eml", Want: Answered, Big: true,
			Note: "a PDF of 600,000 objects (the limit is 500,000)",
			build: func() ([]byte, error) {
				objs := onePage("")
				for len(objs) < 600_000 {
					objs = append(objs, []byte("null"))
				}
				return pdfMessage("pdf-huge-object-count", "Facture FH-PDF-6", "FH-PDF-6.pdf", rawPDF(objs, "", false)), nil
			}},
		{Name: "pdf-size-lie.eml", Want: Held,
			Note: "a small PDF whose trailer claims /Size 2,000,000,000 and an object number near 2^31",
			build: func() ([]byte, error) {
				p := rawPDF(onePage(""), "", false)
				p = bytes.Replace(p, []byte("/Size 5"), []byte("/Size 2000000000"), 1)
				p = bytes.Replace(p, []byte("0 6\n"), []byte("2147483000 6\n"), 1)
				return pdfMessage("pdf-size-lie", "Facture FH-PDF-7", "FH-PDF-7.pdf", p), nil
			}},
		{Name: "pdf-deep-arrays.eml", Want: Answered,
			Note: "a PDF whose page dictionary nests 50,000 arrays",
			build: func() ([]byte, error) {
				objs := onePage("")
				objs[2] = []byte("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Junk " +
					string(bytes.Repeat([]byte("["), 50_000)) + string(bytes.Repeat([]byte("]"), 50_000)) + " >>")
				return pdfMessage("pdf-deep-arrays", "Facture FH-PDF-8", "FH-PDF-8.pdf", rawPDF(objs, "", false)), nil
			}},
	}
}
