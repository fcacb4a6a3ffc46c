package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/config"
	"facteur/store"
)

// TestPruneOnce: with [retention] raw_messages set, the daemon's daily pass
// prunes the raw message of a finished case older than the setting, and
// its case's history says so in French; without it, nothing runs.
func TestPruneOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _, err := st.Ingest(ctx, store.Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("Subject: pub\r\n\r\nx\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var caseID int64
	err = st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.MessageParsed(id, store.MessageInfo{Subject: "pub"}); err != nil {
			return err
		}
		c, err := tx.CreateCase("FAC", id, 0, store.CaseFields{})
		if err != nil {
			return err
		}
		caseID = c.ID
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseIgnored, "message automatique", store.CaseFields{}); err != nil {
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
	long := time.Now().AddDate(-1, 0, 0) // the spool file is as old as its message
	entries, _ := os.ReadDir(filepath.Join(dir, "spool"))
	for _, e := range entries {
		os.Chtimes(filepath.Join(dir, "spool", e.Name()), long, long)
	}

	a := &App{cfg: &config.Config{}, log: slog.New(slog.DiscardHandler), store: st}
	done := make(chan struct{})
	go func() { a.pruneRawMessages(ctx); close(done) }()
	select {
	case <-done: // kept for ever: nothing to run
	case <-time.After(5 * time.Second):
		t.Fatal("the retention loop runs without retention")
	}

	if err := a.cfg.Retention.RawMessages.UnmarshalText([]byte("30d")); err != nil {
		t.Fatal(err)
	}
	defer func(f func() time.Time) { retentionNow = f }(retentionNow)
	retentionNow = func() time.Time { return now.AddDate(0, 0, 29) }
	if p := a.pruneOnce(ctx); p.Messages != 0 {
		t.Fatalf("pruned at 29 days: %+v", p)
	}
	retentionNow = func() time.Time { return now.AddDate(0, 0, 31) }
	if p := a.pruneOnce(ctx); p.Messages != 1 || p.Files != 1 {
		t.Fatalf("pruned at 31 days: %+v", p)
	}
	if _, err := st.Raw(ctx, id); !errors.Is(err, store.ErrRawPruned) {
		t.Errorf("raw after pruning: %v", err)
	}
	l, err := st.Ledger(ctx, store.EntityCase, caseID)
	if err != nil || len(l) == 0 || !strings.Contains(l[len(l)-1].Note, "e-mail d'origine supprimé après sa durée de conservation (30 jours)") {
		t.Errorf("ledger of the case: %+v, %v", l, err)
	}
}

func TestPrunedNote(t *testing.T) {
	for _, tc := range []struct {
		years, days int
		want        string
	}{{10, 0, "(10 ans)"}, {1, 0, "(1 an)"}, {0, 3650, "(3650 jours)"}} {
		if got := prunedNote(tc.years, tc.days); !strings.Contains(got, tc.want) {
			t.Errorf("prunedNote(%d, %d) = %q", tc.years, tc.days, got)
		}
	}
}
