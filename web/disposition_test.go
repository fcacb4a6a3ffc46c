package web

import (
	"mime"
	"strings"
	"testing"
)

// FuzzContentDisposition: whatever a supplier named an attachment, the
// header names the file (RFC 8187 for the UTF-8 name, an ASCII fallback)
// and nothing else: no line break, no second parameter from the name.
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"Facture été.pdf", `a"; filename="evil.exe`, "x\r\nSet-Cookie: a=b", "../../etc/passwd", "", "%41", "日本.pdf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		h := contentDisposition("inline", name)
		if strings.ContainsAny(h, "\r\n\x00") {
			t.Fatalf("header %q holds a control character", h)
		}
		kind, params, err := mime.ParseMediaType(h)
		if err != nil || kind != "inline" {
			t.Fatalf("header %q does not parse: %v", h, err)
		}
		if len(params) != 1 { // mime folds filename* into filename
			t.Fatalf("header %q: parameters %v", h, params)
		}
		if strings.ToValidUTF8(name, "\uFFFD") == name && params["filename"] != name {
			t.Fatalf("header %q names %q, want %q", h, params["filename"], name)
		}
	})
}
