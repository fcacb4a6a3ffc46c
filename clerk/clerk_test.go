package clerk

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"facteur/gateway"
	"facteur/store"
)

func TestStatesLabelledOnce(t *testing.T) {
	seen := map[string]store.CaseState{}
	for _, s := range States {
		l := StateLabel(s)
		if l == string(s) {
			t.Errorf("state %s has no label", s)
		}
		if o, dup := seen[Fold(l)]; dup {
			t.Errorf("%s and %s read alike (%q)", o, s, l)
		}
		seen[Fold(l)] = s
		for _, v := range []string{string(s), l, strings.ToUpper(l)} {
			if got, ok := ParseState(v); !ok || got != s {
				t.Errorf("ParseState(%q) = %q, %v", v, got, ok)
			}
		}
	}
	if _, ok := ParseState("  "); ok {
		t.Error("an empty state is parsed")
	}
}

func TestEvidence(t *testing.T) {
	if got := Evidence("xml BT-13, subject"); got != "données de la facture (BT-13), objet du courriel" {
		t.Errorf("Evidence = %q", got)
	}
	if got := Evidence("inconnu"); got != "inconnu" {
		t.Errorf("unknown evidence = %q", got)
	}
}

func TestActionError(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("x: %w", store.ErrNotFound):         "aucun dossier",
		fmt.Errorf("x: %w", store.ErrTransition):       "« à examiner »",
		fmt.Errorf("x: %w", gateway.ErrUnknownBudget):  "« Budget principal », « Budget eau potable »",
		fmt.Errorf("x: %w", gateway.ErrOnChorus):       "jamais déposée deux fois",
		fmt.Errorf("x: %w", gateway.ErrBadEngagement):  "50 caractères",
		errors.New("store: disk I/O error"):            "service informatique : disk I/O error",
		fmt.Errorf("x: %w", gateway.ErrReasonRequired): "motif est obligatoire",
		fmt.Errorf("x: %w", gateway.ErrNoFailedReply):  "aucune réponse en échec",
		fmt.Errorf("x: %w", store.ErrConflict):         "a changé entre-temps",
	} {
		if got := ActionError(err, store.CaseHeld, []string{"Budget principal", "Budget eau potable"}); !strings.Contains(got, want) {
			t.Errorf("ActionError(%v) = %q, want %q in it", err, got, want)
		}
	}
}

// TestCaseFields: what the CLI and the page show of a case: an avoir named
// so, an amount in euros, the empty fields left out.
func TestCaseFields(t *testing.T) {
	got := CaseFields(store.Case{CaseFields: store.CaseFields{InvoiceNumber: "AV-7", InvoiceType: "credit_note", AmountWithVAT: "-120.00", Engagement: " "}})
	want := []Field{{"Avoir n°", "AV-7"}, {"Montant TTC", Amount("-120.00", "")}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("CaseFields = %q, want %q", got, want)
	}
	if f := CaseFields(store.Case{CaseFields: store.CaseFields{InvoiceNumber: "F-1"}}); len(f) != 1 || f[0].Label != "Facture n°" {
		t.Errorf("an invoice: %q", f)
	}
}
