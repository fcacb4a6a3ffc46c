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
