package gateway_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/notifier"
	"facteur/parser"
	"facteur/register"
	"facteur/samples"
	"facteur/store"
)

// The two ways of routing.cannot_deposit: what Facteur may not deposit
// itself is held for finance staff, or the supplier is told what to enter
// on Chorus Pro (router.Rules.Guide).
const (
	cannotDepositHold  = "hold"
	cannotDepositGuide = "guide"
)

// holdWhatCannotBeDeposited sets routing.cannot_deposit = "hold": the
// invoices Facteur may not deposit go to finance staff, not back to the
// supplier with instructions.
func (h *harness) holdWhatCannotBeDeposited() {
	h.t.Helper()
	h.tune(func(o *gateway.Options) { o.Rules.Guide = false })
	h.restart()
}

func invoiceMail(t *testing.T, number, buyer, buyerRef, ej, subject, body string) samples.Mail {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice(number, "2026-11-20", buyer, buyerRef, ej))
	if err != nil {
		t.Fatal(err)
	}
	return samples.Mail{
		From: s.Contact + " <" + s.Email + ">", To: samples.CASQMailbox, Subject: subject, Body: body,
		MessageID:   "test-" + number + "@" + "voirie-nord-travaux.example",
		Attachments: []samples.Attachment{{Name: "Facture " + number + ".pdf", Data: pdf}},
	}
}

func TestDepositInDoubtIsSearchedBeforeAnyRetry(t *testing.T) {
	t.Run("answer lost after the deposit was recorded", func(t *testing.T) {
		h := newHarness(t, sandbox.Options{})
		h.sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultCommitDrop, Count: 1})
		h.deliver(invoiceMail(t, "T-DROP", samples.CASQBudgetPrincipal, "", "EJ-2026-1", "Facture T-DROP", ""))
		h.run()
		c := h.onlyCase()
		if c.State != store.CaseDepositing || !strings.Contains(c.LastError, "incertain") {
			t.Fatalf("after the lost answer: case %s %q; want depositing, in doubt", c.State, c.LastError)
		}
		h.runDue(3)
		deps := h.sandbox.Deposits()
		if len(deps) != 1 {
			t.Fatalf("%d deposits, want exactly 1", len(deps))
		}
		c = h.onlyCase()
		if c.State != store.CaseIntegrated || c.FlowNumber != deps[0].FlowNumber {
			t.Fatalf("case %s flow %q; want integrated under flow %s", c.State, c.FlowNumber, deps[0].FlowNumber)
		}
		if n := len(h.smtp.Messages()); n != 1 {
			t.Errorf("%d replies, want the one confirmation", n)
		}
	})
	t.Run("request lost before reaching Chorus Pro", func(t *testing.T) {
		h := newHarness(t, sandbox.Options{})
		h.sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultDrop, Count: 1})
		h.deliver(invoiceMail(t, "T-LOST", samples.CASQBudgetPrincipal, "", "EJ-2026-2", "Facture T-LOST", ""))
		h.run()
		if c := h.onlyCase(); c.State != store.CaseDepositing {
			t.Fatalf("case %s; want depositing, in doubt", c.State)
		}
		h.runDue(8) // searched several times, not found, deposited again
		if n := len(h.sandbox.Deposits()); n != 1 {
			t.Fatalf("%d deposits, want exactly 1", n)
		}
		c := h.onlyCase()
		if c.State != store.CaseIntegrated {
			t.Fatalf("case %s %q; want integrated", c.State, c.Reason)
		}
		l, _ := h.st.Ledger(h.ctx, store.EntityCase, c.ID)
		var searched bool
		for _, e := range l {
			searched = searched || strings.Contains(e.Note, "introuvable sur Chorus Pro")
		}
		if !searched {
			t.Errorf("deposited again without the searches being recorded: %+v", l)
		}
	})
}

func TestDepositRefusedBeforeProcessingIsRetried(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.sandbox.FailNext("/cpro/factures/v1/deposer/flux", 429, 1)
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
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits, want exactly 1", n)
	}
}

func TestStructureRulesCheckedBeforeDeposit(t *testing.T) {
	structs := sandbox.CASQStructures()
	structs[0].ServiceRequired = true
	structs[0].Services = []string{"DST-VOIRIE"}
	h := newHarness(t, sandbox.Options{Structures: structs})
	h.deliver(invoiceMail(t, "T-SRV", samples.CASQBudgetPrincipal, "", "EJ-2026-3", "Facture T-SRV", ""))
	h.deliver(invoiceMail(t, "T-SRV2", samples.CASQBudgetPrincipal, "DST-VOIRIE", "EJ-2026-4", "Facture T-SRV2", ""))
	h.run()
	cases, _ := h.st.Cases(h.ctx, store.CaseFilter{})
	states := map[string]store.Case{}
	for _, c := range cases {
		states[c.InvoiceNumber] = c
	}
	if c := states["T-SRV"]; c.State != store.CaseHeld || !strings.Contains(c.Reason, "code service") {
		t.Errorf("T-SRV: %s %q; want held for the missing service code", c.State, c.Reason)
	}
	if c := states["T-SRV2"]; c.State != store.CaseIntegrated {
		t.Errorf("T-SRV2: %s %q; want integrated", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Errorf("%d deposits, want 1 (the invalid one is never sent)", n)
	}
}

func TestRejectedByChorusProIsAnswered(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	// The same invoice already reached Chorus Pro by another channel:
	// Chorus Pro refuses the duplicate.
	m := invoiceMail(t, "T-DUP", samples.CASQBudgetPrincipal, "", "EJ-2026-5", "Facture T-DUP", "")
	first := invoiceMail(t, "T-DUP", samples.CASQBudgetPrincipal, "", "EJ-2026-5", "Facture T-DUP (copie)", "")
	first.MessageID = "other-channel@voirie-nord-travaux.example"
	h.deliver(first)
	h.run()
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Fatalf("setup: %d deposits", n)
	}
	// Forget it locally, as if it had been deposited by hand on the portal.
	st := h.st
	c := h.onlyCase()
	if err := st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseIntegrated, store.CaseHeld, "test", store.CaseFields{})
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseHeld, store.CaseIgnored, "test", store.CaseFields{})
	}); err != nil {
		t.Fatal(err)
	}
	h.deliver(m)
	h.run()
	cases, _ := st.Cases(h.ctx, store.CaseFilter{States: []store.CaseState{store.CaseRejected}})
	if len(cases) != 1 || cases[0].FlowNumber == "" || cases[0].Reason == "" {
		t.Fatalf("rejected cases = %+v; want one, with Chorus Pro's reason", cases)
	}
	replies := h.smtp.Messages()
	last := string(replies[len(replies)-1].Data)
	if !strings.Contains(last, "Subject: ") || len(replies) != 2 {
		t.Fatalf("%d replies, want the confirmation then the rejection notice", len(replies))
	}
	// Filed for review (the folder itself is imapwatch's).
	if n := h.filed()[store.DispositionReview]; n != 1 || h.disposition(cases[0]) != store.DispositionReview {
		t.Errorf("%d messages to file for review, the rejected one's disposition %q; want it alone", n, h.disposition(cases[0]))
	}
}

// interruptedDeposit delivers an invoice whose deposit reaches Chorus Pro
// while the daemon dies before the answer, then restarts it and lets it
// settle.
func (h *harness) interruptedDeposit(number, ej string) {
	h.t.Helper()
	h.sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultCommitDrop, Count: 1})
	h.deliver(invoiceMail(h.t, number, samples.CASQBudgetPrincipal, "", ej, "Facture "+number, ""))
	h.run()
	if c := h.onlyCase(); c.State != store.CaseDepositing {
		h.t.Fatalf("case = %s", c.State)
	}
	h.restart() // a new gateway over the same store, which recovers first
	h.runDue(2)
}

func TestInterruptedDepositIsSearchedAtRestart(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.interruptedDeposit("T-CRASH", "EJ-2026-4")
	deps := h.sandbox.Deposits()
	c := h.onlyCase()
	if len(deps) != 1 || c.State != store.CaseIntegrated || c.FlowNumber != deps[0].FlowNumber {
		t.Fatalf("%d deposits, case %s flow %q; want exactly one deposit and the case integrated under its flow", len(deps), c.State, c.FlowNumber)
	}
}

// TestInterruptedDepositFoundFromTheRecipientSide: when Chorus Pro's
// supplier-side search only covers the supplier structures the technical
// account is attached to (UNCONFIRMED), a deposit in doubt for another
// seller is found by the recipient-side search, and never deposited twice.
func TestInterruptedDepositFoundFromTheRecipientSide(t *testing.T) {
	h := newHarness(t, sandbox.Options{SupplierSearchAttachedOnly: true})
	h.interruptedDeposit("T-RECIP", "EJ-2026-5")
	deps := h.sandbox.Deposits()
	c := h.onlyCase()
	invs := h.sandbox.Invoices()
	if len(deps) != 1 || len(invs) != 1 || c.State != store.CaseIntegrated || c.InvoiceID == 0 {
		t.Fatalf("%d deposits, %d invoices, case %s invoice id %d; want one deposit, the case integrated with its invoice id",
			len(deps), len(invs), c.State, c.InvoiceID)
	}
}

func TestSupplierAnswerWithEngagement(t *testing.T) {
	for _, mode := range []string{cannotDepositHold, cannotDepositGuide} {
		t.Run(mode, func(t *testing.T) { testSupplierAnswerWithEngagement(t, mode) })
	}
}

// testSupplierAnswerWithEngagement: the supplier (one the technical account
// may not submit for) answers our request with the engagement number; the
// Factur-X lacks it, so Facteur cannot deposit it: held for finance staff,
// or the supplier is told what to enter on Chorus Pro.
func testSupplierAnswerWithEngagement(t *testing.T, mode string) {
	h := newHarness(t, sandbox.Options{})
	if mode == cannotDepositHold {
		h.holdWhatCannotBeDeposited()
	}
	h.deliver(invoiceMail(t, "T-ASK", samples.CASQBudgetPrincipal, "", "", "Facture T-ASK", "Bonjour, ci-joint notre facture."))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case = %s %q", c.State, c.Reason)
	}
	replies := h.smtp.Messages()
	if len(replies) != 1 {
		t.Fatalf("%d replies, want the request", len(replies))
	}
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	s := samples.DemoSuppliers()[1]
	answer := samples.Mail{
		From: s.Email, To: samples.CASQMailbox, Subject: "RE: " + items[0].Subject,
		Body: "Bonjour,\n\nLe numéro d'engagement est EJ-2026-000777.\n\nCordialement\n\n" +
			"Le 25/11/2026 à 10:02, Agglomération du Saint-Quentinois a écrit :\n" +
			"> Il vous suffit de répondre à ce courriel en nous indiquant ce numéro, par exemple :\n" +
			">     Numéro d'engagement : 2026-000123\n",
		MessageID: "answer-1@voirie-nord-travaux.example",
		Headers:   [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}},
	}
	h.deliver(answer)
	h.run()
	c, _ = h.st.Case(h.ctx, c.ID)
	want, wantReplies := store.CaseHeld, 1
	if mode == cannotDepositGuide {
		want, wantReplies = store.CaseGuided, 2
	}
	if c.State != want || c.Engagement != "EJ-2026-000777" || !strings.Contains(c.Reason, "EJ-2026-000777") {
		t.Fatalf("after the answer: case = %s engagement=%q reason=%q; want %s", c.State, c.Engagement, c.Reason, want)
	}
	cases, err := h.st.Cases(h.ctx, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		t.Fatalf("the answer opened %d cases (%v), want none new", len(cases)-1, err)
	}
	msgs := h.smtp.Messages()
	if len(msgs) != wantReplies {
		t.Fatalf("%d replies, want %d", len(msgs), wantReplies)
	}
	if mode == cannotDepositGuide {
		text := decodedText(t, msgs[1].Data)
		for _, w := range []string{"à déposer sur Chorus Pro", "200 071 892 00067", "EJ-2026-000777", "https://chorus-pro.gouv.fr"} {
			if !strings.Contains(text, w) {
				t.Errorf("the guide reply lacks %q:\n%s", w, text)
			}
		}
	}
}

func TestReplyRefusedPermanentlyHoldsTheCase(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[1]
	h.smtp.Reject(s.Email, 550)
	h.deliver(invoiceMail(t, "T-550", samples.CASQBudgetPrincipal, "", "", "Facture T-550", ""))
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "n'a pas pu être envoyée") {
		t.Fatalf("case = %s %q; want held", c.State, c.Reason)
	}
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	if len(items) != 1 || items[0].State != store.OutboxFailed {
		t.Fatalf("outbox = %+v", items)
	}
}

func TestReplyRefusedTemporarilyIsRetried(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[1]
	h.smtp.Reject(s.Email, 451)
	h.deliver(invoiceMail(t, "T-451", samples.CASQBudgetPrincipal, "", "", "Facture T-451", ""))
	h.run()
	c := h.onlyCase()
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	if c.State != store.CaseAwaitingSupplier || len(items) != 1 || items[0].State != store.OutboxQueued || items[0].Attempts != 1 {
		t.Fatalf("case %s, outbox %+v; want awaiting with a queued reply and one failed attempt", c.State, items)
	}
	h.smtp.Reject(s.Email, 0)
	forceDue(t, h)
	h.run()
	items, _ = h.st.OutboxOfCase(h.ctx, c.ID)
	if items[0].State != store.OutboxSent || len(h.smtp.Messages()) != 1 {
		t.Fatalf("after the retry: %+v, %d messages", items[0], len(h.smtp.Messages()))
	}
}

func TestInvoiceFromBillingSystemIsDepositedNotAnswered(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := invoiceMail(t, "T-AUTO", samples.CASQBudgetPrincipal, "", "EJ-2026-9", "Facture T-AUTO", "")
	m.From = "noreply@voirie-nord-travaux.example"
	m.Headers = [][2]string{{"Auto-Submitted", "auto-generated"}}
	h.deliver(m)
	noEJ := invoiceMail(t, "T-AUTO2", samples.CASQBudgetPrincipal, "", "", "Facture T-AUTO2", "")
	noEJ.Headers = [][2]string{{"Auto-Submitted", "auto-generated"}}
	h.deliver(noEJ)
	h.run()
	cases, _ := h.st.Cases(h.ctx, store.CaseFilter{})
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
	if n := len(h.smtp.Messages()); n != 0 {
		t.Fatalf("%d replies to automatic mail, want 0", n)
	}
}

// TestExactlyOnceUnderTransientFaults deposits invoices while 30 % of the
// Chorus Pro calls fail transiently (errors, lost requests, answers lost
// after the deposit was recorded): every invoice ends deposited exactly once.
func TestExactlyOnceUnderTransientFaults(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	const n = 12
	for i := 0; i < n; i++ {
		num := fmt.Sprintf("T-F%02d", i)
		h.deliver(invoiceMail(t, num, samples.CASQBudgetPrincipal, "", "EJ-2026-1"+num[3:], "Facture "+num, ""))
	}
	for _, f := range []sandbox.Fault{
		{Kind: sandbox.FaultStatus, Status: 503, Probability: 0.1},
		{Kind: sandbox.FaultDrop, Probability: 0.1},
		{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultCommitDrop, Probability: 0.1},
		{Kind: sandbox.FaultStatus, Status: 429, Probability: 0.1},
	} {
		if err := h.sandbox.Inject(f); err != nil {
			t.Fatal(err)
		}
	}
	h.run()
	for round := 0; round < 40; round++ {
		cases, _ := h.st.Cases(h.ctx, store.CaseFilter{})
		done := len(cases) == n
		for _, c := range cases {
			done = done && c.State == store.CaseIntegrated
		}
		if done {
			break
		}
		h.runDue(1)
	}
	h.sandbox.ClearFaults()
	if applied := h.sandbox.FaultsApplied(); applied == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
	perNumber := map[string]int{}
	for _, d := range h.sandbox.Deposits() {
		perNumber[d.InvoiceNumber]++
	}
	cases, _ := h.st.Cases(h.ctx, store.CaseFilter{})
	if len(cases) != n {
		t.Fatalf("%d cases, want %d", len(cases), n)
	}
	for _, c := range cases {
		if c.State != store.CaseIntegrated {
			t.Errorf("case %s (%s): %s %q %q", c.Ref, c.InvoiceNumber, c.State, c.Reason, c.LastError)
		}
		if perNumber[c.InvoiceNumber] != 1 {
			t.Errorf("invoice %s deposited %d times", c.InvoiceNumber, perNumber[c.InvoiceNumber])
		}
	}
	t.Logf("%d faults injected", h.sandbox.FaultsApplied())
}

// TestOversizeMessageIsHeldAndFiledForReview: a message bigger than the
// mailbox's limit (64 KiB here) reaches the store as imapwatch ingests it,
// its envelope with the row saying it was not downloaded; the gateway holds
// it for finance staff and files it for review.
func TestOversizeMessageIsHeldAndFiledForReview(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := invoiceMail(t, "T-BIG", samples.CASQBudgetPrincipal, "", "EJ-2026-8", "Facture T-BIG avec annexes", "")
	m.Attachments = append(m.Attachments, samples.Attachment{Name: "annexe.bin", Data: bytes.Repeat([]byte("x"), 200<<10)})
	h.deliverNotDownloaded(m, 64<<10)
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "taille maximale") || !strings.Contains(c.Reason, "« annexe.bin »") ||
		c.Subject != "Facture T-BIG avec annexes" {
		t.Fatalf("case %s %q subject %q; want held with the size reason", c.State, c.Reason, c.Subject)
	}
	if n := len(h.sandbox.Deposits()); n != 0 {
		t.Fatalf("%d deposits", n)
	}
	if n := h.filed()[store.DispositionReview]; n != 1 || h.disposition(c) != store.DispositionReview {
		t.Errorf("%d messages to file for review, the original's disposition %q; want the original", n, h.disposition(c))
	}
}

// TestForgedNotDownloadedHeaderChangesNothing: that a message was too big
// to download is data of the store's row. A sender who writes the header
// an earlier version used as its marker gets the invoice deposited like
// any other.
func TestForgedNotDownloadedHeaderChangesNothing(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := invoiceMail(t, "T-FORGE", samples.CASQBudgetPrincipal, "", "EJ-2026-9", "Facture T-FORGE", "")
	m.Headers = [][2]string{{"X-Facteur-Oversize", "52428800"}}
	h.deliver(m)
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseDeposited && c.State != store.CaseIntegrated {
		t.Fatalf("case %s %q; want deposited", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits, want 1", n)
	}
}

func TestNoReplyWhenDMARCFails(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := invoiceMail(t, "T-SPOOF", samples.CASQBudgetPrincipal, "", "", "Facture T-SPOOF", "")
	m.Headers = [][2]string{
		{"Authentication-Results", "mx.casq.fr; spf=fail smtp.mailfrom=voirie-nord-travaux.example; dmarc=fail (p=none) header.from=voirie-nord-travaux.example"},
		{"Authentication-Results", "forged.example; dmarc=pass header.from=voirie-nord-travaux.example"},
	}
	h.deliver(m)
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "dmarc=fail") {
		t.Fatalf("case %s %q; want held: the request cannot be sent", c.State, c.Reason)
	}
	if n := len(h.smtp.Messages()); n != 0 {
		t.Fatalf("%d replies to a message failing DMARC", n)
	}
}

// TestLifecycleFollowedToTheEnd follows integrated invoices on Chorus Pro:
// paid, rejected by the recipient (the supplier is told why), suspended
// (in front of finance staff); every status change is in the ledger.
func TestLifecycleFollowedToTheEnd(t *testing.T) {
	h := newHarness(t, sandbox.Options{LifecycleStep: time.Hour})
	h.sandbox.SetFate("T-REJ", sandbox.Fate{Status: "REJETEE", Comment: "Le service fait n'a pas été constaté."})
	h.sandbox.SetFate("T-SUS", sandbox.Fate{Status: "SUSPENDUE"})
	for _, num := range []string{"T-PAY", "T-REJ", "T-SUS"} {
		h.deliver(invoiceMail(t, num, samples.CASQBudgetPrincipal, "", "EJ-2026-7"+num[2:], "Facture "+num, ""))
	}
	h.run()
	for _, c := range h.cases() {
		if c.State != store.CaseIntegrated || c.InvoiceID == 0 || c.Lifecycle == "" {
			t.Fatalf("after the deposit: %s %s invoice id %d status %q", c.InvoiceNumber, c.State, c.InvoiceID, c.Lifecycle)
		}
	}
	// 12 hours later: the sandbox's invoices have moved on (one status an
	// hour), and the next lifecycle poll (6 hours after the deposit) is due.
	h.clock.Advance(12 * time.Hour)
	h.run()
	got := map[string]store.Case{}
	for _, c := range h.cases() {
		got[c.InvoiceNumber] = c
	}
	if c := got["T-PAY"]; c.State != store.CasePaid || c.Lifecycle != "MISE_EN_PAIEMENT" {
		t.Errorf("T-PAY: %s %q", c.State, c.Lifecycle)
	}
	if c := got["T-REJ"]; c.State != store.CaseRejected || !strings.Contains(c.Reason, "service fait") {
		t.Errorf("T-REJ: %s %q", c.State, c.Reason)
	}
	if c := got["T-SUS"]; c.State != store.CaseHeld || !strings.Contains(c.Reason, "SUSPENDUE") {
		t.Errorf("T-SUS: %s %q", c.State, c.Reason)
	}
	var rejection bool
	for _, m := range h.smtp.Messages() {
		rejection = rejection || strings.Contains(string(m.Data), "T-REJ") && strings.Contains(string(m.Data), "refus")
	}
	if !rejection {
		t.Errorf("the supplier of T-REJ was not told")
	}
	l, _ := h.st.Ledger(h.ctx, store.EntityCase, got["T-PAY"].ID)
	var notes []string
	for _, e := range l {
		notes = append(notes, e.Note)
	}
	if joined := strings.Join(notes, " | "); !strings.Contains(joined, "statut Chorus Pro : MISE_EN_PAIEMENT") {
		t.Errorf("ledger lacks the status change: %s", joined)
	}
}

func TestPlainPDFInvoiceIsHeldWithItsFields(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.holdWhatCannotBeDeposited()
	s := samples.DemoSuppliers()[0]
	inv := s.Invoice("HSP-2026-0099", "2026-11-20", samples.CASQBudgetEauPotable, "", "EJ-2026-000099")
	pdf, err := samples.PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	_, _, ttc := inv.Totals()
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-0099",
		Attachments: []samples.Attachment{{Name: "facture.pdf", Data: pdf}}})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "sans données structurées") {
		t.Fatalf("case %s %q; want held for finance staff", c.State, c.Reason)
	}
	if c.InvoiceNumber != "HSP-2026-0099" || c.AmountWithVAT != ttc || c.SupplierSIRET != s.SIRET {
		t.Errorf("fields read from the text: number %q amount %q (want %s) SIRET %q", c.InvoiceNumber, c.AmountWithVAT, ttc, c.SupplierSIRET)
	}
	if n := len(h.sandbox.Deposits()); n != 0 {
		t.Errorf("%d deposits of a PDF read from its text", n)
	}
}

// TestPlainPDFInvoiceGuided: a plain PDF from a supplier the technical
// account may not submit for is not deposited; the supplier is told what
// to enter on Chorus Pro (the budget read from the SIRET printed on the
// invoice, the engagement number printed on it). The same invoice sent
// again is a duplicate and gets no second reply.
func TestPlainPDFInvoiceGuided(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[0]
	inv := s.Invoice("HSP-2026-0100", "2026-11-20", samples.CASQBudgetEauPotable, "", "EJ-2026-000100")
	pdf, err := samples.PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	mail := samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-0100",
		Attachments: []samples.Attachment{{Name: "facture.pdf", Data: pdf}}}
	h.deliver(mail)
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseGuided || c.RecipientSIRET != samples.CASQBudgetEauPotable || c.Engagement != "EJ-2026-000100" {
		t.Fatalf("case %s %q SIRET %s engagement %q; want guided to the eau potable budget with EJ-2026-000100", c.State, c.Reason, c.RecipientSIRET, c.Engagement)
	}
	msgs := h.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d replies, want the guide", len(msgs))
	}
	text := decodedText(t, msgs[0].Data)
	for _, w := range []string{"[" + c.Ref + "]", "HSP-2026-0100", "à déposer sur Chorus Pro", "Budget eau potable",
		"200 071 892 00026", "EJ-2026-000100", "Informations à indiquer sur Chorus Pro"} {
		if !strings.Contains(text, w) {
			t.Errorf("the guide reply lacks %q:\n%s", w, text)
		}
	}
	if n := len(h.sandbox.Deposits()) + len(h.sandbox.Invoices()); n != 0 {
		t.Errorf("%d deposits of an invoice the supplier must deposit", n)
	}
	mail.MessageID = "again-hsp-2026-0100@example.org"
	h.deliver(mail)
	h.run()
	cases := h.cases()
	if len(cases) != 2 || cases[0].ID == c.ID || cases[0].State != store.CaseDuplicate || !strings.Contains(cases[0].Reason, c.Ref) {
		t.Fatalf("the same invoice again: %+v; want a duplicate of %s", cases, c.Ref)
	}
	if n := len(h.smtp.Messages()); n != 1 {
		t.Errorf("%d replies, want still one", n)
	}

	// The supplier sends it again as a Factur-X with its engagement
	// number: Facteur deposits it, and the guided case is closed.
	fx, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-0100 (Factur-X)",
		Attachments: []samples.Attachment{{Name: "facture.pdf", Data: fx}}})
	h.run()
	byState := map[store.CaseState]int{}
	for _, x := range h.cases() {
		byState[x.State]++
		if x.ID == c.ID && (x.State != store.CaseIgnored || !strings.Contains(x.Reason, "remplacée")) {
			t.Errorf("the guided case: %s %q", x.State, x.Reason)
		}
	}
	if byState[store.CaseIntegrated] != 1 || len(h.sandbox.Deposits()) != 1 {
		t.Errorf("cases %v, %d deposits; want the Factur-X deposited", byState, len(h.sandbox.Deposits()))
	}
}

func TestPreflightRefusalIsHeldWithoutACall(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	// A CII invoice of 11 MiB (a long XML comment): over the size Chorus Pro
	// accepts for a flow; the pre-flight checks refuse it before any call.
	s := samples.DemoSuppliers()[1]
	xml := samples.CII(s.Invoice("T-PRE", "2026-11-20", samples.CASQBudgetPrincipal, "", "EJ-2026-1"))
	xml = append(xml, []byte("\n<!-- "+strings.Repeat("remplissage ", 11<<20/12)+"-->\n")...)
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture T-PRE",
		Attachments: []samples.Attachment{{Name: "T-PRE.xml", ContentType: "application/xml", Data: xml}}})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "Chorus Pro le refuserait") {
		t.Fatalf("case %s %q; want held by the pre-flight checks", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 0 {
		t.Fatalf("%d deposits", n)
	}
}

// TestPDFModeForAnAttachedSupplier deposits in PDF mode (deposer/pdf then
// soumettre with Facteur's data) the invoices of a supplier the technical
// account is attached to: a plain PDF read from its text, and a Factur-X
// whose engagement number came in the e-mail; the same Factur-X from
// another supplier is not deposited: its supplier is told what to enter on
// Chorus Pro.
func TestPDFModeForAnAttachedSupplier(t *testing.T) {
	s := samples.DemoSuppliers()[1]
	h := newHarness(t, sandbox.Options{Suppliers: []sandbox.Supplier{{ID: 4242, SIRET: s.SIRET, Name: s.Name,
		BankDetails: map[int64]string{555001: "Compte courant"}}}})
	h.deliver(invoiceMail(t, "T-PDF2", samples.CASQBudgetPrincipal, "", "", "Facture T-PDF2",
		"Bonjour,\n\nNuméro d'engagement : EJ-2026-000888\n\nCordialement"))
	plain, err := samples.PlainPDF(s.Invoice("T-PDF1", "2026-11-20", samples.CASQBudgetPrincipal, "", "EJ-2026-000777"))
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture T-PDF1",
		Attachments: []samples.Attachment{{Name: "T-PDF1.pdf", Data: plain}}})
	other := samples.DemoSuppliers()[0]
	pdf, err := samples.FacturX(other.Invoice("T-PDF3", "2026-11-20", samples.CASQBudgetPrincipal, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: other.Email, To: samples.CASQMailbox, Subject: "Facture T-PDF3",
		Body:        "N° d'engagement : EJ-2026-000999",
		Attachments: []samples.Attachment{{Name: "T-PDF3.pdf", Data: pdf}}})
	h.run()
	got := map[string]store.Case{}
	for _, c := range h.cases() {
		got[c.InvoiceNumber] = c
	}
	if c := got["T-PDF2"]; c.State != store.CaseIntegrated || c.InvoiceID == 0 || c.Syntax != "DEPOT_PDF_API" || c.Engagement != "EJ-2026-000888" {
		t.Errorf("T-PDF2: %s %q syntax %s engagement %q invoice id %d", c.State, c.Reason, c.Syntax, c.Engagement, c.InvoiceID)
	}
	if c := got["T-PDF1"]; c.State != store.CaseIntegrated || c.Syntax != "DEPOT_PDF_API" || c.Engagement != "EJ-2026-000777" {
		t.Errorf("T-PDF1 (plain PDF read from its text): %s %q syntax %s engagement %q", c.State, c.Reason, c.Syntax, c.Engagement)
	}
	if c := got["T-PDF3"]; c.State != store.CaseGuided || c.Engagement != "EJ-2026-000999" || !strings.Contains(c.Reason, "absent de la facture") {
		t.Errorf("T-PDF3 (supplier not attached): %s %q engagement %q", c.State, c.Reason, c.Engagement)
	}
	invs := h.sandbox.Invoices()
	if len(invs) != 2 || len(h.sandbox.Deposits()) != 0 {
		t.Fatalf("%d invoices submitted, %d flows; want 2 submissions and no flow", len(invs), len(h.sandbox.Deposits()))
	}
	for _, inv := range invs {
		want := map[string]string{"T-PDF1": "EJ-2026-000777", "T-PDF2": "EJ-2026-000888"}[inv.Number]
		if inv.Mode != "DEPOT_PDF_API" || inv.SupplierID != 4242 || inv.RecipientSIRET != samples.CASQBudgetPrincipal || inv.Engagement != want {
			t.Errorf("submitted %+v", inv)
		}
		// The supplier's one valid set of bank details: a transfer.
		if inv.PaymentMode != "VIREMENT" || inv.BankDetailsID != 555001 {
			t.Errorf("submitted with payment mode %q, bank details %d; want VIREMENT with 555001", inv.PaymentMode, inv.BankDetailsID)
		}
	}
	if n := len(h.smtp.Messages()); n != 3 {
		t.Errorf("%d replies, want the two confirmations and the guide", n)
	}
}

// TestSupplierAnswerDepositedInPDFMode: the supplier, one the technical
// account may submit for, answers the request with the engagement number
// (quoting the request); the invoice is deposited in PDF mode with it.
func TestSupplierAnswerDepositedInPDFMode(t *testing.T) {
	s := samples.DemoSuppliers()[1]
	h := newHarness(t, sandbox.Options{Suppliers: []sandbox.Supplier{{ID: 4243, SIRET: s.SIRET, Name: s.Name}}})
	h.deliver(invoiceMail(t, "T-ANS", samples.CASQBudgetPrincipal, "", "", "Facture T-ANS", "Ci-joint notre facture."))
	h.run()
	c := h.onlyCase()
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	if c.State != store.CaseAwaitingSupplier || len(items) != 1 {
		t.Fatalf("case %s, %d replies", c.State, len(items))
	}
	h.deliver(samples.Mail{
		From: s.Email, To: samples.CASQMailbox, Subject: "RE: " + items[0].Subject,
		Body:      "Bonjour,\nN° d'engagement : EJ-2026-004444\nCordialement\n\n> Numéro d'engagement : 2026-000123\n",
		MessageID: "answer-2@voirie-nord-travaux.example",
		Headers:   [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}},
	})
	h.run()
	c, _ = h.st.Case(h.ctx, c.ID)
	if c.State != store.CaseIntegrated || c.Engagement != "EJ-2026-004444" || c.Syntax != "DEPOT_PDF_API" {
		t.Fatalf("after the answer: %s %q engagement %q syntax %s", c.State, c.Reason, c.Engagement, c.Syntax)
	}
	invs := h.sandbox.Invoices()
	if len(invs) != 1 || invs[0].Engagement != "EJ-2026-004444" || invs[0].Number != "T-ANS" {
		t.Fatalf("submitted %+v", invs)
	}
	if n := len(h.smtp.Messages()); n != 2 {
		t.Errorf("%d replies, want the request then the confirmation", n)
	}
}

// decodedText is the text a supplier reads in a reply Facteur sent: its
// text/plain part, decoded.
func decodedText(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := parser.Parse(raw, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Subject + "\n" + m.BodyText
}

// TestUnlistedFlowStates: a flow reported in a state the reference leaves
// unconfirmed (IN_TRAITE_SE_CPP) is confirmed by a search by flow number:
// its invoice exists, so the case is integrated and the supplier told. A
// flow IN_INCIDENTE without an invoice goes to a person at once.
func TestUnlistedFlowStates(t *testing.T) {
	// The eau potable budget is unknown to this sandbox: its flow is not
	// integrated (no invoice), and it is reported IN_INCIDENTE.
	var structures []sandbox.Structure
	for _, st := range sandbox.CASQStructures() {
		if st.SIRET != samples.CASQBudgetEauPotable {
			structures = append(structures, st)
		}
	}
	h := newHarness(t, sandbox.Options{Structures: structures,
		FinalStates: map[string]string{"T-TRAITE": "IN_TRAITE_SE_CPP", "T-INCID": "IN_INCIDENTE"}})
	h.deliver(invoiceMail(t, "T-TRAITE", samples.CASQBudgetPrincipal, "", "EJ-2026-31", "Facture T-TRAITE", ""))
	h.deliver(invoiceMail(t, "T-INCID", samples.CASQBudgetEauPotable, "", "EJ-2026-32", "Facture T-INCID", ""))
	h.run()
	got := map[string]store.Case{}
	for _, c := range h.cases() {
		got[c.InvoiceNumber] = c
	}
	if c := got["T-TRAITE"]; c.State != store.CaseIntegrated || c.FlowState != "IN_TRAITE_SE_CPP" {
		t.Errorf("T-TRAITE: %s %q flow state %q; want integrated", c.State, c.Reason, c.FlowState)
	}
	confirmed := false
	for _, m := range h.smtp.Messages() {
		confirmed = confirmed || strings.Contains(decodedText(t, m.Data), "T-TRAITE déposée sur Chorus Pro")
	}
	if !confirmed {
		t.Error("the supplier of T-TRAITE was not told of the deposit")
	}
	if c := got["T-INCID"]; c.State != store.CaseHeld || !strings.Contains(c.Reason, "IN_INCIDENTE") || c.FlowNumber == "" {
		t.Errorf("T-INCID: %s %q flow %q; want held with its flow", c.State, c.Reason, c.FlowNumber)
	}
}

// TestDigest: at its scheduled time, finance staff get the digest of what
// happened and of the cases that need a person; once a day only. The
// schedule fires every second (digest.schedule = "@every 1s"), on the test
// clock: only the test moves it.
func TestDigest(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.tune(func(o *gateway.Options) {
		o.Digest.To = []string{"finances@casq.fr"}
		o.Digest.Next = func(t time.Time) time.Time { return t.Add(time.Second) }
		o.Digest.PageURL = "https://facteur.casq.fr/" // [web] public_url
	})
	h.restart()
	h.deliver(invoiceMail(t, "T-DIG1", samples.CASQBudgetPrincipal, "", "EJ-2026-71", "Facture T-DIG1", ""))
	h.deliver(invoiceMail(t, "T-DIG2", samples.CASQBudgetPrincipal, "", "", "Facture T-DIG2", ""))
	// Two engagement numbers that disagree (the file's, the message's): held.
	h.deliver(invoiceMail(t, "T-DIG3", samples.CASQBudgetPrincipal, "", "EJ-2026-73", "Facture T-DIG3", "Numéro d'engagement : EJ-2026-99"))
	h.run()
	digests := func() []string {
		var out []string
		for _, m := range h.smtp.Messages() {
			if text := decodedText(t, m.Data); strings.HasPrefix(text, "[Facteur] Point du ") {
				if len(m.To) != 1 || m.To[0] != "finances@casq.fr" {
					t.Errorf("digest sent to %v", m.To)
				}
				out = append(out, text)
			}
		}
		return out
	}
	if n := len(digests()); n != 0 {
		t.Fatalf("%d digests before the scheduled time", n)
	}
	h.clock.Advance(999 * time.Millisecond)
	h.run()
	if n := len(digests()); n != 0 {
		t.Fatalf("%d digests just before the scheduled time", n)
	}
	h.clock.Advance(time.Millisecond)
	h.run()
	got := digests()
	if len(got) != 1 {
		t.Fatalf("%d digests at the scheduled time, want 1", len(got))
	}
	var held store.Case
	for _, c := range h.cases() {
		if c.State == store.CaseHeld {
			held = c
		}
	}
	text := strings.Join(strings.Fields(got[0]), " ")
	// (strings.Fields also splits at the no-break spaces.)
	for _, want := range []string{"1 dossier à examiner", "Messages reçus : 3", "Factures déposées sur Chorus Pro : 1",
		"Demandes envoyées aux fournisseurs : 1", "Dossiers à examiner (1)", held.Ref, "contradictoires",
		"https://facteur.casq.fr/dossiers/" + held.Ref} {
		if held.Ref == "" || !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, got[0])
		}
	}
	h.clock.Advance(1100 * time.Millisecond) // scheduled again, the same day
	h.run()
	if n := len(digests()); n != 1 {
		t.Errorf("%d digests the same day, want 1", n)
	}
}

// TestEngagementRegister: with a register, an engagement number missing
// from it holds the invoice; once the export lists it (the file is read
// again when it changes), the case released by finance staff is deposited.
func TestEngagementRegister(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	path := filepath.Join(t.TempDir(), "engagements.csv")
	s := samples.DemoSuppliers()[1]
	write := func(content string, mod time.Time) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	write("N° d'engagement;SIRET budget;SIRET fournisseur\nEJ-2026-81;200 071 892 00067;"+s.SIRET+"\n", h.clock.Now().Add(-time.Hour))
	h.tune(func(o *gateway.Options) { o.Register = &register.File{Path: path} }) // register.file = path
	h.restart()
	h.deliver(invoiceMail(t, "T-REG1", samples.CASQBudgetPrincipal, "", "EJ-2026-81", "Facture T-REG1", ""))
	h.deliver(invoiceMail(t, "T-REG2", samples.CASQBudgetPrincipal, "", "EJ-2026-82", "Facture T-REG2", ""))
	h.run()
	got := map[string]store.Case{}
	for _, c := range h.cases() {
		got[c.InvoiceNumber] = c
	}
	if c := got["T-REG1"]; c.State != store.CaseIntegrated {
		t.Errorf("T-REG1 (in the register): %s %q", c.State, c.Reason)
	}
	c := got["T-REG2"]
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "absent du registre") {
		t.Fatalf("T-REG2 (not in the register): %s %q", c.State, c.Reason)
	}
	write("N° d'engagement;SIRET budget;SIRET fournisseur\nEJ-2026-81;200 071 892 00067;"+s.SIRET+
		"\nEJ-2026-82;200 071 892 00067;"+s.SIRET+"\n", h.clock.Now())
	h.restart() // the file is looked at again at most once a minute: a new process reads it now
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseHeld, store.CaseNew, "remis à l'examen", store.CaseFields{})
	}); err != nil {
		t.Fatal(err)
	}
	h.run()
	if c, _ := h.st.Case(h.ctx, c.ID); c.State != store.CaseIntegrated || c.Engagement != "EJ-2026-82" {
		t.Errorf("T-REG2 after the register lists it: %s %q", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 2 {
		t.Errorf("%d deposits, want 2", n)
	}
}

// TestFollowingStops: an integrated invoice never reported paid is not
// polled for ever: after a year (three months for a recipient whose
// payment status is not reported) its case is taken out of the automatic
// work, with a note.
func TestFollowingStops(t *testing.T) {
	structs := sandbox.CASQStructures()
	for i := range structs {
		if structs[i].SIRET == samples.CASQBudgetEauPotable {
			structs[i].PaymentNotReported = true
		}
	}
	h := newHarness(t, sandbox.Options{Structures: structs})
	h.deliver(invoiceMail(t, "T-FOL1", samples.CASQBudgetPrincipal, "", "EJ-2026-91", "Facture T-FOL1", ""))
	h.deliver(invoiceMail(t, "T-FOL2", samples.CASQBudgetEauPotable, "", "EJ-2026-92", "Facture T-FOL2", ""))
	h.run()
	deposited := h.clock.Now()
	later := func(d time.Duration) { // d after the deposit
		h.clock.Advance(deposited.Add(d).Sub(h.clock.Now()))
		h.run()
	}
	notes := func(c store.Case) string {
		l, _ := h.st.Ledger(h.ctx, store.EntityCase, c.ID)
		var s []string
		for _, e := range l {
			s = append(s, e.Note)
		}
		return strings.Join(s, " | ")
	}
	later(100 * 24 * time.Hour)
	for _, c := range h.cases() {
		stopped := strings.Contains(notes(c), "suivi sur Chorus Pro arrêté")
		if c.State != store.CaseIntegrated || stopped != (c.InvoiceNumber == "T-FOL2") {
			t.Errorf("after 100 days: %s %s, stopped %v", c.InvoiceNumber, c.State, stopped)
		}
	}
	later(400 * 24 * time.Hour)
	for _, c := range h.cases() {
		if !strings.Contains(notes(c), "suivi sur Chorus Pro arrêté après") {
			t.Errorf("after 400 days: %s still followed: %s", c.InvoiceNumber, notes(c))
		}
	}
	due, err := h.st.DueCases(h.ctx, 10, store.CaseIntegrated)
	if err != nil || len(due) != 0 {
		t.Errorf("due integrated cases: %d %v", len(due), err)
	}
}

// TestUnreadableInvoiceAskedAgain: a damaged PDF gets the supplier a
// request for a readable one, saying what was wrong; the supplier's new
// e-mail (answering the request) is deposited and closes the request. An
// answer that gives nothing usable goes to a person.
func TestUnreadableInvoiceAskedAgain(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[1]
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture T-BAD",
		Attachments: []samples.Attachment{{Name: "facture T-BAD.pdf", Data: []byte("%PDF-1.7\n1 0 obj garbage")}}})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier || !strings.Contains(c.Reason, "illisible") {
		t.Fatalf("case %s %q", c.State, c.Reason)
	}
	msgs := h.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d replies", len(msgs))
	}
	text := strings.Join(strings.Fields(decodedText(t, msgs[0].Data)), " ")
	for _, w := range []string{"Facture non reçue ou illisible", "Le fichier « facture T-BAD.pdf » n'a pas pu être lu", "au format PDF"} {
		if !strings.Contains(text, w) {
			t.Errorf("request lacks %q:\n%s", w, text)
		}
	}
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	answer := invoiceMail(t, "T-BAD", samples.CASQBudgetPrincipal, "", "EJ-2026-0088", "RE: "+items[0].Subject, "Voici la facture corrigée.")
	answer.Headers = [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}}
	h.deliver(answer)
	h.run()
	got := map[int64]store.Case{}
	for _, x := range h.cases() {
		got[x.ID] = x
	}
	if len(got) != 2 || got[c.ID].State != store.CaseIgnored || !strings.Contains(got[c.ID].Reason, "a envoyé sa facture") {
		t.Fatalf("cases %+v", got)
	}
	for id, x := range got {
		if id != c.ID && (x.State != store.CaseIntegrated || x.InvoiceNumber != "T-BAD") {
			t.Errorf("the new invoice: %s %q", x.State, x.Reason)
		}
	}

	// Another damaged file, answered by words only: a person reads them.
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture T-BAD2",
		Attachments: []samples.Attachment{{Name: "scan.docx", Data: []byte("PK\x03\x04 not really")}}})
	h.run()
	var req store.Case
	for _, x := range h.cases() {
		if x.State == store.CaseAwaitingSupplier {
			req = x
		}
	}
	items, _ = h.st.OutboxOfCase(h.ctx, req.ID)
	if req.ID == 0 || len(items) != 1 {
		t.Fatalf("no request for scan.docx: %+v", h.cases())
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "RE: " + items[0].Subject,
		Body:    "Bonjour, je n'ai pas d'autre format, comment faire ?",
		Headers: [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}}})
	h.run()
	if x, _ := h.st.Case(h.ctx, req.ID); x.State != store.CaseHeld || !strings.Contains(x.Reason, "réponse à lire") {
		t.Errorf("after a words-only answer: %s %q", x.State, x.Reason)
	}

	// A question in answer to the confirmation of T-BAD: a new case, held
	// for a person, not ignored.
	var done store.Case
	for _, x := range h.cases() {
		if x.State == store.CaseIntegrated {
			done = x
		}
	}
	conf, _ := h.st.OutboxOfCase(h.ctx, done.ID)
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "RE: " + conf[0].Subject,
		Body:    "Bonjour, quand serons-nous payés ?",
		Headers: [][2]string{{"In-Reply-To", "<" + conf[0].HeaderMessageID + ">"}}})
	h.run()
	newest := h.cases()[0]
	if newest.State != store.CaseHeld || !strings.Contains(newest.Reason, "réponse de l'expéditeur au dossier "+done.Ref) {
		t.Errorf("question answering a confirmation: %s %q", newest.State, newest.Reason)
	}
}

// TestUnanswerableSender: a sender whose address a reply cannot be sent to
// (a non-ASCII domain) is not asked anything: the case is held for a
// person, and the other messages go on.
func TestUnanswerableSender(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := invoiceMail(t, "T-IDN", samples.CASQBudgetPrincipal, "", "", "Facture T-IDN", "")
	m.From = "Jean <jean@société.fr>"
	h.deliver(m)
	h.deliver(invoiceMail(t, "T-OK", samples.CASQBudgetPrincipal, "", "EJ-2026-61", "Facture T-OK", ""))
	h.run()
	got := map[string]store.Case{}
	for _, c := range h.cases() {
		got[c.InvoiceNumber] = c
	}
	if c := got["T-IDN"]; c.State != store.CaseHeld || !strings.Contains(c.Reason, "inutilisable") {
		t.Errorf("T-IDN: %s %q", c.State, c.Reason)
	}
	if c := got["T-OK"]; c.State != store.CaseIntegrated {
		t.Errorf("T-OK: %s %q", c.State, c.Reason)
	}
}

// TestDigestOfManyHeldCases: with more held cases than a digest lists, the
// digest shows the most recent ones and counts them all (subject, title,
// the rest), reading no more than it shows.
func TestDigestOfManyHeldCases(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.tune(func(o *gateway.Options) {
		o.Digest.To = []string{"finances@casq.fr"}
		o.Digest.Next = func(t time.Time) time.Time { return t.Add(time.Second) }
	})
	h.restart()
	const held = notifier.DigestListed + 13
	var last string
	for i := range held {
		id, _, err := h.st.Ingest(h.ctx, store.Incoming{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(1000 + i), Raw: []byte(fmt.Sprintf("Subject: n%d\r\n\r\nx", i))})
		if err != nil {
			t.Fatal(err)
		}
		err = h.st.Update(h.ctx, func(tx *store.Tx) error {
			if err := tx.MessageParsed(id, store.MessageInfo{Subject: fmt.Sprintf("Facture H-%d", i), From: "compta@fournisseur.example"}); err != nil {
				return err
			}
			c, err := tx.CreateCase("FAC", id, 0, store.CaseFields{InvoiceNumber: fmt.Sprintf("H-%d", i)})
			if err != nil {
				return err
			}
			last = c.Ref
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "à examiner", store.CaseFields{})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h.run()
	h.clock.Advance(time.Second)
	h.run()
	var digest string
	for _, m := range h.smtp.Messages() {
		if text := decodedText(t, m.Data); strings.HasPrefix(text, "[Facteur] Point du ") {
			digest = strings.Join(strings.Fields(text), " ")
		}
	}
	for _, want := range []string{fmt.Sprintf("%d dossiers à examiner", held), fmt.Sprintf("Dossiers à examiner (%d)", held),
		"… et 13 autre(s)", last} {
		if !strings.Contains(digest, want) {
			t.Errorf("digest lacks %q:\n%s", want, digest)
		}
	}
	if strings.Contains(digest, "H-0 ") || strings.Contains(digest, "n° H-0 ") {
		t.Errorf("the digest lists the oldest held case, beyond the %d most recent:\n%s", notifier.DigestListed, digest)
	}
}
