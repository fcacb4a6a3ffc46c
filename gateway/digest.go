package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"facteur/notifier"
	"facteur/store"
)

// DigestOptions configure the daily digest to finance staff.
type DigestOptions struct {
	To []string // finance staff; empty: no digest
	// Next gives the time of the digest after a given time (the
	// configured schedule).
	Next func(time.Time) time.Time
	// WaitingAfter is how long a request may stay unanswered before it is
	// listed (default 7 days).
	WaitingAfter time.Duration
	Mailboxes    []string // the addresses suppliers write to, named in the digest
	// PageURL is the finance staff's page ([web] public_url), "" when
	// none: the digest links each case to its page.
	PageURL string
}

// queueDigest puts the digest in the outbox when its time has come: the
// first scheduled time after the previous digest (after the first start
// when there was none). One digest a day at most: the day is its topic.
func (g *Gateway) queueDigest(ctx context.Context) (int, error) {
	d := g.o.Digest
	if len(d.To) == 0 || d.Next == nil {
		return 0, nil
	}
	now := g.now()
	last, err := g.o.Store.LastOutbox(ctx, string(notifier.KindDigest))
	var since time.Time
	switch {
	case err == nil:
		since = last.CreatedAt
	case errors.Is(err, store.ErrNotFound):
		if g.started.IsZero() {
			g.started = now
		}
	default:
		return 0, err
	}
	base := since
	if base.IsZero() {
		base = g.started
	}
	if now.Before(d.Next(base)) {
		return 0, nil
	}
	topic := "digest:" + now.Format("2006-01-02")
	if err == nil && last.Topic == topic {
		return 0, nil // already queued today (the schedule fires twice a day)
	}
	if g.digestFailed == topic {
		return 0, nil
	}
	dg, err := g.digest(ctx, since, now)
	if err != nil {
		return 0, err // the store failed: so would every step
	}
	raw, msgID, err := notifier.ComposeDigest(dg, now)
	if err != nil {
		// Not the store's fault: the digest is given up for the day, and
		// the other work (the replies to suppliers) goes on.
		g.digestFailed = topic
		g.log.Error("digest not composed; none today", "topic", topic, "err", err)
		return 0, nil
	}
	err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.Enqueue(store.OutboxItem{
			Topic: topic, Kind: string(notifier.KindDigest), HeaderMessageID: msgID, EnvelopeFrom: g.o.EnvelopeFrom,
			Recipients: notifier.DigestRecipients(dg), Subject: subjectOf(raw), Raw: raw,
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("gateway: queue digest: %w", err)
	}
	g.log.Info("digest queued", "topic", topic, "held", max(len(dg.Held), dg.HeldTotal))
	return 1, nil
}

// digest gathers what the digest tells for the period from since to now.
func (g *Gateway) digest(ctx context.Context, since, now time.Time) (notifier.Digest, error) {
	d := notifier.Digest{
		Organisation: g.o.Organisation, From: g.o.From, To: g.o.Digest.To,
		Mailboxes: g.o.Digest.Mailboxes, Since: since, PageURL: g.o.Digest.PageURL,
	}
	st := g.o.Store
	msgs, err := st.Transitions(ctx, store.EntityMessage, since)
	if err != nil {
		return d, err
	}
	for _, t := range msgs {
		if t.From == "" && t.To == string(store.MessageReceived) {
			d.Counts.Received += t.N
		}
	}
	cases, err := st.Transitions(ctx, store.EntityCase, since)
	if err != nil {
		return d, err
	}
	for _, t := range cases {
		switch store.CaseState(t.To) {
		case store.CaseDeposited, store.CaseIntegrated:
			if store.CaseState(t.From) == store.CaseDepositing {
				d.Counts.Deposited += t.N
			}
		case store.CasePaid:
			d.Counts.Paid += t.N
		case store.CaseAwaitingSupplier:
			d.Counts.Asked += t.N
		case store.CaseGuided:
			d.Counts.Guided += t.N
		case store.CaseRejected:
			d.Counts.Rejected += t.N
		case store.CaseHeld:
			d.Counts.Held += t.N
		}
	}
	// Each list holds the most recent cases only (what a digest shows),
	// with the count of them all: ten years may leave thousands held,
	// and the digest must not read them every day.
	list := func(f store.CaseFilter) ([]notifier.DigestCase, int, error) {
		f.Limit = notifier.DigestListed
		cs, err := st.Cases(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		n := len(cs)
		if n == notifier.DigestListed {
			if n, err = st.CountCases(ctx, f); err != nil {
				return nil, 0, err
			}
		}
		out := make([]notifier.DigestCase, 0, len(cs))
		for i := len(cs) - 1; i >= 0; i-- { // oldest first
			out = append(out, digestCase(cs[i], cs[i].Reason))
		}
		return out, n, nil
	}
	if d.Held, d.HeldTotal, err = list(store.CaseFilter{States: []store.CaseState{store.CaseHeld}}); err != nil {
		return d, err
	}
	if d.Rejected, d.RejectedTotal, err = list(store.CaseFilter{States: []store.CaseState{store.CaseRejected}}); err != nil {
		return d, err
	}
	wait := g.o.Digest.WaitingAfter
	if wait <= 0 {
		wait = 7 * 24 * time.Hour
	}
	if d.Waiting, d.WaitingTotal, err = list(store.CaseFilter{States: []store.CaseState{store.CaseAwaitingSupplier},
		UpdatedBefore: now.Add(-wait).Add(time.Millisecond)}); err != nil {
		return d, err
	}
	slow, err := st.SlowDeposits(ctx, now.Add(-SlowDepositAfter))
	if err != nil {
		return d, err
	}
	for i, s := range slow {
		if i == notifier.DigestListed {
			break
		}
		dc := digestCase(s.Case, s.Case.Reason)
		dc.Since = s.Since
		d.SlowDeposits = append(d.SlowDeposits, dc)
	}
	d.SlowDepositsTotal = len(slow)
	failed, err := st.FailedOutbox(ctx, since)
	if err != nil {
		return d, err
	}
	for _, it := range failed {
		if it.CaseID == 0 {
			continue
		}
		c, err := st.Case(ctx, it.CaseID)
		if err != nil {
			return d, err
		}
		d.FailedReplies = append(d.FailedReplies, digestCase(c, fmt.Sprintf("réponse « %s » à %s non envoyée : %s",
			it.Subject, firstAddr(it.Recipients), it.LastError)))
	}
	return d, nil
}

func digestCase(c store.Case, reason string) notifier.DigestCase {
	return notifier.DigestCase{
		Ref: c.Ref, Supplier: firstNonEmpty(c.SupplierName, c.SupplierEmail), InvoiceNumber: c.InvoiceNumber,
		Amount: c.AmountWithVAT, Currency: c.Currency, Since: c.UpdatedAt, Reason: reason,
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// firstAddr is the first recipient of a reply: the supplier (the copies
// to finance staff follow it).
func firstAddr(addrs []string) string {
	if len(addrs) == 0 {
		return ""
	}
	return addrs[0]
}
