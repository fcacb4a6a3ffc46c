package chorus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
	"facteur/samples"
)

// Every client call against the sandbox: a plain PDF submitted with
// soumettre, found by both searches, followed in its lifecycle.
func TestSandboxSubmitSearchHistory(t *testing.T) {
	p := newPair(t, sandbox.Options{LifecycleStep: 24 * time.Hour}, nil)
	ctx := context.Background()
	c := p.client

	sups, err := c.RecupererStructuresActivesPourFournisseur(ctx)
	if err != nil || len(sups) != 1 || sups[0].ID != supplierID || sups[0].SIRET != supplierSIRET {
		t.Fatalf("structures actives: %+v %v", sups, err)
	}
	banks, err := c.RecupererCoordonneesBancairesValides(ctx, supplierID)
	if err != nil || len(banks) != 1 || banks[0].ID != bankDetailsID {
		t.Fatalf("coordonnées bancaires: %+v %v", banks, err)
	}
	if banks, err := c.RecupererCoordonneesBancairesValides(ctx, 999); err != nil || len(banks) != 0 {
		t.Fatalf("coordonnées bancaires of an unknown structure: %+v %v", banks, err)
	}
	inv := seller.Invoice("PDF-2026-0001", "2026-10-30", samples.CASQBudgetPrincipal, "", "EJ-2026-000451")
	ht, tva, ttc := inv.Totals()
	exclVAT, vat, inclVAT := chorus.MustAmount(ht), chorus.MustAmount(tva), chorus.MustAmount(ttc)
	pdf, err := samples.PlainPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.DeposerPDF(ctx, chorus.PDFRequest{File: pdf, FileName: "PDF-2026-0001.pdf"})
	if err != nil || up.AttachmentID <= 0 {
		t.Fatalf("deposer/pdf: %+v %v", up, err)
	}
	extra, err := c.AjouterFichier(ctx, chorus.Attachment{File: []byte("bon de livraison"), Name: "bl.txt"})
	if err != nil || extra <= 0 || extra == up.AttachmentID {
		t.Fatalf("ajouter/fichier: %v %v", extra, err)
	}
	sub := chorus.Submission{
		InvoiceNumber: inv.Number, InvoiceDate: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC),
		RecipientSIRET: inv.BuyerSIRET, SupplierID: supplierID, Engagement: inv.OrderReference,
		Totals:       chorus.Totals{ExclVAT: exclVAT, VAT: vat, InclVAT: inclVAT, Payable: inclVAT},
		AttachmentID: up.AttachmentID,
	}
	res, err := c.Soumettre(ctx, sub)
	if err != nil || res.InvoiceID <= 0 || res.Status != "DEPOSEE" || res.InvoiceNumber != "PDF-2026-0001" || res.DepositDate != "2026-11-02" {
		t.Fatalf("soumettre: %+v %v", res, err)
	}
	// Business refusals are permanent errors with a French libelle.
	for name, mod := range map[string]func(*chorus.Submission){
		"duplicate":         func(s *chorus.Submission) {},
		"no engagement":     func(s *chorus.Submission) { s.InvoiceNumber, s.Engagement = "PDF-2026-0002", "" },
		"unknown recipient": func(s *chorus.Submission) { s.InvoiceNumber, s.RecipientSIRET = "PDF-2026-0003", "21750001600019" },
		"foreign supplier":  func(s *chorus.Submission) { s.InvoiceNumber, s.SupplierID = "PDF-2026-0004", 999 },
		"unknown piece":     func(s *chorus.Submission) { s.InvoiceNumber, s.AttachmentID = "PDF-2026-0005", 1 },
	} {
		s := sub
		mod(&s)
		_, err := c.Soumettre(ctx, s)
		var e *chorus.Error
		if !errors.As(err, &e) || e.Code == 0 || chorus.IsTransient(err) || chorus.MaybeDeposited(err) || e.Label == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Pre-flight: nothing sent.
	before := p.calls.Load()
	for name, mod := range map[string]func(*chorus.Submission){
		"long number":  func(s *chorus.Submission) { s.InvoiceNumber = "PDF-2026-0001-TOO-LONG" },
		"bad chars":    func(s *chorus.Submission) { s.InvoiceNumber = "PDF 2026" },
		"bad siret":    func(s *chorus.Submission) { s.RecipientSIRET = "20007189200068" },
		"no supplier":  func(s *chorus.Submission) { s.SupplierID = 0 },
		"no piece":     func(s *chorus.Submission) { s.AttachmentID = 0 },
		"no total":     func(s *chorus.Submission) { s.Totals.InclVAT = "" },
		"bad amount":   func(s *chorus.Submission) { s.Totals.VAT = "20,00 €" },
		"long comment": func(s *chorus.Submission) { s.Comment = strings.Repeat("x", 201) },
	} {
		s := sub
		mod(&s)
		if _, err := c.Soumettre(ctx, s); !errors.Is(err, chorus.ErrInvalidRequest) {
			t.Errorf("pre-flight %s: %v", name, err)
		}
	}
	if _, err := c.AjouterFichier(ctx, chorus.Attachment{File: []byte("x"), Name: "virus.exe"}); !errors.Is(err, chorus.ErrInvalidRequest) {
		t.Errorf("extension: %v", err)
	}
	if _, err := c.AjouterFichier(ctx, chorus.Attachment{File: []byte("x"), Name: strings.Repeat("a", 47) + ".pdf"}); !errors.Is(err, chorus.ErrInvalidRequest) {
		t.Errorf("51-char name: %v", err)
	}
	if _, err := c.AjouterFichier(ctx, chorus.Attachment{File: make([]byte, chorus.MaxAttachmentSize+1), Name: "big.pdf"}); !errors.Is(err, chorus.ErrInvalidRequest) {
		t.Errorf("size: %v", err)
	}
	if n := p.calls.Load(); n != before {
		t.Fatalf("pre-flight failures made %d calls", n-before)
	}

	// Supplier-side search, by number + supplier, and recipient-side search.
	found, err := c.FindSupplierInvoice(ctx, "PDF-2026-0001", supplierID, supplierSIRET, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || len(found) != 1 || found[0].ID != res.InvoiceID || found[0].Mode != "DEPOT_PDF_API" || found[0].InclVAT != inclVAT {
		t.Fatalf("supplier search: %+v %v", found, err)
	}
	if found, err := c.FindSupplierInvoice(ctx, "PDF-2026-0001", supplierID, supplierSIRET, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)); err != nil || len(found) != 0 {
		t.Fatalf("outside the window: %+v %v", found, err)
	}
	rules, err := c.RechercherStructure(ctx, "20007189200067")
	if err != nil || len(rules) != 1 {
		t.Fatalf("rechercher structure: %+v %v", rules, err)
	}
	rs, err := c.RechercherFactureParRecipiendaire(ctx, chorus.RecipientSearch{InvoiceNumber: "PDF-2026-0001", SupplierIDs: []int64{supplierID}, RecipientID: rules[0].ID})
	if err != nil || len(rs.Invoices) != 1 || rs.Invoices[0].ID != res.InvoiceID {
		t.Fatalf("recipient search: %+v %v", rs, err)
	}
	if rs, err := c.RechercherFactureParRecipiendaire(ctx, chorus.RecipientSearch{InvoiceNumber: "NOPE"}); err != nil || len(rs.Invoices) != 0 {
		t.Fatalf("recipient search, no result (20000): %+v %v", rs, err)
	}

	// Lifecycle: one step a day, DEPOSEE → … → MISE_EN_PAIEMENT.
	var seen []string
	for range 7 {
		h, err := c.ConsulterHistoriqueFacture(ctx, res.InvoiceID)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != h.Status {
			seen = append(seen, h.Status)
		}
		p.clock.Add(24 * time.Hour)
	}
	want := strings.Join(sandbox.DefaultLifecycle(), " ")
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("lifecycle %s, want %s", got, want)
	}
	if o := chorus.LifecycleOutcome(seen[len(seen)-1]); o != chorus.LifecyclePaid {
		t.Fatalf("outcome %s", o)
	}
	if _, err := c.ConsulterHistoriqueFacture(ctx, 12345); err == nil || chorus.IsTransient(err) {
		t.Fatalf("unknown invoice: %v", err)
	}
}

// Flows become invoices once integrated; fates end their lifecycle with a
// French reason; a search by flow number maps the flow to its invoice.
func TestSandboxLifecycleFates(t *testing.T) {
	const rejection = "Facture rejetée : la prestation n'a pas été commandée par ce service."
	p := newPair(t, sandbox.Options{
		ProcessingDelay: 10 * time.Minute, LifecycleStep: time.Hour,
		Fates: map[string]sandbox.Fate{"LC-REJ": {Status: "REJETEE", Comment: rejection}},
	}, nil)
	p.sb.SetFate("LC-SUS", sandbox.Fate{Status: "SUSPENDUE", AfterStep: 0})
	p.sb.SetFate("LC-REC", sandbox.Fate{Status: "A_RECYCLER"})
	ctx := context.Background()
	flows := map[string]string{}
	for _, n := range []string{"LC-OK", "LC-REJ", "LC-SUS", "LC-REC"} {
		flows[n] = p.deposit(t, sample(n)).FlowNumber
	}
	// Before integration, no invoice.
	if l, err := p.client.FindInvoiceByFlow(ctx, flows["LC-OK"]); err != nil || len(l) != 0 {
		t.Fatalf("before integration: %+v %v", l, err)
	}
	p.clock.Add(10 * time.Minute)
	ids := map[string]int64{}
	for n, f := range flows {
		l, err := p.client.FindInvoiceByFlow(ctx, f)
		if err != nil || len(l) != 1 || l[0].Number != n || l[0].Status != "DEPOSEE" || l[0].FlowNumber != f || l[0].Mode != "EDI_MIXTE" {
			t.Fatalf("%s: %+v %v", n, l, err)
		}
		ids[n] = l[0].ID
	}
	p.clock.Add(10 * time.Hour)
	for n, want := range map[string]string{"LC-OK": chorus.LifecyclePaid, "LC-REJ": chorus.LifecycleRejected, "LC-SUS": chorus.LifecycleNeedsAction, "LC-REC": chorus.LifecycleNeedsAction} {
		h, err := p.client.ConsulterHistoriqueFacture(ctx, ids[n])
		if err != nil {
			t.Fatal(err)
		}
		if chorus.LifecycleOutcome(h.Status) != want || h.Number != n {
			t.Errorf("%s: %s (%+v)", n, h.Status, h.Changes)
		}
		if n == "LC-REJ" && h.Reason() != rejection {
			t.Errorf("rejection reason %q", h.Reason())
		}
		if n == "LC-SUS" && (len(h.Changes) != 2 || h.Reason() == "") {
			t.Errorf("suspension: %+v", h.Changes)
		}
	}
	// Forcing a status stops the progression.
	if err := p.sb.ForceStatus(ids["LC-REC"], "REJETEE", "Refus après recyclage."); err != nil {
		t.Fatal(err)
	}
	p.clock.Add(10 * time.Hour)
	for _, inv := range p.sb.Invoices() {
		if inv.ID == ids["LC-REC"] && (inv.Status != "REJETEE" || inv.History[len(inv.History)-1].Comment != "Refus après recyclage.") {
			t.Fatalf("forced: %+v", inv)
		}
	}
	// The supplier-search "no result" variant is read as an empty result.
	q := newPair(t, sandbox.Options{SupplierSearchNoResultCode: true}, nil)
	if l, err := q.client.FindSupplierInvoice(ctx, "NOPE-1", supplierID, "", time.Time{}, time.Time{}); err != nil || len(l) != 0 {
		t.Fatalf("20000 variant: %+v %v", l, err)
	}
}

func TestLifecycleOutcome(t *testing.T) {
	for status, want := range map[string]string{
		"MISE_EN_PAIEMENT": chorus.LifecyclePaid, "REJETEE": chorus.LifecycleRejected,
		"SUSPENDUE": chorus.LifecycleNeedsAction, "A_RECYCLER": chorus.LifecycleNeedsAction, "A_COMPLETER": chorus.LifecycleNeedsAction,
		"ABANDONNEE": chorus.LifecycleNeedsAction, "SUPPRIMEE": chorus.LifecycleNeedsAction,
		"DEPOSEE": chorus.LifecycleInProgress, "MISE_A_DISPOSITION": chorus.LifecycleInProgress, "MANDATEE": chorus.LifecycleInProgress,
		"COMPLETEE": chorus.LifecycleInProgress, "TECHNIQUE_INCONNU": chorus.LifecycleInProgress, "": chorus.LifecycleInProgress,
		" MISE_EN_PAIEMENT ": chorus.LifecyclePaid, "rejetee": chorus.LifecycleRejected, "Suspendue": chorus.LifecycleNeedsAction,
	} {
		if got := chorus.LifecycleOutcome(status); got != want {
			t.Errorf("LifecycleOutcome(%q) = %s, want %s", status, got, want)
		}
	}
}

func TestPasswordExpiry(t *testing.T) {
	set := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	exp := chorus.PasswordExpiry(set)
	if !exp.Equal(time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("expiry %v", exp)
	}
	for _, tc := range []struct {
		now  time.Time
		warn bool
	}{
		{set, false},
		{exp.AddDate(0, 0, -31), false},
		{exp.AddDate(0, 0, -30), true},
		{exp.AddDate(0, 0, 10), true},
	} {
		if w, e := chorus.PasswordNeedsWarning(set, tc.now); w != tc.warn || !e.Equal(exp) {
			t.Errorf("at %v: %v %v", tc.now, w, e)
		}
	}
	if w, _ := chorus.PasswordNeedsWarning(time.Time{}, time.Now()); w {
		t.Error("warning without a date")
	}
}
