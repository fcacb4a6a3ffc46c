package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Ten years of a large public body's mail, to measure what the store
// becomes (BENCHMARKS.md, "Growth over ten years"):
//
//	FACTEUR_GROWTH_DIR=/var/tmp/growth go test ./store -run '^$' -bench Growth -benchtime 200x -timeout 2h
//
// fills a store with FACTEUR_GROWTH_MESSAGES messages (default 1,000,000)
// received evenly over ten years, a case per message but the few that
// failed, the replies (FACTEUR_GROWTH_REPLY_BYTES each, default 7,500, the
// size of the demo's replies) and every ledger row the daemon would have
// written, in the states ten years leave them; then times each query of
// the daemon, the digest and `facteur cases`, and a restart. Rows are
// inserted directly (no spool files). With FACTEUR_GROWTH_DIR the filled
// store is kept and reused by the next run of the same size.
//
// `go test ./store` runs the same fill at a tiny size (TestGrowthTiny) and
// checks the query plans (TestQueryPlans), so that neither rots.

// growthEnd is the instant the ten years end: the benchmark's "now".
var growthEnd = time.Date(2036, time.November, 26, 9, 0, 0, 0, time.UTC)

// growthStart is ten years before growthEnd.
var growthStart = growthEnd.AddDate(-10, 0, 0)

// growthSuppliers is how many suppliers write (the body's supplier base).
const growthSuppliers = 5000

// growthShape says what ten years leave of message i (1-based) of n: its
// message state, and its case's state ("" for no case).
func growthShape(i, n int, received time.Time) (MessageState, CaseState) {
	switch {
	case i > n-10:
		return MessageReceived, "" // just fetched
	case i > n-13:
		return MessageParsed, CaseNew
	case i > n-16:
		return MessageParsed, CaseRouted
	case i > n-20:
		return MessageParsed, CaseDepositing
	}
	age := growthEnd.Sub(received)
	r := int((uint64(i) * 0x9E3779B97F4A7C15 >> 32) % 1000) // spread over the suppliers too
	if age < 2*24*time.Hour && r < 100 {
		return MessageDone, CaseDeposited // waiting for Chorus Pro's integration
	}
	switch {
	case r < 3:
		return MessageFailed, ""
	case r < 853:
		if age < 60*24*time.Hour && r < 500 {
			return MessageDone, CaseIntegrated // not paid yet
		}
		return MessageDone, CasePaid
	case r < 873:
		return MessageDone, CaseRejected
	case r < 923:
		return MessageDone, CaseIgnored
	case r < 933:
		return MessageDone, CaseDuplicate
	case r < 973:
		return MessageDone, CaseGuided
	case r < 983:
		return MessageDone, CaseAwaitingSupplier // never answered
	case r < 988:
		return MessageDone, CaseHeld // never decided
	}
	return MessageDone, CasePaid
}

// caseLedger is the transitions a case in state st went through, with
// their delay after the case was opened.
func caseLedger(st CaseState) []struct {
	from, to CaseState
	after    time.Duration
	note     string
} {
	type step = struct {
		from, to CaseState
		after    time.Duration
		note     string
	}
	deposit := []step{{CaseNew, CaseRouted, time.Second, ""}, {CaseRouted, CaseDepositing, 2 * time.Second, "dépôt flux"},
		{CaseDepositing, CaseDeposited, 3 * time.Second, "flux"}}
	integrated := append(deposit, step{CaseDeposited, CaseIntegrated, time.Hour, ""},
		step{CaseIntegrated, CaseIntegrated, 2 * 24 * time.Hour, "MISE_A_DISPOSITION"})
	switch st {
	case CaseNew:
		return nil
	case CaseRouted:
		return deposit[:1]
	case CaseDepositing:
		return deposit[:2]
	case CaseDeposited:
		return deposit
	case CaseIntegrated:
		return integrated
	case CasePaid:
		return append(integrated, step{CaseIntegrated, CaseIntegrated, 10 * 24 * time.Hour, "SERVICE_FAIT"},
			step{CaseIntegrated, CasePaid, 30 * 24 * time.Hour, "MISE_EN_PAIEMENT"})
	case CaseRejected:
		return append(deposit, step{CaseDeposited, CaseRejected, time.Hour, "IN_REJETE"})
	}
	return []step{{CaseNew, st, time.Second, "motif"}}
}

// batchInsert inserts rows with multi-row INSERT statements.
type batchInsert struct {
	ctx    context.Context
	tx     *sql.Tx
	prefix string // INSERT INTO t (a, b) VALUES
	cols   int
	args   []any
	rows   int
}

const batchRows = 200

func (b *batchInsert) add(args ...any) error {
	if len(args) != b.cols {
		return fmt.Errorf("%s: %d values for %d columns", b.prefix, len(args), b.cols)
	}
	b.args = append(b.args, args...)
	b.rows++
	if b.rows == batchRows {
		return b.flush()
	}
	return nil
}

func (b *batchInsert) flush() error {
	if b.rows == 0 {
		return nil
	}
	row := "(" + placeholders(b.cols) + ")"
	q := b.prefix + strings.TrimSuffix(strings.Repeat(row+", ", b.rows), ", ")
	_, err := b.tx.ExecContext(b.ctx, q, b.args...)
	b.args, b.rows = b.args[:0], 0
	if err != nil {
		return fmt.Errorf("%.60s: %w", b.prefix, err)
	}
	return nil
}

// fillGrowth fills the (new) store s with n messages of ten years.
func fillGrowth(ctx context.Context, s *Store, n, replyBytes int) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Rows are inserted in batches per table, children before parents at
	// times: the foreign keys are checked once filled (TestGrowthTiny).
	for _, p := range []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144", "PRAGMA foreign_keys = OFF"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	reply := []byte(strings.Repeat("Bonjour, votre facture a été déposée sur Chorus Pro. ", replyBytes/54+1)[:replyBytes])
	step := growthEnd.Sub(growthStart) / time.Duration(n)
	uids := map[string]int{}
	refs := map[int]int{}
	const chunk = 20000
	for lo := 1; lo <= n; lo += chunk {
		if err := fillChunk(ctx, conn, lo, min(lo+chunk-1, n), n, step, reply, uids, refs); err != nil {
			return err
		}
	}
	return fillTail(ctx, conn, reply, uids, refs)
}

// fillChunk inserts messages lo to hi (of n) in one transaction.
func fillChunk(ctx context.Context, conn *sql.Conn, lo, hi, n int, step time.Duration, reply []byte, uids map[string]int, refs map[int]int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	{
		ins := func(table string, cols ...string) *batchInsert {
			return &batchInsert{ctx: ctx, tx: tx, prefix: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols)}
		}
		msgs := ins("messages", "id", "mailbox", "uidvalidity", "uid", "sha256", "size", "spool_name", "state", "reason", "disposition",
			"header_message_id", "from_addr", "subject", "next_attempt_at", "received_at", "updated_at", "filed_at")
		docs := ins("documents", "id", "message_id", "idx", "name", "content_type", "format", "sha256", "size", "is_invoice")
		cases := ins("cases", "id", "ref", "message_id", "document_id", "state", "reason", "supplier_name", "supplier_siret", "supplier_email",
			"invoice_number", "invoice_date", "amount_with_vat", "currency", "budget", "recipient_siret", "engagement", "syntax",
			"flow_number", "deposit_date", "flow_state", "lifecycle", "invoice_id", "next_attempt_at", "created_at", "updated_at", "iban")
		outbox := ins("outbox", "id", "case_id", "kind", "header_message_id", "envelope_from", "recipients", "subject", "raw", "state",
			"last_error", "next_attempt_at", "created_at", "updated_at", "sent_at")
		ledger := ins("ledger", "at", "entity", "entity_id", "from_state", "to_state", "note")
		for i := lo; i <= hi; i++ {
			at := growthStart.Add(time.Duration(i) * step)
			ms, cs := growthShape(i, n, at)
			mailbox := "comptabilite"
			if i%5 == 0 {
				mailbox = "eau"
			}
			uids[mailbox]++
			sup := (i * 31) % growthSuppliers
			email := fmt.Sprintf("facturation@fournisseur-%d.example", sup)
			sha := fmt.Sprintf("%064x", i)
			t0 := millis(at)
			var filed, disp any = t0 + 60_000, string(DispositionProcessed)
			if ms == MessageReceived || ms == MessageParsed || i > n-25 {
				filed = nil
			}
			if ms == MessageReceived || ms == MessageParsed {
				disp = ""
			}
			reason := ""
			if ms == MessageFailed {
				reason, disp = "message illisible", string(DispositionReview)
			}
			if err := msgs.add(i, mailbox, 1, uids[mailbox], sha, 150_000, sha+".eml", ms, reason, disp,
				fmt.Sprintf("%d@fournisseur-%d.example", i, sup), email, fmt.Sprintf("Facture F%d-%d", sup, i),
				t0, t0, t0+30_000, filed); err != nil {
				return err
			}
			if err := ledger.add(t0, EntityMessage, i, "", MessageReceived, mailbox); err != nil {
				return err
			}
			if ms != MessageReceived {
				if err := ledger.add(t0+1000, EntityMessage, i, MessageReceived, MessageParsed, ""); err != nil {
					return err
				}
			}
			if ms == MessageDone || ms == MessageFailed {
				if err := ledger.add(t0+30_000, EntityMessage, i, MessageParsed, ms, ""); err != nil {
					return err
				}
			}
			if cs == "" {
				continue
			}
			if err := docs.add(i, i, 0, fmt.Sprintf("Facture F%d-%d.pdf", sup, i), "application/pdf", "facturx", sha, 140_000, 1); err != nil {
				return err
			}
			year := at.Year()
			refs[year]++
			ref := fmt.Sprintf("FAC-%d-%06d", year, refs[year])
			var flow, depositDate, flowState, lifecycle string
			var invoiceID int64
			steps := caseLedger(cs)
			for _, st := range steps {
				if st.to == CaseDeposited {
					flow, depositDate, flowState = fmt.Sprintf("CPP00111%017d", i), at.Format("2006-01-02"), "IN_INTEGRE"
				}
				if st.to == CaseIntegrated || st.to == CasePaid {
					invoiceID, lifecycle = int64(i), st.note
				}
			}
			next := t0 + 1000
			if len(steps) > 0 {
				next = t0 + steps[len(steps)-1].after.Milliseconds()
			}
			if cs == CaseIntegrated {
				next = millis(growthEnd) + int64(i%360)*60_000 // followed every 6 hours
			}
			if cs == CaseHeld {
				next = 1<<63 - 1 // parked
			}
			if err := cases.add(i, ref, i, i, cs, map[bool]string{true: "motif"}[cs == CaseHeld || cs == CaseAwaitingSupplier],
				fmt.Sprintf("Fournisseur %d SAS", sup), fmt.Sprintf("4%08d%05d", sup, 11), email,
				fmt.Sprintf("F%d-%d", sup, i), at.Format("2006-01-02"), fmt.Sprintf("%d.%02d", 100+i%9000, i%100), "EUR",
				"Budget principal", "20007189200067", fmt.Sprintf("EJ-%d-%05d", year, i%100000), "IN_DP_E1_FACTURX",
				flow, depositDate, flowState, lifecycle, invoiceID, next, t0+2000, next, fmt.Sprintf("FR76300060000%014d", sup)); err != nil {
				return err
			}
			if err := ledger.add(t0+2000, EntityCase, i, "", CaseNew, ref); err != nil {
				return err
			}
			for _, st := range steps {
				if err := ledger.add(t0+2000+st.after.Milliseconds(), EntityCase, i, st.from, st.to, st.note); err != nil {
					return err
				}
			}
			kind := map[CaseState]string{CasePaid: "deposited", CaseIntegrated: "deposited", CaseRejected: "deposited",
				CaseDeposited: "deposited", CaseAwaitingSupplier: "need_engagement", CaseGuided: "guide"}[cs]
			if kind == "" {
				continue
			}
			sentAt := t0 + 10_000
			ostate, lastErr, sent := OutboxSent, "", any(sentAt)
			switch {
			case i > n-30:
				ostate, sent = OutboxQueued, nil
			case (i*13)%97 == 0:
				ostate, lastErr, sent = OutboxFailed, "550 5.1.1 mailbox unavailable", nil
			}
			oid := i // one reply per case at most
			if err := outbox.add(oid, i, kind, fmt.Sprintf("%s.%s@casq.fr", ref, kind), "", email+",finances@casq.fr", "Votre facture "+ref, reply, ostate,
				lastErr, sentAt, t0+9000, sentAt, sent); err != nil {
				return err
			}
			if err := ledger.add(t0+9000, EntityOutbox, oid, "", OutboxQueued, kind); err != nil {
				return err
			}
			if ostate != OutboxQueued {
				if err := ledger.add(sentAt, EntityOutbox, oid, OutboxQueued, ostate, lastErr); err != nil {
					return err
				}
			}
		}
		for _, b := range []*batchInsert{msgs, docs, cases, outbox, ledger} {
			if err := b.flush(); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
}

// fillTail adds what is not per message: the daily digests, the
// mailboxes' checkpoints and the case counters.
func fillTail(ctx context.Context, conn *sql.Conn, reply []byte, uids map[string]int, refs map[int]int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The daily digest, on working days.
	for d := growthStart; d.Before(growthEnd); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		at := millis(d.Add(8 * time.Hour))
		if _, err := tx.ExecContext(ctx, "INSERT INTO outbox (topic, kind, header_message_id, envelope_from, recipients, subject, raw, state, created_at, updated_at, sent_at) VALUES (?, 'digest', ?, '', 'finances@casq.fr', 'Point du jour', ?, 'sent', ?, ?, ?)",
			"digest:"+d.Format("2006-01-02"), "digest."+d.Format("20060102")+"@casq.fr", reply, at, at+1000, at+1000); err != nil {
			return err
		}
	}
	for mailbox, uid := range uids {
		if _, err := tx.ExecContext(ctx, "INSERT INTO mailboxes (name, uidvalidity, last_uid, updated_at) VALUES (?, 1, ?, ?)", mailbox, uid, millis(growthEnd)); err != nil {
			return err
		}
	}
	for year, seq := range refs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO counters (name, value) VALUES (?, ?)", fmt.Sprintf("case:FAC:%d", year), seq); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// growthQuery is one query of the daemon, the digest or `facteur cases`,
// as the store runs it.
type growthQuery struct {
	name string
	run  func(ctx context.Context, s *Store) (int, error) // rows returned
}

func rowsOf[T any](v []T, err error) (int, error) { return len(v), err }

func growthQueries(n int) []growthQuery {
	since := growthEnd.Add(-24 * time.Hour)
	supplier := ((n/2 + 1) * 31) % growthSuppliers // one of the suppliers, with n/5000 cases
	q := []growthQuery{
		{"DueMessages", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.DueMessages(ctx, 50)) }},
	}
	for _, st := range []CaseState{CaseNew, CaseRouted, CaseDepositing, CaseDeposited, CaseIntegrated} {
		q = append(q, growthQuery{"DueCases/" + string(st), func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.DueCases(ctx, 50, st)) }})
	}
	q = append(q, []growthQuery{
		{"DueOutbox", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.DueOutbox(ctx, 50)) }},
		{"MessagesAwaitingSettlement", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.MessagesAwaitingSettlement(ctx, 50)) }},
		{"ToFile", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.ToFile(ctx, "comptabilite")) }},
		{"LastOutbox/digest", func(ctx context.Context, s *Store) (int, error) { _, err := s.LastOutbox(ctx, "digest"); return 1, err }},
		// A new invoice: is it known, is a case live for it, how many
		// replies went to its sender today, is it an answer to a reply.
		{"Ingest/known", func(ctx context.Context, s *Store) (int, error) {
			known, err := s.known(ctx, Incoming{Mailbox: "comptabilite", UIDValidity: 1, UID: 1 << 30}, "ffff")
			return map[bool]int{true: 1}[known], err
		}},
		{"LiveCaseFor", func(ctx context.Context, s *Store) (int, error) {
			c, err := s.LiveCaseFor(ctx, fmt.Sprintf("4%08d%05d", supplier, 11), fmt.Sprintf("F%d-%d", supplier, n/2+1))
			return map[bool]int{true: 1}[c != nil], err
		}},
		{"RepliesTo", func(ctx context.Context, s *Store) (n int, err error) {
			err = s.Update(ctx, func(tx *Tx) error {
				n, err = tx.RepliesTo(fmt.Sprintf("facturation@fournisseur-%d.example", supplier), growthEnd.Add(-24*time.Hour))
				return err
			})
			return n, err
		}},
		{"CaseRepliedTo", func(ctx context.Context, s *Store) (n int, err error) {
			err = s.Update(ctx, func(tx *Tx) error {
				c, err := tx.CaseRepliedTo([]string{"<unknown@casq.fr>", "<FAC-2031-000042.deposited@casq.fr>"})
				n = map[bool]int{true: 1}[c != nil]
				return err
			})
			return n, err
		}},
		{"KnownIBAN", func(ctx context.Context, s *Store) (int, error) {
			iban, _, err := s.KnownIBAN(ctx, fmt.Sprintf("4%08d%05d", supplier, 11), 0)
			return map[bool]int{true: 1}[iban != ""], err
		}},
		// "Où en est ma facture ?": a supplier's cases, and a stranger's.
		{"CasesOfSender", func(ctx context.Context, s *Store) (n int, err error) {
			err = s.Update(ctx, func(tx *Tx) error {
				cs, err := tx.CasesOfSender(fmt.Sprintf("Facturation@Fournisseur-%d.example", supplier), 20)
				n = len(cs)
				return err
			})
			return n, err
		}},
		{"CasesOfSender/stranger", func(ctx context.Context, s *Store) (n int, err error) {
			err = s.Update(ctx, func(tx *Tx) error {
				cs, err := tx.CasesOfSender("inconnu@example.org", 20)
				n = len(cs)
				return err
			})
			return n, err
		}},
		// Digest.
		{"Pending", func(ctx context.Context, s *Store) (int, error) { _, err := s.Pending(ctx); return 1, err }},
		{"Counts", func(ctx context.Context, s *Store) (int, error) { _, err := s.Counts(ctx); return 1, err }},
		{"Transitions/message", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Transitions(ctx, EntityMessage, since))
		}},
		{"Transitions/case", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.Transitions(ctx, EntityCase, since)) }},
		{"FailedOutbox", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.FailedOutbox(ctx, since)) }},
		// The digest's lists: the 50 most recent, and the count of all.
		{"Cases/held", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{States: []CaseState{CaseHeld}, Limit: 50}))
		}},
		{"CountCases/held", func(ctx context.Context, s *Store) (int, error) {
			return s.CountCases(ctx, CaseFilter{States: []CaseState{CaseHeld}})
		}},
		{"Cases/awaiting_supplier", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{States: []CaseState{CaseAwaitingSupplier}, UpdatedBefore: growthEnd.AddDate(0, 0, -7), Limit: 50}))
		}},
		{"CountCases/awaiting_supplier", func(ctx context.Context, s *Store) (int, error) {
			return s.CountCases(ctx, CaseFilter{States: []CaseState{CaseAwaitingSupplier}, UpdatedBefore: growthEnd.AddDate(0, 0, -7)})
		}},
		// facteur cases.
		{"Cases/list", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.Cases(ctx, CaseFilter{Limit: 200})) }},
		{"Cases/search", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{Search: fmt.Sprintf("fournisseur %d sas", supplier), Limit: 200}))
		}},
		// A search every case matches (the name all the suppliers share):
		// the index's worst case.
		{"Cases/search/common", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{Search: "fournisseur", Limit: 200}))
		}},
		{"Cases/search/held", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{Search: fmt.Sprintf("fournisseur %d", supplier), States: []CaseState{CaseHeld}, Limit: 200}))
		}},
		{"Cases/search/invoice", func(ctx context.Context, s *Store) (int, error) {
			return rowsOf(s.Cases(ctx, CaseFilter{Search: fmt.Sprintf("F%d-%d", supplier, n/2+1), Limit: 200}))
		}},
		{"CaseByRef", func(ctx context.Context, s *Store) (int, error) {
			_, err := s.CaseByRef(ctx, "FAC-2031-000042")
			if errors.Is(err, ErrNotFound) {
				return 0, nil
			}
			return 1, err
		}},
		{"Ledger/case", func(ctx context.Context, s *Store) (int, error) { return rowsOf(s.Ledger(ctx, EntityCase, 424242)) }},
	}...)
	return q
}

// openGrowth opens (filling it when needed) the growth store of n messages
// in dir, at schema version `version`: below the current one, the store is
// made with the first migrations only and opened without migrating (the
// figures of an earlier schema: FACTEUR_GROWTH_SCHEMA=6); at the current
// one, Open migrates it (timed: the upgrade of ten years of data).
func openGrowth(tb testing.TB, dir string, n, replyBytes, version int) *Store {
	tb.Helper()
	ctx := context.Background()
	now := func() time.Time { return growthEnd }
	marker := filepath.Join(dir, fmt.Sprintf("filled-%d-%d", n, replyBytes))
	if _, err := os.Stat(marker); err != nil {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			tb.Fatalf("%s holds something else than a growth store of %d messages", dir, n)
		}
		s := openAtVersion(tb, dir, version, now)
		start := time.Now()
		if err := fillGrowth(ctx, s, n, replyBytes); err != nil {
			tb.Fatal(err)
		}
		s.Close()
		tb.Logf("filled %d messages at schema version %d in %s", n, version, time.Since(start).Round(time.Second))
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	if version < len(migrations) {
		return openAtVersion(tb, dir, version, now)
	}
	start := time.Now()
	s, err := Open(ctx, dir, Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("opened (migrations applied) in %s", time.Since(start).Round(time.Millisecond))
	return s
}

// openAtVersion opens the store in dir as the version of Facteur with that
// many migrations would: its pending migrations among those applied, none
// after.
func openAtVersion(tb testing.TB, dir string, version int, now func() time.Time) *Store {
	tb.Helper()
	ctx := context.Background()
	if version == len(migrations) {
		s, err := Open(ctx, dir, Options{Now: now})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o750); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DatabaseFile)+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		tb.Fatal(err)
	}
	for ; v < version; v++ {
		if _, err := db.Exec(migrations[v]); err != nil {
			tb.Fatal(err)
		}
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tb.Fatal(err)
		}
	}
	if v != version {
		tb.Fatalf("%s is at schema version %d, not %d", dir, v, version)
	}
	lock, err := lockDir(dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	return &Store{db: db, dir: dir, spool: filepath.Join(dir, "spool"), opts: Options{Now: now}, lock: lock}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func BenchmarkGrowth(b *testing.B) {
	n := envInt("FACTEUR_GROWTH_MESSAGES", 1_000_000)
	replyBytes := envInt("FACTEUR_GROWTH_REPLY_BYTES", 7500)
	dir := os.Getenv("FACTEUR_GROWTH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	version := envInt("FACTEUR_GROWTH_SCHEMA", len(migrations))
	s := openGrowth(b, dir, n, replyBytes, version)
	ctx := context.Background()
	var size int64
	for _, f := range []string{DatabaseFile, DatabaseFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			size += fi.Size()
		}
	}
	var counts [3]int
	s.db.QueryRow("SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM ledger)").Scan(&counts[0], &counts[1], &counts[2])
	b.Logf("database %.1f MiB: %d messages, %d cases, %d ledger rows", float64(size)/(1<<20), counts[0], counts[1], counts[2])
	b.Run("Size", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(float64(size)/(1<<20), "MiB")
	})
	for _, q := range growthQueries(n) {
		b.Run(q.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				n, err := q.run(ctx, s)
				if err != nil {
					b.Fatal(err)
				}
				rows = n
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
	if version == len(migrations) {
		// One batch of the retention of raw messages, ten years kept but
		// one: the first year's raw messages are due. (Each iteration
		// prunes the next 100; the store is left so.)
		b.Run("PruneRaw/batch", func(b *testing.B) {
			pruned := 0
			for b.Loop() {
				p, err := s.PruneRaw(ctx, growthEnd.AddDate(-9, 0, 0), PruneOptions{Max: 100})
				if err != nil {
					b.Fatal(err)
				}
				pruned = p.Messages
			}
			b.ReportMetric(float64(pruned), "rows")
		})
	}
	if os.Getenv("FACTEUR_GROWTH_VACUUM") != "" {
		// The database part of a backup.
		b.Run("VacuumInto", func(b *testing.B) {
			for b.Loop() {
				dst := filepath.Join(b.TempDir(), DatabaseFile)
				if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
					b.Fatal(err)
				}
				os.Remove(dst)
			}
		})
	}
	s.Close()
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			s := openAtVersion(b, dir, version, nil)
			if err := s.Ping(ctx); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}

// TestGrowthTiny runs the growth benchmark's fill and queries at a tiny
// size: the shapes of ten years, and every query answering as it should.
func TestGrowthTiny(t *testing.T) {
	ctx := context.Background()
	n := 1000
	s := openGrowth(t, t.TempDir(), n, 100, len(migrations))
	defer s.Close()
	var fk int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(&fk); err != nil || fk != 0 {
		t.Fatalf("%d foreign keys broken, %v", fk, err)
	}
	got := map[string]int{}
	for _, q := range growthQueries(n) {
		rows, err := q.run(ctx, s)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		got[q.name] = rows
	}
	for name, want := range map[string]int{
		"DueMessages": 10, "DueCases/new": 3, "DueCases/routed": 3, "DueCases/depositing": 4, "MessagesAwaitingSettlement": 0,
		"Cases/list": 200, "Ingest/known": 0, "LiveCaseFor": 0,
	} {
		if got[name] != want {
			t.Errorf("%s: %d rows, want %d", name, got[name], want)
		}
	}
	if got["DueOutbox"] == 0 || got["ToFile"] == 0 || got["Cases/held"] == 0 || got["Cases/awaiting_supplier"] == 0 || got["Cases/search"] == 0 {
		t.Errorf("rows: %v", got)
	}
}
