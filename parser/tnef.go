package parser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// A small reader of Outlook's TNEF (winmail.dat) streams [MS-OXTNEF]: it
// returns the attachments with their names and data, nothing else.

// tnefFile is one attachment of a TNEF stream.
type tnefFile struct {
	name string
	data []byte
}

// TNEF attribute ids (low 16 bits of the attribute id).
const (
	tnefSignature      = 0x223E9F78
	attAttachRenddata  = 0x9002
	attAttachTitle     = 0x8010
	attAttachData      = 0x800F
	attAttachment      = 0x9005
	levelAttachment    = 2
	prAttachLongName   = 0x3707
	prAttachDataBinary = 0x3701
	maxTNEFFiles       = 100
	maxTNEFProps       = 10_000
)

var errTNEF = errors.New("tnef: malformed stream")

// readTNEF reads the attachments of a TNEF stream. maxBytes bounds the
// total size of the attachments returned.
func readTNEF(b []byte, maxBytes int64) ([]tnefFile, error) {
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != tnefSignature {
		return nil, fmt.Errorf("tnef: no signature")
	}
	pos := 6 // signature + legacy key
	var files []tnefFile
	var cur *tnefFile
	var total int64
	flush := func() {
		if cur != nil && (cur.data != nil || cur.name != "") {
			files = append(files, *cur)
		}
		cur = nil
	}
	for pos < len(b) {
		if len(b)-pos < 9 {
			return files, errTNEF
		}
		level := b[pos]
		id := binary.LittleEndian.Uint32(b[pos+1:])
		n := int64(binary.LittleEndian.Uint32(b[pos+5:]))
		pos += 9
		if n > int64(len(b)-pos) {
			return files, errTNEF
		}
		data := b[pos : pos+int(n)]
		pos += int(n) + 2 // data + checksum
		if level != levelAttachment {
			continue
		}
		switch id & 0xffff {
		case attAttachRenddata:
			flush()
			if len(files) >= maxTNEFFiles {
				return files, overLimit(LimitEntries, fmt.Errorf("tnef: more than %d attachments", maxTNEFFiles))
			}
			cur = &tnefFile{}
		case attAttachTitle:
			if cur == nil {
				cur = &tnefFile{}
			}
			if cur.name == "" {
				cur.name = cString(data)
			}
		case attAttachData:
			if cur == nil {
				cur = &tnefFile{}
			}
			total += int64(len(data))
			if total > maxBytes {
				return files, overLimit(LimitDecompressed, fmt.Errorf("tnef: attachments larger than %d bytes", maxBytes))
			}
			cur.data = data
		case attAttachment:
			if cur == nil {
				cur = &tnefFile{}
			}
			name, obj := mapiProps(data)
			if name != "" {
				cur.name = name
			}
			if cur.data == nil && obj != nil {
				total += int64(len(obj))
				if total > maxBytes {
					return files, overLimit(LimitDecompressed, fmt.Errorf("tnef: attachments larger than %d bytes", maxBytes))
				}
				cur.data = obj
			}
		}
	}
	flush()
	return files, nil
}

// cString returns the bytes up to the first NUL, as Windows-1252 text.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	return string(latin1ToUTF8(b))
}

// mapiProps reads an attAttachment property list for the long file name
// and an embedded object's data.
func mapiProps(b []byte) (name string, obj []byte) {
	r := &byteReader{b: b}
	count := r.u32()
	for i := uint32(0); i < count && i < maxTNEFProps && !r.bad; i++ {
		typ := r.u16()
		id := r.u16()
		if id >= 0x8000 { // named property
			r.skip(16)
			if kind := r.u32(); kind == 0 {
				r.u32()
			} else {
				r.skip(pad4(int(r.u32())))
			}
		}
		mv := typ&0x1000 != 0
		base := typ &^ 0x1000
		values := uint32(1)
		if mv || base == 0x001E || base == 0x001F || base == 0x0102 || base == 0x000D {
			values = r.u32()
		}
		for v := uint32(0); v < values && v < maxTNEFProps && !r.bad; v++ {
			switch base {
			case 0x0002, 0x000B, 0x0003, 0x0004, 0x000A:
				r.skip(4)
			case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040:
				r.skip(8)
			case 0x0048:
				r.skip(16)
			case 0x001E, 0x001F, 0x0102, 0x000D:
				n := int(r.u32())
				val := r.bytes(n)
				r.skip(pad4(n) - n)
				switch {
				case id == prAttachLongName && base == 0x001E:
					name = cString(val)
				case id == prAttachLongName && base == 0x001F:
					name = utf16LE(val)
				case id == prAttachDataBinary && base == 0x0102:
					obj = val
				case id == prAttachDataBinary && base == 0x000D && len(val) > 16:
					obj = val[16:] // after the interface GUID
				}
			default:
				return name, obj // unknown type: the rest cannot be read
			}
		}
	}
	return name, obj
}

func pad4(n int) int {
	if n < 0 {
		return 0
	}
	return (n + 3) &^ 3
}

func utf16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// byteReader reads little-endian values, remembering an overrun.
type byteReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *byteReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b)-r.pos {
		r.bad = true
		r.pos = len(r.b)
		return nil
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}

func (r *byteReader) skip(n int) { r.bytes(n) }

func (r *byteReader) u16() uint16 {
	if v := r.bytes(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *byteReader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}
