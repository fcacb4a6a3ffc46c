package parser

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// A prefilter tells, before a regular expression is run over a long text,
// whether the text can hold a match at all: every match of the pattern
// contains one of a few literal strings (found in its syntax tree), and
// looking for those is much cheaper than running the pattern. Literals and
// text are compared case-folded, so the test is sound for case-insensitive
// patterns too.

// prefilters caches the literals of each pattern (nil: no prefilter).
var prefilters sync.Map // *regexp.Regexp → []string

// maxLiterals bounds the literal set of one pattern; beyond it the pattern
// is always run.
const maxLiterals = 16

// mayMatch reports whether re can match a text whose folded form is folded.
func mayMatch(re *regexp.Regexp, folded string) bool {
	lits, ok := prefilters.Load(re)
	if !ok {
		lits = patternLiterals(re.String())
		prefilters.Store(re, lits)
	}
	set := lits.([]string)
	if set == nil {
		return true
	}
	for _, l := range set {
		if strings.Contains(folded, l) {
			return true
		}
	}
	return false
}

// patternLiterals returns folded literals one of which every match of the
// pattern contains, or nil when there is no such set.
func patternLiterals(pattern string) []string {
	t, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	set, ok := requiredLiterals(t)
	if !ok || len(set) == 0 {
		return nil
	}
	return set
}

// requiredLiterals computes the literal set of a syntax tree. ok is false
// when a match may contain none of a bounded set of literals.
func requiredLiterals(t *syntax.Regexp) (set []string, ok bool) {
	if set, ok := exactStrings(t); ok && !slices.Contains(set, "") {
		return set, true
	}
	switch t.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min < 1 {
			return nil, false
		}
		return requiredLiterals(t.Sub[0])
	case syntax.OpConcat:
		// Any required part will do; the one whose shortest literal is
		// longest filters best. Adjacent parts matching a few exact
		// strings ("n", "[°º]") are joined first.
		var best []string
		bestLen := 0
		consider := func(set []string, ok bool) {
			if !ok || slices.Contains(set, "") {
				return
			}
			if n := shortest(set); n > bestLen {
				best, bestLen = set, n
			}
		}
		var run []string // cross product of the current run of exact parts
		inRun := false
		for _, s := range t.Sub {
			if set, ok := exactStrings(s); ok {
				if !inRun {
					run, inRun = set, true
				} else if run, ok = crossProduct(run, set); !ok {
					// Too many strings: start again from this part.
					run = set
				}
				consider(run, true)
				continue
			}
			if inRun {
				// "e" then "(?:ngagement…|j)": "engagement" or "ej".
				if pre, ok := prefixStrings(s); ok {
					consider(crossProduct(run, pre))
				}
			}
			inRun = false
			consider(requiredLiterals(s))
		}
		return best, best != nil
	case syntax.OpAlternate:
		return union(t.Sub, requiredLiterals)
	}
	return nil, false
}

// prefixStrings returns folded strings one of which every match of a
// syntax tree starts with.
func prefixStrings(t *syntax.Regexp) ([]string, bool) {
	if set, ok := exactStrings(t); ok {
		return set, true
	}
	switch t.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return prefixStrings(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min < 1 {
			return []string{""}, true
		}
		return prefixStrings(t.Sub[0])
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range t.Sub {
			if sub, ok := exactStrings(s); ok {
				if set, ok = crossProduct(set, sub); !ok {
					return nil, false
				}
				continue
			}
			sub, ok := prefixStrings(s)
			if !ok {
				return set, true
			}
			if joined, ok := crossProduct(set, sub); ok {
				return joined, true
			}
			return set, true
		}
		return set, true
	case syntax.OpAlternate:
		return union(t.Sub, prefixStrings)
	}
	return []string{""}, true
}

// exactStrings returns the folded strings a syntax tree matches, when
// they are few: "n", "[°º]", "(?:no|n\.)", "x?".
func exactStrings(t *syntax.Regexp) ([]string, bool) {
	switch t.Op {
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		// Empty, or a zero-width assertion: matching "" is a sound
		// approximation.
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{foldString(string(t.Rune))}, true
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(t.Rune); i += 2 {
			for r := t.Rune[i]; r <= t.Rune[i+1]; r++ {
				set = appendNew(set, string(foldRune(r)))
				if len(set) > 4 {
					return nil, false
				}
			}
		}
		return set, len(set) > 0
	case syntax.OpCapture:
		return exactStrings(t.Sub[0])
	case syntax.OpQuest:
		set, ok := exactStrings(t.Sub[0])
		if !ok {
			return nil, false
		}
		return appendNew(set, ""), true
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range t.Sub {
			sub, ok := exactStrings(s)
			if !ok {
				return nil, false
			}
			if set, ok = crossProduct(set, sub); !ok {
				return nil, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		return union(t.Sub, exactStrings)
	}
	return nil, false
}

// union is the set of the strings f gives each alternative, when f gives
// some for all and they are few.
func union(alts []*syntax.Regexp, f func(*syntax.Regexp) ([]string, bool)) ([]string, bool) {
	var set []string
	for _, a := range alts {
		sub, ok := f(a)
		if !ok {
			return nil, false
		}
		set = appendNew(set, sub...)
		if len(set) > maxLiterals {
			return nil, false
		}
	}
	return set, true
}

// crossProduct joins every string of a with every string of b.
func crossProduct(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxLiterals {
		return nil, false
	}
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = appendNew(out, x+y)
		}
	}
	return out, true
}

func appendNew(set []string, ss ...string) []string {
	for _, s := range ss {
		if !slices.Contains(set, s) {
			set = append(set, s)
		}
	}
	return set
}

func shortest(set []string) int {
	n := -1
	for _, s := range set {
		if l := utf8.RuneCountInString(s); n < 0 || l < n {
			n = l
		}
	}
	return n
}

// foldString maps every rune to the smallest rune of its case-folding
// orbit: two strings equal under Unicode simple case folding (what (?i)
// matches) have the same folded form.
func foldString(s string) string {
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
