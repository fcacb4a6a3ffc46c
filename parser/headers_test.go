package parser

import "testing"

// TestAuthenticationResultsTopmost: only the topmost field, the one our
// receiving server wrote, is kept; one added by the sender lies below it.
func TestAuthenticationResultsTopmost(t *testing.T) {
	raw := "Authentication-Results: mx.casq.fr; dmarc=fail header.from=x.example\r\n" +
		"Authentication-Results: forged.example; dmarc=pass\r\n" +
		"From: a@x.example\r\nSubject: s\r\n\r\ntext\r\n"
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.AuthenticationResults != "mx.casq.fr; dmarc=fail header.from=x.example" {
		t.Errorf("AuthenticationResults = %q", m.AuthenticationResults)
	}
}
