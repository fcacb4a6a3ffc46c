package parser

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// corpusPDFs returns the readable PDFs of the corpus.
func corpusPDFs(b *testing.B) (names []string, data [][]byte) {
	dir := corpusDir(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pdf"))
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil || len(d) < 1000 {
			continue
		}
		names = append(names, f)
		data = append(data, d)
	}
	return names, data
}

// BenchmarkTextExtraction: visible text of every corpus PDF, in process.
func BenchmarkTextExtraction(b *testing.B) {
	_, data := corpusPDFs(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range data {
			ctx, err := readPDF(d)
			if err != nil {
				continue
			}
			if _, err := pdfText(ctx.XRefTable, textLimits{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(data)), "µs/pdf")
}

// BenchmarkPdftotext: `pdftotext -layout FILE -` on the same files, one
// process per file (Debian poppler-utils); skipped when not installed.
func BenchmarkPdftotext(b *testing.B) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		b.Skip("pdftotext not installed")
	}
	names, _ := corpusPDFs(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, n := range names {
			if err := exec.Command(bin, "-layout", n, os.DevNull).Run(); err != nil {
				b.Fatalf("%s: %v", n, err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(names)), "µs/pdf")
}

// BenchmarkFacturXFields: a typical Factur-X PDF to invoice fields.
func BenchmarkFacturXFields(b *testing.B) {
	dir := corpusDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "facturx", "fnfe2017__Facture_FR_EN16931.pdf"))
	if err != nil {
		b.Skip(err)
	}
	for _, tt := range []struct {
		name string
		opts Options
	}{{"xml", Options{}}, {"text-only", Options{TextOnly: true}}} {
		b.Run(tt.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if d := ParseDocument("f.pdf", data, tt.opts); !d.IsInvoice {
					b.Fatal("not an invoice")
				}
			}
		})
	}
}

// BenchmarkParseMessage: a supplier's message (text + Factur-X PDF),
// one goroutine: the messages/s metric is per core.
func BenchmarkParseMessage(b *testing.B) {
	pdf := makePDF(b, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	raw := mimeMessage(stdHeader, part{plainPart, "Bonjour, veuillez trouver notre facture. N° d'engagement : 24-00123"},
		part{"Content-Type: application/pdf; name=\"facture.pdf\"\r\nContent-Transfer-Encoding: base64", b64(pdf)})
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(raw, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkLargeAttachment: a message with a 40 MB attachment (a PDF
// embedding 40 MB of incompressible data); reports the peak heap above
// the baseline (the raw message is held by the caller, not counted).
func BenchmarkLargeAttachment(b *testing.B) {
	const size = 40 << 20
	junk := make([]byte, size)
	rand.Read(junk)
	pdf := makePDF(b, map[string][]byte{"annexe.bin": junk})
	raw := mimeMessage(stdHeader, part{plainPart, "gros fichier"},
		part{"Content-Type: application/pdf; name=\"gros.pdf\"\r\nContent-Transfer-Encoding: base64", b64(pdf)})
	junk = nil
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var max atomic.Uint64
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			t := time.NewTicker(2 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > max.Load() {
						max.Store(ms.HeapAlloc)
					}
				}
			}
		}()
		m, err := Parse(raw, Options{})
		close(done)
		if err != nil || len(m.Documents) != 1 || m.Documents[0].Error != "" {
			b.Fatalf("%v %+v", err, m.Documents)
		}
		if p := max.Load() - min(base, max.Load()); p > peak {
			peak = p
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak)/float64(size), "peak/attachment")
	_ = bytes.MinRead
}
