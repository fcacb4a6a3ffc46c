package parser

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Some old mail programs and billing systems still send attachments
// uuencoded inside the text of the message ("begin 644 facture.pdf" …
// "end") rather than as MIME parts. Such a block is taken out of the text
// and read as a document, so that the invoice is not missed.

var uuBegin = regexp.MustCompile(`(?m)^begin [0-7]{3,4} ([^\r\n]{1,255}?)\r?$`)

type uuFile struct {
	name string
	data []byte
	// cut: the block began and decoded, then ended without its "end"
	// line (truncated, or a line that is not uuencoding): data is what
	// decoded before.
	cut bool
}

// extractUU returns text without its uuencoded blocks, and the files they
// held (at most max). A block that does not decode is left in the text.
func extractUU(text string, max int) (string, []uuFile) {
	if !strings.Contains(text, "begin ") {
		return text, nil
	}
	var files []uuFile
	var out strings.Builder
	rest := text
	for len(files) < max {
		loc := uuBegin.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		name := strings.TrimSpace(rest[loc[2]:loc[3]])
		body := rest[loc[1]:]
		data, n, ok := uudecode(body)
		if !ok {
			if len(data) > 0 {
				// A block cut short: the file it held is named, as
				// damaged, never taken for no file at all.
				files = append(files, uuFile{name: name, data: data, cut: true})
			}
			out.WriteString(rest[:loc[1]])
			rest = body
			continue
		}
		out.WriteString(rest[:loc[0]])
		files = append(files, uuFile{name: name, data: data})
		rest = body[n:]
	}
	out.WriteString(rest)
	return out.String(), files
}

// uudecode decodes the lines that follow a begin line, up to and including
// the "end" line; n is the length consumed. ok is false when a line is not
// uuencoding or the end is missing; data is then what decoded before.
func uudecode(s string) (data []byte, n int, ok bool) {
	pos := 0
	if strings.HasPrefix(s, "\n") {
		pos = 1
	} else if strings.HasPrefix(s, "\r\n") {
		pos = 2
	}
	for pos < len(s) {
		end := strings.IndexByte(s[pos:], '\n')
		next := len(s)
		if end >= 0 {
			next = pos + end + 1
		} else {
			end = len(s) - pos
		}
		line := strings.TrimRight(s[pos:pos+end], "\r")
		pos = next
		if line == "end" {
			return data, pos, true
		}
		if line == "" {
			continue // some mailers add a blank line before "end"
		}
		d, ok := uuLine(line)
		if !ok {
			return data, 0, false
		}
		data = append(data, d...)
	}
	return data, 0, false
}

// uuLine decodes one line: a length character, then groups of four
// characters for three bytes each.
func uuLine(line string) ([]byte, bool) {
	val := func(c byte) (byte, bool) {
		if c < 32 || c > 96 {
			return 0, false
		}
		return (c - 32) & 63, true
	}
	n, ok := val(line[0])
	if !ok {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	chars := line[1:]
	need := (int(n) + 2) / 3 * 4
	if len(chars) < need {
		// Trailing spaces are often trimmed by mail software.
		chars += strings.Repeat(" ", need-len(chars))
	}
	out := make([]byte, 0, n+2)
	for i := 0; i+4 <= need; i += 4 {
		var c [4]byte
		for j := range c {
			v, ok := val(chars[i+j])
			if !ok {
				return nil, false
			}
			c[j] = v
		}
		out = append(out, c[0]<<2|c[1]>>4, c[1]<<4|c[2]>>2, c[2]<<6|c[3])
	}
	return out[:n], true
}

// cutUUDocument is the document of a uuencoded block cut short: damaged,
// with what decoded before the cut counted but not read.
func cutUUDocument(f uuFile) Document {
	sum := sha256.Sum256(f.data)
	doc := Document{Name: sanitizeName(f.name), Size: len(f.data), SHA256: hex.EncodeToString(sum[:]),
		Sniffed: sniff(f.data), Format: FormatOther, Warnings: []string{"uuencoded in the message text"}}
	doc.fail(ProblemDamaged, LimitNone, fmt.Sprintf("uuencoded block cut short after %d bytes (no end line)", len(f.data)))
	return doc
}
