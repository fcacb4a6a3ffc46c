package notifier

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"facteur/ident"
)

// nbsp is the no-break space used by French typography inside amounts and
// before a colon.
const nbsp = "\u00a0"

var frenchMonths = [...]string{
	"janvier", "février", "mars", "avril", "mai", "juin",
	"juillet", "août", "septembre", "octobre", "novembre", "décembre",
}

// FrenchDate renders an ISO 8601 date ("2026-11-02", or a date-time such as
// "2026-11-02T10:14:03.512+01:00", of which only the date is kept) as
// "2 novembre 2026" ("1er" for the first day of a month). Anything else is
// returned unchanged: a value we cannot read is better shown as written than
// dropped or guessed at.
func FrenchDate(s string) string {
	if len(s) < 10 || (len(s) > 10 && s[10] != 'T' && s[10] != ' ') {
		return s
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return s
	}
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// FrenchAmount renders a decimal string as written in an invoice ("1234.5",
// "-80.00", "1234,50") the French way: "1 234,50 €", with no-break spaces
// between groups of thousands and before the currency sign. Amounts with fewer
// than two decimals get two; more decimals are kept as written. A currency
// other than EUR is shown by its code; an empty currency shows none. A value
// that is not a plain decimal number is returned as written (with its
// currency).
func FrenchAmount(amount, currency string) string {
	amount = strings.TrimSpace(amount)
	currency = strings.ToUpper(strings.TrimSpace(currency))
	suffix := ""
	switch currency {
	case "":
	case "EUR":
		suffix = nbsp + "€"
	default:
		suffix = nbsp + currency
	}
	if amount == "" {
		return ""
	}
	sign := ""
	rest := amount
	if rest[0] == '-' || rest[0] == '+' {
		if rest[0] == '-' {
			sign = "-"
		}
		rest = rest[1:]
	}
	intPart, frac, hasSep := rest, "", false
	if i := strings.IndexAny(rest, ".,"); i >= 0 {
		intPart, frac, hasSep = rest[:i], rest[i+1:], true
	}
	if !ident.AllDigits(intPart) || hasSep && !ident.AllDigits(frac) {
		return amount + suffix
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(nbsp)
		}
		b.WriteRune(r)
	}
	b.WriteString(",")
	b.WriteString(frac)
	b.WriteString(suffix)
	return b.String()
}

// clean makes a value from a Reply safe to show on one line: control
// characters and runs of white space (except no-break spaces) become one
// space, invalid UTF-8 is replaced, and the result is cut to max runes (with
// "…").
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if (unicode.IsSpace(r) && r != '\u00a0' && r != '\u202f') || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		runes := []rune(out)
		out = strings.TrimSpace(string(runes[:max-1])) + "…"
	}
	return out
}

// sentence makes sure a French sentence ends with a punctuation mark.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '?', '…', '»', ')':
		return s
	}
	return s + "."
}

// wrap breaks a paragraph into lines of at most width runes at spaces (a word
// longer than width stays whole on its line). No-break spaces do not break.
func wrap(s string, width int) []string {
	words := strings.Split(s, " ")
	var lines []string
	var cur strings.Builder
	curLen := 0
	for _, w := range words {
		if w == "" {
			continue
		}
		n := utf8.RuneCountInString(w)
		if curLen > 0 && curLen+1+n > width {
			lines = append(lines, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += n
	}
	if curLen > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
