package parser

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// The visible text of a PDF: each page's content stream is interpreted
// for its text operators only (ISO 32000-1 §9), glyph positions are
// computed from the text and graphics matrices and the font widths, and
// the text is laid out again in reading order: lines by baseline, top to
// bottom, pieces of a line by x, with one space between words and three
// between columns.

// errDeadline is returned when a document took longer than allowed.
var errDeadline = errors.New("time limit exceeded")

// textLimits bound the work of one extraction.
type textLimits struct {
	deadline     time.Time // zero: none
	maxPages     int
	maxOps       int   // content operators over the whole document
	maxDecode    int64 // bytes of one decoded stream
	maxTextBytes int   // bytes of extracted text
}

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
}

// pdfText extracts the visible text of the pages of a PDF read by pdfcpu.
func pdfText(x *model.XRefTable, lim textLimits) (string, error) {
	if err := x.EnsurePageCount(); err != nil {
		return "", fmt.Errorf("pdf: page tree: %w", err)
	}
	if lim.maxPages > 0 && x.PageCount > lim.maxPages {
		return "", fmt.Errorf("pdf: %d pages, more than the limit of %d", x.PageCount, lim.maxPages)
	}
	if lim.maxDecode <= 0 {
		lim.maxDecode = maxPDFStreamBytes
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
	content, err := e.x.PageContent(d, p)
	if err != nil || len(content) == 0 {
		return
	}
	var res types.Dict
	if attrs != nil {
		res = attrs.Resources
	}
	st := textState{ctm: identity, th: 1}
	e.run(content, res, st, 0)
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
			e.err = fmt.Errorf("pdf: more than %d content operators", e.lim.maxOps)
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
	content := streamData(sd, e.lim.maxDecode)
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

// show draws a string: it records one span and advances the text matrix.
func (e *textExtractor) show(st *textState, tm *matrix, s []byte) {
	f := st.font
	if f == nil {
		f = &pdfFont{base: &winAnsiTable, defWidth: 500}
		st.font = f
	}
	e.glyphs = f.decode(s, e.glyphs)
	trm := matrix{st.size * st.th, 0, 0, st.size, 0, st.rise}.mul(tm.mul(st.ctm))
	start := trm
	var text strings.Builder
	for _, g := range e.glyphs {
		text.WriteString(g.text)
		tx := (g.width/1000*st.size + st.tc) * st.th
		if g.space {
			tx += st.tw * st.th
		}
		*tm = matrix{1, 0, 0, 1, tx, 0}.mul(*tm)
	}
	if text.Len() == 0 || len(e.spans) >= maxSpans {
		return
	}
	end := matrix{st.size * st.th, 0, 0, st.size, 0, st.rise}.mul(tm.mul(st.ctm))
	size := math.Hypot(start[2], start[3])
	sp := span{x: start[4], y: start[5], x2: end[4], size: size, text: text.String()}
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

	var out strings.Builder
	for _, line := range lines {
		sort.SliceStable(line, func(i, j int) bool { return line[i].x < line[j].x })
		var b strings.Builder
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
				case gap > 1.5*em:
					b.WriteString("   ")
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
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.String()
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
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimRight(s, " \u00a0")
}
