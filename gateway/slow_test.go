package gateway_test

import (
	"strings"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/samples"
	"facteur/store"
)

// TestSlowDepositIsShown: a deposit whose requests keep getting lost stays
// depositing (searched, deposited again, never twice); after an hour it is
// among the slow deposits, dated from the first attempt, and the digest
// lists it in its own section.
func TestSlowDepositIsShown(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.tune(func(o *gateway.Options) {
		o.Digest.To = []string{"finances@casq.fr"}
		o.Digest.Next = func(t time.Time) time.Time { return t.Add(65 * time.Minute) }
	})
	h.restart()
	h.sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultDrop, Count: 1000})
	h.deliver(invoiceMail(t, "T-SLOW", samples.CASQBudgetPrincipal, "", "EJ-2026-5", "Facture T-SLOW", ""))
	start := h.clock.Now()
	h.run()
	for h.clock.Now().Sub(start) < 55*time.Minute {
		h.clock.Advance(5 * time.Minute)
		h.run()
	}
	if slow, err := h.st.SlowDeposits(h.ctx, h.clock.Now().Add(-gateway.SlowDepositAfter)); err != nil || len(slow) != 0 {
		t.Fatalf("slow deposits before an hour: %+v, %v", slow, err)
	}
	for h.clock.Now().Sub(start) < 70*time.Minute {
		h.clock.Advance(5 * time.Minute)
		h.run()
	}
	c := h.onlyCase()
	if c.State != store.CaseDepositing {
		t.Fatalf("case %s %q; want still depositing", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 0 {
		t.Fatalf("%d deposits recorded by the sandbox, want none (every request lost)", n)
	}
	slow, err := h.st.SlowDeposits(h.ctx, h.clock.Now().Add(-gateway.SlowDepositAfter))
	if err != nil || len(slow) != 1 || slow[0].Case.ID != c.ID || slow[0].Since.Before(start) || slow[0].Since.After(start.Add(time.Minute)) {
		t.Fatalf("slow deposits %+v, %v; want the case, since its first attempt at %v", slow, err, start)
	}
	var digest string
	for _, m := range h.smtp.Messages() {
		if text := decodedText(t, m.Data); strings.HasPrefix(text, "[Facteur] Point du ") {
			digest = strings.Join(strings.Fields(text), " ")
		}
	}
	for _, want := range []string{"Dépôts en cours depuis plus d'une heure (1)", c.Ref, "dépôt commencé le"} {
		if !strings.Contains(digest, want) {
			t.Errorf("digest lacks %q:\n%s", want, digest)
		}
	}
}
