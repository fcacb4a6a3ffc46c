package notifier

import (
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"
)

func sampleDigest() Digest {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 15, 0, 0, paris) }
	return Digest{
		Organisation: "Agglomération du Saint-Quentinois",
		From:         netmail.Address{Name: "Facteur", Address: "accueil.comptabilite@casq.fr"},
		To:           []string{"finances@casq.fr", "Finances@casq.fr", "daf@casq.fr"},
		Mailboxes:    []string{"accueil.comptabilite@casq.fr"},
		Since:        time.Date(2026, 11, 25, 8, 0, 0, 0, paris),
		Counts:       DigestCounts{Received: 14, Deposited: 9, Paid: 3, Asked: 2, Guided: 1, Rejected: 1, Held: 2},
		Held: []DigestCase{
			{Ref: "FAC-2026-000120", Supplier: "Hydro Services Picardie SARL", InvoiceNumber: "HSP-2026-0099",
				Amount: "3207.60", Currency: "EUR", Since: day(25), Reason: "budget destinataire ambigu : Budget eau potable, Budget assainissement"},
			{Ref: "FAC-2026-000123", Supplier: "<script>alert(1)</script>", Since: day(26), Reason: "pièce jointe « scan.pdf » illisible"},
		},
		Rejected: []DigestCase{{Ref: "FAC-2026-000101", Supplier: "Voirie Nord Travaux SAS", InvoiceNumber: "VNT-2026-1187",
			Amount: "12000", Currency: "EUR", Since: day(24), Reason: "refusée par Chorus Pro : numéro d'engagement inconnu"}},
		Waiting: []DigestCase{{Ref: "FAC-2026-000090", Supplier: "Bureautique & Papeterie de l'Aisne", InvoiceNumber: "BPA-2026-7001", Since: day(12)}},
	}
}

func TestComposeDigest(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, paris)
	raw, id, err := ComposeDigest(sampleDigest(), now)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^digest-20261126\.[0-9a-f]{16}@casq\.fr$`).MatchString(id) {
		t.Errorf("message id %q", id)
	}
	p := parse(t, raw)
	if got, _ := p.header.Subject(); got != "[Facteur] Point du jeudi 26 novembre 2026 : 2 dossiers à examiner" {
		t.Errorf("subject %q", got)
	}
	if got := p.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q, want auto-generated (RFC 3834: a periodic report)", got)
	}
	if got := p.header.Get("To"); got != "<finances@casq.fr>, <daf@casq.fr>" {
		t.Errorf("To %q", got)
	}
	if got := strings.Join(DigestRecipients(sampleDigest()), ","); got != "finances@casq.fr,daf@casq.fr" {
		t.Errorf("recipients %q", got)
	}
	text := flat(p.parts["text/plain"])
	for _, want := range []string{
		"Madame, Monsieur,",
		"Voici le point de Facteur sur les factures reçues à l'adresse accueil.comptabilite@casq.fr.",
		"Depuis le point précédent (25 novembre 2026 à 8\u00a0h\u00a000)\u00a0:",
		"Messages reçus\u00a0: 14", "Factures déposées sur Chorus Pro\u00a0: 9", "Factures mises en paiement\u00a0: 3",
		"Demandes envoyées aux fournisseurs\u00a0: 2", "Fournisseurs invités à déposer eux-mêmes sur Chorus Pro\u00a0: 1",
		"Dossiers à examiner (2)",
		"- FAC-2026-000120 – Hydro Services Picardie SARL – facture n°\u00a0HSP-2026-0099 – 3\u00a0207,60\u00a0€ – depuis le 25 novembre 2026",
		"budget destinataire ambigu\u00a0: Budget eau potable, Budget assainissement.",
		"Factures refusées par Chorus Pro (1)", "refusée le 24 novembre 2026",
		"Demandes restées sans réponse (1)", "demandée le 12 novembre 2026",
		"Réponses non envoyées (0)", "Toutes les réponses ont été envoyées.",
		"facteur cases show RÉFÉRENCE",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.parts["text/plain"])
		}
	}
	html := p.parts["text/html"]
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("a supplier name is not escaped in the HTML part")
	}
	checkNoPlaceholder(t, p.parts["text/plain"]+html)
}

// A digest of a quiet day, and one with more cases than it lists.
func TestComposeDigestEmptyAndLong(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, paris)
	raw, _, err := ComposeDigest(Digest{From: netmail.Address{Address: "f@ville.example"}, To: []string{"daf@ville.example"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	if got, _ := p.header.Subject(); got != "[Facteur] Point du lundi 30 novembre 2026 : aucun dossier à examiner" {
		t.Errorf("subject %q", got)
	}
	text := flat(p.parts["text/plain"])
	for _, want := range []string{"Depuis la mise en service\u00a0:", "Aucun dossier n'attend de décision.", "Messages reçus\u00a0: 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "facteur cases show") {
		t.Error("a hint about cases in a digest without any")
	}

	d := sampleDigest()
	d.Held = nil
	for i := range maxDigestCases + 7 {
		d.Held = append(d.Held, DigestCase{Ref: fmt.Sprintf("FAC-2026-%06d", i+1), Reason: "à examiner"})
	}
	raw, _, err = ComposeDigest(d, now)
	if err != nil {
		t.Fatal(err)
	}
	text = flat(parse(t, raw).parts["text/plain"])
	if !strings.Contains(text, fmt.Sprintf("Dossiers à examiner (%d)", maxDigestCases+7)) || !strings.Contains(text, "… et 7 autre(s)") ||
		strings.Contains(text, fmt.Sprintf("FAC-2026-%06d", maxDigestCases+1)) {
		t.Errorf("long list:\n%s", text)
	}
	// A list of the first cases only, with the total of them all: the
	// subject, the title and the rest counted say the total.
	d.Held, d.HeldTotal = d.Held[:DigestListed], 5123
	raw, _, err = ComposeDigest(d, now)
	if err != nil {
		t.Fatal(err)
	}
	msg := parse(t, raw)
	text = flat(msg.parts["text/plain"])
	subject, _ := msg.header.Subject()
	if !strings.Contains(text, "Dossiers à examiner (5123)") || !strings.Contains(text, fmt.Sprintf("… et %d autre(s)", 5123-DigestListed)) ||
		!strings.Contains(subject, "5123 dossiers à examiner") {
		t.Errorf("list of the first cases of 5123:\n%s\n%s", subject, text)
	}
	if _, _, err := ComposeDigest(Digest{From: netmail.Address{Address: "f@ville.example"}}, now); err == nil {
		t.Error("a digest without recipient was composed")
	}
}

// TestDigestLinks: with the page's address, each case of the digest links
// to its page, in the text and the HTML; without it, none does, and an
// address that is no http(s) URL links nothing.
func TestDigestLinks(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, paris)
	d := sampleDigest()
	d.PageURL = "https://facteur.casq.fr/finances"
	raw, _, err := ComposeDigest(d, now)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	text, html := p.parts["text/plain"], p.parts["text/html"]
	for _, ref := range []string{"FAC-2026-000120", "FAC-2026-000123", "FAC-2026-000101", "FAC-2026-000090"} {
		link := "https://facteur.casq.fr/finances/dossiers/" + ref
		if !strings.Contains(text, "    "+link+"\r\n") {
			t.Errorf("the text lacks the link %s:\n%s", link, text)
		}
		if !strings.Contains(html, `<a href="`+link+`">`+ref) {
			t.Errorf("the HTML lacks the link %s:\n%s", link, html)
		}
	}
	for _, bad := range []string{"", "javascript:alert(1)", "facteur.casq.fr", "https://u:p@facteur.casq.fr/", "https://facteur.casq.fr/?x=1"} {
		d.PageURL = bad
		raw, _, err := ComposeDigest(d, now)
		if err != nil {
			t.Fatal(err)
		}
		p := parse(t, raw)
		if strings.Contains(p.parts["text/plain"], "/dossiers/") || strings.Contains(p.parts["text/html"], "<a href") {
			t.Errorf("page %q: a link is written", bad)
		}
	}
}
