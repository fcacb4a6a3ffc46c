package parser

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// XML bounds: invoices are flat and small; anything beyond is hostile.
const (
	maxXMLDepth = 128
	maxXMLNodes = 500_000
)

// node is a minimal namespace-aware XML element.
type node struct {
	space, local string
	attrs        []xml.Attr
	text         strings.Builder
	kids         []*node
}

var errXMLTooLarge = overLimit(LimitObjects, errors.New("xml: too many elements or too deep"))

// prepareXML returns data as UTF-8 without a byte-order mark. Valid UTF-8
// is kept whatever the declaration says (producers often declare a wrong
// encoding); other bytes are decoded with the declared charset, else as
// Windows-1252.
func prepareXML(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}), bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return decodeUTF16(data)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data
	}
	if enc := declaredEncoding(data); enc != "" {
		if r, err := message.CharsetReader(enc, bytes.NewReader(data)); err == nil {
			if out, err := io.ReadAll(r); err == nil && utf8.Valid(out) {
				return out
			}
		}
	}
	return latin1ToUTF8(data)
}

var encodingDeclRE = regexp.MustCompile(`^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']`)

func declaredEncoding(data []byte) string {
	head := data[:min(len(data), 200)]
	if m := encodingDeclRE.FindSubmatch(head); m != nil {
		return strings.ToLower(strings.TrimSpace(string(m[1])))
	}
	return ""
}

// parseXML builds the element tree of data. Parsing is strict: data read
// from a malformed document is not trusted.
func parseXML(data []byte) (*node, error) {
	return buildTree(prepareXML(data))
}

func buildTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	// The bytes are already UTF-8: accept any declared encoding as is.
	d.CharsetReader = func(_ string, input io.Reader) (io.Reader, error) { return input, nil }

	var root *node
	var stack []*node
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxXMLNodes || len(stack) >= maxXMLDepth {
				return nil, errXMLTooLarge
			}
			n := &node{space: t.Name.Space, local: t.Name.Local, attrs: append([]xml.Attr(nil), t.Attr...)}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("xml: several root elements")
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("xml: no root element")
	}
	return root, nil
}

// nsSet is the set of namespace URIs an element may belong to.
type nsSet map[string]bool

// child returns the first child element with one of the local names.
func (n *node) child(ns nsSet, locals ...string) *node {
	if n == nil {
		return nil
	}
	for _, l := range locals {
		for _, k := range n.kids {
			if k.local == l && ns[k.space] {
				return k
			}
		}
	}
	return nil
}

// children returns the child elements with the local name.
func (n *node) children(ns nsSet, local string) []*node {
	if n == nil {
		return nil
	}
	var res []*node
	for _, k := range n.kids {
		if k.local == local && ns[k.space] {
			res = append(res, k)
		}
	}
	return res
}

// path follows a chain of local names (each step: the first match).
func (n *node) path(ns nsSet, locals ...string) *node {
	for _, l := range locals {
		n = n.child(ns, l)
		if n == nil {
			return nil
		}
	}
	return n
}

// value is the trimmed text of an element, "" for a nil one.
func (n *node) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text.String())
}

// attr returns an attribute by local name.
func (n *node) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}
