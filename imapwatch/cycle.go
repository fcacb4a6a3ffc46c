package imapwatch

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

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
		for j := range jobs {
			if ingErr = w.ingestGroup(ctx, j, uidValidity, stats); ingErr != nil {
				return
			}
			done = j.last
			if j.endOfBatch {
				if ingErr = w.advance(ctx, uidValidity, done); ingErr != nil {
					return
				}
				done = 0
			}
		}
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

// Bounds of one group of bodies fetched by one command: the bodies of a
// group are held in memory together until they are ingested.
const (
	groupMessages = 32
	groupBytes    = 8 << 20 // announced RFC822.SIZE, in total
)

// bodyGroup is a run of consecutive UIDs of a batch whose bodies are read
// with one UID FETCH and ingested with one Store.IngestBatch.
type bodyGroup struct {
	uids  []imap.UID // every UID of the run, in order
	fetch []imap.UID // those whose body is downloaded (present, announced size within the limit)
}

// groupBodies cuts batch into groups of at most groupMessages bodies to
// download and groupBytes of announced size (a single message bigger than
// groupBytes, within MaxMessageSize, makes a group of its own). Messages
// gone since the SEARCH and those too big to download ride along in the group where
// they fall, so that the UIDs of each group are consecutive in the batch.
func (w *Watcher) groupBodies(batch []imap.UID, metas map[imap.UID]*imapclient.FetchMessageBuffer) []bodyGroup {
	var (
		groups []bodyGroup
		cur    bodyGroup
		size   int64
	)
	maxMsgs := groupMessages
	if w.groupMax > 0 {
		maxMsgs = w.groupMax
	}
	for _, uid := range batch {
		m, ok := metas[uid]
		fetch := ok && m.RFC822Size <= w.opts.MaxMessageSize
		if fetch && len(cur.fetch) > 0 && (len(cur.fetch) >= maxMsgs || size+m.RFC822Size > groupBytes) {
			groups = append(groups, cur)
			cur, size = bodyGroup{}, 0
		}
		cur.uids = append(cur.uids, uid)
		if fetch {
			cur.fetch = append(cur.fetch, uid)
			size += m.RFC822Size
		}
	}
	if len(cur.uids) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// readGroup reads cmd, the UID FETCH (UID BODY.PEEK[]) of g.fetch (nil when
// g has nothing to download), and returns the messages of g to ingest, in
// UID order: the bodies read, and the envelopes of the messages over
// MaxMessageSize (recorded as not downloaded). A message gone from the server is left out.
func (w *Watcher) readGroup(s *session, cmd *imapclient.FetchCommand, g bodyGroup,
	metas map[imap.UID]*imapclient.FetchMessageBuffer, uidValidity uint32) ([]store.Incoming, error) {
	var bodies map[imap.UID][]byte
	var tooBig map[imap.UID]int64
	if cmd != nil {
		var err error
		if bodies, tooBig, err = w.readBodies(cmd, g); err != nil {
			return nil, err
		}
	}
	var ins []store.Incoming
	for _, uid := range g.uids {
		meta, ok := metas[uid]
		var (
			raw []byte
			nd  *store.NotDownloaded
			err error
		)
		switch {
		case !ok:
			// Expunged since the SEARCH: a UID is never reused under the
			// same UIDVALIDITY, so it can be passed.
		case meta.RFC822Size > w.opts.MaxMessageSize:
			raw, nd, err = w.notDownloaded(s, meta, meta.RFC822Size)
		case tooBig[uid] > 0:
			w.log.Warn("message body bigger than its announced size", "uid", uint32(uid),
				"announced", meta.RFC822Size, "size", tooBig[uid])
			raw, nd, err = w.notDownloaded(s, meta, tooBig[uid])
		default:
			raw = bodies[uid]
		}
		if err != nil {
			return nil, err
		}
		if raw == nil {
			w.log.Debug("message vanished before fetch", "uid", uint32(uid))
			continue
		}
		ins = append(ins, store.Incoming{Mailbox: w.opts.Name, UIDValidity: uidValidity, UID: uint32(uid), Raw: raw, NotDownloaded: nd})
	}
	return ins, nil
}

// readBodies reads the answer to cmd, a UID FETCH (UID BODY.PEEK[]) of
// g.fetch (BODY.PEEK, so \Seen is untouched), reading each literal as it
// streams in. A message missing from the answer no longer exists. A body
// bigger than MaxMessageSize (the server announced a smaller RFC822.SIZE)
// is not read: its size is returned in tooBig, to record it as not
// downloaded.
func (w *Watcher) readBodies(cmd *imapclient.FetchCommand, g bodyGroup) (bodies map[imap.UID][]byte, tooBig map[imap.UID]int64, err error) {
	want := imap.UIDSetNum(g.fetch...)
	bodies = make(map[imap.UID][]byte, len(g.fetch))
	var otherUID imap.UID
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var (
			uid   imap.UID
			raw   []byte
			found bool
			big   int64
		)
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataBodySection:
				if found || big > 0 || item.Literal == nil {
					continue
				}
				if n := item.Literal.Size(); n > w.opts.MaxMessageSize {
					big = n // left unread: the client discards it
					continue
				}
				var buf bytes.Buffer
				buf.Grow(int(min(item.Literal.Size(), w.opts.MaxMessageSize)))
				n, err := io.Copy(&buf, item.Literal)
				if err == nil && n != item.Literal.Size() {
					err = io.ErrUnexpectedEOF // the connection ended mid-literal
				}
				if err != nil {
					// The connection failed mid-literal. The command is
					// left as is, not drained: go-imap would read the
					// failed literal again (msg.Next, cmd.Close) while its
					// reader goroutine, released by the error, reads too (a
					// data race). The cycle fails and drops the connection.
					return nil, nil, fmt.Errorf("imapwatch: mailbox %s: fetch bodies of uid %d-%d: read uid %d: %w",
						w.opts.Name, g.fetch[0], g.fetch[len(g.fetch)-1], uid, err)
				}
				raw, found = buf.Bytes(), true
			}
		}
		switch {
		case uid == 0 || !want.Contains(uid):
			if otherUID == 0 {
				otherUID = uid
			}
		case big > 0:
			if tooBig == nil {
				tooBig = make(map[imap.UID]int64)
			}
			tooBig[uid] = big
		case found:
			if raw == nil {
				raw = []byte{}
			}
			bodies[uid] = raw
		}
	}
	from, to := g.fetch[0], g.fetch[len(g.fetch)-1]
	if err := cmd.Close(); err != nil {
		return nil, nil, fmt.Errorf("imapwatch: mailbox %s: fetch bodies of uid %d-%d: %w", w.opts.Name, from, to, err)
	}
	if otherUID != 0 {
		return nil, nil, fmt.Errorf("imapwatch: mailbox %s: fetch bodies of uid %d-%d: server answered uid %d",
			w.opts.Name, from, to, otherUID)
	}
	return bodies, tooBig, nil
}

// advance saves the checkpoint at uid.
func (w *Watcher) advance(ctx context.Context, uidValidity uint32, uid imap.UID) error {
	if err := w.st.SaveCheckpoint(ctx, w.opts.Name, uidValidity, uint32(uid)); err != nil {
		return fmt.Errorf("imapwatch: mailbox %s: save checkpoint uid %d: %w", w.opts.Name, uid, err)
	}
	return nil
}

// structureError reports that a FETCH of BODYSTRUCTURE failed in a way
// that is not a server refusal: most likely a response the client could
// not parse (go-imap #659: unescaped quotes from a broken server), which
// also ends the connection. The cycle is retried on a new connection with
// the batch fetched without BODYSTRUCTURE.
type structureError struct {
	uidValidity uint32
	from, to    imap.UID
	err         error
}

func (e *structureError) Error() string {
	return fmt.Sprintf("fetch metadata of uid %d-%d: %v", e.from, e.to, e.err)
}

func (e *structureError) Unwrap() error { return e.err }

// uidRange is an inclusive range of UIDs under one UIDVALIDITY.
type uidRange struct {
	uidValidity uint32
	from, to    imap.UID
}

// fetchMeta fetches the cheap part of each message of batch that still
// exists: UID, RFC822.SIZE, INTERNALDATE, ENVELOPE and BODYSTRUCTURE, in
// one command. For a batch where BODYSTRUCTURE once failed to parse, only
// UID, RFC822.SIZE and INTERNALDATE are asked for.
func (w *Watcher) fetchMeta(s *session, uidValidity uint32, batch []imap.UID) (map[imap.UID]*imapclient.FetchMessageBuffer, error) {
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}
	plain := w.structureBroken(uidValidity, batch)
	if !plain {
		opts.Envelope = true
		opts.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	}
	msgs, err := s.c.Fetch(imap.UIDSetNum(batch...), opts).Collect()
	if err != nil {
		var imapErr *imap.Error
		if !plain && !errors.As(err, &imapErr) {
			return nil, &structureError{uidValidity: uidValidity, from: batch[0], to: batch[len(batch)-1], err: err}
		}
		return nil, fmt.Errorf("imapwatch: mailbox %s: fetch metadata of uid %d-%d: %w",
			w.opts.Name, batch[0], batch[len(batch)-1], err)
	}
	metas := make(map[imap.UID]*imapclient.FetchMessageBuffer, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			metas[m.UID] = m
		}
	}
	return metas, nil
}

// structureBroken reports whether a UID of batch is in a range where
// BODYSTRUCTURE failed to parse.
func (w *Watcher) structureBroken(uidValidity uint32, batch []imap.UID) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.noStructure {
		if r.uidValidity == uidValidity && batch[0] <= r.to && batch[len(batch)-1] >= r.from {
			return true
		}
	}
	return false
}

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
