// Package store keeps Facteur's durable state in one SQLite database and a
// spool directory of raw messages: messages, documents, invoice cases, the
// outbox of replies and an append-only ledger of every state change.
//
// The store knows nothing about IMAP, HTTP or SMTP. It enforces the state
// machines of DESIGN.md: every transition is checked and written to the
// ledger in the same transaction as the change itself.
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
	"time"

	_ "modernc.org/sqlite" // the CGO-free SQLite driver
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrNewerSchema is the error (tested with errors.Is) of opening a
// database written by a newer Facteur: its schema version is beyond the
// migrations this program knows. No migration is applied to it.
var ErrNewerSchema = errors.New("database written by a newer version of Facteur")

// errLocked: a conflicting lock is held on a directory (see lockDir).
var errLocked = errors.New("locked")

// Options tune a store; the zero value is right for production.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// AfterSpool, when set, runs after a raw message is durably spooled and
	// before its row is committed. Tests use it to inject a crash there.
	AfterSpool func() error
}

// Store is Facteur's durable state. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	dir   string
	spool string
	opts  Options
	lock  *os.File // the shared lock on dir, held while the store is open
}

// DatabaseFile is the name of the database in a store's directory.
const DatabaseFile = "facteur.db"

// Open opens (creating when needed) the store kept in dir: dir/facteur.db
// and dir/spool/. It applies pending migrations; a database written by a
// newer Facteur is refused with ErrNewerSchema.
//
// While the store is open, the process holds a shared advisory lock
// (flock(2)) on the directory dir itself: the daemon, `facteur cases` and
// `facteur backup` may have the same store open at once, but Restore, which
// takes the lock exclusively, refuses to write into a directory any of
// them uses; and Open fails while a restore into dir is under way.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("store: create spool: %w", err)
	}
	lock, err := lockDir(dir, false)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("store: %s: a restore into this directory is under way", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dsn := "file:" + filepath.Join(dir, DatabaseFile) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: open database: %w", err)
	}
	// One writer at a time is SQLite's model; a small pool serves readers.
	db.SetMaxOpenConns(4)
	s := &Store{db: db, dir: dir, spool: spool, opts: opts, lock: lock}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		lock.Close()
		return nil, err
	}
	if err := s.recordRestore(ctx); err != nil {
		db.Close()
		lock.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database and releases the directory's lock.
func (s *Store) Close() error {
	err := s.db.Close()
	s.lock.Close()
	return err
}

// Dir is the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

func (s *Store) now() time.Time { return s.opts.Now() }

func (s *Store) migrate(ctx context.Context) error {
	for busy := 0; ; {
		done, err := s.migrateOne(ctx)
		switch {
		case err != nil && isBusy(err) && busy < 100:
			// Another process is creating or migrating the same database
			// (SQLite does not always wait on its busy timeout while a
			// database switches to WAL): wait for it.
			busy++
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		case err != nil || done:
			return err
		}
	}
}

func isBusy(err error) bool {
	return strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked")
}

// migrateOne applies the next pending migration, if any. The version is read
// inside the write transaction, so that two processes opening the same
// database at once (the daemon and `facteur cases`) never apply one twice.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("store: read schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return false, fmt.Errorf("store: %w (schema version %d; this program knows versions up to %d): "+
			"run that newer version, or restore a backup made by this one", ErrNewerSchema, version, len(migrations))
	case version == len(migrations):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	return false, nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Checkpoint returns the UIDVALIDITY and the last ingested UID recorded for
// a mailbox, or zeros when the mailbox was never seen.
func (s *Store) Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	err = s.db.QueryRowContext(ctx,
		"SELECT uidvalidity, last_uid FROM mailboxes WHERE name = ?", mailbox).Scan(&uidValidity, &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("store: checkpoint of %s: %w", mailbox, err)
	}
	return uidValidity, lastUID, nil
}

// SaveCheckpoint records the UIDVALIDITY and last ingested UID of a mailbox.
func (s *Store) SaveCheckpoint(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO mailboxes (name, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
		mailbox, uidValidity, lastUID, millis(s.now()))
	if err != nil {
		return fmt.Errorf("store: save checkpoint of %s: %w", mailbox, err)
	}
	return nil
}

// Ingested is the outcome of ingesting one message: the id of its row and
// whether the row was created (false: the message was already known).
type Ingested struct {
	ID      int64
	Created bool
}

// Ingest records a raw message durably: the bytes are written to the spool
// and fsynced before the row is committed, so a committed row always has its
// bytes. It is idempotent: a message already known by its location
// (mailbox, UIDVALIDITY, UID) or by its content hash in the same mailbox is
// not ingested again (created is false); in the second case its location is
// updated, so that it can still be filed after a UIDVALIDITY change.
func (s *Store) Ingest(ctx context.Context, in Incoming) (id int64, created bool, err error) {
	out, err := s.IngestBatch(ctx, []Incoming{in})
	if err != nil {
		return 0, false, err
	}
	return out[0].ID, out[0].Created, nil
}

// IngestBatch ingests several messages with the durability of Ingest and
// the same outcome as calling Ingest on each, in order, but with one
// directory fsync and one transaction for the whole batch: every spool file
// is written and fsynced, the spool directory is fsynced once after all
// renames, then one transaction inserts every new row with its ledger row.
// A committed row always has its fsynced spool file; a failure before the
// commit leaves nothing committed (at most spool files no row refers to,
// which a later ingestion of the same bytes reuses).
//
// The result has one entry per message of ins, in the same order. Two
// messages of ins at the same location give the same row; the same bytes at
// two locations of one mailbox give one row, relocated to the later one
// (as a copy of a known message does with Ingest).
func (s *Store) IngestBatch(ctx context.Context, ins []Incoming) ([]Ingested, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	hashes := make([]string, len(ins))
	for i, in := range ins {
		sum := sha256.Sum256(in.Raw)
		hashes[i] = hex.EncodeToString(sum[:])
	}
	// Which messages are new, as far as can be told before taking the write
	// lock: only their bytes are spooled (once per distinct content).
	// The transaction decides again, under the lock.
	spooled := make(map[string]bool)
	var toSpool []int
	seen := make(map[[2]string]bool)
	for i, in := range ins {
		key := [2]string{in.Mailbox, hashes[i]}
		if seen[key] || spooled[hashes[i]] {
			continue
		}
		seen[key] = true
		known, err := s.known(ctx, in, hashes[i])
		if err != nil {
			return nil, fmt.Errorf("store: ingest: %w", err)
		}
		if !known {
			spooled[hashes[i]] = true
			toSpool = append(toSpool, i)
		}
	}
	for attempt := 0; ; attempt++ {
		if len(toSpool) > 0 {
			if err := s.writeSpool(hashes, ins, toSpool); err != nil {
				return nil, err
			}
			if s.opts.AfterSpool != nil {
				if err := s.opts.AfterSpool(); err != nil {
					return nil, fmt.Errorf("store: ingest: after spool: %w", err)
				}
			}
		}
		out, missing, err := s.ingestTx(ctx, ins, hashes, spooled)
		switch {
		case err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") && attempt < 3:
			// Another ingestion of the same location won a race: decide
			// again, now that its row is visible.
			toSpool = nil
			continue
		case err != nil:
			return nil, fmt.Errorf("store: ingest: %w", err)
		case len(missing) > 0 && attempt < 3:
			// A message thought known before the lock was taken is not
			// (its row went away): spool it and try again.
			toSpool = missing
			for _, i := range missing {
				spooled[hashes[i]] = true
			}
			continue
		case len(missing) > 0:
			return nil, errors.New("store: ingest: spooled messages keep disappearing")
		}
		return out, nil
	}
}

// known reports whether a message is already in the store, by location or
// by content in its mailbox.
func (s *Store) known(ctx context.Context, in Incoming, hash string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `
SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?
UNION ALL
SELECT 1 FROM messages WHERE mailbox = ? AND sha256 = ?
LIMIT 1`, in.Mailbox, in.UIDValidity, in.UID, in.Mailbox, hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ingestTx records ins in one write transaction, in order. A message that
// is new but whose bytes were not spooled (spooled has no entry for its
// hash) is not inserted: its index is returned in missing and nothing is
// committed.
func (s *Store) ingestTx(ctx context.Context, ins []Incoming, hashes []string, spooled map[string]bool) (out []Ingested, missing []int, err error) {
	err = s.inTx(ctx, func(tx *Tx) error {
		out = make([]Ingested, len(ins))
		missing = nil
		now := millis(tx.now)
		for i, in := range ins {
			var id int64
			err := tx.tx.QueryRowContext(ctx,
				"SELECT id FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
				in.Mailbox, in.UIDValidity, in.UID).Scan(&id)
			if err == nil {
				out[i] = Ingested{ID: id}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			err = tx.tx.QueryRowContext(ctx,
				"SELECT id FROM messages WHERE mailbox = ? AND sha256 = ? ORDER BY id LIMIT 1",
				in.Mailbox, hashes[i]).Scan(&id)
			if err == nil {
				// The same bytes seen at a new location: after a UIDVALIDITY
				// change, or a copy of a message already ingested. Record
				// where it is now so that filing moves this copy; never
				// ingest it twice.
				if _, err := tx.exec(
					"UPDATE messages SET uidvalidity = ?, uid = ?, filed_at = NULL, updated_at = ? WHERE id = ?",
					in.UIDValidity, in.UID, now, id); err != nil {
					return fmt.Errorf("relocate message %d: %w", id, err)
				}
				out[i] = Ingested{ID: id}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if !spooled[hashes[i]] {
				missing = append(missing, i)
				continue
			}
			nd, err := encodeNotDownloaded(in.NotDownloaded)
			if err != nil {
				return err
			}
			res, err := tx.exec(`
INSERT INTO messages (mailbox, uidvalidity, uid, sha256, size, spool_name, state, received_at, updated_at, next_attempt_at, not_downloaded)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				in.Mailbox, in.UIDValidity, in.UID, hashes[i], len(in.Raw), spoolName(hashes[i]), MessageReceived, now, now, now, nd)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			if err != nil {
				return err
			}
			note := fmt.Sprintf("%s uidvalidity=%d uid=%d size=%d", in.Mailbox, in.UIDValidity, in.UID, len(in.Raw))
			if nd := in.NotDownloaded; nd != nil {
				note += fmt.Sprintf(" not downloaded (size=%d limit=%d)", nd.Size, nd.Limit)
			}
			if err := tx.ledger(EntityMessage, id, "", string(MessageReceived), note); err != nil {
				return err
			}
			out[i] = Ingested{ID: id, Created: true}
		}
		if len(missing) > 0 {
			return errMissingSpool
		}
		return nil
	})
	if errors.Is(err, errMissingSpool) {
		return nil, missing, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return out, nil, nil
}

var errMissingSpool = errors.New("spool file missing")

func spoolName(hash string) string { return hash + ".eml" }

// writeSpool writes the bytes of ins[i] for each i of which to
// spool/<hash>.eml: for each, a temporary file, fsync, rename; then one
// fsync of the directory, which makes every rename durable.
func (s *Store) writeSpool(hashes []string, ins []Incoming, which []int) error {
	// Several files are written at once: concurrent fsyncs share the
	// file system's journal commits (about twice the throughput of one
	// after the other on ext4).
	errs := make([]error, len(which))
	var wg sync.WaitGroup
	sem := make(chan struct{}, spoolWriters)
	for k, i := range which {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[k] = s.writeSpoolFile(spoolName(hashes[i]), ins[i].Raw)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d, err := os.Open(s.spool)
	if err != nil {
		return fmt.Errorf("store: spool: open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: spool: fsync dir: %w", err)
	}
	return nil
}

// spoolWriters bounds the spool files written at once by one batch.
const spoolWriters = 16

func (s *Store) writeSpoolFile(name string, raw []byte) error {
	final := filepath.Join(s.spool, name)
	tmp, err := os.CreateTemp(s.spool, ".tmp-*")
	if err != nil {
		return fmt.Errorf("store: spool: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("store: spool: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("store: spool: fsync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store: spool: close: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("store: spool: rename: %w", err)
	}
	return nil
}

// Raw returns the raw bytes of an ingested message, from the spool;
// ErrRawPruned once the retention setting pruned them.
func (s *Store) Raw(ctx context.Context, messageID int64) ([]byte, error) {
	var name string
	var pruned int64
	err := s.db.QueryRowContext(ctx, "SELECT spool_name, raw_pruned_at FROM messages WHERE id = ?", messageID).Scan(&name, &pruned)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: raw of message %d: %w", messageID, err)
	}
	if pruned != 0 {
		return nil, fmt.Errorf("store: raw of message %d: %w on %s", messageID, ErrRawPruned, fromMillis(pruned).Format(time.DateOnly))
	}
	b, err := os.ReadFile(filepath.Join(s.spool, name))
	if err != nil {
		return nil, fmt.Errorf("store: raw of message %d: %w", messageID, err)
	}
	return b, nil
}

// ToFile returns the settled messages of a mailbox whose IMAP copy has not
// been moved to its folder yet.
func (s *Store) ToFile(ctx context.Context, mailbox string) ([]Filing, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT id, uidvalidity, uid, disposition FROM messages
WHERE mailbox = ? AND state IN (?, ?) AND disposition != '' AND filed_at IS NULL
ORDER BY uid`, mailbox, MessageDone, MessageFailed)
	if err != nil {
		return nil, fmt.Errorf("store: to file: %w", err)
	}
	defer rows.Close()
	var out []Filing
	for rows.Next() {
		var f Filing
		if err := rows.Scan(&f.MessageID, &f.UIDValidity, &f.UID, &f.Disposition); err != nil {
			return nil, fmt.Errorf("store: to file: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: to file: %w", err)
	}
	return out, nil
}

// MarkFiled records that a message was moved to its folder.
func (s *Store) MarkFiled(ctx context.Context, messageID int64) error {
	res, err := s.db.ExecContext(ctx, "UPDATE messages SET filed_at = ?, updated_at = ? WHERE id = ?",
		millis(s.now()), millis(s.now()), messageID)
	if err != nil {
		return fmt.Errorf("store: mark message %d filed: %w", messageID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
