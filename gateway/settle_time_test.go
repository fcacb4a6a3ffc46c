package gateway_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/samples"
	"facteur/store"
)

// TestSettleTimeUnderFaults delivers invoices at once while a fifth of the
// Chorus Pro requests (deposits and searches alike) are lost without an
// answer, the fault that costs a deposit the most (its outcome is unknown:
// searched for, then deposited again). It checks that each invoice is
// deposited exactly once and that none stays on its way to Chorus Pro, and
// logs how long each took to leave "depositing", on the test clock (the
// time the gateway's own backoffs make it wait; see README, "Deposits in
// doubt under faults").
//
// FACTEUR_SETTLE_INVOICES=200 (default 30) sets how many; the figures of
// README come from
//
//	FACTEUR_SETTLE_INVOICES=200 go test ./gateway -run TestSettleTimeUnderFaults -v
func TestSettleTimeUnderFaults(t *testing.T) {
	n := 30
	if v := os.Getenv("FACTEUR_SETTLE_INVOICES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("FACTEUR_SETTLE_INVOICES=%q", v)
		}
	}
	h := newHarness(t, sandbox.Options{Seed: 14})
	if err := h.sandbox.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Probability: 0.2}); err != nil {
		t.Fatal(err)
	}
	start := h.clock.Now()
	for i := range n {
		h.deliver(invoiceMail(t, fmt.Sprintf("T-SET-%d", i), samples.CASQBudgetPrincipal, "", "EJ-2026-7", "Facture", ""))
	}
	const step, limit = 30 * time.Second, 24 * time.Hour
	for {
		h.run()
		busy := 0
		for _, c := range h.cases() {
			if !c.State.Settled() {
				busy++
			}
		}
		if busy == 0 || h.clock.Now().Sub(start) > limit {
			break
		}
		h.clock.Advance(step)
	}
	var took []time.Duration
	for _, c := range h.cases() {
		if c.State == store.CaseNew || c.State == store.CaseRouted || c.State == store.CaseDepositing {
			t.Errorf("case %s still %s after %v", c.Ref, c.State, limit)
			continue
		}
		l, err := h.st.Ledger(h.ctx, store.EntityCase, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var first, left time.Time
		for _, e := range l {
			if e.To == string(store.CaseDepositing) && first.IsZero() {
				first = e.At
			}
			if e.From == string(store.CaseDepositing) && e.To != string(store.CaseRouted) && e.To != e.From {
				left = e.At
			}
		}
		if first.IsZero() || left.IsZero() {
			t.Errorf("case %s (%s) never went through depositing: %+v", c.Ref, c.State, l)
			continue
		}
		took = append(took, left.Sub(first))
	}
	perInvoice := map[string]int{}
	for _, d := range h.sandbox.Deposits() {
		perInvoice[d.InvoiceNumber]++
	}
	for i := range n {
		if k := perInvoice[fmt.Sprintf("T-SET-%d", i)]; k != 1 {
			t.Errorf("invoice T-SET-%d deposited %d times, want once", i, k)
		}
	}
	slices.Sort(took)
	if len(took) == 0 {
		t.Fatal("nothing settled")
	}
	over := func(d time.Duration) int {
		k := 0
		for _, x := range took {
			if x > d {
				k++
			}
		}
		return k
	}
	t.Logf("%d invoices, 20%% of Chorus Pro requests lost: time in depositing median %v, p90 %v, worst %v; over 15 min %d, over 30 min %d, over 1 h %d",
		len(took), took[len(took)/2].Round(time.Second), took[len(took)*9/10].Round(time.Second), took[len(took)-1].Round(time.Second),
		over(15*time.Minute), over(30*time.Minute), over(time.Hour))
}
