package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/internal/app"
	"facteur/internal/demo"
	"facteur/internal/samples"
	"facteur/store"
)

// harness drives an App step by step: a watcher cycle ingests and files,
// gateway steps do the rest.
type harness struct {
	t   *testing.T
	env *demo.Env
	app *app.App
	ctx context.Context
}

func newHarness(t *testing.T, o demo.Options) *harness {
	t.Helper()
	env, err := demo.Start(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	h := &harness{t: t, env: env, ctx: context.Background()}
	h.restart()
	return h
}

func (h *harness) restart() {
	h.t.Helper()
	if h.app != nil {
		h.app.Close()
	}
	a, err := app.New(h.ctx, h.env.Config, app.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.app = a
	h.t.Cleanup(func() { a.Close() })
}

func (h *harness) deliver(m samples.Mail) {
	h.t.Helper()
	if err := h.env.Deliver(m.Bytes()); err != nil {
		h.t.Fatal(err)
	}
}

// run ingests, then steps the gateway until it has nothing due, then files.
func (h *harness) run() {
	h.t.Helper()
	w := h.app.Watchers()[0]
	if _, err := w.Cycle(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	for i := 0; ; i++ {
		worked, err := h.app.Gateway().Step(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if !worked {
			break
		}
		if i > 100 {
			h.t.Fatal("gateway never settles")
		}
	}
	if _, err := w.Cycle(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) onlyCase() store.Case {
	h.t.Helper()
	cases, err := h.app.Store().Cases(h.ctx, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		h.t.Fatalf("cases = %+v, %v; want one", cases, err)
	}
	return cases[0]
}

func invoiceMail(t *testing.T, number, buyer, buyerRef, ej, subject, body string) samples.Mail {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice(number, "2026-11-20", buyer, buyerRef, ej))
	if err != nil {
		t.Fatal(err)
	}
	return samples.Mail{
		From: s.Contact + " <" + s.Email + ">", To: demo.MailboxUser, Subject: subject, Body: body,
		MessageID:   "test-" + number + "@" + "voirie-nord-travaux.example",
		Attachments: []samples.Attachment{{Name: "Facture " + number + ".pdf", Data: pdf}},
	}
}

func TestDepositOutcomeUnknownIsHeldNotRetried(t *testing.T) {
	h := newHarness(t, demo.Options{})
	h.env.Sandbox.FailNext("/cpro/factures/v1/deposer/flux", 503, 1)
	h.deliver(invoiceMail(t, "T-503", samples.CASQBudgetPrincipal, "", "EJ-2026-1", "Facture T-503", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "vérifier sur Chorus Pro") {
		t.Fatalf("case = %s %q; want held for a person to check", c.State, c.Reason)
	}
	h.run()
	if n := len(h.env.Sandbox.Deposits()); n != 0 {
		t.Fatalf("%d deposits after an uncertain failure, want 0 (never a blind retry)", n)
	}
	if n := len(h.env.SMTP.Messages()); n != 0 {
		t.Fatalf("%d replies for a held case, want 0", n)
	}
	if n := h.env.Count("Facteur/A-verifier"); n != 1 {
		t.Errorf("%d messages in the review folder, want 1", n)
	}
}

func TestDepositRefusedBeforeProcessingIsRetried(t *testing.T) {
	h := newHarness(t, demo.Options{})
	h.env.Sandbox.FailNext("/cpro/factures/v1/deposer/flux", 429, 1)
	h.deliver(invoiceMail(t, "T-429", samples.CASQBudgetPrincipal, "", "EJ-2026-2", "Facture T-429", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseRouted || c.Attempts != 1 || c.LastError == "" {
		t.Fatalf("after a 429: case %s attempts=%d err=%q; want routed with a backoff", c.State, c.Attempts, c.LastError)
	}
	// The backoff is persisted: a restarted daemon honours it, then deposits.
	h.restart()
	h.run()
	if c := h.onlyCase(); c.State != store.CaseRouted {
		t.Fatalf("retried before its backoff: %s", c.State)
	}
	forceDue(t, h)
	h.run()
	c = h.onlyCase()
	if c.State != store.CaseIntegrated || c.FlowNumber == "" {
		t.Fatalf("case = %s flow=%q; want integrated", c.State, c.FlowNumber)
	}
	if n := len(h.env.Sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits, want exactly 1", n)
	}
}

// forceDue reopens the store with a clock past every backoff.
func forceDue(t *testing.T, h *harness) {
	t.Helper()
	h.app.Close()
	a, err := app.New(h.ctx, h.env.Config, app.Options{Store: store.Options{Now: func() time.Time { return time.Now().Add(3 * time.Hour) }}})
	if err != nil {
		t.Fatal(err)
	}
	h.app = a
	t.Cleanup(func() { a.Close() })
}

func TestRejectedByChorusProIsAnswered(t *testing.T) {
	structs := sandbox.CASQStructures()
	structs[0].ServiceRequired = true
	structs[0].Services = []string{"DST-VOIRIE"}
	h := newHarness(t, demo.Options{Structures: structs})
	h.deliver(invoiceMail(t, "T-REJ", samples.CASQBudgetPrincipal, "", "EJ-2026-3", "Facture T-REJ", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseRejected || c.FlowNumber == "" || c.Reason == "" {
		t.Fatalf("case = %s flow=%q reason=%q; want rejected with Chorus Pro's reason", c.State, c.FlowNumber, c.Reason)
	}
	replies := h.env.SMTP.Messages()
	if len(replies) != 1 || !strings.Contains(string(replies[0].Data), "Subject: ") {
		t.Fatalf("%d replies, want the rejection notice", len(replies))
	}
	if n := h.env.Count("Facteur/A-verifier"); n != 1 {
		t.Errorf("%d messages in the review folder, want 1", n)
	}
}

func TestInterruptedDepositIsHeldAtRestart(t *testing.T) {
	h := newHarness(t, demo.Options{})
	h.env.Sandbox.FailNext("/cpro/factures/v1/deposer/flux", 429, 1)
	h.deliver(invoiceMail(t, "T-CRASH", samples.CASQBudgetPrincipal, "", "EJ-2026-4", "Facture T-CRASH", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseRouted {
		t.Fatalf("case = %s", c.State)
	}
	// The gateway commits "depositing" before the HTTP call; the process
	// dies during the call.
	err := h.app.Store().Update(h.ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseRouted, store.CaseDepositing, "dépôt", store.CaseFields{})
	})
	if err != nil {
		t.Fatal(err)
	}
	h.restart()
	forceDue(t, h)
	if err := h.app.Gateway().Recover(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.run()
	c = h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "vérifier sur Chorus Pro") {
		t.Fatalf("case = %s %q; want held", c.State, c.Reason)
	}
	if n := len(h.env.Sandbox.Deposits()); n != 0 {
		t.Fatalf("%d deposits: an interrupted deposit was retried blindly", n)
	}
}

func TestSupplierAnswerWithEngagement(t *testing.T) {
	h := newHarness(t, demo.Options{})
	h.deliver(invoiceMail(t, "T-ASK", samples.CASQBudgetPrincipal, "", "", "Facture T-ASK", "Bonjour, ci-joint notre facture."))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case = %s %q", c.State, c.Reason)
	}
	replies := h.env.SMTP.Messages()
	if len(replies) != 1 {
		t.Fatalf("%d replies, want the request", len(replies))
	}
	items, _ := h.app.Store().OutboxOfCase(h.ctx, c.ID)
	s := samples.DemoSuppliers()[1]
	answer := samples.Mail{
		From: s.Email, To: demo.MailboxUser, Subject: "RE: " + items[0].Subject,
		Body:      "Bonjour,\n\nLe numéro d'engagement est EJ-2026-000777.\n\nCordialement",
		MessageID: "answer-1@voirie-nord-travaux.example",
		Headers:   [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}},
	}
	h.deliver(answer)
	h.run()
	c, _ = h.app.Store().Case(h.ctx, c.ID)
	if c.State != store.CaseHeld || c.Engagement != "EJ-2026-000777" {
		t.Fatalf("after the answer: case = %s engagement=%q reason=%q", c.State, c.Engagement, c.Reason)
	}
	cases, err := h.app.Store().Cases(h.ctx, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		t.Fatalf("the answer opened %d cases (%v), want none new", len(cases)-1, err)
	}
	if n := len(h.env.SMTP.Messages()); n != 1 {
		t.Errorf("%d replies, want still 1", n)
	}
}

func TestReplyRefusedPermanentlyHoldsTheCase(t *testing.T) {
	h := newHarness(t, demo.Options{})
	s := samples.DemoSuppliers()[1]
	h.env.SMTP.Reject(s.Email, 550)
	h.deliver(invoiceMail(t, "T-550", samples.CASQBudgetPrincipal, "", "", "Facture T-550", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "n'a pas pu être envoyée") {
		t.Fatalf("case = %s %q; want held", c.State, c.Reason)
	}
	items, _ := h.app.Store().OutboxOfCase(h.ctx, c.ID)
	if len(items) != 1 || items[0].State != store.OutboxFailed {
		t.Fatalf("outbox = %+v", items)
	}
}

func TestReplyRefusedTemporarilyIsRetried(t *testing.T) {
	h := newHarness(t, demo.Options{})
	s := samples.DemoSuppliers()[1]
	h.env.SMTP.Reject(s.Email, 451)
	h.deliver(invoiceMail(t, "T-451", samples.CASQBudgetPrincipal, "", "", "Facture T-451", ""))
	h.run()
	c := h.onlyCase()
	items, _ := h.app.Store().OutboxOfCase(h.ctx, c.ID)
	if c.State != store.CaseAwaitingSupplier || len(items) != 1 || items[0].State != store.OutboxQueued || items[0].Attempts != 1 {
		t.Fatalf("case %s, outbox %+v; want awaiting with a queued reply and one failed attempt", c.State, items)
	}
	h.env.SMTP.Reject(s.Email, 0)
	forceDue(t, h)
	h.run()
	items, _ = h.app.Store().OutboxOfCase(h.ctx, c.ID)
	if items[0].State != store.OutboxSent || len(h.env.SMTP.Messages()) != 1 {
		t.Fatalf("after the retry: %+v, %d messages", items[0], len(h.env.SMTP.Messages()))
	}
}

func TestInvoiceFromBillingSystemIsDepositedNotAnswered(t *testing.T) {
	h := newHarness(t, demo.Options{})
	m := invoiceMail(t, "T-AUTO", samples.CASQBudgetPrincipal, "", "EJ-2026-9", "Facture T-AUTO", "")
	m.From = "noreply@voirie-nord-travaux.example"
	m.Headers = [][2]string{{"Auto-Submitted", "auto-generated"}}
	h.deliver(m)
	noEJ := invoiceMail(t, "T-AUTO2", samples.CASQBudgetPrincipal, "", "", "Facture T-AUTO2", "")
	noEJ.Headers = [][2]string{{"Auto-Submitted", "auto-generated"}}
	h.deliver(noEJ)
	h.run()
	cases, _ := h.app.Store().Cases(h.ctx, store.CaseFilter{})
	states := map[string]store.CaseState{}
	for _, c := range cases {
		states[c.InvoiceNumber] = c.State
		if c.NoReply == "" {
			t.Errorf("case %s: no reason recorded for not answering", c.Ref)
		}
	}
	if states["T-AUTO"] != store.CaseIntegrated || states["T-AUTO2"] != store.CaseHeld {
		t.Fatalf("states = %v; want T-AUTO integrated, T-AUTO2 held (cannot ask an automatic sender)", states)
	}
	if n := len(h.env.SMTP.Messages()); n != 0 {
		t.Fatalf("%d replies to automatic mail, want 0", n)
	}
}
