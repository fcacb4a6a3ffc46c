package imapwatch

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/charset"

	"facteur/store"
)

// maxListedAttachments bounds the attachments recorded for a message not
// downloaded, or named in a log line.
const maxListedAttachments = 50

// attachments lists the parts of bs that look like attachments: a
// Content-Disposition "attachment", or a file name, or a non-text leaf. A
// forwarded message/rfc822 part
// counts as one attachment (its inner parts are the parser's business).
// bs may be nil.
//
// Each has its decoded file name ("" when none), its media type and its
// approximate decoded size in bytes.
func attachments(bs imap.BodyStructure) []store.Attachment {
	if bs == nil {
		return nil
	}
	var out []store.Attachment
	bs.Walk(func(_ []int, p imap.BodyStructure) bool {
		sp, ok := p.(*imap.BodyStructureSinglePart)
		if !ok {
			return true
		}
		name := partFilename(sp)
		disp := ""
		if d := sp.Disposition(); d != nil {
			disp = strings.ToLower(d.Value)
		}
		mt := sp.MediaType()
		if name == "" && disp != "attachment" && strings.HasPrefix(mt, "text/") {
			return false // a body, not an attachment
		}
		size := int64(sp.Size)
		if strings.EqualFold(sp.Encoding, "base64") {
			size = size * 3 / 4
		}
		if len(out) < maxListedAttachments {
			out = append(out, store.Attachment{Name: cleanText(name), MediaType: cleanText(mt), Size: size})
		}
		return false // do not descend into message/rfc822
	})
	return out
}

func attachmentNames(atts []store.Attachment) []string {
	names := make([]string, len(atts))
	for i, a := range atts {
		names[i] = a.Name
	}
	return names
}

// partFilename returns the decoded file name of a part: the disposition's
// filename, else the Content-Type name. Servers send the parameters as they
// are written in the message, and Dovecot does not decode RFC 2231 forms:
//
//	("attachment" ("filename*" "UTF-8''facture_%C3%A9t%C3%A9.pdf"))
//	("attachment" ("filename*0*" "UTF-8''Facture%20" "filename*1*" "%C3%A9t%C3%A9.pdf"))
//
// imapclient's Filename() only reads "filename" and "name", so the
// parameters are decoded here. RFC 2047 encoded words (what Outlook writes
// in name="=?utf-8?...?=") are decoded as well.
func partFilename(sp *imap.BodyStructureSinglePart) string {
	if d := sp.Disposition(); d != nil {
		if name := decodeParam(d.Params, "filename"); name != "" {
			return name
		}
	}
	return decodeParam(sp.Params, "name")
}

// decodeParam decodes the parameter key of params, in any of its RFC 2045,
// RFC 2231 (charset, percent-encoding, continuations) or RFC 2047 (encoded
// words) forms. Whatever cannot be decoded falls back to the plain value.
func decodeParam(params map[string]string, key string) string {
	var (
		raw []byte
		cs  string // charset
		ok  bool
	)
	if v, found := params[key+"*"]; found {
		cs, v = splitCharset(v)
		raw, ok = percentDecode(v)
	} else {
		for i := 0; ; i++ {
			if v, found := params[key+"*"+strconv.Itoa(i)+"*"]; found {
				if i == 0 {
					cs, v = splitCharset(v)
				}
				var part []byte
				if part, ok = percentDecode(v); !ok {
					break
				}
				raw = append(raw, part...)
			} else if v, found := params[key+"*"+strconv.Itoa(i)]; found {
				raw, ok = append(raw, v...), true
			} else {
				break
			}
		}
	}
	if ok && len(raw) > 0 {
		if name, err := toUTF8(cs, raw); err == nil && strings.TrimSpace(name) != "" {
			return strings.TrimSpace(name)
		}
	}
	name := params[key]
	if strings.Contains(name, "=?") {
		dec := mime.WordDecoder{CharsetReader: charset.Reader}
		if s, err := dec.DecodeHeader(name); err == nil {
			name = s
		}
	}
	return strings.TrimSpace(name)
}

// splitCharset splits an RFC 2231 extended value charset'language'text.
func splitCharset(v string) (charset, text string) {
	cs, rest, ok := strings.Cut(v, "'")
	if !ok {
		return "", v
	}
	_, text, ok = strings.Cut(rest, "'")
	if !ok {
		return "", v
	}
	return cs, text
}

func percentDecode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return nil, false
		}
		b, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return nil, false
		}
		out = append(out, byte(b))
		i += 2
	}
	return out, true
}

// toUTF8 converts b from charset (UTF-8 when empty) to UTF-8.
func toUTF8(cs string, b []byte) (string, error) {
	if cs == "" || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		if !utf8.Valid(b) {
			return "", errors.New("invalid UTF-8")
		}
		return string(b), nil
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	out, err := io.ReadAll(r)
	return string(out), err
}
