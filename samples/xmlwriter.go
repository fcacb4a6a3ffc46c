package samples

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// xmlWriter writes indented XML with elements in exactly the order the
// caller emits them (schemas such as CII D16B are sequences).
type xmlWriter struct {
	buf   bytes.Buffer
	depth int
}

func newXMLWriter() *xmlWriter {
	w := &xmlWriter{}
	w.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return w
}

func (w *xmlWriter) indent() {
	w.buf.WriteString(strings.Repeat("  ", w.depth))
}

// startTag writes "<name a="v" ...>". attrs are name/value pairs.
func (w *xmlWriter) startTag(name string, attrs []string) {
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.buf.WriteByte(' ')
		w.buf.WriteString(attrs[i])
		w.buf.WriteString(`="`)
		escape(&w.buf, attrs[i+1])
		w.buf.WriteByte('"')
	}
	w.buf.WriteByte('>')
}

// open starts an element that has children.
func (w *xmlWriter) open(name string, attrs ...string) {
	w.indent()
	w.startTag(name, attrs)
	w.buf.WriteByte('\n')
	w.depth++
}

// close ends the element opened last.
func (w *xmlWriter) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

// leaf writes an element with text content.
func (w *xmlWriter) leaf(name, text string, attrs ...string) {
	w.indent()
	w.startTag(name, attrs)
	escape(&w.buf, text)
	w.buf.WriteString("</" + name + ">\n")
}

// leafIf writes the element only when text is not empty.
func (w *xmlWriter) leafIf(name, text string, attrs ...string) {
	if text != "" {
		w.leaf(name, text, attrs...)
	}
}

func (w *xmlWriter) bytes() []byte { return w.buf.Bytes() }

func escape(b *bytes.Buffer, s string) {
	// EscapeText never fails on a bytes.Buffer.
	_ = xml.EscapeText(b, []byte(s))
}
