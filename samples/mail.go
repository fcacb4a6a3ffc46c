package samples

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Attachment is a file attached to a Mail.
type Attachment struct {
	Name        string // file name, may be non-ASCII ("Facture n°42.pdf")
	ContentType string // "" → guessed from the name's extension
	Data        []byte
	Inline      bool // Content-Disposition inline instead of attachment
}

// Mail is a sample e-mail message.
type Mail struct {
	From, To, Subject, Body string // From/To: "Name <addr>", "addr" or a comma-separated list
	MessageID               string // without <>; generated when empty
	Date                    time.Time
	Headers                 [][2]string // extra header fields, written after the standard ones
	Attachments             []Attachment
}

// Bytes returns the message in RFC 5322 / MIME form with CRLF line endings:
// non-ASCII display names and subject as RFC 2047 encoded words, the body as
// text/plain UTF-8 quoted-printable, attachments in base64 inside a
// multipart/mixed with RFC 2231 file names (filename*=UTF-8”...) plus an
// ASCII filename fallback when the name is not plain ASCII. A zero Date means now.
func (m Mail) Bytes() []byte {
	var b bytes.Buffer
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	id := m.MessageID
	if id == "" {
		id = randomToken(12) + "@" + addressDomain(m.From)
	}

	writeField(&b, "Date", date.Format(time.RFC1123Z))
	writeField(&b, "From", formatAddresses(m.From))
	if m.To != "" {
		writeField(&b, "To", formatAddresses(m.To))
	}
	if m.Subject != "" {
		writeField(&b, "Subject", encodeUnstructured(m.Subject))
	}
	writeField(&b, "Message-ID", "<"+id+">")
	for _, h := range m.Headers {
		writeField(&b, h[0], encodeUnstructured(h[1]))
	}
	writeField(&b, "MIME-Version", "1.0")

	if len(m.Attachments) == 0 {
		writeTextPart(&b, m.Body)
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			b.WriteString("\r\n") // a message ends with a line break
		}
		return b.Bytes()
	}

	boundary := "=_facteur_" + randomToken(12)
	writeField(&b, "Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
	b.WriteString("\r\nCe message est au format MIME.\r\n")
	b.WriteString("\r\n--" + boundary + "\r\n")
	writeTextPart(&b, m.Body)
	for _, a := range m.Attachments {
		b.WriteString("\r\n--" + boundary + "\r\n")
		writeAttachment(&b, a)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}

// writeTextPart writes the Content-* fields, the blank line and the body. In a
// multipart, the CRLF before the next delimiter belongs to the delimiter, so
// no line break is added after the body.
func writeTextPart(b *bytes.Buffer, body string) {
	writeField(b, "Content-Type", "text/plain; charset=UTF-8")
	writeField(b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	body = strings.ReplaceAll(body, "\r\n", "\n")
	qp := quotedprintable.NewWriter(b) // turns "\n" into CRLF
	_, _ = qp.Write([]byte(body))      // writes to a bytes.Buffer never fail
	_ = qp.Close()
}

func writeAttachment(b *bytes.Buffer, a Attachment) {
	ct := a.ContentType
	if ct == "" {
		ct = contentTypeFor(a.Name)
	}
	fallback := asciiFileName(a.Name)
	writeField(b, "Content-Type", ct+`; name="`+fallback+`"`)
	disp := "attachment"
	if a.Inline {
		disp = "inline"
	}
	disp += `; filename="` + fallback + `"`
	if fallback != a.Name {
		disp += "; filename*=UTF-8''" + percentEncode(a.Name)
	}
	writeField(b, "Content-Disposition", disp)
	writeField(b, "Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString(a.Data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\r\n")
	}
}

// writeField writes "Name: value" folded at spaces so that lines stay under
// 78 characters where possible. CR and LF in value are replaced by spaces.
func writeField(b *bytes.Buffer, name, value string) {
	value = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(value)
	line := name + ":"
	lineLen := len(line)
	b.WriteString(line)
	for i, word := range strings.Split(value, " ") {
		if i > 0 && lineLen+1+len(word) > 78 && lineLen > len(name)+1 {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		lineLen += 1 + len(word)
	}
	b.WriteString("\r\n")
}

// formatAddresses formats an address list, encoding non-ASCII display names.
// Text that does not parse as addresses is written as is.
func formatAddresses(s string) string {
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return s
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String()
		if a.Name == "" {
			out[i] = strings.TrimSuffix(strings.TrimPrefix(out[i], "<"), ">")
		}
	}
	return strings.Join(out, ", ")
}

func addressDomain(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		if _, dom, ok := strings.Cut(a.Address, "@"); ok && dom != "" {
			return dom
		}
	}
	return "samples.invalid"
}

// encodeUnstructured returns s, or RFC 2047 encoded words when s is not ASCII.
func encodeUnstructured(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.QEncoding.Encode("UTF-8", s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// percentEncode encodes s for an RFC 2231 extended parameter value: every
// byte outside attr-char becomes %XX.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

var asciiFold = map[rune]string{
	'à': "a", 'â': "a", 'ä': "a", 'á': "a", 'ç': "c", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'î': "i", 'ï': "i", 'í': "i", 'ô': "o", 'ö': "o", 'ó': "o", 'ù': "u", 'û': "u", 'ü': "u", 'ú': "u",
	'ÿ': "y", 'ñ': "n", 'œ': "oe", 'æ': "ae", 'À': "A", 'Â': "A", 'Ä': "A", 'Ç': "C", 'É': "E",
	'È': "E", 'Ê': "E", 'Ë': "E", 'Î': "I", 'Ï': "I", 'Ô': "O", 'Ö': "O", 'Ù': "U", 'Û': "U",
	'Ü': "U", 'Œ': "OE", 'Æ': "AE", '°': "o", '«': "", '»': "", '’': "'", '–': "-", '—': "-",
}

// asciiFileName is the plain filename fallback: accents removed, other
// non-ASCII characters, quotes and backslashes replaced by "_".
func asciiFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || r == 0x7f:
			b.WriteByte('_')
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		default:
			if f, ok := asciiFold[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// contentTypeFor guesses a media type from a file name, without the system's
// mime.types (this package reads no file).
func contentTypeFor(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "application/xml"
	case ".txt":
		return "text/plain; charset=UTF-8"
	case ".zip":
		return "application/zip"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".eml":
		return "message/rfc822"
	}
	return "application/octet-stream"
}

func randomToken(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf) // crypto/rand.Read never returns an error
	return hex.EncodeToString(buf)
}
