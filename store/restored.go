package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A store restored from a backup does not know what the copied daemon did
// after the copy: an invoice routed (or not even decided) in the copy may
// have been deposited on Chorus Pro since, and a message that arrived
// before the restore may be read again from the mailbox. Restore leaves a
// marker beside the database; the first Open records it (table restores),
// and the gateway searches Chorus Pro before the first deposit of every
// case opened before the restore, or in the day after it (DoubtAfterRestore).

// restoredMarker is the file Restore leaves in the data directory for the
// next Open to record.
const restoredMarker = "restored.json"

// DoubtAfterRestore is how long after a restore a new case may still be an
// invoice the copied daemon handled: its message, left in the mailbox,
// read again by the first fetches.
const DoubtAfterRestore = 24 * time.Hour

// restoredInfo is the marker's content.
type restoredInfo struct {
	At             time.Time `json:"at"`
	BackupCreateAt time.Time `json:"backup_created_at"`
}

// writeRestoredMarker writes the marker into dir, durably.
func writeRestoredMarker(dir string, at, backupCreated time.Time) error {
	b, err := json.Marshal(restoredInfo{At: at.UTC(), BackupCreateAt: backupCreated.UTC()})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, restoredMarker), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// recordRestore records the marker Restore left, if any, then removes it.
func (s *Store) recordRestore(ctx context.Context) error {
	path := filepath.Join(s.dir, restoredMarker)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: restore marker: %w", err)
	}
	var info restoredInfo
	if err := json.Unmarshal(b, &info); err != nil || info.At.IsZero() {
		return fmt.Errorf("store: restore marker %s unreadable (%v): the store was restored from a backup; "+
			"delete the file only once you know what was deposited since that backup", path, err)
	}
	if _, err := s.db.ExecContext(ctx, "INSERT OR IGNORE INTO restores (at, backup_created_at) VALUES (?, ?)",
		millis(info.At), millis(info.BackupCreateAt)); err != nil {
		return fmt.Errorf("store: record the restore: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("store: restore marker: %w", err)
	}
	return syncDir(s.dir)
}

// LastRestore is when the store was last restored from a backup (zero if
// never).
func (s *Store) LastRestore(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(at) FROM restores").Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("store: last restore: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return fromMillis(at.Int64), nil
}

// CheckOnceAfterRestore reports whether the case must be searched on Chorus
// Pro before its deposit because of the restore at `restored` (it was
// opened before the restore or within DoubtAfterRestore after it), and
// records that it now is: it says so once per case.
func (tx *Tx) CheckOnceAfterRestore(c Case, restored time.Time) (bool, error) {
	if restored.IsZero() || !c.CreatedAt.Before(restored.Add(DoubtAfterRestore)) {
		return false, nil
	}
	res, err := tx.exec("INSERT OR IGNORE INTO restore_checked (case_id, at) VALUES (?, ?)", c.ID, millis(tx.now))
	if err != nil {
		return false, fmt.Errorf("store: case %d checked after restore: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
