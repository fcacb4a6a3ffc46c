package main

import (
	"strings"
	"testing"
	"time"

	"facteur/store"
)

// TestPrintCasesMarksSlowDeposits: `facteur cases list` marks a case being
// deposited for more than an hour and says how many there are.
func TestPrintCasesMarksSlowDeposits(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 5, 0, 0, time.Local)
	slow := store.Case{ID: 1, Ref: "FAC-2026-000001", State: store.CaseDepositing, CreatedAt: at}
	other := store.Case{ID: 2, Ref: "FAC-2026-000002", State: store.CaseDepositing, CreatedAt: at}
	var b strings.Builder
	printCases(&b, []store.Case{slow, other}, []store.SlowDeposit{{Case: slow, Since: at}})
	lines := strings.Split(b.String(), "\n")
	if !strings.Contains(lines[1], "(> 1 h)") || !strings.Contains(lines[1], "en cours depuis le 03/12/2026 09:05") {
		t.Errorf("slow case not marked: %q", lines[1])
	}
	if strings.Contains(lines[2], "> 1 h") {
		t.Errorf("other case marked: %q", lines[2])
	}
	if !strings.Contains(b.String(), "1 dossier en cours de dépôt depuis plus d'une heure") {
		t.Errorf("no count of the slow deposits:\n%s", b.String())
	}
}
