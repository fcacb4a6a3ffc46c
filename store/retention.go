package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The retention of raw messages: once every case of a message is finished,
// Facteur no longer needs its raw bytes; after the configured time they may
// be pruned. The message's row, its documents, cases, replies and ledger
// stay; the row is marked (raw_pruned_at), each of its cases gets a ledger
// note saying so (`facteur cases show` prints it), and its spool file is
// deleted unless another message (the same bytes in another mailbox) still
// needs it.

// ErrRawPruned is the error (errors.Is) of Raw for a message whose raw
// bytes were pruned by the retention setting.
var ErrRawPruned = errors.New("raw message pruned by the retention setting")

// retainedUntilFinished are the case states after which the raw message is
// needed no more: nothing automatic will happen to the case again, and no
// answer is awaited (an answer to an awaiting_supplier case, a release by
// finance staff of a held one, the lifecycle of an integrated invoice still
// followed: all may read it again).
var finishedStates = []CaseState{CasePaid, CaseRejected, CaseIgnored, CaseDuplicate, CaseGuided}

// PruneOptions tune PruneRaw.
type PruneOptions struct {
	// Batch is how many messages one transaction prunes (default 100):
	// the write lock is held that long only.
	Batch int
	// Pause is the wait between two batches, for the daemon's own work.
	Pause time.Duration
	// Max bounds the messages pruned by one call; 0: no bound.
	Max int
	// CaseNote is the ledger note written on each case of a pruned message,
	// for finance staff (`facteur cases show`); default "raw message pruned".
	CaseNote string
}

// Pruned is what PruneRaw did.
type Pruned struct {
	Messages int  // rows marked pruned
	Files    int  // spool files deleted
	Busy     bool // stopped because a backup is copying the spool
}

// PruneRaw prunes, in batches, the raw messages of the settled and filed
// messages received before receivedBefore whose cases are all finished.
// It stops early (Busy) while a backup is copying the spool: the next call
// goes on.
func (s *Store) PruneRaw(ctx context.Context, receivedBefore time.Time, o PruneOptions) (Pruned, error) {
	var done Pruned
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.CaseNote == "" {
		o.CaseNote = "raw message pruned"
	}
	cutoff := millis(receivedBefore)
	bound, err := s.firstReceivedFrom(ctx, cutoff)
	if err != nil {
		return done, fmt.Errorf("store: prune: %w", err)
	}
	for after := int64(0); o.Max == 0 || done.Messages < o.Max; {
		batch := o.Batch
		if o.Max > 0 {
			batch = min(batch, o.Max-done.Messages)
		}
		unlock, err := s.spoolLock(ctx, true)
		if errors.Is(err, errLocked) {
			done.Busy = true
			return done, nil
		}
		if err != nil {
			return done, fmt.Errorf("store: prune: %w", err)
		}
		last, n, files, err := s.pruneBatch(ctx, after, bound, cutoff, batch, o.CaseNote)
		unlock()
		done.Messages += n
		done.Files += files
		if err != nil {
			return done, fmt.Errorf("store: prune: %w", err)
		}
		if last == 0 {
			return done, nil // nothing more to prune
		}
		after = last
		if o.Pause > 0 {
			select {
			case <-ctx.Done():
				return done, ctx.Err()
			case <-time.After(o.Pause):
			}
		}
	}
	return done, nil
}

// firstReceivedFrom returns the smallest id m such that the first message
// at or after id m was received at or after cutoff (or there is none): the
// messages received before cutoff are the ids below it. Messages are
// numbered in the order they are received, so a binary search over the ids
// finds it with a few index lookups, without an index on received_at.
func (s *Store) firstReceivedFrom(ctx context.Context, cutoff int64) (int64, error) {
	var maxID int64
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM messages").Scan(&maxID); err != nil {
		return 0, err
	}
	lo, hi := int64(1), maxID+1 // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		var at int64
		err := s.db.QueryRowContext(ctx, "SELECT received_at FROM messages WHERE id >= ? ORDER BY id LIMIT 1", mid).Scan(&at)
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return 0, err
		case err == nil && at < cutoff:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return lo, nil
}

// prunable selects the messages whose raw message may be pruned, by id
// ("+m.state": read in id order, not through the index of a million
// settled messages).
const prunable = `
FROM messages m
WHERE m.id > ? AND m.id < ? AND m.raw_pruned_at = 0 AND +m.state = ? AND m.filed_at IS NOT NULL AND m.received_at < ?
AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.message_id = m.id AND c.state NOT IN (?, ?, ?, ?, ?))`

func prunableArgs(after, bound, cutoff int64) []any {
	args := []any{after, bound, MessageDone, cutoff}
	for _, st := range finishedStates {
		args = append(args, st)
	}
	return args
}

// pruneBatch prunes up to n messages with ids after after: it marks them
// and notes it in the ledger in one transaction, then deletes the spool
// files no other message needs. last is the id of the last message looked
// at (0: none left).
func (s *Store) pruneBatch(ctx context.Context, after, bound, cutoff int64, n int, caseNote string) (last int64, pruned, files int, err error) {
	type candidate struct {
		id         int64
		sha, spool string
	}
	rows, err := s.db.QueryContext(ctx, "SELECT m.id, m.sha256, m.spool_name"+prunable+" ORDER BY m.id LIMIT ?",
		append(prunableArgs(after, bound, cutoff), n)...)
	if err != nil {
		return 0, 0, 0, err
	}
	cands, err := collect(rows, func(row interface{ Scan(...any) error }) (candidate, error) {
		var c candidate
		err := row.Scan(&c.id, &c.sha, &c.spool)
		return c, err
	})
	if err != nil || len(cands) == 0 {
		return 0, 0, 0, err
	}
	last = cands[len(cands)-1].id
	var unneeded []string // spool files no message still needs
	err = s.inTx(ctx, func(tx *Tx) error {
		pruned, unneeded = 0, nil
		mailboxes, err := tx.mailboxes()
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, c := range cands {
			// Decided again under the write lock: a case may have been
			// released meanwhile.
			res, err := tx.exec("UPDATE messages SET raw_pruned_at = ? WHERE id IN (SELECT m.id"+prunable+")",
				append([]any{millis(tx.now)}, prunableArgs(c.id-1, c.id+1, cutoff)...)...)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			pruned++
			if err := tx.Note(EntityMessage, c.id, string(MessageDone), "raw message pruned (retention)"); err != nil {
				return err
			}
			if err := tx.noteCases(c.id, caseNote); err != nil {
				return err
			}
			if seen[c.spool] {
				continue
			}
			seen[c.spool] = true
			needed, err := tx.rawNeeded(mailboxes, c.sha)
			if err != nil {
				return err
			}
			if !needed {
				unneeded = append(unneeded, c.spool)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	for _, name := range unneeded {
		deleted, err := s.deleteSpoolFile(name)
		if err != nil {
			return last, pruned, files, err
		}
		if deleted {
			files++
		}
	}
	if files > 0 {
		if err := syncDir(s.spool); err != nil {
			return last, pruned, files, err
		}
	}
	return last, pruned, files, nil
}

// mailboxes lists the mailboxes messages were ingested from, one index
// lookup each.
func (tx *Tx) mailboxes() ([]string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `
WITH RECURSIVE mb(name) AS (
	SELECT MIN(mailbox) FROM messages
	UNION ALL
	SELECT (SELECT MIN(mailbox) FROM messages WHERE mailbox > mb.name) FROM mb WHERE mb.name IS NOT NULL)
SELECT name FROM mb WHERE name IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var n string
		err := row.Scan(&n)
		return n, err
	})
}

// rawNeeded reports whether a message not pruned has the raw bytes of hash
// (spool files are named by their content: the same bytes ingested in two
// mailboxes share one).
func (tx *Tx) rawNeeded(mailboxes []string, sha string) (bool, error) {
	for _, mb := range mailboxes {
		var n int
		err := tx.tx.QueryRowContext(tx.ctx, "SELECT COUNT(*) FROM messages WHERE mailbox = ? AND sha256 = ? AND raw_pruned_at = 0", mb, sha).Scan(&n)
		if err != nil || n > 0 {
			return n > 0, err
		}
	}
	return false, nil
}

// noteCases writes note in the ledger of every case of a message.
func (tx *Tx) noteCases(messageID int64, note string) error {
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT id, state FROM cases WHERE message_id = ? ORDER BY id", messageID)
	if err != nil {
		return err
	}
	type cs struct {
		id    int64
		state string
	}
	cases, err := collect(rows, func(row interface{ Scan(...any) error }) (cs, error) {
		var c cs
		err := row.Scan(&c.id, &c.state)
		return c, err
	})
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := tx.Note(EntityCase, c.id, c.state, note); err != nil {
			return err
		}
	}
	return nil
}

// recentSpoolWrite is how recent a spool file's modification must be for
// the pruning to take it for one Ingest just wrote again (the same bytes,
// arrived anew in another mailbox) and keep it.
const recentSpoolWrite = 24 * time.Hour

// deleteSpoolFile deletes a spool file no message needs any more. The
// file is first renamed aside: if it turns out to be freshly written (an
// ingestion of the same bytes spooled them again meanwhile, and will
// commit a row needing them), it is put back; else it is deleted. A file
// already gone counts as deleted.
func (s *Store) deleteSpoolFile(name string) (bool, error) {
	path := filepath.Join(s.spool, name)
	aside := filepath.Join(s.spool, ".pruned-"+name)
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	fi, err := os.Stat(aside)
	if err != nil {
		return false, err
	}
	if time.Since(fi.ModTime()) < recentSpoolWrite {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return false, os.Rename(aside, path)
		}
	}
	return true, os.Remove(aside)
}

// RawPruned returns when the raw message of a message was pruned (zero
// while it is kept).
func (s *Store) RawPruned(ctx context.Context, messageID int64) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, "SELECT raw_pruned_at FROM messages WHERE id = ?", messageID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: message %d: %w", messageID, err)
	}
	return fromMillis(at), nil
}
