package imapwatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"facteur/store"
)

// Filing: a settled message is moved to the folder of its disposition
// once the store says its outcome is durable.

// fileSettled moves the settled messages of the current UIDVALIDITY to the
// folders of their dispositions and marks them filed. A failure reported by
// the server for one message (NO/BAD) is logged and the others go on; a
// connection or store failure ends the cycle.
func (w *Watcher) fileSettled(ctx context.Context, s *session, uidValidity uint32, stats *CycleStats) error {
	filings, err := w.st.ToFile(ctx, w.opts.Name)
	if err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: list messages to file: %w", w.opts.Name, err)
	}
	var current []store.Filing
	for _, f := range filings {
		switch {
		case f.UIDValidity != uidValidity:
			// The folder was renumbered since: this UID now names another
			// message, or none. Left for a decision (re-matching by content).
			w.log.Warn("settled message not filed: its UIDVALIDITY is stale",
				"uid", f.UID, "uidvalidity", f.UIDValidity, "current_uidvalidity", uidValidity, "message_id", f.MessageID)
		case w.opts.Folders[f.Disposition] == "":
			w.log.Warn("settled message not filed: no folder for its disposition",
				"uid", f.UID, "disposition", string(f.Disposition), "message_id", f.MessageID)
		default:
			current = append(current, f)
		}
	}
	if len(current) == 0 {
		return nil
	}
	slices.SortFunc(current, func(a, b store.Filing) int { return cmp.Compare(a.UID, b.UID) })

	for batch := range slices.Chunk(current, batchSize) {
		uids := make([]imap.UID, len(batch))
		for i, f := range batch {
			uids[i] = imap.UID(f.UID)
		}
		sd, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("imapwatch: mailbox %s: uid search of messages to file: %w", w.opts.Name, err)
		}
		present, _ := sd.All.(imap.UIDSet)
		for _, f := range batch {
			if present.Contains(imap.UID(f.UID)) {
				err := w.fileOne(s, f)
				var imapErr *imap.Error
				if errors.As(err, &imapErr) {
					w.log.Warn("settled message not filed", "uid", f.UID, "message_id", f.MessageID, "err", err)
					continue
				}
				if err != nil {
					return err
				}
			} else {
				w.log.Info("settled message no longer in the folder, marked filed", "uid", f.UID, "message_id", f.MessageID)
			}
			if err := w.st.MarkFiled(ctx, f.MessageID); err != nil {
				return fmt.Errorf("imapwatch: mailbox %s: mark message %d filed: %w", w.opts.Name, f.MessageID, err)
			}
			stats.Filed++
		}
	}
	return nil
}

// fileOne moves one message to the folder of its disposition: MOVE when
// the server has it, else UID COPY, STORE +FLAGS.SILENT (\Deleted) and
// UID EXPUNGE of that UID only. Without UIDPLUS the original is left
// flagged \Deleted: a plain EXPUNGE could remove messages deleted by
// someone else.
func (w *Watcher) fileOne(s *session, f store.Filing) error {
	dest, err := w.ensureFolder(s, w.opts.Folders[f.Disposition])
	if err != nil {
		return err
	}
	set := imap.UIDSetNum(imap.UID(f.UID))
	if s.move {
		if _, err := s.c.Move(set, dest).Wait(); err != nil {
			return fmt.Errorf("imapwatch: mailbox %s: move uid %d to %q: %w", w.opts.Name, f.UID, dest, err)
		}
	} else {
		if _, err := s.c.Copy(set, dest).Wait(); err != nil {
			return fmt.Errorf("imapwatch: mailbox %s: copy uid %d to %q: %w", w.opts.Name, f.UID, dest, err)
		}
		if err := s.c.Store(set, &imap.StoreFlags{
			Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted},
		}, nil).Close(); err != nil {
			return fmt.Errorf("imapwatch: mailbox %s: flag uid %d \\Deleted: %w", w.opts.Name, f.UID, err)
		}
		if s.uidplus {
			if err := s.c.UIDExpunge(set).Close(); err != nil {
				return fmt.Errorf("imapwatch: mailbox %s: uid expunge %d: %w", w.opts.Name, f.UID, err)
			}
		} else {
			w.log.Warn("server lacks UIDPLUS: original copied and flagged \\Deleted, not expunged",
				"uid", f.UID, "folder", dest)
		}
	}
	w.log.Info("message filed", "uid", f.UID, "folder", dest, "disposition", string(f.Disposition), "message_id", f.MessageID)
	return nil
}

// ensureFolder returns the server name of folder, creating it when LIST
// does not show it. Known folders are remembered for the session.
func (w *Watcher) ensureFolder(s *session, folder string) (string, error) {
	name := s.serverName(folder)
	if s.exists[name] {
		return name, nil
	}
	list, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return "", fmt.Errorf("imapwatch: mailbox %s: list %q: %w", w.opts.Name, name, err)
	}
	for _, l := range list {
		if l.Mailbox == name && !slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) &&
			!slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			s.exists[name] = true
			return name, nil
		}
	}
	if err := s.c.Create(name, nil).Wait(); err != nil {
		var imapErr *imap.Error
		if !errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeAlreadyExists {
			return "", fmt.Errorf("imapwatch: mailbox %s: create %q: %w", w.opts.Name, name, err)
		}
	} else {
		w.log.Info("folder created", "folder", name)
	}
	s.exists[name] = true
	return name, nil
}
