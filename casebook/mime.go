package casebook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// A small MIME writer, so that each message has the shape its client
// gives it: the multipart layout, the charsets, the boundaries, the
// header fields in their order.

// part is one MIME entity: a leaf (body) or a multipart (parts).
type part struct {
	ctype  string      // Content-Type without the boundary
	header [][2]string // other fields, in order
	cte    string      // "quoted-printable", "base64", "7bit" or "8bit"; "" for a multipart
	body   []byte      // the decoded content of a leaf
	parts  []*part
	// boundary of a multipart; set by message.bytes when empty.
	boundary string
}

// message is a whole e-mail.
type message struct {
	header   [][2]string
	root     *part
	boundary func(n int) string // the client's boundary style
}

func (m *message) add(name, value string) { m.header = append(m.header, [2]string{name, value}) }

func (m *message) bytes() []byte {
	var b bytes.Buffer
	for _, h := range m.header {
		writeField(&b, h[0], h[1])
	}
	n := 0
	var setBoundaries func(p *part)
	setBoundaries = func(p *part) {
		if p.parts == nil {
			return
		}
		if p.boundary == "" {
			n++
			p.boundary = m.boundary(n)
		}
		for _, c := range p.parts {
			setBoundaries(c)
		}
	}
	setBoundaries(m.root)
	writePart(&b, m.root)
	return b.Bytes()
}

func writePart(b *bytes.Buffer, p *part) {
	if p.parts != nil {
		writeField(b, "Content-Type", p.ctype+`; boundary="`+p.boundary+`"`)
		for _, h := range p.header {
			writeField(b, h[0], h[1])
		}
		b.WriteString("\r\n")
		if p.ctype == "multipart/mixed" || p.ctype == "multipart/report" {
			b.WriteString("This is a multi-part message in MIME format.\r\n")
		}
		for _, c := range p.parts {
			b.WriteString("\r\n--" + p.boundary + "\r\n")
			writePart(b, c)
		}
		b.WriteString("\r\n--" + p.boundary + "--\r\n")
		return
	}
	writeField(b, "Content-Type", p.ctype)
	for _, h := range p.header {
		writeField(b, h[0], h[1])
	}
	if p.cte != "" {
		writeField(b, "Content-Transfer-Encoding", p.cte)
	}
	b.WriteString("\r\n")
	switch p.cte {
	case "base64":
		enc := base64.StdEncoding.EncodeToString(p.body)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc)
	case "quoted-printable":
		qp := quotedprintable.NewWriter(b)
		_, _ = qp.Write(bytes.ReplaceAll(p.body, []byte("\r\n"), []byte("\n")))
		_ = qp.Close()
	default:
		b.Write(bytes.ReplaceAll(bytes.ReplaceAll(p.body, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	}
}

// writeField writes a header field folded at spaces under 78 columns
// where it can.
func writeField(b *bytes.Buffer, name, value string) {
	value = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(value)
	b.WriteString(name + ":")
	n := len(name) + 1
	for i, w := range strings.Split(value, " ") {
		if i > 0 && n+1+len(w) > 78 && n > len(name)+1 {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + w)
		n += 1 + len(w)
	}
	b.WriteString("\r\n")
}

// text is a text/plain leaf in a charset ("utf-8", "iso-8859-1",
// "windows-1252") and a transfer encoding.
func text(s, charset, cte string, params ...string) *part {
	body := []byte(strings.ReplaceAll(s, "\r\n", "\n"))
	cms := map[string]*charmap.Charmap{"iso-8859-1": charmap.ISO8859_1, "windows-1252": charmap.Windows1252}
	if cm := cms[strings.ToLower(charset)]; cm != nil {
		if enc, ok := encodeCharmap(cm, s); ok {
			body = enc
		} else {
			// A character outside the charset: the client falls back to
			// UTF-8, as Outlook does.
			charset = "utf-8"
		}
	}
	ct := "text/plain; charset=" + charset
	if strings.Contains(charset, "-") {
		ct = `text/plain; charset="` + charset + `"`
	}
	for _, p := range params {
		ct += "; " + p
	}
	return &part{ctype: ct, cte: cte, body: body}
}

// htmlPart is a text/html leaf.
func htmlPart(s, charset, cte string) *part {
	p := text(s, charset, cte)
	p.ctype = strings.Replace(p.ctype, "text/plain", "text/html", 1)
	return p
}

func encodeCharmap(cm *charmap.Charmap, s string) ([]byte, bool) {
	out, err := cm.NewEncoder().String(strings.ReplaceAll(s, "\r\n", "\n"))
	return []byte(out), err == nil
}

// file is an attachment.
type file struct {
	Name   string
	Type   string // media type; "" → from the name
	Data   []byte
	Inline bool   // Content-Disposition inline (Apple Mail, iOS)
	CID    string // Content-ID, for a picture the HTML shows
}

// attachment is the leaf of a file, with the client's way of naming it:
// "rfc2231" (filename*=utf-8”…, Gmail and Thunderbird), "rfc2047"
// (filename="=?utf-8?B?…?=", Outlook) or "raw" (plain ASCII).
func attachment(f file, naming string, extra ...[2]string) *part {
	ct := f.Type
	if ct == "" {
		ct = typeOf(f.Name)
	}
	disp := "attachment"
	if f.Inline {
		disp = "inline"
	}
	var ctName, dispName string
	switch {
	case isASCII(f.Name):
		ctName, dispName = `; name="`+f.Name+`"`, `; filename="`+f.Name+`"`
	case naming == "rfc2047":
		enc := mime.BEncoding.Encode("utf-8", f.Name)
		ctName, dispName = `; name="`+enc+`"`, `; filename="`+enc+`"`
	default:
		ctName = `; name="` + mime.QEncoding.Encode("utf-8", f.Name) + `"`
		dispName = `; filename*=utf-8''` + percentEncode(f.Name)
	}
	p := &part{ctype: ct + ctName, cte: "base64", body: f.Data}
	if f.Type == "message/rfc822" {
		p.ctype, p.cte = "message/rfc822", "7bit"
		if f.Name != "" {
			p.ctype += ctName
		}
	}
	p.header = append(p.header, [2]string{"Content-Disposition", disp + dispName})
	if f.CID != "" {
		p.header = append(p.header, [2]string{"Content-ID", "<" + f.CID + ">"})
	}
	p.header = append(p.header, extra...)
	return p
}

func typeOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "text/xml"
	case ".zip":
		return "application/x-zip-compressed"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".dat":
		return "application/ms-tnef"
	}
	return "application/octet-stream"
}

func multipart(subtype string, parts ...*part) *part {
	return &part{ctype: "multipart/" + subtype, parts: parts}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func percentEncode(s string) string {
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// word encodes an unstructured header value (a Subject) when not ASCII.
func word(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// address formats "Name <addr>" (the name encoded when needed); several
// are separated by commas.
func address(list ...string) string {
	var out []string
	for _, s := range list {
		a, err := mail.ParseAddress(s)
		if err != nil {
			out = append(out, s)
			continue
		}
		if a.Name == "" {
			out = append(out, a.Address)
			continue
		}
		out = append(out, a.String())
	}
	return strings.Join(out, ", ")
}

// token is a deterministic hex token of n characters for a seed: message
// ids and boundaries stay stable from one run to the next.
func token(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	s := hex.EncodeToString(sum[:])
	for len(s) < n {
		s += s
	}
	return s[:n]
}

// rfc5322 is a Date field.
func rfc5322(t time.Time) string { return t.Format("Mon, 2 Jan 2006 15:04:05 -0700") }

// htmlOf turns a plain text into the HTML a client writes for it.
func htmlOf(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			b.WriteString("<div><br></div>\n")
			continue
		}
		b.WriteString("<div>" + html.EscapeString(line) + "</div>\n")
	}
	return b.String()
}

// French dates as mail clients write them in quotes.
var (
	frDays         = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frDaysShort    = []string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frMonths       = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	frMonthsShort  = []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	frenchLocation = time.FixedZone("CET", 3600)
)

func frLong(t time.Time) string {
	t = t.In(frenchLocation)
	return fmt.Sprintf("%s %d %s %d %s", frDays[t.Weekday()], t.Day(), frMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

func frShort(t time.Time) string {
	t = t.In(frenchLocation)
	return fmt.Sprintf("%s %d %s %d à %s", frDaysShort[t.Weekday()], t.Day(), frMonthsShort[t.Month()-1], t.Year(), t.Format("15:04"))
}
