package parser

import (
	"bytes"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sniffed types that matter to the gateway.
const (
	typePDF  = "application/pdf"
	typeXML  = "application/xml"
	typeTNEF = "application/ms-tnef"
	typeZIP  = "application/zip"
)

// sniff detects the type of data from its bytes, never from its name.
func sniff(data []byte) string {
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	pdf := bytes.Index(head, []byte("%PDF-"))
	switch {
	case pdf == 0:
		return typePDF
	case pdf > 0 && !looksLikeXML(data):
		// PDF readers accept a header anywhere in the first 1024 bytes.
		return typePDF
	case bytes.HasPrefix(data, []byte{0x78, 0x9f, 0x3e, 0x22}):
		return typeTNEF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return typeZIP
	case bytes.HasPrefix(data, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}):
		return "application/x-ole-storage"
	case looksLikeXML(data):
		return typeXML
	}
	return strings.TrimSuffix(http.DetectContentType(data), "; charset=utf-8")
}

// looksLikeXML reports whether data starts (after a BOM and white space)
// with an XML declaration or an element.
func looksLikeXML(data []byte) bool {
	switch {
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}), bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		b := decodeUTF16(data)
		return looksLikeXML(b)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(data, []byte("<?xml")) {
		return true
	}
	// Skip comments and processing instructions before the root.
	for i := 0; i < 16 && len(data) > 0; i++ {
		switch {
		case bytes.HasPrefix(data, []byte("<!--")):
			end := bytes.Index(data, []byte("-->"))
			if end < 0 {
				return false
			}
			data = bytes.TrimLeft(data[end+3:], " \t\r\n")
		case bytes.HasPrefix(data, []byte("<?")):
			end := bytes.Index(data, []byte("?>"))
			if end < 0 {
				return false
			}
			data = bytes.TrimLeft(data[end+2:], " \t\r\n")
		case len(data) > 1 && data[0] == '<':
			r, _ := utf8.DecodeRune(data[1:])
			if !(unicode.IsLetter(r) || r == '_') {
				return false
			}
			// An HTML page is not XML for our purpose.
			lower := bytes.ToLower(data[:min(len(data), 16)])
			return !bytes.HasPrefix(lower, []byte("<html")) && !bytes.HasPrefix(lower, []byte("<!doctype html"))
		default:
			return false
		}
	}
	return false
}

// sanitizeName keeps the last path element of a file name and removes
// control and formatting characters (including bidirectional overrides).
func sanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	// A line break inside a name (an encoded name split over lines) is a
	// word break: one space, never a CR or LF.
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// extFor returns the usual extension of a sniffed type.
func extFor(sniffed string) string {
	switch sniffed {
	case typePDF:
		return ".pdf"
	case typeXML:
		return ".xml"
	case typeZIP:
		return ".zip"
	case typeTNEF:
		return ".dat"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	}
	return ".bin"
}

// nameExt returns the lower-cased extension of a file name.
func nameExt(name string) string {
	return strings.ToLower(path.Ext(name))
}
