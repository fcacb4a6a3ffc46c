package hostile

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

func mimes() []File {
	return []File{
		{Name: "mime-10000-parts.eml", Want: Held, Big: true,
			Note:  "10,000 text parts, then a readable invoice",
			build: func() ([]byte, error) { return manyParts("mime-10000-parts", "FH-MIME-1", 10_000) }},
		{Name: "mime-invoice-at-part-301.eml", Want: Held,
			Note:  "300 text parts, then a readable invoice: past the parts limit",
			build: func() ([]byte, error) { return manyParts("mime-invoice-at-part-301", "FH-MIME-2", 300) }},
		{Name: "mime-1000-deep.eml", Want: Held,
			Note:  "a readable invoice under 1,000 nested multiparts",
			build: func() ([]byte, error) { return deep("mime-1000-deep", "FH-MIME-3", 1000) }},
		{Name: "mime-25-deep.eml", Want: Held,
			Note:  "a readable invoice under 25 nested multiparts (the limit is 20)",
			build: func() ([]byte, error) { return deep("mime-25-deep", "FH-MIME-4", 25) }},
		{Name: "mime-unclosed-boundary.eml", Want: Deposited,
			Note: "a readable invoice in a multipart whose closing delimiter never comes",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-MIME-5")
				if err != nil {
					return nil, err
				}
				return message(header("mime-unclosed-boundary", "Facture FH-MIME-5"),
					multipart("mixed", "=_never_closed", false, textPart("Bonjour,\r\nci-joint notre facture.\r\n"), pdfAttachment("FH-MIME-5.pdf", inv))), nil
			}},
		{Name: "mime-unclosed-inner.eml", Want: Deposited,
			Note: "a readable invoice after an inner multipart that is never closed, the outer one closed",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-MIME-6")
				if err != nil {
					return nil, err
				}
				inner := multipart("alternative", "=_inner_open", false, textPart("Bonjour,\r\nci-joint notre facture.\r\n"))
				return message(header("mime-unclosed-inner", "Facture FH-MIME-6"),
					multipart("mixed", "=_outer", true, inner, pdfAttachment("FH-MIME-6.pdf", inv))), nil
			}},
		{Name: "mime-boundary-missing.eml", Want: Answered,
			Note: "a multipart whose boundary parameter is missing: announces an invoice, nothing readable",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-MIME-7")
				if err != nil {
					return nil, err
				}
				p := multipart("mixed", "=_x", true, textPart("Veuillez trouver ci-joint notre facture.\r\n"), pdfAttachment("FH-MIME-7.pdf", inv))
				p.header = "Content-Type: multipart/mixed\r\n"
				return message(header("mime-boundary-missing", "Facture FH-MIME-7"), p), nil
			}},
		{Name: "header-1mb-line.eml", Want: Deposited, Big: true,
			Note: "a Subject of one line of 1,000,000 characters, and a readable invoice",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-HDR-1")
				if err != nil {
					return nil, err
				}
				subject := "Facture FH-HDR-1 " + strings.Repeat("A", 1_000_000)
				return message(header("header-1mb-line", subject), multipart("mixed", "=_h1", true, textPart("Ci-joint.\r\n"), pdfAttachment("FH-HDR-1.pdf", inv))), nil
			}},
		{Name: "header-over-cap-facturx.eml", Want: Held, Big: true,
			Note: "header fields past the 1 MiB header cap, Content-Type after them: a readable Factur-X that would be read as text",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-HDR-2")
				if err != nil {
					return nil, err
				}
				var filler []string
				for n := 0; n < (1<<20)+4096; n += 80 {
					filler = append(filler, "X-Filler: "+strings.Repeat("a", 68))
				}
				return message(header("header-over-cap-facturx", "Facture FH-HDR-2", filler...),
					multipart("mixed", "=_h2", true, textPart("Ci-joint notre facture.\r\n"), pdfAttachment("FH-HDR-2.pdf", inv))), nil
			}},
		{Name: "base64-50mb-line.eml", Want: Answered, Big: true,
			Note: "a facture.pdf of 37.5 MB of random bytes written as one base64 line of 50 MB",
			build: func() ([]byte, error) {
				data := make([]byte, 37_500_000)
				if _, err := rand.Read(data); err != nil {
					return nil, err
				}
				copy(data, "%PDF-1.7\n")
				p := part{header: "Content-Type: application/pdf; name=\"FH-B64-1.pdf\"\r\nContent-Disposition: attachment; filename=\"FH-B64-1.pdf\"\r\nContent-Transfer-Encoding: base64\r\n",
					body: base64Lines(data, 0)}
				return withAttachments("base64-50mb-line", "Facture FH-B64-1", p), nil
			}},
		{Name: "base64-garbage.eml", Want: Answered,
			Note: "a facture.pdf whose base64 is broken halfway (characters outside the alphabet, bad padding)",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-B64-2")
				if err != nil {
					return nil, err
				}
				enc := base64.StdEncoding.EncodeToString(inv)
				enc = enc[:len(enc)/2] + "!!!!====****" + enc[len(enc)/2:]
				p := part{header: "Content-Type: application/pdf; name=\"FH-B64-2.pdf\"\r\nContent-Disposition: attachment; filename=\"FH-B64-2.pdf\"\r\nContent-Transfer-Encoding: base64\r\n",
					body: []byte(wrap(enc, 76))}
				return withAttachments("base64-garbage", "Facture FH-B64-2", p), nil
			}},
	}
}

func wrap(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\r\n")
		s = s[width:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// manyParts is a message of n small text parts followed by a readable
// invoice.
func manyParts(id, number string, n int) ([]byte, error) {
	inv, err := invoice(number)
	if err != nil {
		return nil, err
	}
	parts := make([]part, 0, n+1)
	for i := 0; i < n; i++ {
		parts = append(parts, textPart(fmt.Sprintf("partie %d\r\n", i+1)))
	}
	parts = append(parts, pdfAttachment(number+".pdf", inv))
	return message(header(id, "Facture "+number), multipart("mixed", "=_many_"+id, true, parts...)), nil
}

// deep is a message whose readable invoice sits under depth nested
// multiparts.
func deep(id, number string, depth int) ([]byte, error) {
	inv, err := invoice(number)
	if err != nil {
		return nil, err
	}
	return message(header(id, "Facture "+number), nested(pdfAttachment(number+".pdf", inv), depth)), nil
}
