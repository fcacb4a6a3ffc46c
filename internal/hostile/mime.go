package hostile

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// The corpus writes its MIME by hand: it must be able to write what a
// correct writer never would (unclosed boundaries, raw CR/LF in encoded
// words, 50 MB lines).

// header is the standard header of a message of the corpus, without
// Content-Type: From the supplier, To the mailbox, the Date and the
// Message-ID, then extra, each line written as is.
func header(id, subject string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	fmt.Fprintf(&b, "From: %s <%s>\r\n", "Service facturation", supplier.Email)
	b.WriteString("To: accueil.comptabilite@casq.fr\r\n")
	if subject != "" {
		fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	}
	fmt.Fprintf(&b, "Message-ID: <%s@hostile.example>\r\n", id)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	return b.String()
}

// part is one MIME entity: its header lines and its body, both as written.
type part struct {
	header string // lines, each ending in CRLF
	body   []byte
}

func textPart(s string) part {
	return part{header: "Content-Type: text/plain; charset=UTF-8\r\n", body: []byte(s)}
}

// attachment is a base64 attachment with its Content-Type and
// Content-Disposition parameters written as given.
func attachment(contentType, disposition string, data []byte) part {
	return part{
		header: "Content-Type: " + contentType + "\r\nContent-Disposition: " + disposition + "\r\nContent-Transfer-Encoding: base64\r\n",
		body:   base64Lines(data, 76),
	}
}

// pdfAttachment is data attached as name.pdf.
func pdfAttachment(name string, data []byte) part {
	return attachment(`application/pdf; name="`+name+`"`, `attachment; filename="`+name+`"`, data)
}

// base64Lines encodes data in lines of width characters (no line breaks
// when width <= 0).
func base64Lines(data []byte, width int) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	if width <= 0 {
		return []byte(enc + "\r\n")
	}
	var b bytes.Buffer
	b.Grow(len(enc) + len(enc)/width*2 + 2)
	for len(enc) > width {
		b.WriteString(enc[:width] + "\r\n")
		enc = enc[width:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// multipart writes parts as one multipart entity of the given subtype;
// closed false leaves out the closing delimiter.
func multipart(subtype, boundary string, closed bool, parts ...part) part {
	var b bytes.Buffer
	b.WriteString("Ce message est au format MIME.\r\n")
	for _, p := range parts {
		b.WriteString("\r\n--" + boundary + "\r\n")
		b.WriteString(p.header)
		b.WriteString("\r\n")
		b.Write(p.body)
	}
	if closed {
		b.WriteString("\r\n--" + boundary + "--\r\n")
	}
	return part{header: fmt.Sprintf("Content-Type: multipart/%s; boundary=\"%s\"\r\n", subtype, boundary), body: b.Bytes()}
}

// message is a header (from header) followed by the entity p.
func message(hdr string, p part) []byte {
	var b bytes.Buffer
	b.Grow(len(hdr) + len(p.header) + len(p.body) + 4)
	b.WriteString(hdr)
	b.WriteString(p.header)
	b.WriteString("\r\n")
	b.Write(p.body)
	return b.Bytes()
}

// withInvoice is a message from the supplier carrying body text and the
// given attachments.
func withAttachments(id, subject string, atts ...part) []byte {
	parts := append([]part{textPart("Bonjour,\r\n\r\nVeuillez trouver ci-joint notre facture.\r\n\r\nCordialement,\r\n")}, atts...)
	return message(header(id, subject), multipart("mixed", "=_hostile_"+id, true, parts...))
}

// nested wraps p in depth multipart/mixed levels, each with a line of text
// before it.
func nested(p part, depth int) part {
	for i := depth; i > 0; i-- {
		p = multipart("mixed", fmt.Sprintf("=_level_%d", i), true, textPart(fmt.Sprintf("niveau %d\r\n", i)), p)
	}
	return p
}
