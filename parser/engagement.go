package parser

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Building blocks of the default engagement-number patterns.
const (
	// Horizontal white space, including the no-break and narrow no-break
	// spaces of French typography ("N° : ").
	reH = `[ \t\x{00A0}\x{202F}]`
	// Apostrophes: straight, typographic, modifier letter, acute, backquote.
	reApos = `['\x{2019}\x{2018}\x{02BC}\x{00B4}\x60]`
	// A number marker: "n°", "N °", "nº", "no", "no.", "n.", "num.", "numéro", "#".
	reNum = `(?:n` + reH + `?[°º]|no\b\.?|n\.|num[ée]ro\b|num\b\.?|#)`
	// Optional marker and separator between a label and the number; the
	// number may start on the next line.
	// A sentence may say it: "le numéro d'engagement est 24-00123".
	// The marker may start the next line ("Bon de commande<br>n° 117").
	reGap = reH + `*(?:(?:\r?\n` + reH + `*)?` + reNum + reH + `*)?[:=]?` + reH + `*(?:(?:est|sera|is)` + reH + `+(?:le` + reH + `+)?)?(?:\r?\n` + reH + `*)?`
	// A mandatory marker or colon between a label and the number.
	reMark = reH + `*(?:` + reNum + reH + `*[:=]?|[:=#])` + reH + `*(?:\r?\n` + reH + `*)?`
	// The number itself, the one capture group: an optional short letter
	// prefix ("EJ", "BC-"), then a digit, then letters, digits and / _ . -
	// ending on a letter or digit; 3 to 30 characters, at least one digit.
	reValue = `((?:[A-Za-z]{1,6}[/_.-]?)?[0-9][A-Za-z0-9/_.-]{1,20}[A-Za-z0-9])\b`
)

// defaultEngagementPatterns are the engagement-number patterns used when
// the configuration gives none. Each is a case-insensitive Go regexp with
// exactly one capture group, the number, which always has 3 to 30
// characters among [A-Za-z0-9/_.-] and at least one digit. They recognise,
// among others:
//
//	N° d'engagement : 24-00123
//	numéro d’engagement EJ2026-0042
//	Engagement juridique n° 1300012345
//	bon de commande n° BC-2026-117
//	EJ : 2026/000123
//
// and not an invoice number ("Facture n° FA-2026-0042") nor an amount.
var defaultEngagementPatterns = []string{
	// "N° d'engagement EJ2026-0042", "numéro de l'engagement juridique : …",
	// "n° d'EJ …", "N° de commande : …", "n° du bon de commande …".
	`(?i)` + reNum + reH + `*(?:d` + reApos + reH + `*|de` + reH + `+(?:l` + reApos + reH + `*)?|du` + reH + `+)` +
		`(?:engagement(?:` + reH + `+juridique)?|EJ|bon` + reH + `+de` + reH + `+commande|commande)\b` + reGap + reValue,
	// "Engagement juridique n° 1300012345", "engagement juridique 1300012345".
	`(?i)\bengagement` + reH + `+juridique\b` + reGap + reValue,
	// "Engagement : 24-00123", "engagement n° 24-00123", "EJ : 2026/000123", "EJ n° …".
	`(?i)\b(?:engagement|EJ)\b` + reMark + reValue,
	// "EJ 2026/000123": the upper-case abbreviation alone is specific enough.
	`\bEJ` + reH + `+` + reValue,
	// "Votre commande n° : 4500012873": the buyer's order, not the
	// supplier's own sales order ("Commande n° S00042"); on the same line
	// only (a table header's next line holds other columns' values).
	`(?i)\b(?:votre|vos)` + reH + `+commandes?\b` + reH + `*(?:` + reNum + reH + `*[:=]?|[:=#])` + reH + `*` + reValue,
	// "bon de commande n° BC-2026-117", "Bon de commande : 2026-117".
	`(?i)\bbons?` + reH + `+de` + reH + `+commande\b` + reGap + reValue,
	// "BC n° 2026-117", "BC : 2026-117", "BC 2026-117": the upper-case
	// abbreviation of "bon de commande", like "EJ".
	`\bBC(?i:` + reMark + `|` + reH + `+)` + reValue,
	// English: "purchase order no. 4500012345", "PO number: 4500012345".
	`(?i)\bpurchase` + reH + `+order(?:` + reH + `+number\b)?` + reGap + reValue,
	`\bPO(?i:` + reH + `+number\b)?(?i:` + reMark + `)` + reValue,
}

// DefaultEngagementPatterns returns the default engagement-number patterns,
// compiled. Each has exactly one capture group, the number.
func DefaultEngagementPatterns() []*regexp.Regexp {
	return slices.Clone(compiledDefaultPatterns())
}

// compiledDefaultPatterns compiles the default patterns once: a Regexp is
// safe for concurrent use, and compiling them took a tenth of the time
// of reading a Factur-X.
var compiledDefaultPatterns = sync.OnceValue(func() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(defaultEngagementPatterns))
	for i, p := range defaultEngagementPatterns {
		res[i] = regexp.MustCompile(p)
	}
	return res
})

// DefaultEngagementPatternStrings returns the source of the default
// patterns (for configuration defaults and documentation).
func DefaultEngagementPatternStrings() []string {
	return append([]string(nil), defaultEngagementPatterns...)
}

// candidateValue cleans a captured value and reports whether it can be an
// engagement number: 3 to 30 characters of [A-Za-z0-9/_.-] with a digit.
func candidateValue(s string) (string, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), "./_-")
	if len(s) < 3 || len(s) > 30 {
		return "", false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '/', c == '_', c == '.', c == '-':
		default:
			return "", false
		}
	}
	return s, digit
}

// candidates accumulates engagement candidates, de-duplicated by value
// (case-insensitively), keeping every piece of evidence.
type candidates struct {
	list []Candidate
}

func (c *candidates) add(value, evidence string) {
	v, ok := candidateValue(value)
	if !ok {
		return
	}
	for i := range c.list {
		if strings.EqualFold(c.list[i].Value, v) {
			for _, e := range strings.Split(c.list[i].Evidence, ", ") {
				if e == evidence {
					return
				}
			}
			c.list[i].Evidence += ", " + evidence
			return
		}
	}
	c.list = append(c.list, Candidate{Value: v, Evidence: evidence})
}

// findEngagements runs the patterns over text and adds what they capture.
func (c *candidates) find(patterns []*regexp.Regexp, text, evidence string) {
	if text == "" {
		return
	}
	folded := foldString(text)
	for _, re := range patterns {
		if re == nil || re.NumSubexp() < 1 || !mayMatch(re, folded) {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(text, 50) {
			c.add(m[1], evidence)
		}
	}
}

// FindEngagements returns the engagement-number candidates found in text
// with the given patterns (nil → DefaultEngagementPatterns), each with the
// given evidence. The gateway uses it on a supplier's answer.
func FindEngagements(text, evidence string, patterns []*regexp.Regexp) []Candidate {
	if patterns == nil {
		patterns = DefaultEngagementPatterns()
	}
	var c candidates
	c.find(patterns, text, evidence)
	return c.list
}
