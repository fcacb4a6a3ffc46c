package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A backup is a directory holding a consistent copy of a store:
//
//	facteur.db            the database, as of one instant (VACUUM INTO)
//	spool/                the raw message of every row of that database
//	facteur-backup.json   the manifest (BackupInfo), written last
//
// It is made while the daemon runs. The database is copied first, in one
// read transaction (a snapshot: writers go on meanwhile), then the spool
// files its rows name. That is enough for the copy to be whole: a spool
// file is written and fsynced before its row is committed and never
// changed afterwards, so every file the snapshot names exists, with the
// bytes its name (their SHA-256) says, and files spooled later are
// simply not part of the backup. The one deletion of spool files, the
// retention of raw messages (PruneRaw), waits while a backup is copying
// them (see spoolLock). Each file copied is checked against its hash.

// BackupManifest is the name of a backup's manifest file.
const BackupManifest = "facteur-backup.json"

// backupFormat is the version of the layout of a backup directory.
const backupFormat = 1

// BackupInfo describes a backup; it is its manifest.
type BackupInfo struct {
	Format        int       `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	SchemaVersion int       `json:"schema_version"`
	Messages      int       `json:"messages"`
	Cases         int       `json:"cases"`
	SpoolFiles    int       `json:"spool_files"`
	SpoolBytes    int64     `json:"spool_bytes"`
	DatabaseBytes int64     `json:"database_bytes"`
	// Work in flight at the instant of the copy: messages not settled,
	// cases not yet deposited (new, routed, depositing), replies not sent.
	// A store restored from the copy carries it on; if the daemon that
	// was copied went on after the copy, some of it may have been done
	// already (see the README, "Backup and restore").
	PendingMessages int `json:"pending_messages"`
	PendingCases    int `json:"pending_cases"`
	QueuedReplies   int `json:"queued_replies"`
}

// InFlight reports whether work was in flight at the instant of the copy.
func (b BackupInfo) InFlight() bool {
	return b.PendingMessages+b.PendingCases+b.QueuedReplies > 0
}

// ErrInUse is the error (errors.Is) of a restore into a data directory a
// Facteur process has open (the daemon, `facteur cases`, a backup).
var ErrInUse = errors.New("the data directory is in use by a running Facteur")

// ErrNotEmpty is the error (errors.Is) of a backup or a restore into a
// directory that already holds something: a restore never overwrites a
// store, a backup never mixes with other files.
var ErrNotEmpty = errors.New("the directory is not empty")

// Backup writes a consistent copy of the store into dst, which must be
// absent or empty. The store stays open and in use meanwhile. On failure,
// what was written into dst is removed.
func (s *Store) Backup(ctx context.Context, dst string) (info BackupInfo, err error) {
	dst, err = filepath.Abs(dst)
	if err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	cleanup, err := prepareEmptyDir(dst)
	if err != nil {
		return info, fmt.Errorf("store: backup into %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	spoolDst := filepath.Join(dst, "spool")
	if err := os.Mkdir(spoolDst, 0o750); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}

	unlock, err := s.spoolLock(ctx, false)
	if err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	defer unlock()
	dbDst := filepath.Join(dst, DatabaseFile)
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", dbDst); err != nil {
		return info, fmt.Errorf("store: backup: copy the database: %w", err)
	}
	if err := os.Chmod(dbDst, 0o600); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	if info, err = describeDatabase(ctx, dbDst); err != nil {
		return info, fmt.Errorf("store: backup: the copy: %w", err)
	}
	files, bytes, err := copySpool(ctx, dbDst, s.spool, spoolDst)
	if err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	unlock()
	if files != info.SpoolFiles {
		return info, fmt.Errorf("store: backup: %d spool files copied, the database names %d", files, info.SpoolFiles)
	}
	if err := syncDir(spoolDst); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	info.Format, info.CreatedAt, info.SpoolBytes = backupFormat, s.now().UTC().Truncate(time.Second), bytes
	if info.DatabaseBytes, err = fileSize(dbDst); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	if err := writeManifest(dst, info); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	return info, nil
}

// Restore copies the backup in src into dst, the data directory of a store,
// which must be absent or empty: a restore never overwrites a store. It
// refuses with ErrInUse while a Facteur process has a store open in dst
// (the daemon, `facteur cases`), with ErrNotEmpty when dst holds anything,
// and with ErrNewerSchema a backup made by a newer Facteur. The backup is
// checked before dst is touched (manifest, database integrity, every spool
// file its rows name, each against its hash while copied); the database is
// put in place last, so that an interrupted restore leaves no store that
// would lack its raw messages. A backup of an earlier schema is migrated
// when the store is next opened.
func Restore(ctx context.Context, src, dst string) (BackupInfo, error) {
	return RestoreAt(ctx, src, dst, time.Now())
}

// RestoreAt is Restore, the restore recorded as made at `at` (the clock of
// the daemon that will run the store, in tests).
func RestoreAt(ctx context.Context, src, dst string, at time.Time) (info BackupInfo, err error) {
	if src, err = filepath.Abs(src); err == nil {
		dst, err = filepath.Abs(dst)
	}
	if err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	info, err = checkBackup(ctx, src)
	if err != nil {
		return info, fmt.Errorf("store: restore from %s: %w", src, err)
	}

	if err := os.MkdirAll(dst, 0o750); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	lock, err := lockDir(dst, true)
	if errors.Is(err, errLocked) {
		return info, fmt.Errorf("store: restore into %s: %w (stop it first: systemctl stop facteur)", dst, ErrInUse)
	}
	if err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	defer lock.Close()
	if err := checkRestorable(dst); err != nil {
		return info, fmt.Errorf("store: restore into %s: %w", dst, err)
	}

	staging := filepath.Join(dst, restoreStaging)
	if err := os.Mkdir(staging, 0o750); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	defer os.RemoveAll(staging) // empty once the restore is done
	stagedSpool := filepath.Join(staging, "spool")
	if err := os.Mkdir(stagedSpool, 0o750); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	stagedDB := filepath.Join(staging, DatabaseFile)
	if _, err := copyFile(filepath.Join(src, DatabaseFile), stagedDB, ""); err != nil {
		return info, fmt.Errorf("store: restore: the database: %w", err)
	}
	if _, _, err := copySpool(ctx, stagedDB, filepath.Join(src, "spool"), stagedSpool); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	if err := syncDir(stagedSpool); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	// The spool first, the database last: until the database is there,
	// dst holds no store.
	if err := os.Remove(filepath.Join(dst, "spool")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	if err := os.Rename(stagedSpool, filepath.Join(dst, "spool")); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	if err := syncDir(dst); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	// The mark of the restore, before the database: the first Open records
	// it, and the gateway searches Chorus Pro before depositing what the
	// copied daemon may have deposited after the copy.
	if err := writeRestoredMarker(dst, at, info.CreatedAt); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	if err := os.Rename(stagedDB, filepath.Join(dst, DatabaseFile)); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	if err := syncDir(dst); err != nil {
		return info, fmt.Errorf("store: restore: %w", err)
	}
	return info, nil
}

// restoreStaging is the directory, inside the destination, a restore
// copies into before putting the store in place.
const restoreStaging = ".facteur-restore"

// checkRestorable reports why dir may not receive a restore: it must hold
// nothing but an empty spool/ (what Open makes before anything else), a
// file system's lost+found, or what an interrupted restore left in its
// staging directory.
func checkRestorable(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var other []string
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasPrefix(name, DatabaseFile):
			return fmt.Errorf("%w: it holds a database (%s); move the directory aside to restore into an empty one", ErrNotEmpty, name)
		case name == restoreStaging:
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return err
			}
		case name == "lost+found" && e.IsDir():
		case name == restoredMarker: // an interrupted restore's, rewritten
		case name == "spool" && e.IsDir():
			inner, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			if len(inner) > 0 {
				other = append(other, "spool/ ("+fmt.Sprint(len(inner))+" files)")
			}
		default:
			other = append(other, name)
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("%w: it holds %s", ErrNotEmpty, strings.Join(other, ", "))
	}
	return nil
}

// checkBackup checks the backup in dir before anything is restored from
// it (manifest, database integrity and schema version, every spool file
// its rows name) and returns its manifest.
func checkBackup(ctx context.Context, dir string) (BackupInfo, error) {
	var info BackupInfo
	b, err := os.ReadFile(filepath.Join(dir, BackupManifest))
	if errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("not a complete Facteur backup: no %s", BackupManifest)
	}
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", BackupManifest, err)
	}
	if info.Format != backupFormat {
		return info, fmt.Errorf("%s: backup format %d, this program reads format %d", BackupManifest, info.Format, backupFormat)
	}
	dbPath := filepath.Join(dir, DatabaseFile)
	if _, err := os.Stat(dbPath); err != nil {
		return info, err
	}
	db, err := openReadOnly(dbPath)
	if err != nil {
		return info, err
	}
	var check string
	err = db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check)
	db.Close()
	if err != nil {
		return info, fmt.Errorf("the database: %w", err)
	}
	if check != "ok" {
		return info, fmt.Errorf("the database is damaged: %s", check)
	}
	got, err := describeDatabase(ctx, dbPath)
	if err != nil {
		return info, fmt.Errorf("the database: %w", err)
	}
	if got.SchemaVersion > len(migrations) {
		return info, fmt.Errorf("%w (schema version %d; this program knows versions up to %d): restore it with that version",
			ErrNewerSchema, got.SchemaVersion, len(migrations))
	}
	if got.Messages != info.Messages || got.Cases != info.Cases || got.SpoolFiles != info.SpoolFiles {
		return info, fmt.Errorf("the database holds %d messages, %d cases and names %d spool files; the manifest says %d, %d and %d",
			got.Messages, got.Cases, got.SpoolFiles, info.Messages, info.Cases, info.SpoolFiles)
	}
	var missing []string
	err = eachSpoolName(ctx, dbPath, func(n string) error {
		if _, err := os.Stat(filepath.Join(dir, "spool", n)); err != nil {
			missing = append(missing, n)
		}
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("the database: %w", err)
	}
	if len(missing) > 0 {
		return info, fmt.Errorf("%d spool file(s) missing from the backup, e.g. spool/%s", len(missing), missing[0])
	}
	return info, nil
}

func openReadOnly(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// describeDatabase reads a copied database: its schema version and how
// many messages, cases and distinct spool files (raw messages not pruned)
// it holds.
func describeDatabase(ctx context.Context, path string) (BackupInfo, error) {
	var info BackupInfo
	db, err := openReadOnly(path)
	if err != nil {
		return info, err
	}
	defer db.Close()
	where, err := unprunedClause(ctx, db)
	if err != nil {
		return info, err
	}
	err = db.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM messages),
	(SELECT COUNT(*) FROM cases), (SELECT COUNT(DISTINCT spool_name) FROM messages`+where+`),
	(SELECT COUNT(*) FROM messages WHERE state IN (?, ?)), (SELECT COUNT(*) FROM cases WHERE state IN (?, ?, ?)),
	(SELECT COUNT(*) FROM outbox WHERE state IN (?, ?))`,
		MessageReceived, MessageParsed, CaseNew, CaseRouted, CaseDepositing, OutboxQueued, OutboxSending).
		Scan(&info.SchemaVersion, &info.Messages, &info.Cases, &info.SpoolFiles, &info.PendingMessages, &info.PendingCases, &info.QueuedReplies)
	return info, err
}

// unprunedClause selects the messages whose raw message is in the spool:
// all of them in a database from before the retention of raw messages.
func unprunedClause(ctx context.Context, db *sql.DB) (string, error) {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'raw_pruned_at'").Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	return " WHERE raw_pruned_at = 0", nil
}

// eachSpoolName calls fn with each spool file the database at path names
// (raw messages not pruned), once each, in order.
func eachSpoolName(ctx context.Context, path string, fn func(name string) error) error {
	db, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	where, err := unprunedClause(ctx, db)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT spool_name FROM messages"+where+" ORDER BY spool_name")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n != filepath.Base(n) || n == "." || n == ".." || n == "" {
			return fmt.Errorf("spool name %q is not a file name", n)
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return rows.Err()
}

// copySpool copies the spool files the database at dbPath names from one
// spool directory to another (several at once), checking each against the
// hash its name carries, and returns how many files and bytes it copied.
func copySpool(ctx context.Context, dbPath, from, to string) (files int, bytes int64, err error) {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	work := make(chan string)
	for range spoolCopiers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				want := strings.TrimSuffix(n, ".eml")
				if len(want) != sha256.Size*2 || want == n {
					want = "" // not a name Ingest gives: copied unchecked
				}
				size, err := copyFile(filepath.Join(from, n), filepath.Join(to, n), want)
				mu.Lock()
				files++
				bytes += size
				if err != nil {
					errs = append(errs, fmt.Errorf("spool file %s: %w", n, err))
				}
				mu.Unlock()
			}
		}()
	}
	errFailed := errors.New("a copy failed")
	err = eachSpoolName(ctx, dbPath, func(n string) error {
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed {
			return errFailed
		}
		select {
		case work <- n:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return files, bytes, fmt.Errorf("%d spool file(s) not copied: %w", len(errs), errs[0])
	}
	return files, bytes, err
}

// spoolCopiers is how many spool files are copied at once (their fsyncs
// share the file system's journal commits).
const spoolCopiers = 8

// copyFile copies a file to a new file (never over an existing one),
// fsynced; with wantSHA set, the bytes must have that SHA-256.
func copyFile(from, to, wantSHA string) (int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && wantSHA != "" && hex.EncodeToString(h.Sum(nil)) != wantSHA {
		err = fmt.Errorf("damaged: its bytes do not have the SHA-256 its name says")
	}
	if err == nil {
		// The modification time goes with the bytes: the pruning of raw
		// messages reads a recent one as a file just spooled again.
		var fi os.FileInfo
		if fi, err = in.Stat(); err == nil {
			err = os.Chtimes(to, time.Time{}, fi.ModTime())
		}
	}
	if err != nil {
		os.Remove(to)
		return n, err
	}
	return n, nil
}

// prepareEmptyDir makes sure dir exists and is empty, and returns what
// removes what is written into it afterwards (dir too, if it was made
// here).
func prepareEmptyDir(dir string) (cleanup func(), err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		return func() { os.RemoveAll(dir) }, nil
	case err != nil:
		return nil, err
	case len(entries) > 0:
		return nil, fmt.Errorf("%w (it holds %s)", ErrNotEmpty, entries[0].Name())
	}
	return func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}, nil
}

func writeManifest(dir string, info BackupInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, BackupManifest+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, BackupManifest))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// spoolLock takes the lock that keeps backups and the pruning of raw
// messages apart (a flock on the spool directory): shared by a backup,
// which waits for a pruning batch to end; exclusive by a pruning batch,
// which does not wait (errLocked: a backup is copying the spool). The lock
// is released by the returned function (once, however often it is called).
func (s *Store) spoolLock(ctx context.Context, exclusive bool) (unlock func(), err error) {
	for {
		f, err := lockDir(s.spool, exclusive)
		if err == nil {
			var once sync.Once
			return func() { once.Do(func() { f.Close() }) }, nil
		}
		if !errors.Is(err, errLocked) || exclusive {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
