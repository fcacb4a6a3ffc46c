package notifier

import (
	"net/mail"
	"strings"
	"testing"
)

func TestGateRefusal(t *testing.T) {
	g := Gate{Own: func(a string) bool { return strings.EqualFold(a, "accueil.comptabilite@casq.fr") }}
	person := Inbound{To: "compta@voirie-nord.example", AuthenticationResults: "mx.casq.fr; dmarc=pass header.from=voirie-nord.example"}
	if r := g.Refusal(person); r != "" {
		t.Errorf("a person: refused %q", r)
	}
	for _, tc := range []struct {
		name string
		in   Inbound
		want string
	}{
		{"automatic", Inbound{Automatic: "Auto-Submitted: auto-generated", To: person.To}, "message automatique"},
		{"dmarc", Inbound{AuthenticationResults: "mx.casq.fr; spf=fail; dmarc=fail (p=none)", To: person.To}, "dmarc=fail"},
		{"compauth", Inbound{AuthenticationResults: "spf=pass; compauth=fail reason=001", To: person.To}, "compauth=fail"},
		{"null sender", Inbound{ReturnPath: "<>", To: person.To}, "expéditeur nul"},
		{"no address", Inbound{}, "adresse de l'expéditeur absente"},
		{"unusable", Inbound{To: "jean@exämple.fr"}, "inutilisable"},
		{"own", Inbound{To: "Accueil.Comptabilite@casq.fr"}, "notre propre adresse"},
		{"no-reply", Inbound{To: "ne-pas-repondre@facturation.example"}, "n'accepte pas de réponse"},
		{"noreply", Inbound{To: "NoReply+factures@billing.example"}, "n'accepte pas de réponse"},
	} {
		if r := g.Refusal(tc.in); !strings.Contains(r, tc.want) {
			t.Errorf("%s: refusal %q, want %q", tc.name, r, tc.want)
		}
	}
	if r := g.Refusal(Inbound{To: "noreen.martin@voirie.example"}); r != "" {
		t.Errorf("a person whose name starts like no-reply: %q", r)
	}
	// Not a failure: a word that merely contains the check.
	if a := AuthFailure("mx; x-dmarc=failover"); a != "" {
		t.Errorf("AuthFailure = %q", a)
	}
}

func TestReplyAddress(t *testing.T) {
	from := mail.Address{Name: "Jean", Address: "jean@x.example"}
	if got := ReplyAddress(from, nil); got != from {
		t.Errorf("no Reply-To: %v", got)
	}
	rt := []mail.Address{{Address: "factures@x.example"}}
	if got := ReplyAddress(from, rt); got != rt[0] {
		t.Errorf("Reply-To: %v", got)
	}
	if got := ReplyAddress(from, []mail.Address{{}}); got != from {
		t.Errorf("empty Reply-To: %v", got)
	}
}

// FuzzAuthFailure: what AuthFailure returns always comes from the field.
func FuzzAuthFailure(f *testing.F) {
	f.Add("mx.casq.fr; dmarc=fail header.from=x.example")
	f.Add("DMARC=FAIL")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if a := AuthFailure(s); a != "" && !strings.Contains(strings.ToLower(s), a) {
			t.Fatalf("AuthFailure = %q, not in %q", a, s)
		}
	})
}
