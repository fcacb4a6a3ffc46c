package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/samples"
	"facteur/store"
)

// TestRestoreSearchesBeforeDeposit: a store restored from a backup does not
// know what the copied daemon deposited after the copy. Every case opened
// before the restore, or in the day after it (its message read again from
// the mailbox), is searched on Chorus Pro before its first deposit: the
// invoices the copied daemon deposited are found, never deposited twice;
// one it never deposited is deposited once, after the searches; a case
// opened later is deposited at once.
func TestRestoreSearchesBeforeDeposit(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-RST1", samples.CASQBudgetPrincipal, "", "EJ-2026-301", "Facture T-RST1", ""))
	h.deliver(invoiceMail(t, "T-RST2", samples.CASQBudgetPrincipal, "", "EJ-2026-302", "Facture T-RST2", ""))
	bk := filepath.Join(t.TempDir(), "backup")
	if _, err := h.st.Backup(h.ctx, bk); err != nil {
		t.Fatal(err)
	}
	h.run() // the copied daemon goes on after the copy: both deposited
	if n := len(h.sandbox.Deposits()); n != 2 {
		t.Fatalf("%d deposits before the restore, want 2", n)
	}
	h.clock.Advance(time.Hour)

	// The data directory is lost; the backup is restored into a new one.
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	h.st = nil
	h.dir = filepath.Join(t.TempDir(), "restored")
	if _, err := store.RestoreAt(h.ctx, bk, h.dir, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.restart()
	h.run()
	// A message that arrived before the restore, read again from the
	// mailbox, never deposited by the copied daemon.
	h.deliver(invoiceMail(t, "T-RST3", samples.CASQBudgetPrincipal, "", "EJ-2026-303", "Facture T-RST3", ""))
	h.run()
	for _, c := range h.cases() {
		if c.InvoiceNumber == "T-RST3" && (c.State != store.CaseDepositing || !strings.Contains(c.Reason, "restaurées")) {
			t.Errorf("T-RST3 right after the restore: %s %q, want searched on Chorus Pro first", c.State, c.Reason)
		}
	}
	h.runDue(8)
	h.clock.Advance(store.DoubtAfterRestore)
	h.deliver(invoiceMail(t, "T-RST4", samples.CASQBudgetPrincipal, "", "EJ-2026-304", "Facture T-RST4", ""))
	h.run()

	perInvoice := map[string]int{}
	for _, d := range h.sandbox.Deposits() {
		perInvoice[d.InvoiceNumber]++
	}
	for _, number := range []string{"T-RST1", "T-RST2", "T-RST3", "T-RST4"} {
		if perInvoice[number] != 1 {
			t.Errorf("%s deposited %d times, want once", number, perInvoice[number])
		}
	}
	for _, c := range h.cases() {
		if c.State != store.CaseIntegrated && c.State != store.CaseDeposited {
			t.Errorf("%s (%s): %s %q, want deposited", c.Ref, c.InvoiceNumber, c.State, c.Reason)
		}
	}
}
