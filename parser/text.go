package parser

import (
	"bytes"
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeUTF16 converts UTF-16 text with a byte-order mark to UTF-8.
func decodeUTF16(b []byte) []byte {
	if len(b) < 2 {
		return nil
	}
	big := b[0] == 0xfe && b[1] == 0xff
	b = b[2:]
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if big {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	return []byte(string(utf16.Decode(u)))
}

// latin1ToUTF8 decodes Windows-1252 (a superset of the printable
// ISO-8859-1) to UTF-8.
func latin1ToUTF8(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/8)
	for _, c := range b {
		if c < 0x80 {
			out.WriteByte(c)
			continue
		}
		r := rune(c)
		if c >= 0x80 && c < 0xa0 {
			r = cp1252[c-0x80]
		}
		out.WriteRune(r)
	}
	return out.Bytes()
}

var cp1252 = [32]rune{
	'€', '\u0081', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u008d', 'Ž', '\u008f',
	'\u0090', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u009d', 'ž', 'Ÿ',
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// htmlToText returns the visible text of an HTML document: tags removed,
// script and style dropped, entities decoded, blocks on separate lines.
func htmlToText(s string) string {
	var out strings.Builder
	lower := strings.ToLower(s)
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			out.WriteString(s[i : i+j])
			i += j
			continue
		}
		// Comment.
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := lower[i+1 : i+end]
		name := strings.TrimPrefix(tag, "/")
		if k := strings.IndexAny(name, " \t\r\n/"); k >= 0 {
			name = name[:k]
		}
		i += end + 1
		switch name {
		case "script", "style", "head", "title":
			if !strings.HasPrefix(tag, "/") {
				closing := "</" + name
				k := strings.Index(lower[i:], closing)
				if k < 0 {
					i = len(s)
				} else {
					i += k
				}
			}
		case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr":
			out.WriteByte('\n')
		case "td", "th":
			out.WriteByte(' ')
		}
	}
	text := html.UnescapeString(out.String())
	// Collapse runs of blank space, keep line structure.
	lines := strings.Split(text, "\n")
	kept := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.Join(strings.Fields(strings.ReplaceAll(l, "\u00a0", " ")), " ")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		kept = append(kept, l)
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}
