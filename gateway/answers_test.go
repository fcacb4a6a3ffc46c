package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/ident"
	"facteur/samples"
	"facteur/store"
)

// lastText is the decoded text of the newest reply sent.
func (h *harness) lastText() string {
	h.t.Helper()
	msgs := h.smtp.Messages()
	if len(msgs) == 0 {
		h.t.Fatal("no reply sent")
	}
	return decodedText(h.t, msgs[len(msgs)-1].Data)
}

func wantAll(t *testing.T, what, text string, want ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), " ") // (Fields splits at no-break spaces too)
	for _, w := range want {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestBudgetAskedAndAnswered: an invoice naming none of our budgets gets
// the supplier asked which one, with the four budgets and their SIRETs;
// the answer naming one decides the case again.
func TestBudgetAskedAndAnswered(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[0]
	pdf, err := samples.PlainPDF(s.Invoice("HSP-2026-0200", "2026-11-20", "", "", "EJ-2026-000200"))
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-0200",
		Attachments: []samples.Attachment{{Name: "facture.pdf", Data: pdf}}})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case %s %q; want the budget asked", c.State, c.Reason)
	}
	wantAll(t, "the question", h.lastText(), "Budget destinataire à préciser", "Budget principal\u00a0: 200 071 892 00067",
		"Budget eau potable\u00a0: 200 071 892 00026", "Budget assainissement\u00a0: 200 071 892 00034",
		"Budget circuit automobile\u00a0: 200 071 892 00059")
	items, _ := h.st.OutboxOfCase(h.ctx, c.ID)
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "RE: " + items[0].Subject,
		Body:    "Bonjour,\n\nElle est pour le budget eau potable.\n\nCordialement\n\n> Budget principal : 200 071 892 00067\n",
		Headers: [][2]string{{"In-Reply-To", "<" + items[0].HeaderMessageID + ">"}}})
	h.run()
	c, _ = h.st.Case(h.ctx, c.ID)
	if c.State != store.CaseGuided || c.RecipientSIRET != samples.CASQBudgetEauPotable {
		t.Fatalf("after the answer: %s %q SIRET %s; want the guide to the eau potable budget", c.State, c.Reason, c.RecipientSIRET)
	}
	wantAll(t, "the guide", h.lastText(), "à déposer sur Chorus Pro", "200 071 892 00026", "EJ-2026-000200")
}

// TestInvoiceForAnotherBuyer: the supplier is told which buyer the invoice
// names, and asked for a corrected one.
func TestInvoiceForAnotherBuyer(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-AUTRE", "21002001800011", "", "EJ-2026-31", "Facture T-AUTRE", ""))
	h.run()
	if c := h.onlyCase(); c.State != store.CaseAwaitingSupplier || !strings.Contains(c.Reason, "n'est aucun de nos budgets") {
		t.Fatalf("case %s %q", c.State, c.Reason)
	}
	wantAll(t, "the reply", h.lastText(), "adressée à un autre destinataire", "210 020 018 00011", "facture rectifiée",
		"Budget principal\u00a0: 200 071 892 00067")
	if n := len(h.sandbox.Deposits()); n != 0 {
		t.Errorf("%d deposits", n)
	}
}

// TestResentInvoiceIsAnswered: an invoice sent again once deposited gets
// one answer: when it was received, under which case, where it stands.
func TestResentInvoiceIsAnswered(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-BIS", samples.CASQBudgetPrincipal, "", "EJ-2026-41", "Facture T-BIS", ""))
	h.run()
	first := h.onlyCase()
	if first.FlowNumber == "" {
		t.Fatalf("first case %s %q: not deposited", first.State, first.Reason)
	}
	again := invoiceMail(t, "T-BIS", samples.CASQBudgetPrincipal, "", "EJ-2026-41", "TR: Facture T-BIS", "Relance : merci de traiter notre facture.")
	again.MessageID = "again-T-BIS@voirie-nord-travaux.example"
	h.deliver(again)
	h.run()
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits, want 1", n)
	}
	dup := h.cases()[0]
	if dup.State != store.CaseDuplicate {
		t.Fatalf("second case %s %q", dup.State, dup.Reason)
	}
	wantAll(t, "the answer", h.lastText(), "déjà reçue", first.Ref, first.FlowNumber, "aucune autre démarche")
	if n := len(h.smtp.Messages()); n != 2 {
		t.Errorf("%d replies, want the confirmation and one answer", n)
	}
}

// TestForgottenAttachment: "veuillez trouver ci-joint", nothing attached:
// the supplier is told and asked to send the invoice again.
func TestForgottenAttachment(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[1]
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture novembre",
		Body: "Bonjour,\n\nVeuillez trouver ci-joint notre facture de novembre.\n\nCordialement"})
	h.run()
	c := h.onlyCase()
	if c.State != store.CaseAwaitingSupplier {
		t.Fatalf("case %s %q; want the invoice asked", c.State, c.Reason)
	}
	wantAll(t, "the reply", h.lastText(), "aucun fichier n'y était joint", "au format PDF")
}

// TestRequestPromisesOnlyWhatWillHappen: a Factur-X without engagement
// number from a supplier the technical account is not attached to gets a
// request for a corrected invoice, not for the number alone (which Facteur
// could not use); for an attached supplier the number alone is enough.
func TestRequestPromisesOnlyWhatWillHappen(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-PROM1", samples.CASQBudgetPrincipal, "", "", "Facture T-PROM1", ""))
	h.run()
	text := h.lastText()
	wantAll(t, "the request", text, "facture rectifiée qui porte ce numéro", "Dès réception de la facture rectifiée")
	if strings.Contains(strings.Join(strings.Fields(text), " "), "Il vous suffit de répondre") {
		t.Errorf("the request promises a deposit on an answer Facteur cannot use:\n%s", text)
	}

	s := samples.DemoSuppliers()[1]
	h2 := newHarness(t, sandbox.Options{Suppliers: []sandbox.Supplier{{ID: 4244, SIRET: s.SIRET, Name: s.Name}}})
	h2.deliver(invoiceMail(t, "T-PROM2", samples.CASQBudgetPrincipal, "", "", "Facture T-PROM2", ""))
	h2.run()
	wantAll(t, "the request to an attached supplier", h2.lastText(), "Il vous suffit de répondre", "nous déposerons votre facture")
}

// TestChangedIBANIsHeld: a known supplier's invoice asking to be paid to
// another account is held for finance with both IBANs; the sender is told
// the bank details will be checked through its usual contact, and no IBAN
// is written to it.
func TestChangedIBANIsHeld(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.deliver(invoiceMail(t, "T-RIB1", samples.CASQBudgetPrincipal, "", "EJ-2026-51", "Facture T-RIB1", ""))
	h.run()
	first := h.onlyCase()
	if first.FlowNumber == "" {
		t.Fatalf("first invoice %s %q: not deposited", first.State, first.Reason)
	}
	s := samples.DemoSuppliers()[1]
	inv := s.Invoice("T-RIB2", "2026-11-21", samples.CASQBudgetPrincipal, "", "EJ-2026-52")
	inv.SellerIBAN = "FR55 1027 8060 0000 0202 8090 136"
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture T-RIB2 – nouvelles coordonnées bancaires",
		Attachments: []samples.Attachment{{Name: "T-RIB2.pdf", Data: pdf}}})
	h.run()
	c := h.cases()[0]
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "FR55 1027 8060") || !strings.Contains(c.Reason, first.Ref) {
		t.Fatalf("second invoice %s %q; want held with both IBANs", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Errorf("%d deposits, want only the first", n)
	}
	text := h.lastText()
	wantAll(t, "the notice", text, "vérification des coordonnées bancaires", "interlocuteur habituel")
	if strings.Contains(text, "FR55") || strings.Contains(text, "FR76") || strings.Contains(strings.ReplaceAll(text, " ", ""), ident.Compact(s.IBAN)) {
		t.Errorf("the notice writes an IBAN:\n%s", text)
	}
}

// TestStatusInquiry: "où en est ma facture ?" from the supplier's address
// gets where it stands; an invoice we do not know gets told so; a
// stranger learns nothing of another supplier's invoices; a question
// naming two invoices goes to a person.
func TestStatusInquiry(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	s := samples.DemoSuppliers()[1]
	h.deliver(invoiceMail(t, "T-OU1", samples.CASQBudgetPrincipal, "", "EJ-2026-61", "Facture T-OU1", ""))
	h.deliver(invoiceMail(t, "T-OU2", samples.CASQBudgetPrincipal, "", "EJ-2026-62", "Facture T-OU2", ""))
	h.run()
	var first store.Case
	for _, c := range h.cases() {
		if c.InvoiceNumber == "T-OU1" {
			first = c
		}
	}
	if first.FlowNumber == "" {
		t.Fatalf("T-OU1 %s %q: not deposited", first.State, first.Reason)
	}
	ask := func(from, subject, body string) store.Case {
		t.Helper()
		h.deliver(samples.Mail{From: from, To: samples.CASQMailbox, Subject: subject, Body: body})
		h.run()
		return h.cases()[0]
	}
	c := ask(s.Email, "Paiement", "Bonjour,\n\nOù en est notre facture n° T-OU1 ?\n\nCordialement")
	if c.State != store.CaseIgnored || !strings.Contains(c.Reason, first.Ref) {
		t.Fatalf("inquiry: %s %q", c.State, c.Reason)
	}
	wantAll(t, "the status", h.lastText(), "Situation de votre facture T-OU1", "déposée sur Chorus Pro", first.FlowNumber, "transmise au destinataire")

	c = ask(s.Email, "Relance", "Bonjour, où en est le règlement de notre facture FA-2026-9999 ?")
	if c.State != store.CaseIgnored {
		t.Fatalf("unknown invoice: %s %q", c.State, c.Reason)
	}
	wantAll(t, "the answer", h.lastText(), "Facture introuvable", "FA-2026-9999", "Factures émises")

	stranger := ask("curieux@ailleurs.example", "Question", "Où en est la facture T-OU1 ?")
	if stranger.State != store.CaseIgnored || !strings.Contains(h.lastText(), "Facture introuvable") {
		t.Errorf("a stranger asking about T-OU1: %s %q\n%s", stranger.State, stranger.Reason, h.lastText())
	}
	if strings.Contains(h.lastText(), first.FlowNumber) {
		t.Errorf("a stranger was told about another supplier's invoice:\n%s", h.lastText())
	}

	c = ask(s.Email, "Deux factures", "Bonjour, où en sont nos factures T-OU1 et facture T-OU2 ?")
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "plusieurs factures") {
		t.Errorf("two invoices: %s %q", c.State, c.Reason)
	}
}

// TestLimitReachedIsNeverNoInvoice: a message over a limit (here the MIME
// parts) is held for a person, whether or not an invoice was read before
// the limit; the invoice read is deposited all the same.
func TestLimitReachedIsNeverNoInvoice(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.tune(func(o *gateway.Options) { o.Parser.MaxParts = 6 })
	h.restart()
	m := invoiceMail(t, "T-LIM1", samples.CASQBudgetPrincipal, "", "EJ-2026-71", "Facture T-LIM1", "")
	for i := 0; i < 8; i++ {
		m.Attachments = append(m.Attachments, samples.Attachment{Name: fmt.Sprintf("annexe-%d.txt", i), Data: []byte("annexe")})
	}
	h.deliver(m)
	h.run()
	var deposited, held int
	for _, c := range h.cases() {
		switch {
		case c.FlowNumber != "":
			deposited++
		case c.State == store.CaseHeld && strings.Contains(c.Reason, "lu en partie seulement"):
			held++
		}
	}
	if deposited != 1 || held != 1 {
		t.Errorf("%d deposited, %d held for the limit; want the invoice deposited and the message held", deposited, held)
	}
}

// TestFailedSearchIsNeverNotFound: a deposit in doubt whose searches get
// no answer (Chorus Pro answering 503) is never deposited again on their
// account, however many fail; after a day of failures it goes to a person.
func TestFailedSearchIsNeverNotFound(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultCommitDrop, Count: 1})
	h.sandbox.FailNext("/cpro/factures/v1/rechercher/fournisseur", 503, 1000)
	h.sandbox.FailNext("/cpro/factures/v1/rechercher/recipiendaire", 503, 1000)
	h.deliver(invoiceMail(t, "T-SRCH", samples.CASQBudgetPrincipal, "", "EJ-2026-81", "Facture T-SRCH", ""))
	h.run()
	if c := h.onlyCase(); c.State != store.CaseDepositing {
		t.Fatalf("case %s %q; want depositing, in doubt", c.State, c.Reason)
	}
	h.runDue(6) // 18 hours of failed searches: more than the searches a new deposit waits for
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits after failed searches, want still 1", n)
	}
	c := h.onlyCase()
	if c.State != store.CaseDepositing || !strings.Contains(c.LastError, "sans réponse") {
		t.Fatalf("after failed searches: %s %q %q; want still depositing, searched again", c.State, c.Reason, c.LastError)
	}
	h.runDue(3) // past a day
	c = h.onlyCase()
	if c.State != store.CaseHeld || !strings.Contains(c.Reason, "vérifier sur Chorus Pro avant tout nouveau dépôt") {
		t.Fatalf("after a day of failed searches: %s %q; want held", c.State, c.Reason)
	}
	if n := len(h.sandbox.Deposits()); n != 1 {
		t.Errorf("%d deposits, want 1", n)
	}
}
