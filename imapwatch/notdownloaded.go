package imapwatch

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"

	"facteur/store"
)

// A message bigger than MaxMessageSize is not downloaded, but it is not
// skipped either: its envelope is ingested, so that the case is visible in
// the store (and to finance staff) and the checkpoint can move on, and the
// row records that the message was not downloaded, with what the server
// said of it. The original stays in the mailbox, untouched. What people are
// told about it is the router's and the notifier's business.

// notDownloaded returns what is ingested for a message too big to download:
// its envelope as a header block, and its description. Both are nil when
// the message no longer exists. The envelope comes from meta, or from a
// FETCH when meta has none.
func (w *Watcher) notDownloaded(s *session, meta *imapclient.FetchMessageBuffer, size int64) ([]byte, *store.NotDownloaded, error) {
	uid := meta.UID
	atts := attachments(meta.BodyStructure)
	w.log.Warn("message too big, not downloaded: its envelope is ingested",
		"uid", uint32(uid), "size", size, "max", w.opts.MaxMessageSize, "attachments", attachmentNames(atts))
	env, date := meta.Envelope, meta.InternalDate
	if env == nil {
		msgs, err := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
			UID: true, Envelope: true, InternalDate: true,
		}).Collect()
		if err != nil {
			return nil, nil, fmt.Errorf("imapwatch: mailbox %s: fetch envelope of uid %d: %w", w.opts.Name, uid, err)
		}
		found := false
		for _, m := range msgs {
			if m.UID == uid {
				env, date, found = m.Envelope, m.InternalDate, true
			}
		}
		if !found {
			return nil, nil, nil
		}
	}
	raw, err := envelopeMessage(env, date)
	if err != nil {
		return nil, nil, err
	}
	return raw, &store.NotDownloaded{Size: size, Limit: w.opts.MaxMessageSize, Folder: w.opts.Folder, Attachments: atts}, nil
}

// envelopeMessage writes an IMAP ENVELOPE as an RFC 5322 message without a
// body: the original From, Sender, Reply-To, To, Cc, Subject, Date,
// Message-ID and In-Reply-To (Date falls back to INTERNALDATE). It depends
// only on its inputs, so fetching the same message again yields the same
// bytes and the store's content-hash deduplication still applies. Nothing
// in it says the message was not downloaded: that is data of the store's
// row, which no sender can write.
func envelopeMessage(env *imap.Envelope, internalDate time.Time) ([]byte, error) {
	if env == nil {
		env = &imap.Envelope{}
	}
	var h mail.Header
	// go-message writes fields in the reverse order of insertion.
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if len(env.InReplyTo) > 0 {
		var ids []string
		for _, id := range env.InReplyTo {
			if id = cleanMsgID(id); id != "" {
				ids = append(ids, id)
			}
		}
		h.SetMsgIDList("In-Reply-To", ids)
	}
	if id := cleanMsgID(env.MessageID); id != "" {
		h.SetMessageID(id)
	}
	h.SetSubject(cleanText(env.Subject))
	from := mailAddresses(env.From)
	for _, f := range []struct {
		key   string
		addrs []*mail.Address
	}{{"Cc", mailAddresses(env.Cc)}, {"To", mailAddresses(env.To)},
		{"Reply-To", mailAddresses(env.ReplyTo)}, {"Sender", mailAddresses(env.Sender)}, {"From", from}} {
		// The server fills an absent Sender or Reply-To with From: write
		// them only when they say something else.
		if len(f.addrs) == 0 || (f.key == "Reply-To" || f.key == "Sender") && sameAddrs(f.addrs, from) {
			continue
		}
		h.SetAddressList(f.key, f.addrs)
	}
	date := env.Date
	if date.IsZero() {
		date = internalDate
	}
	h.SetDate(date)

	var buf bytes.Buffer
	wr, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("imapwatch: envelope of a message not downloaded: %w", err)
	}
	if err := wr.Close(); err != nil {
		return nil, fmt.Errorf("imapwatch: envelope of a message not downloaded: %w", err)
	}
	return buf.Bytes(), nil
}

// mailAddresses converts envelope addresses, dropping group markers and
// addresses without a domain.
func mailAddresses(in []imap.Address) []*mail.Address {
	var out []*mail.Address
	for _, a := range in {
		addr := a.Addr()
		if addr == "" || strings.ContainsAny(addr, "\r\n<>, \t\"") {
			continue
		}
		out = append(out, &mail.Address{Name: cleanText(a.Name), Address: addr})
	}
	return out
}

func sameAddrs(a, b []*mail.Address) bool {
	return slices.EqualFunc(a, b, func(x, y *mail.Address) bool {
		return strings.EqualFold(x.Address, y.Address)
	})
}

// cleanText makes a decoded header value safe to write back: control
// characters (CR, LF included) become spaces, runs of spaces collapse, and
// the result is cut to a sane length.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// cleanMsgID keeps a message identifier only if it can be written back
// between angle brackets as is.
func cleanMsgID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 500 {
		return ""
	}
	for _, r := range id {
		if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
			return ""
		}
	}
	return id
}
