package imapwatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"facteur/store"
)

// Fetching: the cheap part of a batch first (UID, size, date, envelope,
// structure), then the bodies in groups of consecutive messages.

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
