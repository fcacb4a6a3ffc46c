package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ingestWithCase ingests one message and opens a case for it, as the
// gateway does once it parsed the message.
func ingestWithCase(ctx context.Context, s *Store, mailbox string, uid uint32) (int64, error) {
	raw := fmt.Appendf(nil, "From: f%d@example.com\r\nSubject: Facture %s-%d\r\n\r\n%s\r\n", uid, mailbox, uid, make([]byte, 200+uid%300))
	id, _, err := s.Ingest(ctx, Incoming{Mailbox: mailbox, UIDValidity: 1, UID: uid, Raw: raw})
	if err != nil {
		return 0, err
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.MessageParsed(id, MessageInfo{Subject: fmt.Sprintf("Facture %s-%d", mailbox, uid)}); err != nil {
			return err
		}
		_, err := tx.CreateCase("FAC", id, 0, CaseFields{InvoiceNumber: fmt.Sprintf("%s-%d", mailbox, uid)})
		return err
	})
	return id, err
}

// TestBackupDuringIngestion: a backup made while messages are being
// ingested (and cases opened) from several goroutines holds everything
// committed before it started; restored into a new data directory, every
// message, case and raw message of the copy is there and readable.
func TestBackupDuringIngestion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	for uid := uint32(1); uid <= 40; uid++ {
		if _, err := ingestWithCase(ctx, s, "before", uid); err != nil {
			t.Fatal(err)
		}
	}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		ingested atomic.Int64
		errs     = make(chan error, 4)
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for uid := uint32(1); !stop.Load(); uid++ {
				if _, err := ingestWithCase(ctx, s, fmt.Sprintf("during%d", w), uid); err != nil {
					errs <- err
					return
				}
				ingested.Add(1)
			}
		}()
	}
	for ingested.Load() < 20 { // the writers are well under way
		if len(errs) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	bk := filepath.Join(t.TempDir(), "backup")
	started := 40 + int(ingested.Load()) // messages with their case committed before the backup began
	info, err := s.Backup(ctx, bk)
	atBackup := ingested.Load()
	for ingested.Load() < atBackup+20 && len(errs) == 0 { // and go on after it
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ingestion: %v", err)
	}
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	// A message whose case is not opened yet may be in the copy (the
	// gateway opens it after the restore, as after a crash).
	if info.Messages < started || info.Cases < started || info.Cases > info.Messages || info.SpoolFiles != info.Messages ||
		info.SchemaVersion != len(migrations) {
		t.Fatalf("backup begun after %d messages and cases were committed: %+v", started, info)
	}
	total, _ := s.Pending(ctx)
	t.Logf("backup: %+v; %d messages ingested during the test, %d pending", info, ingested.Load(), total.Messages)

	// Restored into a data directory that does not exist yet.
	restored := filepath.Join(t.TempDir(), "var", "lib", "facteur")
	rinfo, err := Restore(ctx, bk, restored)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if rinfo != info {
		t.Errorf("restore reports %+v, the backup %+v", rinfo, info)
	}
	if _, err := os.Stat(filepath.Join(restored, restoredMarker)); err != nil {
		t.Fatalf("no restore marker left for the next Open: %v", err)
	}
	r := openTest(t, restored, Options{})
	if at, err := r.LastRestore(ctx); err != nil || at.IsZero() || time.Since(at) > time.Minute {
		t.Errorf("restore recorded at %v, %v", at, err)
	}
	if _, err := os.Stat(filepath.Join(restored, restoredMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("restore marker still there once recorded: %v", err)
	}
	if at, err := s.LastRestore(ctx); err != nil || !at.IsZero() {
		t.Errorf("the store backed up was never restored, yet: %v, %v", at, err)
	}
	msgs, err := r.Messages(ctx, 1_000_000)
	if err != nil || len(msgs) != info.Messages {
		t.Fatalf("restored messages: %d, %v; want %d", len(msgs), err, info.Messages)
	}
	before := 0
	for _, m := range msgs {
		raw, err := r.Raw(ctx, m.ID)
		if err != nil {
			t.Fatalf("message %d: %v", m.ID, err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != m.SHA256 {
			t.Fatalf("message %d: restored bytes differ", m.ID)
		}
		live, err := s.Message(ctx, m.ID)
		if err != nil || live.SHA256 != m.SHA256 || live.Mailbox != m.Mailbox || live.UID != m.UID {
			t.Fatalf("message %d: restored %+v, live %+v, %v", m.ID, m, live, err)
		}
		cases, err := r.CasesOfMessage(ctx, m.ID)
		switch {
		case err != nil || len(cases) > 1:
			t.Fatalf("cases of message %d: %+v, %v", m.ID, cases, err)
		case len(cases) == 1 && cases[0].InvoiceNumber != fmt.Sprintf("%s-%d", m.Mailbox, m.UID):
			t.Fatalf("case of message %d: %+v", m.ID, cases[0])
		case len(cases) == 0 && m.State != MessageReceived:
			t.Fatalf("message %d is %s without its case", m.ID, m.State)
		}
		if m.Mailbox == "before" {
			before++
		}
	}
	if before != 40 {
		t.Errorf("%d of the 40 messages ingested before the backup were restored", before)
	}
	cases, err := r.Cases(ctx, CaseFilter{Limit: 1_000_000})
	if err != nil || len(cases) != info.Cases {
		t.Errorf("restored cases: %d, %v; want %d", len(cases), err, info.Cases)
	}
	if n := len(spoolFiles(t, restored)); n != info.SpoolFiles {
		t.Errorf("%d files in the restored spool, want %d", n, info.SpoolFiles)
	}
	// The restored store takes new work where the copy left it.
	if _, err := ingestWithCase(ctx, r, "after", 1); err != nil {
		t.Fatalf("ingest into the restored store: %v", err)
	}
}

// smallBackup makes a store of a few messages and its backup.
func smallBackup(t *testing.T) (bk string, info BackupInfo) {
	t.Helper()
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	for uid := uint32(1); uid <= 3; uid++ {
		if _, err := ingestWithCase(ctx, s, "m", uid); err != nil {
			t.Fatal(err)
		}
	}
	bk = filepath.Join(t.TempDir(), "backup")
	info, err := s.Backup(ctx, bk)
	if err != nil {
		t.Fatal(err)
	}
	return bk, info
}

// TestRestoreRefuses: a restore never overwrites a store, nor writes into
// a data directory a Facteur process has open, nor restores a damaged or
// incomplete backup, or one from a newer Facteur; the destination is left
// as it was.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	bk, _ := smallBackup(t)

	t.Run("a store is open in the destination", func(t *testing.T) {
		dst := t.TempDir()
		openTest(t, dst, Options{}) // the daemon, running
		if _, err := Restore(ctx, bk, dst); !errors.Is(err, ErrInUse) {
			t.Fatalf("restore: %v; want ErrInUse", err)
		}
	})
	t.Run("the destination holds a database", func(t *testing.T) {
		dst := t.TempDir()
		openTest(t, dst, Options{}).Close() // the daemon ran, and was stopped
		_, err := Restore(ctx, bk, dst)
		if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "holds a database") {
			t.Fatalf("restore: %v; want ErrNotEmpty, a database", err)
		}
		if _, err := os.Stat(filepath.Join(dst, DatabaseFile)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the destination holds other files", func(t *testing.T) {
		dst := t.TempDir()
		os.WriteFile(filepath.Join(dst, "notes.txt"), []byte("x"), 0o600)
		if _, err := Restore(ctx, bk, dst); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "notes.txt") {
			t.Fatalf("restore: %v; want ErrNotEmpty naming notes.txt", err)
		}
	})
	t.Run("not a backup", func(t *testing.T) {
		src := t.TempDir()
		openTest(t, src, Options{}).Close() // a data directory, not a backup
		dst := filepath.Join(t.TempDir(), "d")
		if _, err := Restore(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "not a complete Facteur backup") {
			t.Fatalf("restore: %v", err)
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("destination made: %v", err)
		}
	})
	damaged := func(t *testing.T, damage func(bk string)) (string, error) {
		t.Helper()
		bk, _ := smallBackup(t)
		damage(bk)
		dst := filepath.Join(t.TempDir(), "d")
		_, err := Restore(ctx, bk, dst)
		if _, serr := os.Stat(filepath.Join(dst, DatabaseFile)); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("a database was restored from a damaged backup: %v", serr)
		}
		return dst, err
	}
	t.Run("a spool file is missing", func(t *testing.T) {
		_, err := damaged(t, func(bk string) { os.Remove(filepath.Join(bk, "spool", spoolFiles(t, bk)[0])) })
		if err == nil || !strings.Contains(err.Error(), "missing from the backup") {
			t.Fatalf("restore: %v", err)
		}
	})
	t.Run("a spool file is damaged", func(t *testing.T) {
		dst, err := damaged(t, func(bk string) {
			p := filepath.Join(bk, "spool", spoolFiles(t, bk)[1])
			b, _ := os.ReadFile(p)
			b[0] ^= 1
			os.WriteFile(p, b, 0o600)
		})
		if err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("restore: %v", err)
		}
		// Nothing was put in place: the restore can be made again, from
		// a good backup.
		good, _ := smallBackup(t)
		if _, err := Restore(ctx, good, dst); err != nil {
			t.Fatalf("restore after a failed one: %v", err)
		}
	})
	t.Run("the database is from a newer Facteur", func(t *testing.T) {
		_, err := damaged(t, func(bk string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(bk, DatabaseFile))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
				t.Fatal(err)
			}
		})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("restore: %v; want ErrNewerSchema", err)
		}
	})
	t.Run("into an empty directory", func(t *testing.T) {
		dst := t.TempDir()
		os.Mkdir(filepath.Join(dst, "spool"), 0o750)
		if _, err := Restore(ctx, bk, dst); err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(ctx, bk, dst); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("second restore over the first: %v", err)
		}
		r := openTest(t, dst, Options{})
		if msgs, err := r.Messages(ctx, 10); err != nil || len(msgs) != 3 {
			t.Fatalf("restored: %d messages, %v", len(msgs), err)
		}
	})
}

// TestBackupRefusesANonEmptyDirectory: a backup is never mixed with other
// files, and what was there is left alone.
func TestBackupRefusesANonEmptyDirectory(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "old"), []byte("x"), 0o600)
	if _, err := s.Backup(ctx, dst); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("backup: %v; want ErrNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "old")); err != nil {
		t.Fatal(err)
	}
	// A failed backup leaves nothing behind.
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	bk := filepath.Join(t.TempDir(), "b")
	if _, err := s.Backup(ctx2, bk); err == nil {
		t.Fatal("backup with a cancelled context succeeded")
	}
	if _, err := os.Stat(bk); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed backup left %s: %v", bk, err)
	}
}

// TestUnreadableRestoreMarkerRefused: a store whose restore marker cannot
// be read is not opened: without it, what the copied daemon deposited after
// the backup could be deposited again.
func TestUnreadableRestoreMarkerRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, restoredMarker), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(context.Background(), dir, Options{}); err == nil || !strings.Contains(err.Error(), "restored from a backup") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("open with an unreadable restore marker: %v", err)
	}
}
