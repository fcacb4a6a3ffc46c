package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigration4KeepsTheOutbox: a database at schema version 3 with a
// queued reply is migrated; the reply keeps its id and case, and items
// about no case (a digest) can be queued, once per topic.
func TestMigration4KeepsTheOutbox(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// A database as version 3 left it.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "facteur.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:3] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		"PRAGMA user_version = 3",
		`INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, spool_name, received_at, updated_at)
		 VALUES (1, 'm', 1, 1, 'x', 1, 'f', 0, 0)`,
		`INSERT INTO cases (id, ref, message_id, state, created_at, updated_at) VALUES (7, 'FAC-2026-000007', 1, 'awaiting_supplier', 0, 0)`,
		`INSERT INTO outbox (id, case_id, kind, header_message_id, envelope_from, recipients, subject, raw, created_at, updated_at)
		 VALUES (42, 7, 'need_engagement', 'id@x', '', 'a@b.fr', 'Numéro', 'raw', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTest(t, dir, Options{})
	items, err := s.OutboxOfCase(ctx, 7)
	if err != nil || len(items) != 1 || items[0].ID != 42 || items[0].Kind != "need_engagement" || items[0].State != OutboxQueued {
		t.Fatalf("after migration: %+v, %v", items, err)
	}
	digest := OutboxItem{Topic: "digest:2026-11-26", Kind: "digest", HeaderMessageID: "d@x", Recipients: []string{"f@x.fr"}, Subject: "Point", Raw: []byte("r")}
	for i, want := range []bool{true, false} {
		var queued bool
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			_, queued, err = tx.Enqueue(digest)
			return err
		})
		if err != nil || queued != want {
			t.Fatalf("digest enqueue %d: queued %v, %v; want %v", i+1, queued, err, want)
		}
	}
	due, err := s.DueOutbox(ctx, 10)
	if err != nil || len(due) != 2 || due[1].Topic != "digest:2026-11-26" || due[1].CaseID != 0 {
		t.Fatalf("due outbox: %+v, %v", due, err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { _, _, err := tx.Enqueue(OutboxItem{Kind: "digest"}); return err }); err == nil {
		t.Error("an item with neither case nor topic was queued")
	}
	// A reply to the digest is a reply to no case.
	err = s.Update(ctx, func(tx *Tx) error {
		c, err := tx.CaseRepliedTo([]string{"<d@x>"})
		if err != nil || c != nil {
			t.Errorf("answer to the digest: case %v, %v", c, err)
		}
		c, err = tx.CaseRepliedTo([]string{"id@x"})
		if err != nil || c == nil || c.ID != 7 {
			t.Errorf("answer to the migrated reply: case %v, %v", c, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
