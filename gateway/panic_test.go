package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"facteur/guard"
	"facteur/internal/panictest"
	"facteur/notifier"
	"facteur/register"
	"facteur/router"
	"facteur/samples"
	"facteur/store"
)

// expectedPanics counts the panics the tests of this package cause on
// purpose; any other panic recovered while they ran fails the run.
var expectedPanics panictest.Expected

func TestMain(m *testing.M) { panictest.Main(m, &expectedPanics) }

// panicRegister is an engagement register whose reading panics: a defect
// in the middle of a message's decision.
type panicRegister struct{}

func (panicRegister) Current(time.Time) (*register.Register, error) { panic("register reader defect") }

// panicSender is an SMTP sender that panics.
type panicSender struct{}

func (panicSender) SendTracked(context.Context, string, []string, []byte, notifier.Progress) error {
	panic("sender defect")
}

func factureMail(t *testing.T, number string) []byte {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice(number, "2026-11-20", samples.CASQBudgetPrincipal, "", "EJ-2026-000123"))
	if err != nil {
		t.Fatal(err)
	}
	return samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture " + number,
		Attachments: []samples.Attachment{{Name: number + ".pdf", Data: pdf}}}.Bytes()
}

// TestPanicSetsTheWorkAside: a panic while working on a message, a case or
// a reply sets that one aside for a person, with the reason, and the pass
// goes on with the others; nothing takes the daemon down.
func TestPanicSetsTheWorkAside(t *testing.T) {
	ctx := context.Background()
	rules := router.Rules{Budgets: []router.Budget{{Name: "Budget principal", SIRET: samples.CASQBudgetPrincipal}}}

	t.Run("message", func(t *testing.T) {
		st, err := store.Open(ctx, t.TempDir(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		g := New(Options{Store: st, Rules: rules, Register: panicRegister{}})
		for i, n := range []string{"P-1", "P-2"} {
			if _, _, err := st.Ingest(ctx, store.Incoming{Mailbox: "m", UIDValidity: 1, UID: uint32(i + 1), Raw: factureMail(t, n)}); err != nil {
				t.Fatal(err)
			}
		}
		before := guard.Total()
		if _, err := g.Step(ctx); err != nil {
			t.Fatalf("a panic stopped the pass: %v", err)
		}
		expectedPanics.Add(guard.Total() - before)
		if n := guard.Total() - before; n != 2 {
			t.Errorf("%d panics recovered, want 2 (one per message)", n)
		}
		cases, err := st.Cases(ctx, store.CaseFilter{})
		if err != nil || len(cases) != 2 {
			t.Fatalf("cases %+v %v; want one per message", cases, err)
		}
		for _, c := range cases {
			if c.State != store.CaseHeld || !strings.Contains(c.Reason, "erreur interne de Facteur") || !strings.Contains(c.Reason, "register reader defect") {
				t.Errorf("case %s: %s %q; want held with the reason", c.Ref, c.State, c.Reason)
			}
			if m, err := st.Message(ctx, c.MessageID); err != nil || m.State != store.MessageFailed {
				t.Errorf("message %d: %s %v; want set aside", c.MessageID, m.State, err)
			}
		}
	})

	t.Run("case in deposit, then reply", func(t *testing.T) {
		st, err := store.Open(ctx, t.TempDir(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// No Chorus Pro client: the deposit dereferences nothing, a real
		// defect of the kind the boundary is for.
		g := New(Options{Store: st, Rules: rules, Mailer: panicSender{}})
		if _, _, err := st.Ingest(ctx, store.Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: factureMail(t, "P-3")}); err != nil {
			t.Fatal(err)
		}
		before := guard.Total()
		for i := 0; i < 3; i++ {
			if _, err := g.Step(ctx); err != nil {
				t.Fatalf("a panic stopped the pass: %v", err)
			}
		}
		c, err := st.CaseByRef(ctx, "FAC-"+fmt.Sprint(time.Now().Year())+"-000001")
		if err != nil {
			t.Fatal(err)
		}
		if c.State != store.CaseHeld || !strings.Contains(c.Reason, "dépôt sur Chorus Pro") || !strings.Contains(c.Reason, "vérifier sur Chorus Pro") {
			t.Errorf("case %s %q; want held, saying Chorus Pro must be checked first", c.State, c.Reason)
		}
		// A reply whose sending panics is failed, never sent again on its own.
		if err := st.Update(ctx, func(tx *store.Tx) error {
			_, _, err := tx.Enqueue(store.OutboxItem{CaseID: c.ID, Kind: "test", HeaderMessageID: "x@facteur", Recipients: []string{"a@b.example"},
				Subject: "s", Raw: []byte("Subject: s\r\n\r\nx\r\n")})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Step(ctx); err != nil {
			t.Fatalf("a panic stopped the pass: %v", err)
		}
		items, err := st.OutboxOfCase(ctx, c.ID)
		if err != nil || len(items) != 1 || items[0].State != store.OutboxFailed || !strings.Contains(items[0].LastError, "sender defect") {
			t.Errorf("outbox %+v %v; want the reply failed with the reason", items, err)
		}
		n := guard.Total() - before
		expectedPanics.Add(n)
		if n != 2 {
			t.Errorf("%d panics recovered, want 2 (the deposit, the send)", n)
		}
	})
}
