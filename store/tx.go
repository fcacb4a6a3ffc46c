package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Tx is a write transaction. Everything done through one Tx commits or
// rolls back together, ledger rows included.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	now time.Time
}

// Update runs fn in a write transaction and commits it when fn returns nil.
// fn must not do I/O other than through tx: it may run again never, but it
// holds the database's write lock while it runs.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := s.inTx(ctx, fn); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{ctx: ctx, tx: sqlTx, now: s.now()}
	done := false
	defer func() {
		if !done {
			// fn panicked: the transaction is rolled back (it would
			// otherwise hold the write lock for ever) and the panic goes
			// on to the caller's boundary.
			sqlTx.Rollback()
		}
	}()
	err = fn(tx)
	done = true
	if err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) ledger(entity Entity, id int64, from, to, note string) error {
	_, err := tx.exec("INSERT INTO ledger (at, entity, entity_id, from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?)",
		millis(tx.now), entity, id, from, to, note)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// MessageInfo is what parsing tells about a message, kept for people.
type MessageInfo struct {
	HeaderMessageID string
	From            string
	Subject         string
}

// MessageParsed moves a message from received to parsed.
func (tx *Tx) MessageParsed(id int64, info MessageInfo) error {
	if err := tx.moveMessage(id, MessageReceived, MessageParsed, ""); err != nil {
		return err
	}
	_, err := tx.exec("UPDATE messages SET header_message_id = ?, from_addr = ?, subject = ? WHERE id = ?",
		info.HeaderMessageID, info.From, info.Subject, id)
	if err != nil {
		return fmt.Errorf("message %d: %w", id, err)
	}
	return nil
}

// MessageDone settles a parsed message: it will be filed per disp.
func (tx *Tx) MessageDone(id int64, disp Disposition) error {
	if err := tx.moveMessage(id, MessageParsed, MessageDone, string(disp)); err != nil {
		return err
	}
	_, err := tx.exec("UPDATE messages SET disposition = ? WHERE id = ?", disp, id)
	return err
}

// MessageFailed settles a message that could not be handled, with a reason a
// person can read; it will be filed for review.
func (tx *Tx) MessageFailed(id int64, from MessageState, reason string) error {
	if err := tx.moveMessage(id, from, MessageFailed, reason); err != nil {
		return err
	}
	_, err := tx.exec("UPDATE messages SET disposition = ?, reason = ? WHERE id = ?", DispositionReview, reason, id)
	return err
}

func (tx *Tx) moveMessage(id int64, from, to MessageState, note string) error {
	if err := CheckMessageTransition(from, to); err != nil {
		return err
	}
	res, err := tx.exec("UPDATE messages SET state = ?, updated_at = ?, attempts = 0, last_error = '' WHERE id = ? AND state = ?",
		to, millis(tx.now), id, from)
	if err != nil {
		return fmt.Errorf("message %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("message %d is not %s: %w", id, from, ErrConflict)
	}
	return tx.ledger(EntityMessage, id, string(from), string(to), note)
}

// ErrConflict is returned when a row is not in the state a change expects:
// someone else changed it first.
var ErrConflict = errors.New("state changed concurrently")

// Postpone sets when to work on a case again, recording why, without
// counting an attempt nor changing updated_at: for work that could not be
// done at all (a search that got no answer), which must not count as work
// that was done. updated_at keeps telling when the case last moved.
func (tx *Tx) Postpone(caseID int64, next time.Time, errText string) error {
	_, err := tx.exec("UPDATE cases SET next_attempt_at = ?, last_error = ? WHERE id = ?",
		millis(next), truncate(errText, 2000), caseID)
	if err != nil {
		return fmt.Errorf("postpone case %d: %w", caseID, err)
	}
	return nil
}

// Retry records a failed attempt on a message, case or outbox item and when
// to try again; the backoff is persisted, so it survives restarts.
func (tx *Tx) Retry(entity Entity, id int64, next time.Time, errText string) error {
	table := map[Entity]string{EntityMessage: "messages", EntityCase: "cases", EntityOutbox: "outbox"}[entity]
	if table == "" {
		return fmt.Errorf("retry: unknown entity %q", entity)
	}
	_, err := tx.exec("UPDATE "+table+" SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?",
		millis(next), truncate(errText, 2000), millis(tx.now), id)
	if err != nil {
		return fmt.Errorf("retry %s %d: %w", entity, id, err)
	}
	return nil
}

// Park takes a case out of the automatic work for good (it is never due
// again) and records why in the ledger; a person can still act on it.
func (tx *Tx) Park(id int64, state CaseState, note string) error {
	if _, err := tx.exec("UPDATE cases SET next_attempt_at = ?, updated_at = ? WHERE id = ?", int64(math.MaxInt64), millis(tx.now), id); err != nil {
		return fmt.Errorf("park case %d: %w", id, err)
	}
	return tx.Note(EntityCase, id, string(state), note)
}

// DocumentInfo describes one document found in a message.
type DocumentInfo struct {
	// ID is the document's row (read back from the store; ignored by
	// AddDocument).
	ID          int64
	Index       int
	Name        string
	ContentType string
	Format      string
	SHA256      string
	Size        int
	IsInvoice   bool
	// Problem and Limit are the parser's typed problem of a document that
	// could not be read (parser.Problem, parser.Limit), Error its
	// technical detail.
	Problem string
	Limit   string
	Error   string
}

// AddDocument records a document of a message.
func (tx *Tx) AddDocument(messageID int64, d DocumentInfo) (int64, error) {
	res, err := tx.exec(`INSERT INTO documents (message_id, idx, name, content_type, format, sha256, size, is_invoice, error, problem, problem_limit)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		messageID, d.Index, d.Name, d.ContentType, d.Format, d.SHA256, d.Size, d.IsInvoice, d.Error, d.Problem, d.Limit)
	if err != nil {
		return 0, fmt.Errorf("document of message %d: %w", messageID, err)
	}
	return res.LastInsertId()
}

// CaseFields are the facts of an invoice case.
type CaseFields struct {
	SupplierName   string
	SupplierSIRET  string
	SupplierEmail  string
	InvoiceNumber  string
	InvoiceDate    string
	AmountWithVAT  string
	Currency       string
	Budget         string
	RecipientSIRET string
	Engagement     string
	Syntax         string
	FlowNumber     string
	DepositDate    string
	FlowState      string
	// NoReply says why no reply may be sent about the case ("" when one may).
	NoReply string
	// Lifecycle is the latest status of the invoice on Chorus Pro.
	Lifecycle string
	// IBAN is the account the invoice asks to be paid to, compacted
	// (set when the case is opened).
	IBAN string
	// InvoiceType is what the document is: "invoice" or "credit_note"
	// (set when the case is opened).
	InvoiceType string
}

// CreateCase opens a case in state new and gives it its reference
// (PREFIX-YEAR-NNNNNN, sequential per year).
func (tx *Tx) CreateCase(prefix string, messageID int64, documentID int64, f CaseFields) (Case, error) {
	year := tx.now.Year()
	counter := fmt.Sprintf("case:%s:%d", prefix, year)
	var seq int64
	err := tx.tx.QueryRowContext(tx.ctx, `
INSERT INTO counters (name, value) VALUES (?, 1)
ON CONFLICT (name) DO UPDATE SET value = value + 1
RETURNING value`, counter).Scan(&seq)
	if err != nil {
		return Case{}, fmt.Errorf("case reference: %w", err)
	}
	ref := fmt.Sprintf("%s-%d-%06d", prefix, year, seq)
	var doc any
	if documentID > 0 {
		doc = documentID
	}
	now := millis(tx.now)
	res, err := tx.exec(`
INSERT INTO cases (ref, message_id, document_id, state, supplier_name, supplier_siret, supplier_email,
	invoice_number, invoice_date, amount_with_vat, currency, budget, recipient_siret, engagement, syntax,
	flow_number, deposit_date, flow_state, no_reply, created_at, updated_at, next_attempt_at, iban, invoice_type)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ref, messageID, doc, CaseNew, f.SupplierName, f.SupplierSIRET, f.SupplierEmail,
		f.InvoiceNumber, f.InvoiceDate, f.AmountWithVAT, f.Currency, f.Budget, f.RecipientSIRET, f.Engagement, f.Syntax,
		f.FlowNumber, f.DepositDate, f.FlowState, f.NoReply, now, now, now, f.IBAN, f.InvoiceType)
	if err != nil {
		return Case{}, fmt.Errorf("create case: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Case{}, fmt.Errorf("create case: %w", err)
	}
	if err := tx.ledger(EntityCase, id, "", string(CaseNew), ref); err != nil {
		return Case{}, err
	}
	return tx.Case(id)
}

// MoveCase changes a case's state (checked against the state machine and
// against its current state), sets its reason, and records the change in the
// ledger. Non-empty fields of set are written too.
func (tx *Tx) MoveCase(id int64, from, to CaseState, reason string, set CaseFields) error {
	if err := CheckCaseTransition(from, to); err != nil {
		return err
	}
	cols := []string{"state = ?", "reason = ?", "updated_at = ?", "attempts = 0", "last_error = ''", "next_attempt_at = ?"}
	args := []any{to, reason, millis(tx.now), millis(tx.now)}
	for col, v := range set.columns() {
		if v != "" {
			cols = append(cols, col+" = ?")
			args = append(args, v)
		}
	}
	args = append(args, id, from)
	res, err := tx.exec("UPDATE cases SET "+strings.Join(cols, ", ")+" WHERE id = ? AND state = ?", args...)
	if err != nil {
		return fmt.Errorf("case %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("case %d is not %s: %w", id, from, ErrConflict)
	}
	note := reason
	return tx.ledger(EntityCase, id, string(from), string(to), note)
}

func (f CaseFields) columns() map[string]string {
	return map[string]string{
		"supplier_name": f.SupplierName, "supplier_siret": f.SupplierSIRET, "supplier_email": f.SupplierEmail,
		"invoice_number": f.InvoiceNumber, "invoice_date": f.InvoiceDate, "amount_with_vat": f.AmountWithVAT,
		"currency": f.Currency, "budget": f.Budget, "recipient_siret": f.RecipientSIRET, "engagement": f.Engagement,
		"syntax": f.Syntax, "flow_number": f.FlowNumber, "deposit_date": f.DepositDate, "flow_state": f.FlowState,
		"no_reply": f.NoReply, "lifecycle": f.Lifecycle,
	}
}

// Case reads a case inside the transaction.
func (tx *Tx) Case(id int64) (Case, error) {
	return scanCase(tx.tx.QueryRowContext(tx.ctx, caseSelect+" WHERE c.id = ?", id))
}

// OutboxItem is a reply waiting to be sent, or sent.
type OutboxItem struct {
	ID     int64
	CaseID int64 // 0 for a message about no case (Topic set)
	// Topic names a message about no case, such as the digest of a day
	// ("digest:2026-11-26"); at most one item exists per topic.
	Topic           string
	Kind            string
	HeaderMessageID string
	EnvelopeFrom    string
	Recipients      []string
	Subject         string
	Raw             []byte
	State           OutboxState
	Attempts        int
	LastError       string
	CreatedAt       time.Time
	SentAt          time.Time
	// SendAttempts counts the attempts begun (BeginSend); AttemptAt is
	// when the latest began, AttemptPhase how far it is known to have got
	// ("" or SendPhaseData).
	SendAttempts int
	AttemptAt    time.Time
	AttemptPhase string
}

// Enqueue queues a reply. At most one reply of a kind exists per case: a
// second one is not queued and Enqueue returns queued false.
//
// An item about no case has CaseID 0 and a Topic instead; at most one item
// exists per topic.
func (tx *Tx) Enqueue(it OutboxItem) (id int64, queued bool, err error) {
	if (it.CaseID == 0) == (it.Topic == "") {
		return 0, false, fmt.Errorf("enqueue %s: exactly one of a case and a topic is needed", it.Kind)
	}
	var caseID, topic any
	if it.CaseID != 0 {
		caseID = it.CaseID
	} else {
		topic = it.Topic
	}
	now := millis(tx.now)
	res, err := tx.exec(`
INSERT INTO outbox (case_id, topic, kind, header_message_id, envelope_from, recipients, subject, raw, state, created_at, updated_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`,
		caseID, topic, it.Kind, it.HeaderMessageID, it.EnvelopeFrom, strings.Join(it.Recipients, ","), it.Subject, it.Raw,
		OutboxQueued, now, now, now)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s for case %d %s: %w", it.Kind, it.CaseID, it.Topic, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	id, err = res.LastInsertId()
	if err != nil {
		return 0, false, err
	}
	if err := tx.ledger(EntityOutbox, id, "", string(OutboxQueued), it.Kind); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// BeginSend records, before the SMTP session opens, that an attempt to send
// a queued reply begins: the item becomes sending, with the attempt's time
// and one more attempt begun, and no phase reached yet. A crash from here on
// leaves it sending, for Recover to decide (see InterruptedSends).
func (tx *Tx) BeginSend(id int64) error {
	if err := tx.moveOutbox(id, OutboxQueued, OutboxSending, ""); err != nil {
		return err
	}
	_, err := tx.exec("UPDATE outbox SET send_attempts = send_attempts + 1, attempt_at = ?, attempt_phase = '' WHERE id = ?",
		millis(tx.now), id)
	if err != nil {
		return fmt.Errorf("outbox %d: %w", id, err)
	}
	return nil
}

// SendPhaseData is the phase recorded when an attempt reached DATA: from
// then on the reply may have been accepted by the SMTP server.
const SendPhaseData = "data"

// SendReachedData records that the attempt under way reached DATA, before
// the message's body is sent.
func (tx *Tx) SendReachedData(id int64) error {
	res, err := tx.exec("UPDATE outbox SET attempt_phase = ?, updated_at = ? WHERE id = ? AND state = ?",
		SendPhaseData, millis(tx.now), id, OutboxSending)
	if err != nil {
		return fmt.Errorf("outbox %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("outbox %d is not %s: %w", id, OutboxSending, ErrConflict)
	}
	return tx.Note(EntityOutbox, id, string(OutboxSending), "transmission du message commencée (DATA)")
}

// Capped is the daily limit of replies to one address that EnqueueCapped
// applies.
type Capped struct {
	Addr  string    // the supplier's address the reply goes to
	Since time.Time // the start of the window (24 hours ago)
	Limit int       // replies queued for Addr since Since, at most
	Day   string    // the local day (YYYY-MM-DD) a held-back reply is summarised for
}

// EnqueueCapped queues a reply about a case unless cap.Limit replies to
// cap.Addr were queued since cap.Since: then it is held back instead, for
// the summary of cap.Day (heldBack true), and nothing is queued. The count
// and the insert are in the caller's transaction, which holds the
// database's write lock from its start: two of them cannot both see room
// for one more reply.
func (tx *Tx) EnqueueCapped(it OutboxItem, cap Capped) (queued, heldBack bool, err error) {
	if cap.Limit > 0 {
		n, err := tx.RepliesTo(cap.Addr, cap.Since)
		if err != nil {
			return false, false, err
		}
		if n >= cap.Limit {
			_, err := tx.exec("INSERT INTO replies_held_back (recipient, day, case_id, kind, at) VALUES (?, ?, ?, ?, ?)",
				strings.ToLower(cap.Addr), cap.Day, it.CaseID, it.Kind, millis(tx.now))
			if err != nil {
				return false, false, fmt.Errorf("hold back %s for case %d: %w", it.Kind, it.CaseID, err)
			}
			return false, true, nil
		}
	}
	_, queued, err = tx.Enqueue(it)
	return queued, false, err
}

// HeldBack is a reply held back by the daily limit.
type HeldBack struct {
	CaseID int64
	Kind   string
}

// HeldBackDue returns the addresses and days with held-back replies not yet
// summarised, for days before day (the summary is sent the day after).
func (s *Store) HeldBackDue(ctx context.Context, day string, limit int) ([][2]string, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT DISTINCT recipient, day FROM replies_held_back WHERE summary_id IS NULL AND day < ? ORDER BY day, recipient LIMIT ?", day, limit)
	if err != nil {
		return nil, fmt.Errorf("store: held-back replies: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) ([2]string, error) {
		var v [2]string
		err := row.Scan(&v[0], &v[1])
		return v, err
	})
}

// HeldBackOf returns the replies held back for an address on a day.
func (tx *Tx) HeldBackOf(addr, day string) ([]HeldBack, error) {
	rows, err := tx.tx.QueryContext(tx.ctx,
		"SELECT case_id, kind FROM replies_held_back WHERE recipient = ? AND day = ? ORDER BY id", strings.ToLower(addr), day)
	if err != nil {
		return nil, fmt.Errorf("held-back replies of %s: %w", addr, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (HeldBack, error) {
		var h HeldBack
		err := row.Scan(&h.CaseID, &h.Kind)
		return h, err
	})
}

// HeldBackSummarised records that the held-back replies of an address on a
// day were summarised by the outbox item summaryID.
func (tx *Tx) HeldBackSummarised(addr, day string, summaryID int64) error {
	_, err := tx.exec("UPDATE replies_held_back SET summary_id = ? WHERE recipient = ? AND day = ? AND summary_id IS NULL",
		summaryID, strings.ToLower(addr), day)
	if err != nil {
		return fmt.Errorf("held-back replies of %s: %w", addr, err)
	}
	return nil
}

// ReplyKindsOfCase returns the kinds of the replies queued or sent about a
// case, oldest first.
func (tx *Tx) ReplyKindsOfCase(caseID int64) ([]string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT kind FROM outbox WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, fmt.Errorf("replies of case %d: %w", caseID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var k string
		err := row.Scan(&k)
		return k, err
	})
}

// OutboxByTopic returns the id of the item about a topic, 0 when none.
func (tx *Tx) OutboxByTopic(topic string) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(tx.ctx, "SELECT id FROM outbox WHERE topic = ?", topic).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox of %s: %w", topic, err)
	}
	return id, nil
}

// CasesOfSenderBetween returns the cases opened for messages whose reply
// address is addr (compared without case) in [from, to), oldest first, at
// most limit.
func (tx *Tx) CasesOfSenderBetween(addr string, from, to time.Time, limit int) ([]Case, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, caseSelect+
		" WHERE c.supplier_email = ? COLLATE NOCASE AND c.created_at >= ? AND c.created_at < ? ORDER BY c.id LIMIT ?",
		addr, millis(from), millis(to), limit)
	if err != nil {
		return nil, fmt.Errorf("cases of %s: %w", addr, err)
	}
	return collect(rows, scanCase)
}

// OutboxSent records that a reply was accepted by the SMTP server.
func (tx *Tx) OutboxSent(id int64) error {
	return tx.moveOutbox(id, OutboxSending, OutboxSent, "")
}

// OutboxFailed records that a reply cannot be sent (permanent error, or
// too many attempts).
func (tx *Tx) OutboxFailed(id int64, reason string) error {
	return tx.moveOutbox(id, OutboxSending, OutboxFailed, reason)
}

// SendNotDone puts a reply whose attempt did not deliver it back in the
// queue, to be tried again at next, the failed attempt counted.
func (tx *Tx) SendNotDone(id int64, next time.Time, reason string) error {
	reason = truncate(reason, 2000)
	if err := tx.moveOutbox(id, OutboxSending, OutboxQueued, reason); err != nil {
		return err
	}
	return tx.Retry(EntityOutbox, id, next, reason)
}

// OutboxUnconfirmed records that a reply may have been accepted by the
// SMTP server without Facteur hearing it: sent, unconfirmed. It is never
// sent again on its own (a person may ask for it).
func (tx *Tx) OutboxUnconfirmed(id int64, reason string) error {
	return tx.moveOutbox(id, OutboxSending, OutboxUnconfirmed, truncate(reason, 2000))
}

func (tx *Tx) moveOutbox(id int64, from, to OutboxState, note string) error {
	if err := checkOutboxTransition(from, to); err != nil {
		return err
	}
	var sentAt any
	if to == OutboxSent {
		sentAt = millis(tx.now)
	}
	res, err := tx.exec("UPDATE outbox SET state = ?, updated_at = ?, sent_at = ?, last_error = CASE WHEN ? != '' THEN ? ELSE last_error END WHERE id = ? AND state = ?",
		to, millis(tx.now), sentAt, note, note, id, from)
	if err != nil {
		return fmt.Errorf("outbox %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("outbox %d is not %s: %w", id, from, ErrConflict)
	}
	return tx.ledger(EntityOutbox, id, string(from), string(to), note)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SetCaseFields writes the non-empty fields of set on a case without
// changing its state (e.g. the latest flow state reported by Chorus Pro).
func (tx *Tx) SetCaseFields(id int64, set CaseFields) error {
	cols := []string{"updated_at = ?"}
	args := []any{millis(tx.now)}
	for col, v := range set.columns() {
		if v != "" {
			cols = append(cols, col+" = ?")
			args = append(args, v)
		}
	}
	args = append(args, id)
	if _, err := tx.exec("UPDATE cases SET "+strings.Join(cols, ", ")+" WHERE id = ?", args...); err != nil {
		return fmt.Errorf("case %d: %w", id, err)
	}
	return nil
}

// LiveCaseFor returns the case, if any, through which the same supplier
// invoice (seller SIRET + invoice number) is being or was deposited, or
// whose supplier was asked for what it lacked or told how to deposit it.
func (tx *Tx) LiveCaseFor(sellerSIRET, number string) (*Case, error) {
	return liveCaseFor(tx.ctx, tx.tx, sellerSIRET, number)
}

// LiveCaseFor is Tx.LiveCaseFor outside a transaction (a read).
func (s *Store) LiveCaseFor(ctx context.Context, sellerSIRET, number string) (*Case, error) {
	c, err := liveCaseFor(ctx, s.db, sellerSIRET, number)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return c, nil
}

func liveCaseFor(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, sellerSIRET, number string) (*Case, error) {
	if sellerSIRET == "" || number == "" {
		return nil, nil
	}
	c, err := scanCase(q.QueryRowContext(ctx, caseSelect+
		" WHERE c.supplier_siret = ? AND c.invoice_number = ? AND c.state IN (?, ?, ?, ?, ?, ?) ORDER BY c.id LIMIT 1",
		sellerSIRET, number, CaseRouted, CaseDepositing, CaseDeposited, CaseIntegrated, CaseAwaitingSupplier, CaseGuided))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("live case: %w", err)
	}
	return &c, nil
}

// SupersedeAwaiting closes the cases that waited for the supplier about the
// same invoice (asked for a detail, or told how to deposit it), now that a
// new case (by) carries it to Chorus Pro.
func (tx *Tx) SupersedeAwaiting(by int64, sellerSIRET, number, note string) error {
	if sellerSIRET == "" || number == "" {
		return nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx,
		"SELECT id, state FROM cases WHERE supplier_siret = ? AND invoice_number = ? AND state IN (?, ?) AND id != ?",
		sellerSIRET, number, CaseAwaitingSupplier, CaseGuided, by)
	if err != nil {
		return fmt.Errorf("supersede: %w", err)
	}
	type waiting struct {
		id    int64
		state CaseState
	}
	var ws []waiting
	for rows.Next() {
		var w waiting
		if err := rows.Scan(&w.id, &w.state); err != nil {
			rows.Close()
			return fmt.Errorf("supersede: %w", err)
		}
		ws = append(ws, w)
	}
	rows.Close()
	for _, w := range ws {
		if err := tx.MoveCase(w.id, w.state, CaseIgnored, note, CaseFields{}); err != nil {
			return err
		}
	}
	return nil
}

// CaseRepliedTo returns the case one of whose replies has one of the given
// Message-IDs (as found in an answer's In-Reply-To or References).
func (tx *Tx) CaseRepliedTo(messageIDs []string) (*Case, error) {
	for _, id := range messageIDs {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		if id == "" {
			continue
		}
		var caseID int64
		// (Items about no case, the digest, are not replies to a case.)
		err := tx.tx.QueryRowContext(tx.ctx, "SELECT case_id FROM outbox WHERE header_message_id = ? AND case_id IS NOT NULL", id).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("case replied to: %w", err)
		}
		c, err := tx.Case(caseID)
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
	return nil, nil
}

// CaseByRef returns the case with a reference, or nil.
func (tx *Tx) CaseByRef(ref string) (*Case, error) {
	c, err := scanCase(tx.tx.QueryRowContext(tx.ctx, caseSelect+" WHERE c.ref = ?", ref))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	return &c, nil
}

// RepliesTo counts the replies queued for an address since a time.
func (tx *Tx) RepliesTo(addr string, since time.Time) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(tx.ctx,
		"SELECT COUNT(*) FROM outbox WHERE created_at >= ? AND (',' || lower(recipients) || ',') LIKE ?",
		millis(since), "%,"+strings.ToLower(addr)+",%").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("replies to %s: %w", addr, err)
	}
	return n, nil
}

// MessageHeaderID returns the Message-ID header of an ingested message.
func (tx *Tx) MessageHeaderID(messageID int64) (string, error) {
	var id string
	err := tx.tx.QueryRowContext(tx.ctx, "SELECT header_message_id FROM messages WHERE id = ?", messageID).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("message %d: %w", messageID, err)
	}
	return id, nil
}

// RequeueFailedReplies puts the failed replies of a case back in the queue,
// when a person asks for it; it returns how many.
func (tx *Tx) RequeueFailedReplies(caseID int64, note string) (int, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT id, state FROM outbox WHERE case_id = ? AND state IN (?, ?)", caseID, OutboxFailed, OutboxUnconfirmed)
	if err != nil {
		return 0, fmt.Errorf("requeue: %w", err)
	}
	type item struct {
		id    int64
		state OutboxState
	}
	var ids []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.state); err != nil {
			rows.Close()
			return 0, fmt.Errorf("requeue: %w", err)
		}
		ids = append(ids, it)
	}
	rows.Close()
	for _, it := range ids {
		if err := tx.moveOutbox(it.id, it.state, OutboxQueued, note); err != nil {
			return 0, err
		}
		if _, err := tx.exec("UPDATE outbox SET attempts = 0, next_attempt_at = ? WHERE id = ?", millis(tx.now), it.id); err != nil {
			return 0, fmt.Errorf("requeue: %w", err)
		}
	}
	return len(ids), nil
}

// SetInvoiceID records the invoice's identifier on Chorus Pro
// (identifiantFactureCPP).
func (tx *Tx) SetInvoiceID(caseID, invoiceID int64) error {
	if _, err := tx.exec("UPDATE cases SET invoice_id = ?, updated_at = ? WHERE id = ?", invoiceID, millis(tx.now), caseID); err != nil {
		return fmt.Errorf("case %d: %w", caseID, err)
	}
	return nil
}

// Note records in the ledger a fact about an entity that does not change
// its state (e.g. a new lifecycle status reported by Chorus Pro).
func (tx *Tx) Note(entity Entity, id int64, state, note string) error {
	return tx.ledger(entity, id, state, state, note)
}

// KnownIBAN returns the IBAN of the supplier's latest invoice that went
// through (deposited, integrated or paid) other than the case except, and
// that case's reference; "" when there is none.
func (tx *Tx) KnownIBAN(sellerSIRET string, except int64) (iban, ref string, err error) {
	return knownIBAN(tx.ctx, tx.tx, sellerSIRET, except)
}

// KnownIBAN is Tx.KnownIBAN outside a transaction (a read).
func (s *Store) KnownIBAN(ctx context.Context, sellerSIRET string, except int64) (iban, ref string, err error) {
	return knownIBAN(ctx, s.db, sellerSIRET, except)
}

func knownIBAN(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, sellerSIRET string, except int64) (iban, ref string, err error) {
	if sellerSIRET == "" {
		return "", "", nil
	}
	err = q.QueryRowContext(ctx, `
SELECT iban, ref FROM cases
WHERE supplier_siret = ? AND id != ? AND iban != '' AND state IN (?, ?, ?)
ORDER BY id DESC LIMIT 1`, sellerSIRET, except, CaseDeposited, CaseIntegrated, CasePaid).Scan(&iban, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("store: known IBAN: %w", err)
	}
	return iban, ref, nil
}

// CasesOfSender returns the newest cases (at most limit) opened for
// messages whose reply address is addr (compared without case), newest
// first: what a supplier may ask about.
func (tx *Tx) CasesOfSender(addr string, limit int) ([]Case, error) {
	if addr == "" {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, caseSelect+" WHERE c.supplier_email = ? COLLATE NOCASE ORDER BY c.id DESC LIMIT ?", addr, limit)
	if err != nil {
		return nil, fmt.Errorf("cases of %s: %w", addr, err)
	}
	return collect(rows, scanCase)
}
