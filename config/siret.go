package config

import (
	"strings"
	"unicode"
)

// normalizeSIRET removes the spaces (including no-break and thin spaces)
// people put in SIRETs: "200 071 892 00067" → "20007189200067".
func normalizeSIRET(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u202f' || r == '\u2009' {
			return -1
		}
		return r
	}, s)
}
