package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"facteur/store"
)

// heldCase opens a case in state to (through held) in a fresh store.
func heldCase(t *testing.T, st *store.Store, uid uint32, flow string) store.Case {
	t.Helper()
	ctx := context.Background()
	id, _, err := st.Ingest(ctx, store.Incoming{Mailbox: "m", UIDValidity: 1, UID: uid, Raw: []byte("Subject: " + string(rune('a'+uid)) + "\r\n\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var c store.Case
	err = st.Update(ctx, func(tx *store.Tx) error {
		if c, err = tx.CreateCase("FAC", id, 0, store.CaseFields{InvoiceNumber: "F-1"}); err != nil {
			return err
		}
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "à examiner", store.CaseFields{FlowNumber: flow})
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ledgerNotes(t *testing.T, st *store.Store, c store.Case) string {
	t.Helper()
	es, err := st.Ledger(context.Background(), store.EntityCase, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, e := range es {
		notes = append(notes, e.From+"→"+e.To+" "+e.Note)
	}
	return strings.Join(notes, "\n")
}

// TestActions: what a person decides is carried out by the gateway, named
// in the ledger; what cannot be done is a typed error the callers turn
// into words.
func TestActions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := New(Options{Store: st})

	plain := heldCase(t, st, 1, "")
	if a, err := g.Release(ctx, plain.Ref, "mdupont", ""); err != nil || a.To != store.CaseNew {
		t.Fatalf("release: %+v %v", a, err)
	}
	if n := ledgerNotes(t, st, plain); !strings.Contains(n, "held→new remis à l'examen par mdupont") {
		t.Errorf("ledger:\n%s", n)
	}

	onChorus := heldCase(t, st, 2, "CPP0011117000000000012345")
	if a, err := g.Release(ctx, onChorus.Ref, "mdupont", ""); err != nil || a.To != store.CaseDeposited || a.Flow != "CPP0011117000000000012345" {
		t.Fatalf("release of a case on Chorus Pro: %+v %v; want followed, never deposited again", a, err)
	}
	found := heldCase(t, st, 3, "")
	if a, err := g.Release(ctx, found.Ref, "mdupont", " CPP0011117000000000099999 "); err != nil || a.To != store.CaseDeposited {
		t.Fatalf("release --flow: %+v %v", a, err)
	}
	if c, err := st.CaseByRef(ctx, found.Ref); err != nil || c.FlowNumber != "CPP0011117000000000099999" {
		t.Errorf("flow recorded %q, %v", c.FlowNumber, err)
	}

	rejected := heldCase(t, st, 4, "")
	if _, err := g.Reject(ctx, rejected.Ref, "mdupont", "  "); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("reject without a reason: %v", err)
	}
	if a, err := g.Reject(ctx, rejected.Ref, "mdupont", "facture annulée"); err != nil || a.To != store.CaseIgnored {
		t.Fatalf("reject: %+v %v", a, err)
	}
	if n := ledgerNotes(t, st, rejected); !strings.Contains(n, "écarté par mdupont : facture annulée") {
		t.Errorf("ledger:\n%s", n)
	}
	// Deposited: neither set aside nor released again.
	if a, err := g.Reject(ctx, onChorus.Ref, "mdupont", "erreur"); !errors.Is(err, store.ErrTransition) || a.Case.State != store.CaseDeposited {
		t.Errorf("reject of a deposited case: %+v %v, want store.ErrTransition", a, err)
	}
	if _, err := g.RetryReplies(ctx, rejected.Ref, "mdupont"); !errors.Is(err, ErrNoFailedReply) {
		t.Errorf("retry without a failed reply: %v", err)
	}
	if _, err := g.Release(ctx, "FAC-2026-999999", "mdupont", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
}

// TestReleaseOfAPrunedMessage: a case released after its raw message was
// pruned by the retention setting is held, saying so in French.
func TestReleaseOfAPrunedMessage(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2036, 11, 26, 9, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, t.TempDir(), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _, err := st.Ingest(ctx, store.Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("Subject: ancien\r\n\r\nx\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var c store.Case
	err = st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.MessageParsed(id, store.MessageInfo{Subject: "ancien"}); err != nil {
			return err
		}
		if c, err = tx.CreateCase("FAC", id, 0, store.CaseFields{}); err != nil {
			return err
		}
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseIgnored, "aucune facture", store.CaseFields{}); err != nil {
			return err
		}
		return tx.MessageDone(id, store.DispositionIgnored)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkFiled(ctx, id); err != nil {
		t.Fatal(err)
	}
	if p, err := st.PruneRaw(ctx, now.Add(time.Hour), store.PruneOptions{}); err != nil || p.Messages != 1 {
		t.Fatalf("pruned %+v, %v", p, err)
	}
	g := New(Options{Store: st, Now: func() time.Time { return now }})
	if _, err := g.Release(ctx, c.Ref, "mdupont", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Step(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := st.CaseByRef(ctx, c.Ref)
	if got.State != store.CaseHeld || !strings.Contains(got.Reason, "n'est plus conservé") || strings.Contains(got.Reason, "retention setting") {
		t.Errorf("case %s %q; want held, in French", got.State, got.Reason)
	}
}
