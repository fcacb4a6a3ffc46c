package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOpenTwiceKeepsSchema(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := openTest(t, dir, Options{})
	if _, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := openTest(t, dir, Options{})
	var v int
	if err := s2.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version = %d, %v; want %d", v, err, len(migrations))
	}
	var mode string
	if err := s2.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	if _, created, err := s2.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("a")}); err != nil || created {
		t.Fatalf("re-ingest after reopen: created=%v err=%v", created, err)
	}
}

func TestIngestIdempotent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := openTest(t, dir, Options{})
	raw := []byte("Subject: x\r\n\r\nbody\r\n")
	id, created, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 7, UID: 3, Raw: raw})
	if err != nil || !created {
		t.Fatalf("first ingest: %v %v", created, err)
	}
	id2, created, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 7, UID: 3, Raw: raw})
	if err != nil || created || id2 != id {
		t.Fatalf("same location: id=%d created=%v err=%v", id2, created, err)
	}
	// Same bytes after a UIDVALIDITY change: recognised, relocated.
	id3, created, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 8, UID: 1, Raw: raw})
	if err != nil || created || id3 != id {
		t.Fatalf("same content: id=%d created=%v err=%v", id3, created, err)
	}
	m, err := s.Message(ctx, id)
	if err != nil || m.UIDValidity != 8 || m.UID != 1 {
		t.Fatalf("relocated message = %+v, %v", m, err)
	}
	got, err := s.Raw(ctx, id)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("raw = %q, %v", got, err)
	}
	if n := len(spoolFiles(t, dir)); n != 1 {
		t.Fatalf("%d spool files, want 1", n)
	}
	// Different bytes at another UID: a new message.
	if _, created, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 8, UID: 2, Raw: []byte("other")}); err != nil || !created {
		t.Fatalf("new message: %v %v", created, err)
	}
}

func TestIngestCrashBetweenSpoolAndCommit(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	crash := errors.New("injected crash")
	s := openTest(t, dir, Options{AfterSpool: func() error { return crash }})
	raw := []byte("Subject: crash\r\n\r\n")
	if _, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 1, Raw: raw}); !errors.Is(err, crash) {
		t.Fatalf("err = %v, want injected crash", err)
	}
	if n := len(spoolFiles(t, dir)); n != 1 {
		t.Fatalf("spool holds %d files after the crash, want the one spooled", n)
	}
	msgs, _ := s.Messages(ctx, 10)
	if len(msgs) != 0 {
		t.Fatalf("%d rows committed despite the crash", len(msgs))
	}
	s.Close()

	s2 := openTest(t, dir, Options{})
	for i := 0; i < 2; i++ { // the re-fetch after restart, then a second, overlapping one
		if _, _, err := s2.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 1, Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ = s2.Messages(ctx, 10)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after restart, want exactly 1", len(msgs))
	}
	if n := len(spoolFiles(t, dir)); n != 1 {
		t.Fatalf("%d spool files, want 1", n)
	}
}

func TestCheckpoint(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	v, u, err := s.Checkpoint(ctx, "inbox")
	if err != nil || v != 0 || u != 0 {
		t.Fatalf("unknown mailbox: %d %d %v", v, u, err)
	}
	if err := s.SaveCheckpoint(ctx, "inbox", 42, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, "inbox", 42, 10); err != nil {
		t.Fatal(err)
	}
	v, u, err = s.Checkpoint(ctx, "inbox")
	if err != nil || v != 42 || u != 10 {
		t.Fatalf("checkpoint = %d %d %v", v, u, err)
	}
}

func TestCaseLifecycleAndLedger(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	msgID, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 1, Raw: []byte("m")})
	if err != nil {
		t.Fatal(err)
	}
	var c Case
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.MessageParsed(msgID, MessageInfo{Subject: "Facture", From: "a@b.test"}); err != nil {
			return err
		}
		doc, err := tx.AddDocument(msgID, DocumentInfo{Index: 0, Name: "f.pdf", ContentType: "application/pdf", Format: "facturx", IsInvoice: true})
		if err != nil {
			return err
		}
		c, err = tx.CreateCase("FAC", msgID, doc, CaseFields{InvoiceNumber: "F-1"})
		if err != nil {
			return err
		}
		return tx.MoveCase(c.ID, CaseNew, CaseRouted, "", CaseFields{RecipientSIRET: "20007189200067", Engagement: "EJ-1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Ref, "FAC-") || !strings.HasSuffix(c.Ref, "-000001") {
		t.Fatalf("ref = %q", c.Ref)
	}
	// An illegal transition is refused and changes nothing.
	err = s.Update(ctx, func(tx *Tx) error { return tx.MoveCase(c.ID, CaseRouted, CaseIntegrated, "", CaseFields{}) })
	if err == nil {
		t.Fatal("routed → integrated accepted")
	}
	// A transition from a state the case is not in is a conflict.
	err = s.Update(ctx, func(tx *Tx) error { return tx.MoveCase(c.ID, CaseDepositing, CaseDeposited, "", CaseFields{}) })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	got, err := s.Case(ctx, c.ID)
	if err != nil || got.State != CaseRouted || got.Engagement != "EJ-1" || got.InvoiceNumber != "F-1" || got.Document != 0 {
		t.Fatalf("case = %+v, %v", got, err)
	}
	byRef, err := s.CaseByRef(ctx, c.Ref)
	if err != nil || byRef.ID != c.ID {
		t.Fatalf("by ref: %+v %v", byRef, err)
	}
	l, err := s.Ledger(ctx, EntityCase, c.ID)
	if err != nil || len(l) != 2 || l[0].To != "new" || l[1].From != "new" || l[1].To != "routed" {
		t.Fatalf("ledger = %+v, %v", l, err)
	}
	// The ledger is append-only.
	if _, err := s.db.Exec("UPDATE ledger SET note = 'x'"); err == nil {
		t.Fatal("ledger row updated")
	}
	if _, err := s.db.Exec("DELETE FROM ledger"); err == nil {
		t.Fatal("ledger row deleted")
	}
	// A second case in the same year gets the next number.
	err = s.Update(ctx, func(tx *Tx) error {
		c2, err := tx.CreateCase("FAC", msgID, 0, CaseFields{})
		if err != nil {
			return err
		}
		if !strings.HasSuffix(c2.Ref, "-000002") || c2.Document != -1 {
			t.Errorf("second case = %+v", c2)
		}
		return tx.MoveCase(c2.ID, CaseNew, CaseIgnored, "message automatique", CaseFields{})
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Pending(ctx)
	if p.Cases != 1 || p.Messages != 1 {
		t.Fatalf("pending = %+v", p)
	}
	waiting, err := s.MessagesAwaitingSettlement(ctx, 10)
	if err != nil || len(waiting) != 0 {
		t.Fatalf("message settled while a case is routed: %v %v", waiting, err)
	}
}

func TestOutboxOncePerKindAndFiling(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := openTest(t, t.TempDir(), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	msgID, _, _ := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 5, UID: 9, Raw: []byte("m")})
	var caseID int64
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.MessageParsed(msgID, MessageInfo{}); err != nil {
			return err
		}
		c, err := tx.CreateCase("FAC", msgID, 0, CaseFields{})
		if err != nil {
			return err
		}
		caseID = c.ID
		if err := tx.MoveCase(c.ID, CaseNew, CaseAwaitingSupplier, "numéro d'engagement manquant", CaseFields{}); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			_, queued, err := tx.Enqueue(OutboxItem{CaseID: c.ID, Kind: "need_engagement", Recipients: []string{"a@b.test"}, Raw: []byte("x")})
			if err != nil {
				return err
			}
			if queued != (i == 0) {
				t.Errorf("attempt %d: queued = %v", i, queued)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.DueOutbox(ctx, 10)
	if err != nil || len(due) != 1 || due[0].Recipients[0] != "a@b.test" {
		t.Fatalf("due outbox = %+v, %v", due, err)
	}
	// A transient failure pushes the item into the future: not due now.
	err = s.Update(ctx, func(tx *Tx) error { return tx.Retry(EntityOutbox, due[0].ID, now.Add(time.Minute), "451 try later") })
	if err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueOutbox(ctx, 10); len(due) != 0 {
		t.Fatalf("item due despite backoff")
	}
	now = now.Add(2 * time.Minute)
	due, _ = s.DueOutbox(ctx, 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "451 try later" {
		t.Fatalf("after backoff: %+v", due)
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.BeginSend(due[0].ID); err != nil {
			return err
		}
		return tx.OutboxSent(due[0].ID)
	}); err != nil {
		t.Fatal(err)
	}

	if f, _ := s.ToFile(ctx, "inbox"); len(f) != 0 {
		t.Fatalf("unsettled message offered for filing: %+v", f)
	}
	waiting, _ := s.MessagesAwaitingSettlement(ctx, 10)
	if len(waiting) != 1 {
		t.Fatalf("awaiting settlement = %d", len(waiting))
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.MessageDone(msgID, DispositionProcessed) }); err != nil {
		t.Fatal(err)
	}
	f, err := s.ToFile(ctx, "inbox")
	if err != nil || len(f) != 1 || f[0].UID != 9 || f[0].UIDValidity != 5 || f[0].Disposition != DispositionProcessed {
		t.Fatalf("to file = %+v, %v", f, err)
	}
	if err := s.MarkFiled(ctx, msgID); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.ToFile(ctx, "inbox"); len(f) != 0 {
		t.Fatalf("filed message still offered: %+v", f)
	}
	p, _ := s.Pending(ctx)
	if !p.Idle() {
		t.Fatalf("pending = %+v", p)
	}
	items, _ := s.OutboxOfCase(ctx, caseID)
	if len(items) != 1 || items[0].State != OutboxSent || items[0].SentAt.IsZero() {
		t.Fatalf("outbox = %+v", items)
	}
}

func TestMessageFailedIsFiledForReview(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	id, _, _ := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 4, Raw: []byte("garbage")})
	err := s.Update(ctx, func(tx *Tx) error { return tx.MessageFailed(id, MessageReceived, "message illisible") })
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message(ctx, id)
	if m.State != MessageFailed || m.Reason != "message illisible" || m.Disposition != DispositionReview {
		t.Fatalf("message = %+v", m)
	}
	f, _ := s.ToFile(ctx, "inbox")
	if len(f) != 1 || f[0].Disposition != DispositionReview {
		t.Fatalf("to file = %+v", f)
	}
}

func TestConcurrentIngest(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	ctx := context.Background()
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			var err error
			for uid := uint32(1); uid <= 20 && err == nil; uid++ {
				_, _, err = s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uid, Raw: []byte{byte(uid)}})
			}
			errs <- err
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := s.Messages(ctx, 100)
	if len(msgs) != 20 {
		t.Fatalf("%d messages, want 20", len(msgs))
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			s, err := Open(context.Background(), dir, Options{})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestIngestBatch(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	spools := 0
	s := openTest(t, dir, Options{AfterSpool: func() error { spools++; return nil }})
	known := []byte("Subject: known\r\n\r\n")
	moved := []byte("Subject: moved\r\n\r\n")
	knownID, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 1, Raw: known})
	if err != nil {
		t.Fatal(err)
	}
	movedID, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: 2, Raw: moved})
	if err != nil {
		t.Fatal(err)
	}
	spools = 0
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	ins := []Incoming{
		{Mailbox: "inbox", UIDValidity: 1, UID: 1, Raw: known},    // 0: known location
		{Mailbox: "inbox", UIDValidity: 2, UID: 1, Raw: moved},    // 1: known content, relocated
		{Mailbox: "inbox", UIDValidity: 2, UID: 2, Raw: a},        // 2: new
		{Mailbox: "inbox", UIDValidity: 2, UID: 2, Raw: a},        // 3: same location again in the batch
		{Mailbox: "inbox", UIDValidity: 2, UID: 3, Raw: b},        // 4: new
		{Mailbox: "inbox", UIDValidity: 2, UID: 4, Raw: b},        // 5: same bytes at a later UID: relocated
		{Mailbox: "other", UIDValidity: 9, UID: 1, Raw: b},        // 6: same bytes, another mailbox: new
		{Mailbox: "inbox", UIDValidity: 2, UID: 5, Raw: c},        // 7: new
		{Mailbox: "inbox", UIDValidity: 2, UID: 6, Raw: known},    // 8: known content, relocated
		{Mailbox: "inbox", UIDValidity: 2, UID: 7, Raw: []byte{}}, // 9: empty message, new
	}
	out, err := s.IngestBatch(ctx, ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ins) {
		t.Fatalf("%d results for %d messages", len(out), len(ins))
	}
	wantCreated := []bool{false, false, true, false, true, false, true, true, false, true}
	for i, o := range out {
		if o.Created != wantCreated[i] || o.ID == 0 {
			t.Errorf("result %d = %+v, want created=%v", i, o, wantCreated[i])
		}
	}
	if out[0].ID != knownID || out[8].ID != knownID || out[1].ID != movedID {
		t.Errorf("known messages: %+v", out)
	}
	if out[3].ID != out[2].ID || out[5].ID != out[4].ID || out[6].ID == out[4].ID {
		t.Errorf("duplicates inside the batch: %+v", out)
	}
	if spools != 1 {
		t.Errorf("AfterSpool called %d times, want once per batch", spools)
	}
	for _, w := range []struct {
		id       int64
		validity uint32
		uid      uint32
	}{{knownID, 2, 6}, {movedID, 2, 1}, {out[2].ID, 2, 2}, {out[4].ID, 2, 4}, {out[6].ID, 9, 1}} {
		m, err := s.Message(ctx, w.id)
		if err != nil || m.UIDValidity != w.validity || m.UID != w.uid {
			t.Errorf("message %d = %+v, %v; want uidvalidity %d uid %d", w.id, m, err, w.validity, w.uid)
		}
	}
	for i, o := range out {
		got, err := s.Raw(ctx, o.ID)
		if err != nil || string(got) != string(ins[i].Raw) {
			t.Errorf("raw of result %d = %q, %v", i, got, err)
		}
	}
	msgs, _ := s.Messages(ctx, 100)
	if len(msgs) != 7 {
		t.Fatalf("%d messages, want 7", len(msgs))
	}
	// known, moved, a, b, c, empty: b shared by two mailboxes.
	if n := len(spoolFiles(t, dir)); n != 6 {
		t.Fatalf("%d spool files, want 6: %v", n, spoolFiles(t, dir))
	}
	for _, o := range out {
		if !o.Created {
			continue
		}
		l, err := s.Ledger(ctx, EntityMessage, o.ID)
		if err != nil || len(l) != 1 || l[0].To != string(MessageReceived) {
			t.Errorf("ledger of %d = %+v, %v", o.ID, l, err)
		}
	}
	// The same batch again: nothing new, nothing spooled.
	spools = 0
	again, err := s.IngestBatch(ctx, ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if o.Created {
			t.Errorf("second pass, result %d created", i)
		}
	}
	if spools != 0 {
		t.Errorf("second pass spooled")
	}
	if out, err := s.IngestBatch(ctx, nil); err != nil || len(out) != 0 {
		t.Fatalf("empty batch: %v %v", out, err)
	}
}

func TestIngestBatchCrashBetweenSpoolAndCommit(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	crash := errors.New("injected crash")
	s := openTest(t, dir, Options{AfterSpool: func() error { return crash }})
	var ins []Incoming
	for uid := uint32(1); uid <= 5; uid++ {
		ins = append(ins, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uid, Raw: []byte{'m', byte(uid)}})
	}
	if _, err := s.IngestBatch(ctx, ins); !errors.Is(err, crash) {
		t.Fatalf("err = %v, want injected crash", err)
	}
	if n := len(spoolFiles(t, dir)); n != 5 {
		t.Fatalf("spool holds %d files after the crash, want the 5 spooled", n)
	}
	if msgs, _ := s.Messages(ctx, 10); len(msgs) != 0 {
		t.Fatalf("%d rows committed despite the crash", len(msgs))
	}
	s.Close()

	s2 := openTest(t, dir, Options{})
	for i := 0; i < 2; i++ { // the re-fetch after restart, then an overlapping one
		out, err := s2.IngestBatch(ctx, ins)
		if err != nil {
			t.Fatal(err)
		}
		for j, o := range out {
			if o.Created != (i == 0) {
				t.Fatalf("pass %d, message %d: created=%v", i, j, o.Created)
			}
		}
	}
	msgs, _ := s2.Messages(ctx, 10)
	if len(msgs) != 5 {
		t.Fatalf("%d messages after restart, want exactly 5", len(msgs))
	}
	if n := len(spoolFiles(t, dir)); n != 5 {
		t.Fatalf("%d spool files, want 5", n)
	}
}

func TestConcurrentIngestBatch(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	ctx := context.Background()
	errs := make(chan error, 6)
	for w := 0; w < 6; w++ {
		go func() {
			var ins []Incoming
			for uid := uint32(1); uid <= 30; uid++ {
				ins = append(ins, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uid, Raw: []byte{byte(uid)}})
			}
			var err error
			for i := 0; i < len(ins) && err == nil; i += 7 {
				_, err = s.IngestBatch(ctx, ins[i:min(i+7, len(ins))])
			}
			errs <- err
		}()
	}
	for w := 0; w < 6; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := s.Messages(ctx, 100)
	if len(msgs) != 30 {
		t.Fatalf("%d messages, want 30", len(msgs))
	}
}

// A message too big to download is recorded as such in its row, with what
// the server said of it; a message downloaded is not, whatever its bytes
// say.
func TestNotDownloadedIsDataOfTheRow(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	nd := &NotDownloaded{Size: 52 << 20, Limit: 40 << 20, Folder: "INBOX",
		Attachments: []Attachment{{Name: "Facture n° 42.pdf", MediaType: "application/pdf", Size: 50 << 20}, {MediaType: "image/png", Size: 10}}}
	big, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("Subject: gros\r\n\r\n"), NotDownloaded: nd})
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 2, Raw: []byte("X-Facteur-Oversize: 52428800\r\nSubject: x\r\n\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Message(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	if m.NotDownloaded == nil || m.NotDownloaded.Size != nd.Size || m.NotDownloaded.Limit != nd.Limit || m.NotDownloaded.Folder != "INBOX" ||
		len(m.NotDownloaded.Attachments) != 2 || m.NotDownloaded.Attachments[0] != nd.Attachments[0] || m.NotDownloaded.Attachments[1] != nd.Attachments[1] {
		t.Errorf("NotDownloaded = %+v, want %+v", m.NotDownloaded, nd)
	}
	due, err := s.DueMessages(ctx, 10)
	if err != nil || len(due) != 2 || due[0].NotDownloaded == nil || due[1].NotDownloaded != nil {
		t.Errorf("due messages %+v, %v: want the first only recorded as not downloaded", due, err)
	}
	if m, err := s.Message(ctx, forged); err != nil || m.NotDownloaded != nil {
		t.Errorf("a message downloaded is recorded as not downloaded: %+v %v", m.NotDownloaded, err)
	}
}

// A panic in an Update's function rolls its transaction back: the write
// lock is released and nothing of it is committed.
func TestUpdatePanicRollsBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	id, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("Subject: x\r\n\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		s.Update(ctx, func(tx *Tx) error {
			if err := tx.MessageParsed(id, MessageInfo{Subject: "x"}); err != nil {
				return err
			}
			panic("stage failure")
		})
	}()
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx *Tx) error { return tx.MessageParsed(id, MessageInfo{Subject: "y"}) })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after the panic: %v (the first change was committed?)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write lock was never released")
	}
}

// KnownIBAN is the IBAN of the supplier's latest invoice that went through.
func TestKnownIBAN(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	id, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: 1, Raw: []byte("Subject: x\r\n\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var first, held, latest Case
	err = s.Update(ctx, func(tx *Tx) error {
		for _, c := range []struct {
			c     *Case
			iban  string
			state CaseState
		}{{&first, "FR7630006000011234567890189", CaseDeposited}, {&held, "FR7612345000011234567890143", CaseHeld}, {&latest, "", CaseNew}} {
			var err error
			if *c.c, err = tx.CreateCase("FAC", id, 0, CaseFields{SupplierSIRET: "52309874700042", IBAN: c.iban}); err != nil {
				return err
			}
			if c.state == CaseDeposited {
				for _, st := range []CaseState{CaseRouted, CaseDepositing, CaseDeposited} {
					from := map[CaseState]CaseState{CaseRouted: CaseNew, CaseDepositing: CaseRouted, CaseDeposited: CaseDepositing}[st]
					if err := tx.MoveCase(c.c.ID, from, st, "", CaseFields{}); err != nil {
						return err
					}
				}
			} else if c.state == CaseHeld {
				if err := tx.MoveCase(c.c.ID, CaseNew, CaseHeld, "", CaseFields{}); err != nil {
					return err
				}
			}
		}
		iban, ref, err := tx.KnownIBAN("52309874700042", latest.ID)
		if err != nil {
			return err
		}
		if iban != "FR7630006000011234567890189" || ref != first.Ref {
			t.Errorf("KnownIBAN = %q %q; want the deposited invoice's, not the held one's", iban, ref)
		}
		if iban, _, _ := tx.KnownIBAN("52309874700042", first.ID); iban != "" {
			t.Errorf("KnownIBAN except the only one = %q", iban)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
