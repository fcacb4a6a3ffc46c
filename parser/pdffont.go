package parser

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding/charmap"
)

// pdfFont decodes the strings shown with one font: character codes to
// Unicode text (ToUnicode CMap first, else the font's encoding) and to
// advance widths (in thousandths of the font size).
type pdfFont struct {
	composite bool        // Type0: multi-byte codes
	spaces    []codeSpace // code lengths (composite fonts)
	toUni     map[uint32]string
	base      *[256]rune // simple fonts: the encoding, 0 = unknown
	widths    map[uint32]float64
	defWidth  float64
	core      string // standard-14 font name, for widths missing from the file
}

// codeSpace is a codespace range of a CMap.
type codeSpace struct {
	n      int // bytes
	lo, hi uint32
}

// Bounds on what one font may cost.
const (
	maxCMapEntries = 70_000
	maxCMapBytes   = 4 << 20
)

// glyph is one decoded character code.
type glyph struct {
	code  uint32
	text  string
	width float64 // glyph units (1/1000 of the font size)
	space bool    // single-byte code 32 (word spacing applies)
}

// decode splits a shown string into glyphs.
func (f *pdfFont) decode(s []byte, out []glyph) []glyph {
	out = out[:0]
	for i := 0; i < len(s); {
		n := 1
		if f.composite {
			n = f.codeLen(s[i:])
		}
		if i+n > len(s) {
			n = len(s) - i
		}
		var code uint32
		for _, c := range s[i : i+n] {
			code = code<<8 | uint32(c)
		}
		i += n
		g := glyph{code: code, space: n == 1 && code == 32}
		if t, ok := f.toUni[code]; ok {
			g.text = t
		} else if !f.composite && f.base != nil {
			if r := f.base[code&0xff]; r != 0 {
				g.text = string(r)
			}
		}
		if w, ok := f.widths[code]; ok {
			g.width = w
		} else if f.core != "" && !f.composite && code < 256 {
			if w, err := font.CharWidth(f.core, rune(code)); err == nil && w > 0 {
				g.width = float64(w)
			} else {
				g.width = f.defWidth
			}
		} else {
			g.width = f.defWidth
		}
		out = append(out, g)
	}
	return out
}

// codeLen returns the length of the code at the start of s.
func (f *pdfFont) codeLen(s []byte) int {
	if len(f.spaces) == 0 {
		return 2
	}
	for n := 1; n <= 4 && n <= len(s); n++ {
		var code uint32
		for _, c := range s[:n] {
			code = code<<8 | uint32(c)
		}
		for _, sp := range f.spaces {
			if sp.n == n && code >= sp.lo && code <= sp.hi {
				return n
			}
		}
	}
	return f.spaces[0].n
}

// loadFont reads a font dictionary. It never fails: what cannot be read
// gives a font that decodes to WinAnsi text with average widths.
func loadFont(x *model.XRefTable, o types.Object, limit int64) *pdfFont {
	f := &pdfFont{defWidth: 500}
	d, err := x.DereferenceDict(o)
	if err != nil || d == nil {
		f.base = &winAnsiTable
		return f
	}
	subtype := nameOf(d, "Subtype")
	baseFont := nameOf(d, "BaseFont")
	if i := strings.IndexByte(baseFont, '+'); i == 6 {
		baseFont = baseFont[i+1:]
	}
	if subtype == "Type0" {
		f.composite = true
		f.defWidth = 1000
		if enc, ok := d.Find("Encoding"); ok {
			if sd, _, err := x.DereferenceStreamDict(enc); err == nil && sd != nil {
				if data := streamData(sd, limit); data != nil {
					cm := parseCMap(data)
					f.spaces = cm.spaces
				}
			}
		}
		if arr, err := x.DereferenceArray(d["DescendantFonts"]); err == nil && len(arr) > 0 {
			if cid, err := x.DereferenceDict(arr[0]); err == nil && cid != nil {
				f.widths = cidWidths(x, cid)
				if dw, err := x.DereferenceNumber(cid["DW"]); err == nil && dw > 0 {
					f.defWidth = dw
				}
			}
		}
	} else {
		f.base = simpleEncoding(x, d, baseFont)
		f.widths = simpleWidths(x, d)
		if font.IsCoreFont(baseFont) {
			f.core = baseFont
		} else if c := coreAlias(baseFont); c != "" {
			f.core = c
		}
		if fd, err := x.DereferenceDict(d["FontDescriptor"]); err == nil && fd != nil {
			if mw, err := x.DereferenceNumber(fd["MissingWidth"]); err == nil && mw > 0 {
				f.defWidth = mw
			}
		}
	}
	if tu, ok := d.Find("ToUnicode"); ok {
		if sd, _, err := x.DereferenceStreamDict(tu); err == nil && sd != nil {
			if data := streamData(sd, limit); data != nil {
				cm := parseCMap(data)
				f.toUni = cm.uni
				if f.composite && len(f.spaces) == 0 {
					f.spaces = cm.spaces
				}
			}
		}
	}
	return f
}

// coreAlias maps common TrueType names to the standard-14 font with the
// same metrics, for widths only.
func coreAlias(name string) string {
	n := strings.ToLower(name)
	bold := strings.Contains(n, "bold")
	italic := strings.Contains(n, "italic") || strings.Contains(n, "oblique")
	var fam string
	switch {
	case strings.HasPrefix(n, "arial"), strings.HasPrefix(n, "helvetica"), strings.HasPrefix(n, "liberationsans"):
		fam = "Helvetica"
	case strings.HasPrefix(n, "times"), strings.HasPrefix(n, "liberationserif"):
		fam = "Times"
	case strings.HasPrefix(n, "courier"), strings.HasPrefix(n, "liberationmono"):
		fam = "Courier"
	default:
		return ""
	}
	switch {
	case fam == "Times" && bold && italic:
		return "Times-BoldItalic"
	case fam == "Times" && bold:
		return "Times-Bold"
	case fam == "Times" && italic:
		return "Times-Italic"
	case fam == "Times":
		return "Times-Roman"
	case bold && italic:
		return fam + "-BoldOblique"
	case bold:
		return fam + "-Bold"
	case italic:
		return fam + "-Oblique"
	}
	return fam
}

func nameOf(d types.Dict, key string) string {
	if v, ok := d.Find(key); ok {
		if n, ok := v.(types.Name); ok {
			return string(n)
		}
	}
	return ""
}

// streamData decodes a font's stream, at most limit bytes and at most its
// encoded size times DefaultMaxRatio; nil on failure or past a bound (the
// font then decodes as WinAnsi with average widths).
func streamData(sd *types.StreamDict, limit int64) []byte {
	if limit > maxCMapBytes {
		limit = maxCMapBytes
	}
	if r := int64(len(sd.Raw))*DefaultMaxRatio + ratioSlack; r < limit {
		limit = r
	}
	data, err := decodeBounded(sd, limit)
	if err != nil {
		return nil
	}
	return data
}

// errDecodeBound is returned by decodeBounded for a stream that decodes
// to more than its limit.
var errDecodeBound = errors.New("stream decodes beyond its limit")

// decodeBounded decodes a stream into at most limit bytes. The stream is
// decoded on a copy: its decoded content is not kept in the document
// (a stream shared by many pages is decoded, and counted, each time).
func decodeBounded(sd *types.StreamDict, limit int64) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("stream decoder failure: %v", r)
		}
	}()
	if limit < 0 {
		limit = 0
	}
	if len(sd.FilterPipeline) == 0 {
		if int64(len(sd.Raw)) > limit {
			return nil, errDecodeBound
		}
		return sd.Raw, nil
	}
	if sd.Content != nil {
		if int64(len(sd.Content)) > limit {
			return nil, errDecodeBound
		}
		return sd.Content, nil
	}
	c := *sd
	if err := c.DecodeWithLimit(limit); err != nil {
		if errors.Is(err, filter.ErrDecodeLimitExceeded) {
			return nil, errDecodeBound
		}
		return nil, err
	}
	if int64(len(c.Content)) > limit {
		return nil, errDecodeBound
	}
	return c.Content, nil
}

// simpleWidths reads /FirstChar and /Widths.
func simpleWidths(x *model.XRefTable, d types.Dict) map[uint32]float64 {
	arr, err := x.DereferenceArray(d["Widths"])
	if err != nil || len(arr) == 0 {
		return nil
	}
	first := 0
	if fc, err := x.DereferenceNumber(d["FirstChar"]); err == nil && fc >= 0 && fc < 256 {
		first = int(fc)
	}
	m := make(map[uint32]float64, len(arr))
	for i, o := range arr {
		if first+i > 255 {
			break
		}
		if w, err := x.DereferenceNumber(o); err == nil {
			m[uint32(first+i)] = w
		}
	}
	return m
}

// cidWidths reads the /W array of a CIDFont (ISO 32000-1 §9.7.4.3).
func cidWidths(x *model.XRefTable, cid types.Dict) map[uint32]float64 {
	arr, err := x.DereferenceArray(cid["W"])
	if err != nil || len(arr) == 0 {
		return nil
	}
	m := map[uint32]float64{}
	for i := 0; i < len(arr) && len(m) < maxCMapEntries; {
		c1, err := x.DereferenceNumber(arr[i])
		if err != nil || i+1 >= len(arr) {
			break
		}
		if ws, err := x.DereferenceArray(arr[i+1]); err == nil && ws != nil {
			for k, o := range ws {
				if w, err := x.DereferenceNumber(o); err == nil {
					m[uint32(c1)+uint32(k)] = w
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(arr) {
			break
		}
		c2, err1 := x.DereferenceNumber(arr[i+1])
		w, err2 := x.DereferenceNumber(arr[i+2])
		if err1 != nil || err2 != nil {
			break
		}
		for c := c1; c <= c2 && len(m) < maxCMapEntries; c++ {
			m[uint32(c)] = w
		}
		i += 3
	}
	return m
}

// simpleEncoding returns the code-to-rune table of a simple font.
func simpleEncoding(x *model.XRefTable, d types.Dict, baseFont string) *[256]rune {
	base := &winAnsiTable
	if baseFont == "Symbol" || baseFont == "ZapfDingbats" {
		base = &symbolTable
	}
	o, ok := d.Find("Encoding")
	if !ok {
		return base
	}
	o, err := x.Dereference(o)
	if err != nil {
		return base
	}
	switch e := o.(type) {
	case types.Name:
		return namedEncoding(string(e), base)
	case types.Dict:
		if n := nameOf(e, "BaseEncoding"); n != "" {
			base = namedEncoding(n, base)
		}
		arr, err := x.DereferenceArray(e["Differences"])
		if err != nil || len(arr) == 0 {
			return base
		}
		t := *base
		code := 0
		for _, o := range arr {
			switch v := o.(type) {
			case types.Integer:
				code = v.Value()
			case types.Float:
				code = int(v.Value())
			case types.Name:
				if code >= 0 && code < 256 {
					if r := glyphRune(string(v)); r != 0 {
						t[code] = r
					}
				}
				code++
			}
		}
		return &t
	}
	return base
}

func namedEncoding(name string, def *[256]rune) *[256]rune {
	switch name {
	case "WinAnsiEncoding":
		return &winAnsiTable
	case "MacRomanEncoding":
		return &macRomanTable
	case "StandardEncoding":
		return &standardTable
	case "PDFDocEncoding":
		return &winAnsiTable
	}
	return def
}

// Encoding tables.
var winAnsiTable, macRomanTable, standardTable, symbolTable [256]rune

// glyphNames maps glyph names to runes: the WinAnsi names and a few more.
var glyphNames map[string]rune

// winAnsiNames are the glyph names of WinAnsiEncoding from code 32.
var winAnsiNames = strings.Fields(`space exclam quotedbl numbersign dollar percent ampersand quotesingle
parenleft parenright asterisk plus comma hyphen period slash zero one two three four five six seven
eight nine colon semicolon less equal greater question at A B C D E F G H I J K L M N O P Q R S T U V
W X Y Z bracketleft backslash bracketright asciicircum underscore grave a b c d e f g h i j k l m n o
p q r s t u v w x y z braceleft bar braceright asciitilde .notdef Euro .notdef quotesinglbase florin
quotedblbase ellipsis dagger daggerdbl circumflex perthousand Scaron guilsinglleft OE .notdef Zcaron
.notdef .notdef quoteleft quoteright quotedblleft quotedblright bullet endash emdash tilde trademark
scaron guilsinglright oe .notdef zcaron Ydieresis nbspace exclamdown cent sterling currency yen
brokenbar section dieresis copyright ordfeminine guillemotleft logicalnot sfthyphen registered macron
degree plusminus twosuperior threesuperior acute mu paragraph periodcentered cedilla onesuperior
ordmasculine guillemotright onequarter onehalf threequarters questiondown Agrave Aacute Acircumflex
Atilde Adieresis Aring AE Ccedilla Egrave Eacute Ecircumflex Edieresis Igrave Iacute Icircumflex
Idieresis Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply Oslash Ugrave Uacute
Ucircumflex Udieresis Yacute Thorn germandbls agrave aacute acircumflex atilde adieresis aring ae
ccedilla egrave eacute ecircumflex edieresis igrave iacute icircumflex idieresis eth ntilde ograve
oacute ocircumflex otilde odieresis divide oslash ugrave uacute ucircumflex udieresis yacute thorn
ydieresis`)

// standardHigh are the codes of StandardEncoding above 126.
var standardHigh = map[int]string{
	161: "exclamdown", 162: "cent", 163: "sterling", 164: "fraction", 165: "yen", 166: "florin",
	167: "section", 168: "currency", 169: "quotesingle", 170: "quotedblleft", 171: "guillemotleft",
	172: "guilsinglleft", 173: "guilsinglright", 174: "fi", 175: "fl", 177: "endash", 178: "dagger",
	179: "daggerdbl", 180: "periodcentered", 182: "paragraph", 183: "bullet", 184: "quotesinglbase",
	185: "quotedblbase", 186: "quotedblright", 187: "guillemotright", 188: "ellipsis", 189: "perthousand",
	191: "questiondown", 193: "grave", 194: "acute", 195: "circumflex", 196: "tilde", 197: "macron",
	200: "dieresis", 203: "cedilla", 208: "emdash", 225: "AE", 227: "ordfeminine", 232: "Lslash",
	233: "Oslash", 234: "OE", 235: "ordmasculine", 241: "ae", 245: "dotlessi", 248: "lslash",
	249: "oslash", 250: "oe", 251: "germandbls",
}

func init() {
	glyphNames = map[string]rune{
		"space": ' ', "nbspace": '\u00a0', "sfthyphen": '\u00ad', "minus": '−', "fi": 'ﬁ', "fl": 'ﬂ',
		"fraction": '⁄', "dotlessi": 'ı', "Lslash": 'Ł', "lslash": 'ł', "Euro": '€', "breve": '˘',
		"dotaccent": '˙', "ring": '˚', "ogonek": '˛', "caron": 'ˇ', "hungarumlaut": '˝', "Delta": '∆',
		"Omega": 'Ω', "mu1": 'µ', "afii61352": '№', "numero": '№', "uni00A0": '\u00a0', "middot": '·',
	}
	for i, n := range winAnsiNames {
		code := 32 + i
		if n == ".notdef" || code > 255 {
			continue
		}
		r := charmap.Windows1252.DecodeByte(byte(code))
		winAnsiTable[code] = r
		if _, ok := glyphNames[n]; !ok {
			glyphNames[n] = r
		}
	}
	for c := 0; c < 32; c++ {
		winAnsiTable[c] = 0
	}
	for c := 32; c < 256; c++ {
		if c >= 128 {
			macRomanTable[c] = charmap.Macintosh.DecodeByte(byte(c))
		} else {
			macRomanTable[c] = rune(c)
		}
		if c < 127 {
			standardTable[c] = rune(c)
			symbolTable[c] = rune(c)
		}
	}
	standardTable['\''] = '’'
	standardTable['`'] = '‘'
	for c, n := range standardHigh {
		standardTable[c] = glyphNames[n]
	}
}

// glyphRune maps a glyph name to its rune (AGL names for Latin text,
// uniXXXX, uXXXX[XX]); 0 when unknown.
func glyphRune(name string) rune {
	if r, ok := glyphNames[name]; ok {
		return r
	}
	base := name
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i] // "a.sc", "one.oldstyle"
	}
	if r, ok := glyphNames[base]; ok {
		return r
	}
	switch {
	case strings.HasPrefix(base, "uni") && len(base) >= 7:
		if v, err := strconv.ParseUint(base[3:7], 16, 32); err == nil {
			return rune(v)
		}
	case strings.HasPrefix(base, "u") && len(base) >= 5 && len(base) <= 7:
		if v, err := strconv.ParseUint(base[1:], 16, 32); err == nil && v <= 0x10ffff {
			return rune(v)
		}
	}
	return 0
}

// cmap is what is read from a CMap: codespace ranges and, for a ToUnicode
// CMap, the code-to-text mapping.
type cmap struct {
	spaces []codeSpace
	uni    map[uint32]string
}

// parseCMap reads the codespace ranges and bfchar/bfrange mappings of a
// CMap, bounded by maxCMapEntries.
func parseCMap(data []byte) cmap {
	if len(data) > maxCMapBytes {
		data = data[:maxCMapBytes]
	}
	cm := cmap{uni: map[uint32]string{}}
	l := &lexer{b: data}
	var ops []token
	mode := ""
	for {
		t := l.next()
		if t.kind == tkEOF {
			break
		}
		switch t.kind {
		case tkArrOpen:
			// Collect an array of strings (bfrange destinations).
			var arr []token
			for {
				u := l.next()
				if u.kind == tkEOF || u.kind == tkArrClose {
					break
				}
				if len(arr) < 256 {
					arr = append(arr, u)
				}
			}
			t = token{kind: tkArr, arr: arr}
		case tkOp:
			switch op := string(t.s); op {
			case "begincodespacerange", "beginbfchar", "beginbfrange", "begincidrange", "begincidchar":
				mode = op
				ops = ops[:0]
				continue
			case "endcodespacerange", "endbfchar", "endbfrange", "endcidrange", "endcidchar":
				mode = ""
				ops = ops[:0]
				continue
			}
		}
		if mode == "" {
			continue
		}
		ops = append(ops, t)
		switch mode {
		case "begincodespacerange":
			if len(ops) == 2 {
				if ops[0].kind == tkStr && ops[1].kind == tkStr && len(ops[0].s) > 0 && len(ops[0].s) <= 4 && len(cm.spaces) < 64 {
					cm.spaces = append(cm.spaces, codeSpace{n: len(ops[0].s), lo: bytesCode(ops[0].s), hi: bytesCode(ops[1].s)})
				}
				ops = ops[:0]
			}
		case "beginbfchar":
			if len(ops) == 2 {
				if ops[0].kind == tkStr && len(cm.uni) < maxCMapEntries {
					if s := utf16Text(ops[1]); s != "" {
						cm.uni[bytesCode(ops[0].s)] = s
					}
				}
				ops = ops[:0]
			}
		case "beginbfrange":
			if len(ops) == 3 {
				cm.bfrange(ops[0], ops[1], ops[2])
				ops = ops[:0]
			}
		default:
			if len(ops) >= 3 {
				ops = ops[:0]
			}
		}
	}
	return cm
}

func (cm *cmap) bfrange(lo, hi, dst token) {
	if lo.kind != tkStr || hi.kind != tkStr || len(lo.s) == 0 || len(lo.s) > 4 {
		return
	}
	a, b := bytesCode(lo.s), bytesCode(hi.s)
	if b < a || b-a > 0xffff {
		return
	}
	switch dst.kind {
	case tkArr:
		for i, d := range dst.arr {
			c := a + uint32(i)
			if c > b || len(cm.uni) >= maxCMapEntries {
				break
			}
			if s := utf16Text(d); s != "" {
				cm.uni[c] = s
			}
		}
	case tkStr:
		if len(dst.s) == 0 || len(dst.s) > 64 {
			return
		}
		// The last byte of the destination increments.
		base := append([]byte(nil), dst.s...)
		for c := a; c <= b && len(cm.uni) < maxCMapEntries; c++ {
			cm.uni[c] = utf16Text(token{kind: tkStr, s: base})
			base[len(base)-1]++
			if base[len(base)-1] == 0 && len(base) > 1 {
				base[len(base)-2]++
			}
		}
	}
}

func bytesCode(b []byte) uint32 {
	var c uint32
	for i, x := range b {
		if i == 4 {
			break
		}
		c = c<<8 | uint32(x)
	}
	return c
}

// utf16Text decodes a UTF-16BE string token of a ToUnicode CMap.
func utf16Text(t token) string {
	switch t.kind {
	case tkStr:
	case tkName:
		if r := glyphRune(string(t.s)); r != 0 {
			return string(r)
		}
		return ""
	default:
		return ""
	}
	b := t.s
	if len(b) == 1 {
		return string(rune(b[0]))
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	s := string(utf16.Decode(u))
	return strings.Map(func(r rune) rune {
		if r == 0 || r == '\ufffd' && len(u) == 1 && u[0] != 0xfffd {
			return -1
		}
		return r
	}, s)
}
