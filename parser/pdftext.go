package parser

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/unicode/norm"
)

// The visible text of a PDF: each page's content stream is interpreted
// for its text operators only (ISO 32000-1 §9), glyph positions are
// computed from the text and graphics matrices and the font widths, and
// the text is laid out again in reading order: lines by baseline, top to
// bottom, pieces of a line by x, with one space between words and three
// between columns; a line that continues a column other than the first
// starts with the three spaces.

// errDeadline is returned when a document took longer than allowed.
var errDeadline = overLimit(LimitTime, errors.New("time limit exceeded"))

// textLimits bound the work of one extraction.
type textLimits struct {
	deadline     time.Time // zero: none
	maxPages     int
	maxOps       int   // content operators over the whole document
	maxDecode    int64 // bytes of one decoded stream
	maxRatio     int   // decoded / encoded size of a stream
	maxContent   int64 // bytes of all the decoded content streams; 0: maxContentBytes
	maxTextBytes int   // bytes of extracted text
}

// The content streams of the pages and forms are decoded within bounds,
// like every other stream: one stream at most maxContentStreamBytes (a
// dense invoice page is a few hundred kilobytes) and at most its encoded
// size times the ratio limit, and all the content streams of a document
// at most maxContentBytes, a stream shared by many pages counted each
// time it is read. Past a bound the document has a limit problem
// (LimitDecompressed): a person must look.
const (
	maxContentStreamBytes = 16 << 20
	maxContentBytes       = 128 << 20
	ratioSlack            = 4096 // bytes a tiny stream may expand to whatever its ratio
)

// Fixed bounds of the interpreter.
const (
	maxFormDepth = 8
	maxFormCalls = 2_000
	maxGSDepth   = 256
	maxOperands  = 64
	maxArrayLen  = 4_096
	maxSpans     = 200_000
)

// span is a run of text drawn at one position.
type span struct {
	x, y, x2 float64 // device space; x2 = end of the run
	size     float64 // font size in device space
	text     string
	vertical bool // drawn along the y axis (rotated text)
}

type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// textState is the part of the graphics state the text needs.
type textState struct {
	ctm                        matrix
	font                       *pdfFont
	size, tc, tw, th, tl, rise float64
}

// textExtractor interprets the content streams of one document.
type textExtractor struct {
	x      *model.XRefTable
	lim    textLimits
	fonts  map[int]*pdfFont // by object number
	ops    int
	forms  int
	spans  []span
	glyphs []glyph
	arr    []token // the last array operand read, reused
	err    error
	// decoded counts the bytes of content streams decoded so far.
	decoded int64
}

// pdfText extracts the visible text of the pages of a PDF read by pdfcpu.
func pdfText(x *model.XRefTable, lim textLimits) (string, error) {
	if err := x.EnsurePageCount(); err != nil {
		return "", fmt.Errorf("pdf: page tree: %w", err)
	}
	if lim.maxPages > 0 && x.PageCount > lim.maxPages {
		return "", overLimit(LimitPages, fmt.Errorf("pdf: %d pages, more than the limit of %d", x.PageCount, lim.maxPages))
	}
	if lim.maxDecode <= 0 {
		lim.maxDecode = maxPDFStreamBytes
	}
	if lim.maxRatio <= 0 {
		lim.maxRatio = DefaultMaxRatio
	}
	if lim.maxContent <= 0 {
		lim.maxContent = maxContentBytes
	}
	e := &textExtractor{x: x, lim: lim, fonts: map[int]*pdfFont{}}
	var out strings.Builder
	for p := 1; p <= x.PageCount; p++ {
		if e.expired() {
			return out.String(), errDeadline
		}
		e.page(p)
		if e.err != nil {
			return out.String(), e.err
		}
		if p > 1 {
			out.WriteString("\f")
		}
		out.WriteString(layout(e.spans))
		e.spans = e.spans[:0]
		if lim.maxTextBytes > 0 && out.Len() > lim.maxTextBytes {
			return truncateUTF8(out.String(), lim.maxTextBytes), nil
		}
	}
	return out.String(), nil
}

func (e *textExtractor) expired() bool {
	return !e.lim.deadline.IsZero() && time.Now().After(e.lim.deadline)
}

func (e *textExtractor) page(p int) {
	d, _, attrs, err := e.x.PageDict(p, false)
	if err != nil || d == nil {
		return // an unreadable page is skipped
	}
	content := e.pageContent(d, p)
	if e.err != nil || len(content) == 0 {
		return
	}
	var res types.Dict
	if attrs != nil {
		res = attrs.Resources
	}
	st := textState{ctm: identity, th: 1}
	e.run(content, res, st, 0)
}

// pageContent returns the content of page p: its content stream, or its
// content streams one after the other (ISO 32000-1 §7.8.2: they split at
// token boundaries, so a line break between them changes nothing). A
// stream that does not decode is skipped; a bound reached sets e.err.
func (e *textExtractor) pageContent(d types.Dict, p int) []byte {
	o, ok := d.Find("Contents")
	if !ok || o == nil {
		return nil
	}
	o, err := e.x.Dereference(o)
	if err != nil || o == nil {
		return nil
	}
	var streams []types.Object
	switch o := o.(type) {
	case types.StreamDict:
		streams = []types.Object{o}
	case types.Array:
		streams = o
	default:
		return nil
	}
	var content []byte
	for i, s := range streams {
		if s == nil {
			continue
		}
		sd, _, err := e.x.DereferenceStreamDict(s)
		if err != nil || sd == nil {
			continue
		}
		data, err := e.contentStream(sd, fmt.Sprintf("page %d content stream %d", p, i+1))
		if err != nil {
			e.err = err
			return nil
		}
		if len(content)+len(data) > maxContentStreamBytes {
			e.err = overLimit(LimitDecompressed, fmt.Errorf("pdf: page %d content expands to more than %d bytes", p, maxContentStreamBytes))
			return nil
		}
		if len(content) > 0 {
			content = append(content, '\n')
		}
		content = append(content, data...)
	}
	return content
}

// contentStream decodes a content stream within the bounds of the
// extraction; what names it in the error. A stream that does not decode
// for another reason (a broken filter) is nil without error: it is
// skipped, as a reader does.
func (e *textExtractor) contentStream(sd *types.StreamDict, what string) ([]byte, error) {
	limit := int64(maxContentStreamBytes)
	if rem := e.lim.maxContent - e.decoded; rem < limit {
		limit = rem
	}
	ratioLimit := int64(len(sd.Raw))*int64(e.lim.maxRatio) + ratioSlack
	if ratioLimit < limit {
		limit = ratioLimit
	}
	data, err := decodeBounded(sd, limit)
	if errors.Is(err, errDecodeBound) {
		return nil, overLimit(LimitDecompressed, fmt.Errorf("pdf: %s expands beyond the limits (%d bytes for one stream, %d for the document, ratio %d)",
			what, maxContentStreamBytes, e.lim.maxContent, e.lim.maxRatio))
	}
	if err != nil {
		return nil, nil
	}
	e.decoded += int64(len(data))
	return data, nil
}

// run interprets one content stream.
func (e *textExtractor) run(content []byte, res types.Dict, st textState, depth int) {
	l := &lexer{b: content}
	var (
		operands []token
		stack    []textState
		tm, tlm  = identity, identity
	)
	for e.err == nil {
		t := l.next()
		switch t.kind {
		case tkEOF:
			return
		case tkArrOpen:
			// Only the operator that follows uses the array (TJ): one
			// buffer serves every array of the content.
			e.arr = e.readArray(l, e.arr[:0])
			if len(operands) < maxOperands {
				operands = append(operands, token{kind: tkArr, arr: e.arr})
			}
			continue
		case tkDictOpen:
			skipDict(l)
			continue
		case tkArrClose, tkDictClose:
			continue
		case tkOp:
		default:
			if len(operands) < maxOperands {
				operands = append(operands, t)
			}
			continue
		}
		e.ops++
		if e.ops&1023 == 0 && e.expired() {
			e.err = errDeadline
			return
		}
		if e.lim.maxOps > 0 && e.ops > e.lim.maxOps {
			e.err = overLimit(LimitObjects, fmt.Errorf("pdf: more than %d content operators", e.lim.maxOps))
			return
		}
		num := func(i int) float64 {
			if i >= 0 && i < len(operands) && operands[i].kind == tkNum {
				return operands[i].num
			}
			return 0
		}
		n := len(operands)
		switch string(t.s) {
		case "q":
			if len(stack) < maxGSDepth {
				stack = append(stack, st)
			}
		case "Q":
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if n >= 6 {
				m := matrix{num(n - 6), num(n - 5), num(n - 4), num(n - 3), num(n - 2), num(n - 1)}
				st.ctm = m.mul(st.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if n >= 2 && operands[n-2].kind == tkName {
				st.font = e.font(res, string(operands[n-2].s))
				st.size = num(n - 1)
			}
		case "Tc":
			st.tc = num(n - 1)
		case "Tw":
			st.tw = num(n - 1)
		case "Tz":
			st.th = num(n-1) / 100
		case "TL":
			st.tl = num(n - 1)
		case "Ts":
			st.rise = num(n - 1)
		case "Td":
			tlm = matrix{1, 0, 0, 1, num(n - 2), num(n - 1)}.mul(tlm)
			tm = tlm
		case "TD":
			st.tl = -num(n - 1)
			tlm = matrix{1, 0, 0, 1, num(n - 2), num(n - 1)}.mul(tlm)
			tm = tlm
		case "Tm":
			if n >= 6 {
				tlm = matrix{num(n - 6), num(n - 5), num(n - 4), num(n - 3), num(n - 2), num(n - 1)}
				tm = tlm
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -st.tl}.mul(tlm)
			tm = tlm
		case "Tj":
			if n >= 1 && operands[n-1].kind == tkStr {
				e.show(&st, &tm, operands[n-1].s)
			}
		case "'":
			tlm = matrix{1, 0, 0, 1, 0, -st.tl}.mul(tlm)
			tm = tlm
			if n >= 1 && operands[n-1].kind == tkStr {
				e.show(&st, &tm, operands[n-1].s)
			}
		case "\"":
			if n >= 3 {
				st.tw, st.tc = num(n-3), num(n-2)
			}
			tlm = matrix{1, 0, 0, 1, 0, -st.tl}.mul(tlm)
			tm = tlm
			if n >= 1 && operands[n-1].kind == tkStr {
				e.show(&st, &tm, operands[n-1].s)
			}
		case "TJ":
			if n >= 1 && operands[n-1].kind == tkArr {
				for _, el := range operands[n-1].arr {
					switch el.kind {
					case tkStr:
						e.show(&st, &tm, el.s)
					case tkNum:
						tx := -el.num / 1000 * st.size * st.th
						tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
					}
				}
			}
		case "Do":
			if n >= 1 && operands[n-1].kind == tkName && depth < maxFormDepth {
				e.form(res, string(operands[n-1].s), st, depth)
			}
		case "BI":
			for {
				u := l.next()
				if u.kind == tkEOF || u.kind == tkOp && string(u.s) == "ID" {
					break
				}
			}
			l.skipInlineImage()
		}
		operands = operands[:0]
	}
}

// readArray appends the elements of an array (nested arrays flattened) to
// arr.
func (e *textExtractor) readArray(l *lexer, arr []token) []token {
	for depth := 0; ; {
		t := l.next()
		switch t.kind {
		case tkEOF:
			return arr
		case tkArrOpen:
			depth++
			continue
		case tkArrClose:
			if depth == 0 {
				return arr
			}
			depth--
			continue
		}
		if len(arr) < maxArrayLen {
			arr = append(arr, t)
		}
	}
}

func skipDict(l *lexer) {
	for depth := 1; depth > 0; {
		switch l.next().kind {
		case tkEOF:
			return
		case tkDictOpen:
			depth++
		case tkDictClose:
			depth--
		}
	}
}

// font returns the font of a resource name, cached by object number.
func (e *textExtractor) font(res types.Dict, name string) *pdfFont {
	fonts, err := e.x.DereferenceDict(res["Font"])
	if err != nil || fonts == nil {
		return nil
	}
	o, ok := fonts.Find(name)
	if !ok {
		return nil
	}
	if ref, ok := o.(types.IndirectRef); ok {
		nr := ref.ObjectNumber.Value()
		if f, ok := e.fonts[nr]; ok {
			return f
		}
		f := loadFont(e.x, o, e.lim.maxDecode)
		e.fonts[nr] = f
		return f
	}
	return loadFont(e.x, o, e.lim.maxDecode)
}

// form runs a form XObject.
func (e *textExtractor) form(res types.Dict, name string, st textState, depth int) {
	e.forms++
	if e.forms > maxFormCalls {
		return
	}
	xobjs, err := e.x.DereferenceDict(res["XObject"])
	if err != nil || xobjs == nil {
		return
	}
	o, ok := xobjs.Find(name)
	if !ok {
		return
	}
	sd, _, err := e.x.DereferenceStreamDict(o)
	if err != nil || sd == nil || nameOf(sd.Dict, "Subtype") != "Form" {
		return
	}
	content, err := e.contentStream(sd, "form "+name)
	if err != nil {
		e.err = err
		return
	}
	if len(content) == 0 {
		return
	}
	if arr, err := e.x.DereferenceArray(sd.Dict["Matrix"]); err == nil && len(arr) == 6 {
		var m matrix
		for i, v := range arr {
			m[i], _ = e.x.DereferenceNumber(v)
		}
		st.ctm = m.mul(st.ctm)
	}
	fres := res
	if r, err := e.x.DereferenceDict(sd.Dict["Resources"]); err == nil && r != nil {
		fres = r
	}
	e.run(content, fres, st, depth+1)
}

// show draws a string: it records its spans and advances the text matrix.
//
// A string is one span unless character or word spacing (Tc, Tw) moves
// its glyphs apart: Ghostscript's pdfwrite writes "TVA 20 %" as "(A2)"
// with a character spacing as wide as the space, and groff's PostScript
// kerns "AVOIR" with a space glyph that word spacing shrinks to nothing.
// There, a glyph moved more than a tenth of an em away from the previous
// one starts a new span (the layout puts the space or the column
// separator back from the positions), and a space glyph whose advance is
// less than 0.15 em (a word space is 0.2 em and more) is only a kern: its
// text is dropped.
func (e *textExtractor) show(st *textState, tm *matrix, s []byte) {
	f := st.font
	if f == nil {
		f = &pdfFont{base: &winAnsiTable, defWidth: 500}
		st.font = f
	}
	e.glyphs = f.decode(s, e.glyphs)
	spacing := st.tc != 0 || st.tw != 0
	const minGap, minSpace = 0.1, 0.15 // em
	fsize := math.Abs(st.size)
	var (
		text   strings.Builder
		start  matrix
		natEnd matrix // the text matrix at the natural end of the last glyph
		gapped bool   // the next glyph is moved apart from the previous one
	)
	for _, g := range e.glyphs {
		w := g.width / 1000 * st.size
		extra := st.tc
		if g.space {
			extra += st.tw
		}
		tx := (w + extra) * st.th
		if spacing {
			if g.space || g.text == " " {
				if math.Abs(w+extra) < minSpace*fsize {
					// A kern, not a word space.
					*tm = matrix{1, 0, 0, 1, tx, 0}.mul(*tm)
					continue
				}
				if extra > minGap*fsize {
					// A stretched space: the layout measures the gap.
					e.addSpan(st, start, natEnd, text.String())
					text.Reset()
					*tm = matrix{1, 0, 0, 1, tx, 0}.mul(*tm)
					gapped = false
					continue
				}
			}
			if gapped {
				e.addSpan(st, start, natEnd, text.String())
				text.Reset()
			}
			gapped = extra > minGap*fsize
		}
		if text.Len() == 0 {
			start = *tm
		}
		text.WriteString(g.text)
		if spacing {
			natEnd = matrix{1, 0, 0, 1, w * st.th, 0}.mul(*tm)
		}
		*tm = matrix{1, 0, 0, 1, tx, 0}.mul(*tm)
	}
	if !spacing {
		natEnd = *tm
	}
	e.addSpan(st, start, natEnd, text.String())
}

// addSpan records the text drawn from text matrix start to end.
func (e *textExtractor) addSpan(st *textState, start, end matrix, text string) {
	if text == "" || len(e.spans) >= maxSpans {
		return
	}
	scale := matrix{st.size * st.th, 0, 0, st.size, 0, st.rise}
	start = scale.mul(start.mul(st.ctm))
	end = scale.mul(end.mul(st.ctm))
	size := math.Hypot(start[2], start[3])
	sp := span{x: start[4], y: start[5], x2: end[4], size: size, text: text}
	if math.Abs(start[1]) > math.Abs(start[0]) {
		// Rotated by about 90°: lay it out along y.
		sp.vertical = true
		sp.x, sp.y, sp.x2 = start[5], -start[4], end[5]
		if start[1] < 0 {
			sp.x, sp.y, sp.x2 = -start[5], start[4], -end[5]
		}
	} else if start[0] < 0 {
		// Upside down.
		sp.x, sp.y, sp.x2 = -start[4], -start[5], -end[4]
	}
	if sp.size <= 0 || math.IsNaN(sp.size) || math.IsInf(sp.size, 0) {
		sp.size = 10
	}
	e.spans = append(e.spans, sp)
}

// layout orders the spans of one page into lines of text.
func layout(spans []span) string {
	if len(spans) == 0 {
		return ""
	}
	// Horizontal text first, then rotated text, each top to bottom.
	sort.SliceStable(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.vertical != b.vertical {
			return !a.vertical
		}
		return a.y > b.y
	})
	var lines [][]span
	var cur []span
	lineY, lineSize := 0.0, 0.0
	for _, s := range spans {
		if len(cur) > 0 && (s.vertical != cur[0].vertical || math.Abs(s.y-lineY) > 0.45*math.Min(lineSize, s.size)) {
			lines = append(lines, cur)
			cur = nil
		}
		if len(cur) == 0 {
			lineY, lineSize = s.y, s.size
		}
		cur = append(cur, s)
	}
	lines = append(lines, cur)
	lines = mergeSideBySide(lines)

	var out strings.Builder
	var (
		anchors []anchor // starts of the columns after the first in the lines above
		prevY   float64
		n       int // lines written
	)
	for _, line := range lines {
		sort.SliceStable(line, func(i, j int) bool { return line[i].x < line[j].x })
		line = composeAccents(line)
		var b strings.Builder
		starts := []float64{line[0].x}
		prevEnd, prevSize := 0.0, 0.0
		var prevText string
		for i, s := range line {
			if i > 0 {
				// Text drawn twice at (almost) the same place: fake bold.
				if s.text == prevText && math.Abs(s.x-line[i-1].x) < 0.5 {
					continue
				}
				gap := s.x - prevEnd
				em := math.Max(math.Min(s.size, prevSize), 1)
				switch {
				case gap > columnGap*em:
					b.WriteString("   ")
					starts = append(starts, s.x)
				case gap > 0.15*em:
					if !endsWithSpace(b.String()) && !strings.HasPrefix(s.text, " ") {
						b.WriteByte(' ')
					}
				}
			}
			b.WriteString(s.text)
			prevEnd, prevSize, prevText = math.Max(s.x2, s.x), s.size, s.text
		}
		l := cleanLine(b.String())
		if strings.TrimSpace(l) == "" {
			continue
		}
		// A line that starts under a column other than the first of the
		// lines just above (the buyer's address block, longer than the
		// seller's beside it) is written after a column separator, so
		// that it is read as the continuation of that column.
		size := line[0].size
		if line[0].vertical || n > 0 && prevY-line[0].y > blockBreak*size {
			anchors = anchors[:0]
		}
		indent := false
		for _, a := range anchors {
			if n-a.line <= anchorLines && math.Abs(a.x-starts[0]) < 0.5*size {
				indent = true
				break
			}
		}
		kept := anchors[:0]
		for _, a := range anchors {
			if n-a.line < anchorLines {
				kept = append(kept, a)
			}
		}
		anchors = kept
		first := 1
		if indent {
			first = 0
			l = "   " + strings.TrimLeft(l, " ")
		}
		for _, x := range starts[first:] {
			anchors = append(anchors, anchor{x: x, line: n})
		}
		out.WriteString(l)
		out.WriteByte('\n')
		prevY = line[0].y
		n++
	}
	return out.String()
}

// anchor is where a column starts, and on which written line.
type anchor struct {
	x    float64
	line int
}

// Bounds of the columns a line may continue: the column started at most
// anchorLines lines above, with no vertical gap of more than blockBreak
// font sizes between the lines.
const (
	anchorLines = 8
	blockBreak  = 2.5
)

// spacingAccents maps the spacing accents a producer may draw over a
// letter to build an accented one (TeX's OT1 fonts have no "é": pdfTeX
// draws "´" over "e") to the combining marks.
var spacingAccents = map[rune]rune{
	'´': '\u0301', '`': '\u0300', 'ˆ': '\u0302', '^': '\u0302', '¨': '\u0308', '˜': '\u0303', '~': '\u0303',
	'¸': '\u0327', '˚': '\u030a', 'ˇ': '\u030c', '¯': '\u0304', '˘': '\u0306', '˙': '\u0307', '˝': '\u030b', '˛': '\u0328',
}

// composeAccents joins an accent drawn alone over the first letter of the
// next piece of a line, or the last letter of the previous one, with that
// letter (a line's spans sorted by x).
func composeAccents(line []span) []span {
	out := line[:0]
	for i := 0; i < len(line); i++ {
		s := line[i]
		if i+1 < len(line) && len(s.text) > 1 {
			// "fran¸" + "cais": the cedilla ends a piece that the next
			// one overlaps.
			r, n := utf8.DecodeLastRuneInString(s.text)
			next := &line[i+1]
			if mark, ok := spacingAccents[r]; ok && next.x < math.Max(s.x, s.x2)-0.1*s.size && next.x > s.x {
				if base, m := utf8.DecodeRuneInString(next.text); unicode.IsLetter(base) {
					next.text = withMark(base, mark) + next.text[m:]
					s.text = s.text[:len(s.text)-n]
					s.x2 = next.x
				}
			}
		}
		r, n := utf8.DecodeRuneInString(s.text)
		mark, ok := spacingAccents[r]
		if !ok || n != len(s.text) {
			out = append(out, s)
			continue
		}
		center := (s.x + math.Max(s.x, s.x2)) / 2
		if i+1 < len(line) {
			next := &line[i+1]
			if center >= next.x-0.1*next.size && center < next.x+0.7*next.size && next.text != "" {
				base, m := utf8.DecodeRuneInString(next.text)
				if unicode.IsLetter(base) {
					next.text = withMark(base, mark) + next.text[m:]
					next.x = math.Min(next.x, s.x)
					continue
				}
			}
		}
		if len(out) > 0 {
			prev := &out[len(out)-1]
			end := math.Max(prev.x, prev.x2)
			if center <= end+0.1*prev.size && center > end-0.7*prev.size && prev.text != "" {
				base, m := utf8.DecodeLastRuneInString(prev.text)
				if unicode.IsLetter(base) {
					prev.text = prev.text[:len(prev.text)-m] + withMark(base, mark)
					continue
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// withMark returns a letter with a combining mark, composed when Unicode
// has the composed letter.
func withMark(base, mark rune) string {
	if base == 'ı' {
		base = 'i'
	}
	return norm.NFC.String(string(base) + string(mark))
}

// columnGap is the horizontal gap, in ems of the smaller font, from
// which two pieces of a line are in different columns (written three
// spaces apart). A word space is a quarter to a third of an em, a
// stretched one in justified text rarely more than two thirds; table
// cells of HTML and office producers stand one em and more apart.
const columnGap = 1.0

// mergeSideBySide joins the lines of blocks that stand side by side
// with baselines that do not line up: a seller's address on the left
// and a framed buyer's address on the right, offset by the frame's
// padding, or a table cell centred against a two-line neighbour. A line
// is joined to the line above it when it is less than sideBySideDY of
// the smaller font below it and lies wholly left or right of it, at
// least a column gap apart. Lines in reading order then follow the
// rows a reader sees instead of alternating between the two blocks.
func mergeSideBySide(lines [][]span) [][]span {
	const sideBySideDY = 0.8
	type extent struct{ y, size, x1, x2 float64 }
	ext := func(l []span) extent {
		e := extent{y: l[0].y, size: l[0].size, x1: math.Inf(1), x2: math.Inf(-1)}
		for _, s := range l {
			e.size = math.Min(e.size, s.size)
			e.x1 = math.Min(e.x1, math.Min(s.x, s.x2))
			e.x2 = math.Max(e.x2, math.Max(s.x, s.x2))
		}
		return e
	}
	out := lines[:0]
	var prev extent
	for _, l := range lines {
		if len(out) > 0 && !l[0].vertical && !out[len(out)-1][0].vertical {
			e := ext(l)
			em := math.Max(math.Min(prev.size, e.size), 1)
			gap := columnGap * em
			if prev.y-e.y < sideBySideDY*em && (e.x1 > prev.x2+gap || e.x2+gap < prev.x1) {
				out[len(out)-1] = append(out[len(out)-1], l...)
				prev.x1, prev.x2 = math.Min(prev.x1, e.x1), math.Max(prev.x2, e.x2)
				continue
			}
		}
		out = append(out, l)
		prev = ext(l)
	}
	return out
}

func endsWithSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}

// cleanLine removes control characters and trailing blanks.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '\u00ad' || r == utf8.RuneError:
			return -1
		case r == '\u2212' || r == '\u2010' || r == '\u2011':
			// A minus sign or a hyphen character: PostScript's
			// ISOLatin1Encoding draws "-" with its "minus" glyph, and
			// office producers type non-breaking hyphens in references.
			return '-'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06") {
		s = ligatures.Replace(s)
	}
	if strings.Contains(s, "...") || strings.Contains(s, ". .") || strings.Contains(s, "……") || strings.Contains(s, "___") {
		// Tab leaders ("Total HT ........ 1 234,00 €") separate columns.
		s = leaderRE.ReplaceAllString(s, "   ")
	}
	return strings.TrimRight(s, " \u00a0")
}

// ligatures spells out the Latin ligatures fonts draw ("ﬁnances").
var ligatures = strings.NewReplacer("\ufb00", "ff", "\ufb01", "fi", "\ufb02", "fl", "\ufb03", "ffi", "\ufb04", "ffl", "\ufb05", "st", "\ufb06", "st")

// leaderRE matches a tab leader: a run of dots, spaced dots, ellipses or
// underscores.
var leaderRE = regexp.MustCompile(` *(?:\.{4,}|(?:\. ){3,}\.?|…{2,}|_{4,}) *`)
