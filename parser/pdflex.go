package parser

import (
	"bytes"
	"strconv"
)

// A small lexer for PDF content streams and CMaps (ISO 32000-1 §7.2,
// §7.3). It never fails: malformed input yields operators or is skipped,
// and every token consumes at least one byte.

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkNum
	tkStr  // literal or hexadecimal string, decoded bytes in s
	tkName // without the slash, #xx decoded
	tkOp   // operator or keyword (true, false, null included)
	tkArrOpen
	tkArrClose
	tkDictOpen
	tkDictClose
	tkArr // an operand array, built by the interpreter (never lexed)
)

type token struct {
	kind tokKind
	num  float64
	s    []byte
	arr  []token // tkArr only
}

type lexer struct {
	b   []byte
	pos int
}

// maxStringToken bounds one string token; longer strings are cut.
const maxStringToken = 64 << 10

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isPDFSpace(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		return
	}
}

func (l *lexer) next() token {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return token{kind: tkEOF}
	}
	c := l.b[l.pos]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tkStr, s: l.literal()}
	case c == '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			return token{kind: tkDictOpen}
		}
		l.pos++
		return token{kind: tkStr, s: l.hex()}
	case c == '>':
		l.pos++
		if l.pos < len(l.b) && l.b[l.pos] == '>' {
			l.pos++
			return token{kind: tkDictClose}
		}
		return l.next()
	case c == '[':
		l.pos++
		return token{kind: tkArrOpen}
	case c == ']':
		l.pos++
		return token{kind: tkArrClose}
	case c == '/':
		l.pos++
		return token{kind: tkName, s: l.name()}
	case c == '{' || c == '}' || c == ')':
		l.pos++
		return l.next()
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		start := l.pos
		l.pos++
		for l.pos < len(l.b) {
			c := l.b[l.pos]
			if !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '+' {
				break
			}
			l.pos++
		}
		return token{kind: tkNum, num: parsePDFNumber(l.b[start:l.pos])}
	}
	start := l.pos
	for l.pos < len(l.b) && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
		l.pos++
	}
	return token{kind: tkOp, s: l.b[start:l.pos]}
}

// parsePDFNumber parses a PDF number leniently ("--5", "4.-2" and such
// give what can be read, else 0).
func parsePDFNumber(b []byte) float64 {
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		return f
	}
	// Keep a sign and the first run of digits and one dot.
	neg := false
	i := 0
	for i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = neg || b[i] == '-'
		i++
	}
	j := i
	dot := false
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' && !dot) {
		dot = dot || b[j] == '.'
		j++
	}
	f, _ := strconv.ParseFloat(string(b[i:j]), 64)
	if neg {
		f = -f
	}
	return f
}

func (l *lexer) literal() []byte {
	// Most strings have no escape: they are returned as a slice of the
	// content, without a copy.
	for i, depth := l.pos, 1; i < len(l.b); i++ {
		switch l.b[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				out := l.b[l.pos:i:i]
				l.pos = i + 1
				if len(out) > maxStringToken {
					out = out[:maxStringToken]
				}
				return out
			}
		}
		if l.b[i] == '\\' {
			break
		}
	}
	var out []byte
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out
			}
		case '\\':
			if l.pos >= len(l.b) {
				return out
			}
			c = l.b[l.pos]
			l.pos++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if c >= '0' && c <= '7' {
					v := int(c - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				}
			}
		}
		if len(out) < maxStringToken {
			out = append(out, c)
		}
	}
	return out
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (l *lexer) hex() []byte {
	n := bytes.IndexByte(l.b[l.pos:], '>')
	if n < 0 {
		n = len(l.b) - l.pos
	}
	out := make([]byte, 0, min(n/2+1, maxStringToken))
	hi := -1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		v := hexVal(c)
		if v < 0 {
			continue
		}
		if hi < 0 {
			hi = v
			continue
		}
		if len(out) < maxStringToken {
			out = append(out, byte(hi<<4|v))
		}
		hi = -1
	}
	if hi >= 0 && len(out) < maxStringToken {
		out = append(out, byte(hi<<4))
	}
	return out
}

func (l *lexer) name() []byte {
	start := l.pos
	for l.pos < len(l.b) && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
		l.pos++
	}
	raw := l.b[start:l.pos]
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' {
			return unescapeName(raw)
		}
	}
	return raw
}

func unescapeName(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) && hexVal(raw[i+1]) >= 0 && hexVal(raw[i+2]) >= 0 {
			out = append(out, byte(hexVal(raw[i+1])<<4|hexVal(raw[i+2])))
			i += 2
			continue
		}
		out = append(out, raw[i])
	}
	return out
}

// skipInlineImage moves past the data of an inline image: from after
// "ID" to after the "EI" operator that ends it.
func (l *lexer) skipInlineImage() {
	if l.pos < len(l.b) && isPDFSpace(l.b[l.pos]) {
		l.pos++
	}
	for l.pos+1 < len(l.b) {
		if l.b[l.pos] == 'E' && l.b[l.pos+1] == 'I' &&
			(l.pos == 0 || isPDFSpace(l.b[l.pos-1])) &&
			(l.pos+2 == len(l.b) || isPDFSpace(l.b[l.pos+2])) {
			l.pos += 2
			return
		}
		l.pos++
	}
	l.pos = len(l.b)
}
