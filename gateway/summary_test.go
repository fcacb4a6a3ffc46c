package gateway_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/samples"
	"facteur/store"
)

// TestSupplierOverTheDailyLimitIsToldNextDay: a billing department sending
// more invoices in a day than the limit of replies gets exactly the limit's
// replies that day; the others are held back, said in each case's history,
// and the next day one summary lists every invoice of the day with where it
// stands. Automatic mail from the same address is never answered, summary
// included.
func TestSupplierOverTheDailyLimitIsToldNextDay(t *testing.T) {
	const limit, invoices = 3, 7
	h := newHarness(t, sandbox.Options{})
	h.tune(func(o *gateway.Options) { o.RepliesPerSenderPerDay = limit })
	h.restart()
	supplier := samples.DemoSuppliers()[1]
	for i := range invoices {
		ej := "EJ-2026-1"
		if i == invoices-1 {
			ej = "" // the last one lacks its engagement number: a request held back
		}
		h.deliver(invoiceMail(t, fmt.Sprintf("T-LIM-%d", i), samples.CASQBudgetPrincipal, "", ej, "Facture", ""))
	}
	auto := invoiceMail(t, "T-LIM-AUTO", samples.CASQBudgetPrincipal, "", "EJ-2026-1", "Facture", "")
	auto.Headers = [][2]string{{"Auto-Submitted", "auto-generated"}}
	h.deliver(auto)
	h.runDue(3)

	sent := h.smtp.Messages()
	if len(sent) != limit {
		t.Fatalf("%d replies the first day, want exactly %d", len(sent), limit)
	}
	var heldBack int
	for _, c := range h.cases() {
		l, err := h.st.Ledger(h.ctx, store.EntityCase, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range l {
			if strings.Contains(e.Note, "retenue : limite de 3 réponses automatiques par jour atteinte pour "+supplier.Email) {
				heldBack++
			}
		}
	}
	if heldBack != invoices-limit {
		t.Fatalf("%d replies said held back, want %d", heldBack, invoices-limit)
	}

	h.clock.Advance(24 * time.Hour) // the next day
	h.run()
	h.run()
	sent = h.smtp.Messages()
	if len(sent) != limit+1 {
		t.Fatalf("%d messages after the next day, want the %d replies and one summary", len(sent), limit)
	}
	summary := string(sent[limit].Data)
	if !strings.Contains(sent[limit].To[0], supplier.Email) || !strings.Contains(summary, "Auto-Submitted: auto-replied") {
		t.Fatalf("summary to %v:\n%s", sent[limit].To, summary)
	}
	text := decodedText(t, sent[limit].Data)
	for i := range invoices {
		if !strings.Contains(text, fmt.Sprintf("Facture n° T-LIM-%d", i)) {
			t.Errorf("summary lacks invoice T-LIM-%d:\n%s", i, text)
		}
	}
	for _, w := range []string{"transmise au destinataire sur Chorus Pro", "numéro d'engagement manquant"} {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "T-LIM-AUTO") {
		t.Errorf("the automatic message is in the summary:\n%s", text)
	}
	h.clock.Advance(time.Hour)
	h.run()
	if n := len(h.smtp.Messages()); n != limit+1 {
		t.Fatalf("%d messages; the summary went twice", n)
	}
}
