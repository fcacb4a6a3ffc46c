package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock the tests move.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// settledMessage ingests raw into mailbox and settles it as the gateway
// would: parsed, one case per state given, done, and filed when filed.
func settledMessage(t *testing.T, s *Store, mailbox string, uid uint32, raw string, filed bool, states ...CaseState) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	id, _, err := s.Ingest(ctx, Incoming{Mailbox: mailbox, UIDValidity: 1, UID: uid, Raw: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	var cases []int64
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.MessageParsed(id, MessageInfo{Subject: raw}); err != nil {
			return err
		}
		for _, st := range states {
			c, err := tx.CreateCase("FAC", id, 0, CaseFields{})
			if err != nil {
				return err
			}
			// The path there does not matter here: the state is set.
			if _, err := tx.exec("UPDATE cases SET state = ? WHERE id = ?", st, c.ID); err != nil {
				return err
			}
			cases = append(cases, c.ID)
		}
		return tx.MessageDone(id, DispositionProcessed)
	})
	if err != nil {
		t.Fatal(err)
	}
	if filed {
		if err := s.MarkFiled(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return id, cases
}

// TestPruneRaw: the raw messages of settled, filed messages older than the
// retention whose cases are all finished are pruned, in batches; the rows
// stay, the cases say it in their ledger, Raw says so; everything else is
// kept, and a spool file another message still needs is not deleted.
func TestPruneRaw(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &testClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, dir, Options{Now: clock.Now})

	// Eleven years ago.
	paid, paidCases := settledMessage(t, s, "m", 1, "paid", true, CasePaid, CaseIgnored)
	rejected, _ := settledMessage(t, s, "m", 2, "rejected", true, CaseRejected)
	guided, _ := settledMessage(t, s, "m", 3, "guided", true, CaseGuided, CaseDuplicate)
	held, _ := settledMessage(t, s, "m", 4, "held", true, CaseHeld)
	mixed, _ := settledMessage(t, s, "m", 5, "mixed", true, CasePaid, CaseAwaitingSupplier)
	unfiled, _ := settledMessage(t, s, "m", 6, "unfiled", false, CasePaid)
	shared, _ := settledMessage(t, s, "m", 7, "shared bytes", true, CasePaid)
	integrated, _ := settledMessage(t, s, "m", 8, "integrated", true, CaseIntegrated)
	// Ten years less a day ago, and the same bytes as "shared" in another
	// mailbox, now.
	clock.Set(time.Date(2027, 1, 6, 9, 0, 0, 0, time.UTC))
	recent, _ := settledMessage(t, s, "m", 9, "recent", true, CasePaid)
	clock.Set(time.Date(2037, 1, 5, 10, 0, 0, 0, time.UTC))
	sharedNow, _ := settledMessage(t, s, "autre", 1, "shared bytes", true, CasePaid)
	clock.Set(time.Date(2037, 1, 5, 11, 0, 0, 0, time.UTC))

	// The spool files are as old as their messages (the store's clock is
	// the test's, the files' the system's).
	for _, name := range spoolFiles(t, dir) {
		long := time.Now().AddDate(-11, 0, 0)
		if err := os.Chtimes(filepath.Join(dir, "spool", name), long, long); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := clock.Now().AddDate(-10, 0, 0)
	got, err := s.PruneRaw(ctx, cutoff, PruneOptions{Batch: 2, CaseNote: "message d'origine supprimé"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages != 4 || got.Files != 3 || got.Busy {
		t.Fatalf("pruned %+v, want 4 messages, 3 files", got)
	}
	for _, id := range []int64{paid, rejected, guided, shared} {
		if _, err := s.Raw(ctx, id); !errors.Is(err, ErrRawPruned) {
			t.Errorf("message %d: raw %v; want pruned", id, err)
		}
		if at, err := s.RawPruned(ctx, id); err != nil || !at.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Errorf("message %d pruned at %v, %v", id, at, err)
		}
		if m, err := s.Message(ctx, id); err != nil || m.State != MessageDone {
			t.Errorf("message %d row after pruning: %+v, %v", id, m, err)
		}
	}
	for _, id := range []int64{held, mixed, unfiled, integrated, recent, sharedNow} {
		if _, err := s.Raw(ctx, id); err != nil {
			t.Errorf("message %d: raw %v; want kept", id, err)
		}
	}
	if n := len(spoolFiles(t, dir)); n != 10-4 {
		t.Errorf("%d spool files left, want 6: %v", n, spoolFiles(t, dir))
	}
	for _, c := range paidCases {
		l, err := s.Ledger(ctx, EntityCase, c)
		if err != nil || len(l) == 0 || l[len(l)-1].Note != "message d'origine supprimé" || l[len(l)-1].From != l[len(l)-1].To {
			t.Errorf("ledger of case %d: %+v, %v", c, l, err)
		}
	}
	// A note is no transition: the digest does not count it.
	tr, err := s.Transitions(ctx, EntityCase, clock.Now().Add(-time.Minute))
	if err != nil || len(tr) != 0 {
		t.Errorf("transitions after pruning: %+v, %v", tr, err)
	}
	if again, err := s.PruneRaw(ctx, cutoff, PruneOptions{}); err != nil || again.Messages != 0 {
		t.Errorf("second pruning: %+v, %v", again, err)
	}
	// A backup leaves the pruned raw messages out, and restores.
	bk := filepath.Join(t.TempDir(), "b")
	info, err := s.Backup(ctx, bk)
	if err != nil || info.SpoolFiles != 6 || info.Messages != 10 {
		t.Fatalf("backup after pruning: %+v, %v", info, err)
	}
	if _, err := Restore(ctx, bk, filepath.Join(t.TempDir(), "r")); err != nil {
		t.Fatalf("restore after pruning: %v", err)
	}
}

// TestPruneRawWaitsForABackup: while a backup is copying the spool, the
// pruning does nothing and says so; the next call prunes.
func TestPruneRawWaitsForABackup(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	s := openTest(t, t.TempDir(), Options{Now: clock.Now})
	id, _ := settledMessage(t, s, "m", 1, "paid", true, CasePaid)
	clock.Set(clock.Now().AddDate(11, 0, 0))
	unlock, err := s.spoolLock(ctx, false) // a backup, copying
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PruneRaw(ctx, clock.Now().AddDate(-10, 0, 0), PruneOptions{})
	if err != nil || !got.Busy || got.Messages != 0 {
		t.Fatalf("pruning during a backup: %+v, %v", got, err)
	}
	unlock()
	got, err = s.PruneRaw(ctx, clock.Now().AddDate(-10, 0, 0), PruneOptions{Max: 5})
	if err != nil || got.Busy || got.Messages != 1 {
		t.Fatalf("pruning after the backup: %+v, %v", got, err)
	}
	if _, err := s.Raw(ctx, id); !errors.Is(err, ErrRawPruned) || !strings.Contains(err.Error(), "2037-01-05") {
		t.Errorf("raw: %v", err)
	}
}

// TestDeleteSpoolFileKeepsAFreshWrite: a spool file written again just now
// (the same bytes ingested anew while their older message was pruned) is
// kept; an old one is deleted.
func TestDeleteSpoolFileKeepsAFreshWrite(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	fresh, old := filepath.Join(s.spool, "a.eml"), filepath.Join(s.spool, "b.eml")
	for _, p := range []string{fresh, old} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().AddDate(-10, 0, 0)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if deleted, err := s.deleteSpoolFile("a.eml"); err != nil || deleted {
		t.Errorf("fresh file: deleted %v, %v", deleted, err)
	}
	if deleted, err := s.deleteSpoolFile("b.eml"); err != nil || !deleted {
		t.Errorf("old file: deleted %v, %v", deleted, err)
	}
	if names := spoolFiles(t, filepath.Dir(s.spool)); len(names) != 1 || names[0] != "a.eml" {
		t.Errorf("spool: %v", names)
	}
}
