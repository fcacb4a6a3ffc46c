package parser

import (
	"strings"

	"facteur/ident"
)

// siretCandidate returns the digits of id when, once spaces, dots and
// dashes are removed, it is a valid SIRET; else "".
func siretCandidate(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '\u00a0' || r == '\u202f':
		default:
			return ""
		}
	}
	if s := b.String(); ident.ValidSIRET(s) {
		return s
	}
	return ""
}
