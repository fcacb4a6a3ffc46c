package hostile

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// The injection attempts put CR LF followed by a Bcc to the attacker and
// by InjectedHeader wherever a reply might copy a value from the message.
var injection = "\r\nBcc: " + Attacker + "\r\n" + InjectedHeader + ": 1\r\n"

// b64Word is an RFC 2047 encoded word (B encoding) of s, whatever bytes
// it holds.
func b64Word(s string) string {
	return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// pct percent-encodes every byte of s outside letters, digits and ".-_"
// (an RFC 2231 extended value).
func pct(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-_", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// namedInvoice is a readable invoice attached under the Content-Type and
// Content-Disposition parameters given.
func namedInvoice(id, number, typeParams, dispParams string) ([]byte, error) {
	inv, err := invoice(number)
	if err != nil {
		return nil, err
	}
	return withAttachments(id, "Facture "+number, attachment("application/pdf"+typeParams, "attachment"+dispParams, inv)), nil
}

func names() []File {
	long := strings.Repeat("facture-", 1250) + ".pdf" // 10,004 characters
	return []File{
		{Name: "name-2231-traversal.eml", Want: Deposited,
			Note: "RFC 2231 file name ../../../../etc/cron.d/facture.pdf",
			build: func() ([]byte, error) {
				return namedInvoice("name-2231-traversal", "FH-NAME-1", "", "; filename*=UTF-8''"+pct("../../../../etc/cron.d/FH-NAME-1.pdf"))
			}},
		{Name: "name-2231-nul.eml", Want: Deposited,
			Note: "RFC 2231 file name with a NUL: FH-NAME-2.pdf%00.exe",
			build: func() ([]byte, error) {
				return namedInvoice("name-2231-nul", "FH-NAME-2", "", "; filename*=UTF-8''"+pct("FH-NAME-2.pdf\x00.exe"))
			}},
		{Name: "name-2231-crlf.eml", Want: Deposited,
			Note: "RFC 2231 file name carrying CR LF, a Bcc and a header field",
			build: func() ([]byte, error) {
				return namedInvoice("name-2231-crlf", "FH-NAME-3", "; name*=UTF-8''"+pct("FH-NAME-3"+injection+".pdf"), "; filename*=UTF-8''"+pct("FH-NAME-3"+injection+".pdf"))
			}},
		{Name: "name-2231-continuations.eml", Want: Deposited,
			Note: "a 10,004-character file name in 200 RFC 2231 continuations",
			build: func() ([]byte, error) {
				var b strings.Builder
				for i := 0; i*50 < len(long); i++ {
					end := min((i+1)*50, len(long))
					b.WriteString(";\r\n filename*" + strconv.Itoa(i) + "*=")
					if i == 0 {
						b.WriteString("UTF-8''")
					}
					b.WriteString(pct(long[i*50 : end]))
				}
				return namedInvoice("name-2231-continuations", "FH-NAME-4", "", b.String())
			}},
		{Name: "name-10000-chars.eml", Want: Deposited,
			Note: "a plain quoted file name of 10,004 characters on one line",
			build: func() ([]byte, error) {
				return namedInvoice("name-10000-chars", "FH-NAME-5", `; name="`+long+`"`, `; filename="`+long+`"`)
			}},
		{Name: "subject-encoded-crlf.eml", Want: Deposited,
			Note: "an encoded-word Subject whose decoded text holds CR LF, a Bcc and a header field",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-SUBJ-1")
				if err != nil {
					return nil, err
				}
				return message(header("subject-encoded-crlf", b64Word("Facture FH-SUBJ-1"+injection+"fin")),
					multipart("mixed", "=_s1", true, textPart("Ci-joint notre facture.\r\n"), pdfAttachment("FH-SUBJ-1.pdf", inv))), nil
			}},
		{Name: "from-encoded-crlf.eml", Want: Deposited,
			Note: "an encoded-word display name in From holding CR LF, a Bcc and a header field; Reply-To likewise",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-FROM-1")
				if err != nil {
					return nil, err
				}
				hdr := header("from-encoded-crlf", "Facture FH-FROM-1")
				hdr = strings.Replace(hdr, "From: Service facturation <", "From: "+b64Word("Service"+injection+"facturation")+" <", 1)
				hdr += "Reply-To: " + b64Word("Compta"+injection) + " <" + supplier.Email + ">\r\n"
				return message(hdr, multipart("mixed", "=_f1", true, textPart("Ci-joint notre facture.\r\n"), pdfAttachment("FH-FROM-1.pdf", inv))), nil
			}},
		{Name: "message-id-crlf.eml", Want: Deposited,
			Note: "a Message-ID and References carrying encoded CR LF and a header field (the reply's In-Reply-To is built from them)",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-MID-1")
				if err != nil {
					return nil, err
				}
				hdr := header("message-id-crlf", "Facture FH-MID-1", "References: <a@b> "+b64Word(injection)+" <c@d>")
				hdr = strings.Replace(hdr, "Message-ID: <message-id-crlf@hostile.example>", "Message-ID: <"+b64Word("x"+injection)+"@hostile.example>", 1)
				return message(hdr, multipart("mixed", "=_m1", true, textPart("Ci-joint notre facture.\r\n"), pdfAttachment("FH-MID-1.pdf", inv))), nil
			}},
	}
}
