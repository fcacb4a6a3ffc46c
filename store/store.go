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
	"time"

	_ "modernc.org/sqlite" // the CGO-free SQLite driver
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

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
}

// Open opens (creating when needed) the store kept in dir: dir/facteur.db
// and dir/spool/. It applies pending migrations.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("store: create spool: %w", err)
	}
	dsn := "file:" + filepath.Join(dir, "facteur.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", err)
	}
	// One writer at a time is SQLite's model; a small pool serves readers.
	db.SetMaxOpenConns(4)
	s := &Store{db: db, dir: dir, spool: spool, opts: opts}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

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
		return false, fmt.Errorf("store: database schema version %d is newer than this program (%d)", version, len(migrations))
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

// Ingest records a raw message durably: the bytes are written to the spool
// and fsynced before the row is committed, so a committed row always has its
// bytes. It is idempotent: a message already known by its location
// (mailbox, UIDVALIDITY, UID) or by its content hash in the same mailbox is
// not ingested again (created is false); in the second case its location is
// updated, so that it can still be filed after a UIDVALIDITY change.
func (s *Store) Ingest(ctx context.Context, in Incoming) (id int64, created bool, err error) {
	sum := sha256.Sum256(in.Raw)
	hash := hex.EncodeToString(sum[:])

	err = s.db.QueryRowContext(ctx,
		"SELECT id FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
		in.Mailbox, in.UIDValidity, in.UID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("store: ingest: %w", err)
	}

	var oldValidity, oldUID uint32
	err = s.db.QueryRowContext(ctx,
		"SELECT id, uidvalidity, uid FROM messages WHERE mailbox = ? AND sha256 = ? ORDER BY id LIMIT 1",
		in.Mailbox, hash).Scan(&id, &oldValidity, &oldUID)
	if err == nil {
		// The same bytes seen at a new location: after a UIDVALIDITY change,
		// or a copy of a message already ingested. Record where it is now so
		// that filing moves this copy; never ingest it twice.
		_, err = s.db.ExecContext(ctx,
			"UPDATE messages SET uidvalidity = ?, uid = ?, filed_at = NULL, updated_at = ? WHERE id = ?",
			in.UIDValidity, in.UID, millis(s.now()), id)
		if err != nil {
			return 0, false, fmt.Errorf("store: ingest: relocate message %d: %w", id, err)
		}
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("store: ingest: %w", err)
	}

	name, err := s.writeSpool(hash, in.Raw)
	if err != nil {
		return 0, false, err
	}
	if s.opts.AfterSpool != nil {
		if err := s.opts.AfterSpool(); err != nil {
			return 0, false, fmt.Errorf("store: ingest: after spool: %w", err)
		}
	}

	now := millis(s.now())
	err = s.inTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `
INSERT INTO messages (mailbox, uidvalidity, uid, sha256, size, spool_name, state, received_at, updated_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Mailbox, in.UIDValidity, in.UID, hash, len(in.Raw), name, MessageReceived, now, now, now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return tx.ledger(EntityMessage, id, "", string(MessageReceived),
			fmt.Sprintf("%s uidvalidity=%d uid=%d size=%d", in.Mailbox, in.UIDValidity, in.UID, len(in.Raw)))
	})
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		// Another ingestion of the same location won the race: same outcome.
		qerr := s.db.QueryRowContext(ctx,
			"SELECT id FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
			in.Mailbox, in.UIDValidity, in.UID).Scan(&id)
		if qerr == nil {
			return id, false, nil
		}
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: ingest: %w", err)
	}
	return id, true, nil
}

// writeSpool writes raw to spool/<hash>.eml: a temporary file, fsync,
// rename, fsync of the directory. It returns the file's name.
func (s *Store) writeSpool(hash string, raw []byte) (string, error) {
	name := hash + ".eml"
	final := filepath.Join(s.spool, name)
	tmp, err := os.CreateTemp(s.spool, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("store: spool: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: spool: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: spool: fsync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("store: spool: close: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("store: spool: rename: %w", err)
	}
	d, err := os.Open(s.spool)
	if err != nil {
		return "", fmt.Errorf("store: spool: open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return "", fmt.Errorf("store: spool: fsync dir: %w", err)
	}
	return name, nil
}

// Raw returns the raw bytes of an ingested message, from the spool.
func (s *Store) Raw(ctx context.Context, messageID int64) ([]byte, error) {
	var name string
	err := s.db.QueryRowContext(ctx, "SELECT spool_name FROM messages WHERE id = ?", messageID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: raw of message %d: %w", messageID, err)
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
