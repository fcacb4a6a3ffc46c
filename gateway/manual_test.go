package gateway_test

import (
	"errors"
	"strings"
	"testing"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/samples"
	"facteur/store"
)

// TestEngagementSetByHand: an invoice waiting for its engagement number
// gets it from finance staff; the worker's next pass decides it again and
// deposits it (PDF mode, the supplier being one the technical account may
// submit for), the ledger naming the person.
func TestEngagementSetByHand(t *testing.T) {
	s := samples.DemoSuppliers()[1]
	h := newHarness(t, sandbox.Options{Suppliers: []sandbox.Supplier{{ID: 4245, SIRET: s.SIRET, Name: s.Name}}})
	h.deliver(invoiceMail(t, "T-MAN", samples.CASQBudgetPrincipal, "", "", "Facture T-MAN", "Ci-joint notre facture."))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case %s %q; want the engagement asked", c.State, c.Reason)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("9", 51), "EJ\n2026"} {
		if _, err := h.gw.SetEngagement(h.ctx, c.Ref, "mdupont", bad); !errors.Is(err, gateway.ErrBadEngagement) {
			t.Errorf("engagement %q: %v, want ErrBadEngagement", bad, err)
		}
	}
	if _, err := h.gw.SetEngagement(h.ctx, "FAC-2026-999999", "mdupont", "EJ-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
	a, err := h.gw.SetEngagement(h.ctx, c.Ref, "mdupont", " EJ-2026-005555 ")
	if err != nil || a.To != store.CaseNew {
		t.Fatalf("set engagement: %+v %v", a, err)
	}
	h.run()
	c, _ = h.st.Case(h.ctx, c.ID)
	if c.State != store.CaseIntegrated || c.Engagement != "EJ-2026-005555" {
		t.Fatalf("after the engagement given by hand: %s %q engagement %q", c.State, c.Reason, c.Engagement)
	}
	invs := h.sandbox.Invoices()
	if len(invs) != 1 || invs[0].Engagement != "EJ-2026-005555" || invs[0].Number != "T-MAN" {
		t.Fatalf("submitted %+v", invs)
	}
	notes := ledgerText(t, h, c)
	if !strings.Contains(notes, "numéro d'engagement « EJ-2026-005555 » saisi par mdupont") {
		t.Errorf("ledger:\n%s", notes)
	}
	if _, err := h.gw.SetEngagement(h.ctx, c.Ref, "mdupont", "EJ-2026-006666"); !errors.Is(err, store.ErrTransition) {
		t.Errorf("engagement of an integrated case: %v, want ErrTransition", err)
	}
	// Held while its deposit is in doubt (a flow number is known): deciding
	// it again could deposit it twice.
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseIntegrated, store.CaseHeld, "test", store.CaseFields{FlowNumber: "CPP0011117000000000077777"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.gw.SetEngagement(h.ctx, c.Ref, "mdupont", "EJ-2026-006666"); !errors.Is(err, gateway.ErrOnChorus) {
		t.Errorf("engagement of a case on Chorus Pro: %v, want ErrOnChorus (never deposited twice)", err)
	}
}

// TestBudgetSetByHand: an invoice naming none of our budgets gets its
// budget from finance staff, by name or SIRET; it is then decided again
// and deposited.
func TestBudgetSetByHand(t *testing.T) {
	s := samples.DemoSuppliers()[0]
	h := newHarness(t, sandbox.Options{Suppliers: []sandbox.Supplier{{ID: 4246, SIRET: s.SIRET, Name: s.Name}}})
	pdf, err := samples.PlainPDF(s.Invoice("HSP-2026-0300", "2026-11-20", "", "", "EJ-2026-000300"))
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-0300",
		Attachments: []samples.Attachment{{Name: "facture.pdf", Data: pdf}}})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case %s %q; want the budget asked", c.State, c.Reason)
	}
	if _, err := h.gw.SetBudget(h.ctx, c.Ref, "mdupont", "budget des fêtes"); !errors.Is(err, gateway.ErrUnknownBudget) {
		t.Errorf("unknown budget: %v", err)
	}
	if _, err := h.gw.SetBudget(h.ctx, c.Ref, "mdupont", "200 071 892 00026"); err != nil {
		t.Fatal(err)
	}
	h.run()
	c, _ = h.st.Case(h.ctx, c.ID)
	if c.State != store.CaseIntegrated || c.RecipientSIRET != samples.CASQBudgetEauPotable || c.Budget != "Budget eau potable" {
		t.Fatalf("after the budget chosen by hand: %s %q budget %q %s", c.State, c.Reason, c.Budget, c.RecipientSIRET)
	}
	if notes := ledgerText(t, h, c); !strings.Contains(notes, "budget « Budget eau potable » choisi par mdupont") {
		t.Errorf("ledger:\n%s", notes)
	}
	if got := h.gw.BudgetNames(); len(got) != 4 || got[0] != "Budget principal" {
		t.Errorf("budget names %q", got)
	}
}

// TestMarkedHandled: a case dealt with outside Facteur is set aside with
// how, and who said so; the reason is required; a case with no way to be
// set aside is refused.
func TestMarkedHandled(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-HORS", samples.CASQBudgetPrincipal, "", "", "Facture T-HORS", ""))
	h.run()
	c := h.onlyCase()
	if _, err := h.gw.MarkHandled(h.ctx, c.Ref, "mdupont", " "); !errors.Is(err, gateway.ErrReasonRequired) {
		t.Errorf("no reason: %v", err)
	}
	a, err := h.gw.MarkHandled(h.ctx, c.Ref, "mdupont", "déposée à la main sur Chorus Pro")
	if err != nil || a.To != store.CaseIgnored {
		t.Fatalf("mark handled: %+v %v", a, err)
	}
	c, _ = h.st.Case(h.ctx, c.ID)
	if c.State != store.CaseIgnored || !strings.Contains(c.Reason, "traité hors de Facteur, selon mdupont : déposée à la main sur Chorus Pro") {
		t.Errorf("case %s %q", c.State, c.Reason)
	}
	if _, err := h.gw.MarkHandled(h.ctx, c.Ref, "mdupont", "encore"); !errors.Is(err, store.ErrTransition) {
		t.Errorf("mark handled twice: %v, want ErrTransition", err)
	}
}

func ledgerText(t *testing.T, h *harness, c store.Case) string {
	t.Helper()
	es, err := h.st.Ledger(h.ctx, store.EntityCase, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.From + "→" + e.To + " " + e.Note + "\n")
	}
	return b.String()
}
