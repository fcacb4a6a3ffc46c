package parser

import (
	"bytes"
	"errors"
	"fmt"
)

// Opaque S/MIME (RFC 8551): a message signed with its content inside the
// signature, application/pkcs7-mime; smime-type=signed-data (the
// "smime.p7m" Outlook and other clients send when "opaque signing" is on).
// The signed MIME entity is taken out of the CMS SignedData (RFC 5652) and
// read like any other; the signature itself is not checked (Facteur decides
// nothing on it). An encrypted message (enveloped-data) cannot be read
// without the recipient's key: it becomes a document error.
//
// CMS is BER: definite or indefinite lengths, and an OCTET STRING may be
// split in chunks (OpenSSL's -stream, Outlook). The reader below handles
// those, with bounds on depth and size.

var (
	oidSignedData    = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02} // 1.2.840.113549.1.7.2
	oidEnvelopedData = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03} // 1.2.840.113549.1.7.3
	oidAuthEnvData   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17}
)

// errEncrypted says the S/MIME content is encrypted.
var errEncrypted = withProblem(ProblemEncrypted, LimitNone, errors.New("S/MIME encrypted message (enveloped-data): it cannot be read without the recipient's key"))

// berMaxDepth bounds the nesting of BER values.
const berMaxDepth = 32

// ber is one BER value.
type ber struct {
	class       byte // 0 universal, 2 context-specific
	constructed bool
	tag         int
	content     []byte // for an indefinite length: up to, not including, the end-of-contents
	indefinite  bool
}

// readBER reads one value from b; rest follows it.
func readBER(b []byte, depth int) (v ber, rest []byte, err error) {
	if depth > berMaxDepth {
		return v, nil, overLimit(LimitDepth, errors.New("cms: nesting too deep"))
	}
	if len(b) < 2 {
		return v, nil, errors.New("cms: truncated value")
	}
	v.class, v.constructed, v.tag = b[0]>>6, b[0]&0x20 != 0, int(b[0]&0x1f)
	i := 1
	if v.tag == 0x1f { // high tag number, base 128
		v.tag = 0
		for {
			if i >= len(b) || i > 4 {
				return v, nil, errors.New("cms: bad tag")
			}
			c := b[i]
			i++
			v.tag = v.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return v, nil, errors.New("cms: truncated length")
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
	case l == 0x80:
		if !v.constructed {
			return v, nil, errors.New("cms: indefinite length on a primitive value")
		}
		// The content is a run of values ended by 00 00.
		start, p := i, b[i:]
		for {
			if len(p) >= 2 && p[0] == 0 && p[1] == 0 {
				v.indefinite = true
				v.content = b[start : len(b)-len(p)]
				return v, p[2:], nil
			}
			_, next, err := readBER(p, depth+1)
			if err != nil {
				return v, nil, err
			}
			p = next
		}
	default:
		n := l & 0x7f
		if n > 4 || i+n > len(b) {
			return v, nil, errors.New("cms: bad length")
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
		if l < 0 {
			return v, nil, errors.New("cms: bad length")
		}
	}
	if l > len(b)-i {
		return v, nil, errors.New("cms: truncated content")
	}
	v.content = b[i : i+l]
	return v, b[i+l:], nil
}

// children reads the values inside a constructed value.
func (v ber) children(depth int) ([]ber, error) {
	if !v.constructed {
		return nil, errors.New("cms: primitive value where a constructed one is expected")
	}
	var out []ber
	for p := v.content; len(p) > 0; {
		c, rest, err := readBER(p, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p = rest
	}
	return out, nil
}

// octets returns the bytes of an OCTET STRING, joining the chunks of a
// constructed one; at most max bytes.
func (v ber) octets(depth, max int) ([]byte, error) {
	if !v.constructed {
		if len(v.content) > max {
			return nil, overLimit(LimitSize, fmt.Errorf("cms: content larger than %d bytes", max))
		}
		return v.content, nil
	}
	kids, err := v.children(depth)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, k := range kids {
		b, err := k.octets(depth+1, max-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// smimeContent returns the MIME entity signed in a CMS SignedData
// (ContentInfo), or errEncrypted, or why it cannot be read.
func smimeContent(der []byte, max int) ([]byte, error) {
	ci, _, err := readBER(der, 0)
	if err != nil {
		return nil, err
	}
	kids, err := ci.children(0)
	if err != nil || len(kids) < 2 || kids[0].tag != 6 {
		return nil, errors.New("cms: not a ContentInfo")
	}
	switch {
	case bytes.Equal(kids[0].content, oidEnvelopedData), bytes.Equal(kids[0].content, oidAuthEnvData):
		return nil, errEncrypted
	case !bytes.Equal(kids[0].content, oidSignedData):
		return nil, errors.New("cms: neither signed nor encrypted data")
	}
	// [0] EXPLICIT SignedData
	wrap, err := kids[1].children(1)
	if err != nil || len(wrap) != 1 {
		return nil, errors.New("cms: bad SignedData wrapper")
	}
	sd, err := wrap[0].children(2)
	if err != nil || len(sd) < 3 {
		return nil, errors.New("cms: bad SignedData")
	}
	// version, digestAlgorithms, encapContentInfo
	eci, err := sd[2].children(3)
	if err != nil || len(eci) < 1 || eci[0].tag != 6 {
		return nil, errors.New("cms: bad EncapsulatedContentInfo")
	}
	if len(eci) < 2 {
		return nil, errors.New("cms: detached signature without content")
	}
	ex, err := eci[1].children(4) // [0] EXPLICIT OCTET STRING
	if err != nil || len(ex) != 1 {
		return nil, errors.New("cms: bad eContent")
	}
	return ex[0].octets(5, max)
}
