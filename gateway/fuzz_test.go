package gateway

import (
	"strings"
	"testing"

	"facteur/parser"
)

// FuzzUntrustedHeaders feeds the gateway's own readings of untrusted mail
// (the engagement numbers of a supplier's answer): they must never panic, and
// what they return must come from the input.
func FuzzUntrustedHeaders(f *testing.F) {
	f.Add([]byte("Authentication-Results: mx.casq.fr; dmarc=fail header.from=x.example\r\nX-Facteur-Oversize: 52428800\r\n\r\nN° d'engagement : EJ-2026-1\r\n> Numéro d'engagement : 2026-000123\r\n"))
	f.Add([]byte("Subject: RE: [FAC-2026-000001]\r\n\r\nLe 25/11/2026, X a écrit :\r\nEJ : 2026/000123\r\n"))
	f.Add([]byte("\r\n\r\n"))
	g := New(Options{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		pm, err := parser.Parse(raw, parser.Options{})
		if err != nil {
			return
		}
		for _, c := range g.answeredEngagements(pm) {
			if c.Value == "" || !strings.Contains(pm.Subject+pm.BodyText, c.Value) {
				t.Fatalf("engagement %q not in the answer", c.Value)
			}
		}
	})
}
