package parser

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
)

// bitWriter writes a DEFLATE bit stream (RFC 1951 §3.1.1): values LSB
// first, Huffman codes most significant bit first.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code of n bits.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(r, n)
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	return w.buf
}

// flateBomb returns a zlib stream (RFC 1950) that inflates to n spaces at
// about the highest ratio DEFLATE allows (1:1032): one dynamic block whose
// codes are a 1-bit "length 258" and a 1-bit "distance 1", so that every
// 258 bytes cost two bits. Written by hand: compressing a gigabyte with
// compress/flate takes minutes under the race detector.
func flateBomb(n int64) []byte {
	w := &bitWriter{}
	w.bits(1, 1)       // BFINAL
	w.bits(2, 2)       // BTYPE 10: dynamic Huffman codes
	w.bits(286-257, 5) // HLIT: 286 literal/length codes
	w.bits(0, 5)       // HDIST: one distance code
	w.bits(18-4, 4)    // code length code lengths up to the one for "1"
	// Code length alphabet: 18 (a run of zeros) has 1 bit (code 0), 1 and
	// 2 have 2 bits (codes 10, 11), every other symbol none.
	clen := map[int]uint64{18: 1, 1: 2, 2: 2}
	for _, sym := range []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1} {
		w.bits(clen[sym], 3)
	}
	zeros := func(k int) { // runs of zeros with symbol 18 (11 to 138)
		for k > 0 {
			r := min(k, 138)
			w.code(0, 1)
			w.bits(uint64(r-11), 7)
			k -= r
		}
	}
	one := func() { w.code(2, 2) } // code length 1
	two := func() { w.code(3, 2) } // code length 2
	// Literal/length code lengths: ' ' (32) 2, end of block (256) 2,
	// length 258 (285) 1; distance code lengths: distance 1 (0) 1.
	zeros(32)
	two()
	zeros(255 - 32)
	two()
	zeros(284 - 256)
	one()
	one()
	// Canonical codes: 285 → 0, 32 → 10, 256 → 11; distance 0 → 0.
	w.code(2, 2) // the first space, literally
	left := n - 1
	for ; left >= 258; left -= 258 {
		w.code(0, 1) // length 258
		w.code(0, 1) // distance 1
	}
	for ; left > 0; left-- {
		w.code(2, 2)
	}
	w.code(3, 2) // end of block
	out := append([]byte{0x78, 0x9c}, w.flush()...)
	// Adler-32 of n spaces (RFC 1950 §8.2), in closed form.
	// a = 1 + 32n, b = Σ(1 + 32i) = n + 32·n(n+1)/2, both mod 65521.
	const mod = 65521
	a := (1 + 32*(n%mod)) % mod
	b := (n%mod + 32*((n*(n+1)/2)%mod)) % mod
	return binary.BigEndian.AppendUint32(out, uint32(b<<16|a))
}

// pdfSharedContent returns a PDF of pages pages that all show the same
// content: a small text stream, then the stream shared, compressed as
// given (the /Contents array of every page names both).
func pdfSharedContent(pages int, shared []byte) []byte {
	var text bytes.Buffer
	zw := zlib.NewWriter(&text)
	fmt.Fprint(zw, "BT /F1 12 Tf 72 720 Td (Facture FA-2026-0042) Tj ET")
	zw.Close()
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	const firstPage = 6
	var kids []string
	for i := 0; i < pages; i++ {
		kids = append(kids, fmt.Sprintf("%d 0 R", firstPage+i))
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", nil)
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", text.Len()), text.Bytes())
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", len(shared)), shared)
	for i := 0; i < pages; i++ {
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents [4 0 R 5 0 R] >>", nil)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// heapAllocs reads the bytes allocated on the heap since the program
// started: their growth over a call bounds the call's peak heap from above.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestContentStreamBomb: a 1 MB PDF whose page content inflates to 1 GiB,
// shared by its 5 pages, is a limit problem (decompressed) read within a
// bounded heap: every byte allocated while it is read, its peak bound from
// above, stays under 256 MB (it was 2.1 GB when the content was decoded
// whole by pdfcpu).
func TestContentStreamBomb(t *testing.T) {
	bomb := flateBomb(1 << 30)
	pdf := pdfSharedContent(5, bomb)
	if len(pdf) > 1<<21 {
		t.Fatalf("the bomb PDF is %d bytes", len(pdf))
	}
	runtime.GC()
	before := heapAllocs()
	d := ParseDocument("bombe.pdf", pdf, Options{TextOnly: true})
	allocated := heapAllocs() - before
	t.Logf("PDF of %d bytes, page content of 1 GiB: %d MB allocated while reading it; error %q", len(pdf), allocated>>20, d.Error)
	if d.Problem != ProblemLimit || d.Limit != LimitDecompressed || d.IsInvoice {
		t.Errorf("problem %q limit %q invoice %v, want limit decompressed (error %q)", d.Problem, d.Limit, d.IsInvoice, d.Error)
	}
	if allocated > 256<<20 {
		t.Errorf("%d MB allocated while reading the bomb, more than 256 MB", allocated>>20)
	}
}

// TestContentStreamBounds: the ratio bound, the document bound over a
// stream shared by many pages, and a shared stream within the bounds read
// on every page.
func TestContentStreamBounds(t *testing.T) {
	// comments returns about n bytes of PDF comments (nothing drawn) that
	// compress by a ratio of 2 or so.
	comments := func(n int) []byte {
		var b bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
		line := make([]byte, 0, 80)
		x := uint32(2463534242)
		for written := 0; written < n; written += len(line) {
			line = append(line[:0], '%')
			for len(line) < 79 {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				line = append(line, 'a'+byte(x%26))
			}
			line = append(line, '\n')
			zw.Write(line)
		}
		zw.Close()
		return b.Bytes()
	}
	// 2 kB that expand to 2 MiB: over the ratio.
	ratio := ParseDocument("ratio.pdf", pdfSharedContent(1, flateBomb(2<<20)), Options{TextOnly: true})
	if ratio.Limit != LimitDecompressed || !strings.Contains(ratio.Error, "ratio 200") {
		t.Errorf("ratio: problem %q limit %q error %q", ratio.Problem, ratio.Limit, ratio.Error)
	}
	// 2 MiB read on each of 5 pages, against a document bound of 8 MiB
	// (the bound of 128 MiB takes too long to reach under the race
	// detector): the shared stream is counted on each page.
	ctx, err := readPDF(pdfSharedContent(5, comments(2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pdfText(ctx.XRefTable, textLimits{maxContent: 8 << 20})
	if p, l := problemOf(err, ProblemNone); p != ProblemLimit || l != LimitDecompressed || !strings.Contains(err.Error(), "page 4 ") {
		t.Errorf("document bound: problem %q limit %q error %v", p, l, err)
	}
	// 100 kB on each of 5 pages: read, the text of every page there.
	ok := ParseDocument("ok.pdf", pdfSharedContent(5, comments(100<<10)), Options{TextOnly: true})
	if ok.Problem != ProblemNone || strings.Count(ok.Text, "FA-2026-0042") != 5 {
		t.Errorf("within the bounds: problem %q error %q text %q", ok.Problem, ok.Error, ok.Text)
	}
}
