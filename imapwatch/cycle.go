package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"facteur/guard"
	"facteur/store"
)

// cycle runs one cycle on an authenticated session.
func (w *Watcher) cycle(ctx context.Context, s *session) (CycleStats, error) {
	var stats CycleStats
	folder := s.serverName(w.opts.Folder)
	sel, err := s.c.Select(folder, &imap.SelectOptions{}).Wait()
	if err != nil {
		return stats, fmt.Errorf("imapwatch: mailbox %s: select %q: %w", w.opts.Name, folder, err)
	}
	uidValidity := sel.UIDValidity
	if uidValidity == 0 {
		return stats, fmt.Errorf("imapwatch: mailbox %s: select %q: server gave no UIDVALIDITY", w.opts.Name, folder)
	}
	if err := w.ingestNew(ctx, s, sel, &stats); err != nil {
		return stats, err
	}
	if err := w.fileSettled(ctx, s, uidValidity, &stats); err != nil {
		return stats, err
	}
	return stats, nil
}

// ingestNew fetches and ingests the messages above the checkpoint, in UID
// order, saving the checkpoint after each one. It stops at the first
// failure, so the checkpoint is always the last UID below which everything
// was ingested.
func (w *Watcher) ingestNew(ctx context.Context, s *session, sel *imap.SelectData, stats *CycleStats) error {
	uidValidity := sel.UIDValidity
	cpValidity, lastUID, err := w.st.Checkpoint(ctx, w.opts.Name)
	if err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: read checkpoint: %w", w.opts.Name, err)
	}
	if cpValidity != uidValidity {
		if cpValidity != 0 {
			// The server renumbered the folder: every message may have a
			// new UID. Start again from the first one; the store's content
			// hash turns the messages already known into no-ops.
			w.log.Warn("UIDVALIDITY changed, re-reading the whole folder",
				"old_uidvalidity", cpValidity, "uidvalidity", uidValidity, "old_last_uid", lastUID)
		}
		lastUID = 0
		if err := w.st.SaveCheckpoint(ctx, w.opts.Name, uidValidity, 0); err != nil {
			return fmt.Errorf("imapwatch: mailbox %s: save checkpoint: %w", w.opts.Name, err)
		}
	}
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && uint32(sel.UIDNext) <= lastUID+1) {
		return nil // nothing above the checkpoint
	}

	sd, err := s.c.UIDSearch(&imap.SearchCriteria{
		UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(lastUID + 1), Stop: 0}}}, // lastUID+1:*
	}, nil).Wait()
	if err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: uid search %d:*: %w", w.opts.Name, lastUID+1, err)
	}
	var uids []imap.UID
	if set, ok := sd.All.(imap.UIDSet); ok {
		all, ok := set.Nums()
		if !ok {
			return fmt.Errorf("imapwatch: mailbox %s: uid search: server answered a dynamic set", w.opts.Name)
		}
		// "n:*" always matches the highest UID, even when it is below n.
		for _, u := range all {
			if uint32(u) > lastUID {
				uids = append(uids, u)
			}
		}
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if len(uids) == 0 {
		return nil
	}
	w.log.Debug("new messages", "count", len(uids), "from_uid", uint32(uids[0]), "uidvalidity", uidValidity)

	// Bodies are fetched several messages per command (see groupBodies),
	// and each group is ingested by a second goroutine while the next one
	// is read from the server, so that the transfer overlaps the store's
	// fsyncs. Every store call of the drain is made by that goroutine, one
	// at a time, in UID order. The checkpoint is saved at the end of each
	// batch (and when the cycle stops early), at the last UID of the last
	// group whose ingestion is durable: a crash re-fetches at most one
	// batch, which IngestBatch's idempotence turns into no-ops.
	var (
		jobs    = make(chan groupJob)
		ingDone = make(chan struct{})
		ingErr  error    // set by the ingester before ingDone is closed
		done    imap.UID // owned by the ingester until ingDone is closed
	)
	go func() {
		defer close(ingDone)
		// This goroutine has a panic boundary of its own: the cycle's
		// does not reach it.
		ingErr = guard.Call(w.log, "imap ingest "+w.opts.Name, func() error {
			for j := range jobs {
				if err := w.ingestGroup(ctx, j, uidValidity, stats); err != nil {
					return err
				}
				done = j.last
				if j.endOfBatch {
					if err := w.advance(ctx, uidValidity, done); err != nil {
						return err
					}
					done = 0
				}
			}
			return nil
		})
	}()
	submit := func(j groupJob) error {
		select {
		case jobs <- j:
			return nil
		case <-ingDone:
			return errIngesterStopped
		}
	}
	err = w.readGroups(s, uids, uidValidity, submit)
	close(jobs)
	<-ingDone
	if done != 0 {
		// Saved even when ctx is done (shutdown): progress is kept.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logoutTimeout)
		defer cancel()
		if err := w.advance(sctx, uidValidity, done); err != nil {
			w.log.Warn("checkpoint not saved", "err", err)
		}
	}
	if ingErr != nil {
		return ingErr
	}
	return err
}

var errIngesterStopped = errors.New("ingester stopped")

// groupJob is a group of messages read from the server, to be ingested.
type groupJob struct {
	ins        []store.Incoming
	atts       []int    // number of attachments of each message of ins, for the log
	last       imap.UID // last UID of the group: durable once ins is ingested
	endOfBatch bool     // save the checkpoint after this group
}

// readGroups fetches the metadata of uids batch by batch, then their
// bodies group by group, and hands each group to submit, in UID order. The
// FETCH of the next group is sent before the current group is handed over:
// at most one FETCH is in flight besides the one being read.
func (w *Watcher) readGroups(s *session, uids []imap.UID, uidValidity uint32, submit func(groupJob) error) error {
	for batch := range slices.Chunk(uids, batchSize) {
		metas, err := w.fetchMeta(s, uidValidity, batch)
		if err != nil {
			return err
		}
		groups := w.groupBodies(batch, metas)
		var next *imapclient.FetchCommand
		start := func(i int) {
			next = nil
			if i < len(groups) && len(groups[i].fetch) > 0 {
				next = s.c.Fetch(imap.UIDSetNum(groups[i].fetch...), &imap.FetchOptions{
					UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
				})
			}
		}
		start(0)
		for i, g := range groups {
			ins, err := w.readGroup(s, next, g, metas, uidValidity)
			if err != nil {
				return err
			}
			start(i + 1)
			j := groupJob{ins: ins, last: g.uids[len(g.uids)-1], endOfBatch: i == len(groups)-1}
			for _, in := range ins {
				j.atts = append(j.atts, len(attachments(metas[imap.UID(in.UID)].BodyStructure)))
			}
			if err := submit(j); err != nil {
				if next != nil {
					next.Close() // drain the pipelined FETCH
				}
				return err
			}
		}
	}
	return nil
}

// ingestGroup ingests the messages of j with one IngestBatch.
func (w *Watcher) ingestGroup(ctx context.Context, j groupJob, uidValidity uint32, stats *CycleStats) error {
	if len(j.ins) == 0 {
		return nil
	}
	stats.Fetched += len(j.ins)
	out, err := w.st.IngestBatch(ctx, j.ins)
	if err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: ingest uid %d-%d: %w",
			w.opts.Name, j.ins[0].UID, j.ins[len(j.ins)-1].UID, err)
	}
	for k, o := range out {
		uid := j.ins[k].UID
		if o.Created {
			stats.Ingested++
			w.log.Info("message ingested", "uid", uid, "uidvalidity", uidValidity, "size", len(j.ins[k].Raw),
				"message_id", o.ID, "attachments", j.atts[k])
		} else {
			w.log.Debug("message already known", "uid", uid, "uidvalidity", uidValidity, "message_id", o.ID)
		}
	}
	return nil
}

// advance saves the checkpoint at uid.
func (w *Watcher) advance(ctx context.Context, uidValidity uint32, uid imap.UID) error {
	if err := w.st.SaveCheckpoint(ctx, w.opts.Name, uidValidity, uint32(uid)); err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: save checkpoint uid %d: %w", w.opts.Name, uid, err)
	}
	return nil
}
