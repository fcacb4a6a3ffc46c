package casebook

import (
	"bytes"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/ident"
)

// sampleReply stands for Facteur's reply when a message answering one is
// built outside a run.
var sampleReply = &Reply{MessageID: "FAC-2026-000001.0123456789abcdef@casq.fr", Subject: "[FAC-2026-000001] Numéro d'engagement manquant",
	Text: "Madame, Monsieur,\n\nNuméro de flux Chorus Pro : CPP0011117000000000001\n", Date: time.Now(), From: Mailbox,
	FromName: Organisation, To: "x@example.invalid", Ref: "FAC-2026-000001"}

// built is every case with its message, built once for the tests.
var built = sync.OnceValue(func() []builtCase {
	var out []builtCase
	for _, c := range Cases() {
		out = append(out, builtCase{c, c.Build(sampleReply)})
	}
	return out
})

type builtCase struct {
	Case
	raw []byte
}

// TestTable checks the casebook itself: names, kinds (two cases each at
// least), dependencies, sixty messages or more.
func TestTable(t *testing.T) {
	for _, p := range Check(Cases()) {
		t.Error(p)
	}
}

// TestIdentifiers: every SIRET, VAT number and IBAN of the casebook
// passes the checks a real one passes.
func TestIdentifiers(t *testing.T) {
	for _, s := range Suppliers() {
		if !ident.ValidSIRET(s.SIRET) || !ident.ValidFrenchVAT(s.VAT) || !ident.ValidIBAN(s.IBAN) {
			t.Errorf("%s: SIRET %s VAT %s IBAN %s", s.Name, s.SIRET, s.VAT, s.IBAN)
		}
	}
	for _, b := range Budgets() {
		if !ident.ValidSIRET(b.SIRET) {
			t.Errorf("%s: SIRET %s", b.Name, b.SIRET)
		}
	}
	for _, s := range []string{VilleSIRET, DepartementSIRET, FormerCASQSIRET} {
		if !ident.ValidSIRET(s) {
			t.Errorf("SIRET %s", s)
		}
	}
	if iban("16798", "00001", "00098765432") == "" || !ident.ValidIBAN(iban("16798", "00001", "00098765432")) {
		t.Error("iban")
	}
}

// TestMessages: every message reads as an e-mail with its own Message-ID;
// with FACTEUR_CASEBOOK_DIR set, each is written there as NAME.eml (for
// `facteur inspect`).
func TestMessages(t *testing.T) {
	dir := os.Getenv("FACTEUR_CASEBOOK_DIR")
	ids := map[string]string{}
	for _, c := range built() {
		raw := c.raw
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		id := m.Header.Get("Message-Id")
		if prev, ok := ids[id]; ok || id == "" {
			t.Errorf("%s: Message-ID %q (also %s)", c.Name, id, prev)
		}
		ids[id] = c.Name
		if _, err := mail.ParseAddress(m.Header.Get("From")); err != nil && !strings.Contains(m.Header.Get("From"), "MAILER-DAEMON") {
			t.Errorf("%s: From %q: %v", c.Name, m.Header.Get("From"), err)
		}
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, c.Name+".eml"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRepliesPerAddress: Facteur answers one address at most ten times a
// day; the casebook spreads its senders so that no expected reply is
// withheld by that limit.
func TestRepliesPerAddress(t *testing.T) {
	n := map[string]int{}
	for _, c := range built() {
		m, err := mail.ReadMessage(bytes.NewReader(c.raw))
		if err != nil {
			t.Fatal(err)
		}
		from := m.Header.Get("Reply-To")
		if from == "" {
			from = m.Header.Get("From")
		}
		a, _ := mail.ParseAddress(from)
		for _, w := range c.Want {
			if w.Reply == "" {
				continue
			}
			to := w.To
			if to == "" && a != nil {
				to = a.Address
			}
			n[strings.ToLower(to)] += 1 + len(w.Earlier)
		}
	}
	for addr, k := range n {
		if k > 10 {
			t.Errorf("%d replies expected to %s, more than the daily limit of 10", k, addr)
		}
	}
}
