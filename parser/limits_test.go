package parser

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
)

// pdfWithPages returns a PDF of n pages, each with a line of text.
func pdfWithPages(t testing.TB, n int) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	doc.SetFont("Helvetica", "", 12)
	for i := 0; i < n; i++ {
		doc.AddPage()
		doc.Cell(40, 10, "Facture FA-2026-0042 page")
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLimits(t *testing.T) {
	pdf := pdfWithPages(t, 5)
	tests := []struct {
		name string
		opts Options
		want string // in Document.Error
	}{
		{"pdf size", Options{MaxPDFBytes: 100}, "larger than the limit of 100"},
		{"pdf pages", Options{MaxPDFPages: 2}, "5 pages, more than the limit of 2"},
		{"pdf objects", Options{MaxPDFObjects: 3}, "more than the limit of 3"},
		{"time", Options{DocumentTimeout: time.Nanosecond}, "time limit exceeded"},
	}
	for _, tt := range tests {
		d := ParseDocument("f.pdf", pdf, tt.opts)
		if !strings.Contains(d.Error, tt.want) || d.IsInvoice {
			t.Errorf("%s: error %q, want %q", tt.name, d.Error, tt.want)
		}
	}
	if d := ParseDocument("f.pdf", pdf, Options{}); d.Error != "" || !d.IsInvoice {
		t.Errorf("within limits: %q %v", d.Error, d.IsInvoice)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	raw := mimeMessage(stdHeader, part{plainPart, strings.Repeat("x", 4096)})
	m, err := Parse(raw, Options{MaxMessageBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject == "" || len(m.Documents) != 1 || !strings.Contains(m.Documents[0].Error, "larger than the limit") {
		t.Errorf("subject %q documents %+v", m.Subject, m.Documents)
	}
}

// TestHugeContentStream: a page whose content stream has millions of
// operators is cut by the operator bound, not read for ever.
func TestOperatorBound(t *testing.T) {
	var content bytes.Buffer
	content.WriteString("BT /F1 12 Tf ")
	for content.Len() < 1<<20 {
		content.WriteString("1 0 Td (x) Tj ")
	}
	content.WriteString("ET")
	e := &textExtractor{lim: textLimits{maxOps: 10_000}, fonts: map[int]*pdfFont{}}
	e.run(content.Bytes(), nil, textState{ctm: identity, th: 1}, 0)
	if e.err == nil || !strings.Contains(e.err.Error(), "content operators") {
		t.Errorf("err %v", e.err)
	}
}

// TestMessageLimitsAreRecorded: a message whose parts, nesting or header
// go over a limit says so in Message.Limits (a person must look), not only
// in a warning.
func TestMessageLimitsAreRecorded(t *testing.T) {
	var parts []part
	for i := 0; i < 30; i++ {
		parts = append(parts, part{plainPart, "x"})
	}
	m := mustParse(t, mimeMessage(stdHeader, parts...))
	if len(m.Limits) != 0 {
		t.Errorf("within the limits: %v", m.Limits)
	}
	m, err := Parse(mimeMessage(stdHeader, parts...), Options{MaxParts: 10})
	if err != nil || !slices.Contains(m.Limits, LimitParts) {
		t.Errorf("parts: %v %v", m.Limits, err)
	}
	// Nested multiparts, deeper than the limit.
	body := "Content-Type: text/plain\r\n\r\nfin\r\n"
	for i := 0; i < 8; i++ {
		b := fmt.Sprintf("B%d", i)
		body = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + body + "\r\n--" + b + "--\r\n"
	}
	m, err = Parse([]byte(stdHeader+"MIME-Version: 1.0\r\n"+body), Options{MaxDepth: 4})
	if err != nil || !slices.Contains(m.Limits, LimitDepth) {
		t.Errorf("depth: %v %v", m.Limits, err)
	}
	huge := stdHeader + strings.Repeat("X-Filler: "+strings.Repeat("a", 70)+"\r\n", (1<<20)/80+100)
	m, err = Parse([]byte(huge+"Content-Type: text/plain\r\n\r\nbody\r\n"), Options{})
	if err != nil || !slices.Contains(m.Limits, LimitHeader) {
		t.Errorf("header: %v %v", m.Limits, err)
	}
}
