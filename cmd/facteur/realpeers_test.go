package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/demo"
	"facteur/internal/dovecottest"
	"facteur/internal/mailpittest"
	"facteur/samples"
)

// TestRealPeersEndToEnd runs `facteur run` as its own process against real
// peers: a Dovecot holding the mailbox (STARTTLS, password), a mailpit
// receiving the replies (STARTTLS, AUTH), and the Chorus Pro sandbox. An
// invoice with its engagement number is deposited and confirmed, one
// without is answered with a request, a damaged PDF with a request for a
// readable one; every message is filed out of the INBOX into Dovecot's
// folders.
func TestRealPeersEndToEnd(t *testing.T) {
	dv := dovecottest.Start(t, dovecottest.Options{})
	mp := mailpittest.Start(t)
	env, err := demo.Start(t.TempDir(), demo.Options{}) // its Chorus Pro sandbox
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()

	dir := t.TempDir()
	chorus := env.ConfigTOML()[strings.Index(env.ConfigTOML(), "[chorus]"):]
	cfg := peersConfig("Agglomération du Saint-Quentinois", dir, dovecottest.User, "accueil.comptabilite@casq.fr", "@every 2s", dv, mp) + chorus
	cfgPath := filepath.Join(dir, "facteur.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	s := samples.DemoSuppliers()[1]
	for _, tc := range []struct{ number, ej string }{{"RP-2026-1", "EJ-2026-000501"}, {"RP-2026-2", ""}} {
		pdf, err := samples.FacturX(s.Invoice(tc.number, "2026-11-20", samples.CASQBudgetPrincipal, "", tc.ej))
		if err != nil {
			t.Fatal(err)
		}
		dv.Save("INBOX", samples.Mail{From: s.Email, To: dovecottest.User, Subject: "Facture " + tc.number,
			Body: "Bonjour,\n\nVeuillez trouver ci-joint notre facture.\n", MessageID: tc.number + "@voirie-nord.example",
			Attachments: []samples.Attachment{{Name: "Facture " + tc.number + ".pdf", Data: pdf}}}.Bytes())
	}

	// A third writes with a damaged PDF: asked for a readable one.
	dv.Save("INBOX", samples.Mail{From: s.Email, To: dovecottest.User, Subject: "Facture RP-2026-3",
		MessageID:   "RP-2026-3@voirie-nord.example",
		Attachments: []samples.Attachment{{Name: "RP-2026-3.pdf", Data: []byte("%PDF-1.7\n1 0 obj garbage")}}}.Bytes())

	run := startRun(t, cfgPath)

	// Wait for the two replies and for both messages to leave the INBOX.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if len(mp.Messages(t)) >= 3 && dv.Status("INBOX", "messages") == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled: %d replies, %d messages in INBOX\nstderr:\n%s", len(mp.Messages(t)), dv.Status("INBOX", "messages"), run.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	run.stop(t)

	deps := env.Sandbox.Deposits()
	if len(deps) != 1 || deps[0].InvoiceNumber != "RP-2026-1" || deps[0].OrderReference != "EJ-2026-000501" || deps[0].BuyerSIRET != samples.CASQBudgetPrincipal {
		t.Errorf("deposits %+v", deps)
	}
	subjects := map[string]bool{}
	for _, m := range mp.Messages(t) {
		subjects[m.Subject] = true
		if len(m.To) != 1 || m.To[0].Address != s.Email || len(m.Bcc) != 1 || m.Bcc[0].Address != "finances@casq.fr" {
			t.Errorf("reply %q to %+v, bcc %+v", m.Subject, m.To, m.Bcc)
		}
	}
	var confirmed, asked, askedPDF bool
	for subj := range subjects {
		confirmed = confirmed || strings.Contains(subj, "Facture RP-2026-1 déposée sur Chorus Pro")
		asked = asked || strings.Contains(subj, "Numéro d'engagement manquant – facture RP-2026-2")
		askedPDF = askedPDF || strings.Contains(subj, "Facture non reçue ou illisible")
	}
	if !confirmed || !asked || !askedPDF || len(subjects) != 3 {
		t.Errorf("replies %v; want the confirmation of RP-2026-1, the request about RP-2026-2 and the request for a readable PDF", subjects)
	}
	if n := dv.Status("Facteur.Traitees", "messages"); n != 3 {
		t.Errorf("%d messages filed in Facteur/Traitees, want 3", n)
	}
}
