package parser

import (
	"regexp"
	"strings"
)

// Building blocks of the default engagement patterns.
const (
	// engValue is the captured number: it starts with a letter or digit and
	// has 3 to 30 characters; candidateValue checks it further.
	engValue = `([A-Za-z0-9][A-Za-z0-9/_.\-]{2,29})`
	// engSep is what may stand between a keyword and the number: spaces,
	// punctuation, "n°", "no.", "numéro", "number", "est", "is".
	engSep = `(?:\s|[:=#]|n\s*[°º]|n[o°º]\.?\s|nr\.?\s|num(?:é|e)ro\s|number\s|est\s|is\s)*`
)

// defaultEngagementPatterns are French first, then English.
var defaultEngagementPatterns = []string{
	// "N° d'engagement : 24-00123", "numéro d’engagement EJ2026-0042",
	// "engagement juridique n° 1300012345", "le numéro d'engagement est 24-00123".
	`(?i)engagements?(?:\s+juridiques?)?` + engSep + engValue,
	// "EJ : 2026/000123", "EJ n° 1300012345".
	`(?i)\bEJ\b` + engSep + engValue,
	// "EJ2026-0042", "EJ-26-0042" written alone.
	`\b(EJ[-_]?[0-9][A-Za-z0-9/_.\-]{1,27})`,
	// "bon de commande n° BC-2026-117", "bons de commande : 4500012345".
	`(?i)\bbons?\s+de\s+commande` + engSep + engValue,
	// "n° de commande : 4500012345", "numéro de commande 4500012345".
	`(?i)(?:n\s*[°º]|\bn[o°º]\.?|\bnum(?:é|e)ro)\s*de\s+(?:la\s+)?commande` + engSep + engValue,
	// "BC n° 2026-117", "BC : 2026-117".
	`\bBC\s*(?:n\s*[°º]|n[o°º]\.?|:)` + engSep + engValue,
	// "purchase order number: PO-2026-117", "PO #4500012345", "PO number 4500012345".
	`(?i)\b(?:purchase\s+order|P\.?O\.?)(?:\s+(?:number|no\.?|ref(?:erence)?))?\s*[:#]` + engSep + engValue,
	`(?i)\bpurchase\s+order` + engSep + engValue,
}

// DefaultEngagementPatterns returns the default engagement-number patterns,
// compiled. Each has exactly one capture group, the number.
func DefaultEngagementPatterns() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(defaultEngagementPatterns))
	for i, p := range defaultEngagementPatterns {
		res[i] = regexp.MustCompile(p)
	}
	return res
}

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
	for _, re := range patterns {
		if re == nil || re.NumSubexp() < 1 {
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
