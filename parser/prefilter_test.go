package parser

import (
	"regexp"
	"slices"
	"testing"
)

// TestPrefilterLiterals: the literals found for the default patterns are
// the words they cannot do without, and a text without them is skipped.
func TestPrefilterLiterals(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []string
	}{
		{`(?i)\bengagement\s*:\s*(\d+)`, []string{"ENGAGEMENT"}},
		{`(?i)n[°º] d'(?:engagement|ej)\s*(\d+)`, []string{"N° D'ENGAGEMENT", "N° D'EJ", "Nº D'ENGAGEMENT", "Nº D'EJ"}},
		{`(?i)(?:engagement|EJ)(\d+)`, []string{"ENGAGEMENT", "EJ"}},
		{`\bPO\s*(\d+)`, []string{"PO"}},
		{`(\d+)`, nil},
		{`(?i)(?:x*|engagement)(\d+)`, nil},
	} {
		got := patternLiterals(tt.pattern)
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: literals %q, want %q", tt.pattern, got, tt.want)
		}
	}
	re := DefaultEngagementPatterns()
	if mayMatch(re[1], foldString("Facture n° 12 du 3 mars, total 1 200,00 €")) {
		t.Error("a text without the word engagement passes the prefilter of the engagement juridique pattern")
	}
}

// TestPrefilterSound: whenever a pattern matches, its prefilter lets the
// text through, whatever the case of the text (Unicode folding included).
func TestPrefilterSound(t *testing.T) {
	texts := []string{
		"N° D'ENGAGEMENT : 24-00123", "numéro d’engagement EJ2026-0042", "NUMÉRO D'ENGAGEMENT : 24-00123",
		"Engagement juridique n° 1300012345", "bon de commande n° BC-2026-117", "EJ : 2026/000123",
		"PURCHASE ORDER NO. 4500012345", "\u212Aelvin 12", "ſtock 99", "BC 2026-117",
	}
	patterns := append(DefaultEngagementPatterns(), regexp.MustCompile(`(?i)kelvin (\d+)`), regexp.MustCompile(`(?i)stock (\d+)`))
	for _, re := range patterns {
		for _, text := range texts {
			if re.MatchString(text) && !mayMatch(re, foldString(text)) {
				t.Errorf("%s matches %q but its prefilter rejects it", re, text)
			}
		}
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, p := range defaultEngagementPatterns {
		f.Add(p, "N° d'engagement : 24-00123")
	}
	f.Add(`(?i)k(\d)`, "\u212A1")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile(pattern)
		if err != nil || len(pattern) > 200 {
			return
		}
		if re.MatchString(text) && !mayMatch(re, foldString(text)) {
			t.Errorf("%q matches %q but its prefilter rejects it", pattern, text)
		}
	})
}
