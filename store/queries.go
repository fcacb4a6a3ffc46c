package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message is an ingested message as the store knows it.
type Message struct {
	ID              int64
	Mailbox         string
	UIDValidity     uint32
	UID             uint32
	SHA256          string
	Size            int64
	State           MessageState
	Reason          string
	Disposition     Disposition
	HeaderMessageID string
	From            string
	Subject         string
	Attempts        int
	LastError       string
	ReceivedAt      time.Time
	Filed           bool
	// NotDownloaded is set for a message too big to download (see
	// Incoming.NotDownloaded).
	NotDownloaded *NotDownloaded
}

const messageSelect = `SELECT id, mailbox, uidvalidity, uid, sha256, size, state, reason, disposition,
	header_message_id, from_addr, subject, attempts, last_error, received_at, filed_at IS NOT NULL, not_downloaded FROM messages`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var received int64
	var nd string
	err := row.Scan(&m.ID, &m.Mailbox, &m.UIDValidity, &m.UID, &m.SHA256, &m.Size, &m.State, &m.Reason, &m.Disposition,
		&m.HeaderMessageID, &m.From, &m.Subject, &m.Attempts, &m.LastError, &received, &m.Filed, &nd)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	m.ReceivedAt = fromMillis(received)
	m.NotDownloaded, err = decodeNotDownloaded(nd)
	return m, err
}

// encodeNotDownloaded is the not_downloaded column of a message: "" for a
// message downloaded, else its description as JSON.
func encodeNotDownloaded(nd *NotDownloaded) (string, error) {
	if nd == nil {
		return "", nil
	}
	b, err := json.Marshal(nd)
	if err != nil {
		return "", fmt.Errorf("encode not_downloaded: %w", err)
	}
	return string(b), nil
}

func decodeNotDownloaded(s string) (*NotDownloaded, error) {
	if s == "" {
		return nil, nil
	}
	nd := new(NotDownloaded)
	if err := json.Unmarshal([]byte(s), nd); err != nil {
		return nil, fmt.Errorf("decode not_downloaded: %w", err)
	}
	return nd, nil
}

// Message returns one message.
func (s *Store) Message(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, messageSelect+" WHERE id = ?", id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return m, fmt.Errorf("store: message %d: %w", id, err)
	}
	return m, err
}

// DueMessages returns received messages whose next attempt is due.
func (s *Store) DueMessages(ctx context.Context, limit int) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, messageSelect+" WHERE state = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?",
		MessageReceived, millis(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due messages: %w", err)
	}
	return collect(rows, scanMessage)
}

// Messages lists messages, newest first.
func (s *Store) Messages(ctx context.Context, limit int) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, messageSelect+" ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return collect(rows, scanMessage)
}

// Case is an invoice case.
type Case struct {
	ID         int64
	Ref        string
	MessageID  int64
	DocumentID int64
	State      CaseState
	Reason     string
	CaseFields
	InvoiceID int64 // identifiantFactureCPP, 0 until known
	Attempts  int
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Document is the index of the case's document in its message, -1 when
	// the case is about the message as a whole.
	Document    int
	DocumentSHA string
	Subject     string
	From        string
}

const caseSelect = `SELECT c.id, c.ref, c.message_id, COALESCE(c.document_id, 0), c.state, c.reason,
	c.supplier_name, c.supplier_siret, c.supplier_email, c.invoice_number, c.invoice_date, c.amount_with_vat,
	c.currency, c.budget, c.recipient_siret, c.engagement, c.syntax, c.flow_number, c.deposit_date, c.flow_state,
	c.no_reply, c.lifecycle, c.invoice_id, c.attempts, c.last_error, c.created_at, c.updated_at, COALESCE(d.idx, -1), COALESCE(d.sha256, ''),
	m.subject, m.from_addr, c.invoice_type
FROM cases c JOIN messages m ON m.id = c.message_id LEFT JOIN documents d ON d.id = c.document_id`

func scanCase(row interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var created, updated int64
	err := row.Scan(&c.ID, &c.Ref, &c.MessageID, &c.DocumentID, &c.State, &c.Reason,
		&c.SupplierName, &c.SupplierSIRET, &c.SupplierEmail, &c.InvoiceNumber, &c.InvoiceDate, &c.AmountWithVAT,
		&c.Currency, &c.Budget, &c.RecipientSIRET, &c.Engagement, &c.Syntax, &c.FlowNumber, &c.DepositDate, &c.FlowState,
		&c.NoReply, &c.Lifecycle, &c.InvoiceID, &c.Attempts, &c.LastError, &created, &updated, &c.Document, &c.DocumentSHA, &c.Subject, &c.From,
		&c.InvoiceType)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, err
}

// Case returns one case.
func (s *Store) Case(ctx context.Context, id int64) (Case, error) {
	c, err := scanCase(s.db.QueryRowContext(ctx, caseSelect+" WHERE c.id = ?", id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return c, fmt.Errorf("store: case %d: %w", id, err)
	}
	return c, err
}

// CaseByRef returns the case with a reference such as FAC-2026-000123.
func (s *Store) CaseByRef(ctx context.Context, ref string) (Case, error) {
	c, err := scanCase(s.db.QueryRowContext(ctx, caseSelect+" WHERE c.ref = ?", ref))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return c, fmt.Errorf("store: case %s: %w", ref, err)
	}
	return c, err
}

// DueCases returns the cases in one of the given states whose next attempt is due.
func (s *Store) DueCases(ctx context.Context, limit int, states ...CaseState) ([]Case, error) {
	if len(states) == 0 {
		return nil, nil
	}
	q := caseSelect + " WHERE c.state IN (" + placeholders(len(states)) + ") AND c.next_attempt_at <= ? ORDER BY c.id LIMIT ?"
	args := make([]any, 0, len(states)+2)
	for _, st := range states {
		args = append(args, st)
	}
	args = append(args, millis(s.now()), limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: due cases: %w", err)
	}
	return collect(rows, scanCase)
}

// CaseFilter selects cases to list.
type CaseFilter struct {
	States []CaseState
	// Search keeps the cases where it appears (accents, case and spaces
	// ignored) in the reference, the supplier's name, SIRET or address, the
	// invoice or engagement number, the flow number or the e-mail subject.
	// It is read from an index of substrings of three characters: a shorter
	// one is ErrSearchTooShort.
	Search string
	// UpdatedBefore keeps the cases not changed since that instant.
	UpdatedBefore time.Time
	// Budget keeps the cases of this budget (its name, as recorded).
	Budget string
	// Supplier keeps the cases whose supplier's name, SIRET or address
	// contains it (accents, case and spaces ignored; read from the index
	// like Search, so at least MinSearch characters).
	Supplier string
	// Since and Until keep the cases received at or after Since and
	// before Until (zero: unbounded).
	Since, Until time.Time
	Limit        int
	// Offset skips the first cases of the list (pagination).
	Offset int
}

// ErrSupplierNotCounted: CountCases does not count by supplier (the
// index finds the text in every searched field, not the supplier's only).
var ErrSupplierNotCounted = errors.New("store: cases are not counted by supplier")

// supplierMatches reports whether the case's supplier fields contain the
// folded text.
func (c Case) supplierMatches(folded string) bool {
	for _, v := range []string{c.SupplierName, c.SupplierSIRET, c.SupplierEmail} {
		if strings.Contains(searchFold(v), folded) {
			return true
		}
	}
	return false
}

// receivedConds are the conditions of the filter's budget and dates.
func (f CaseFilter) receivedConds() ([]string, []any) {
	var conds []string
	var args []any
	if f.Budget != "" {
		conds = append(conds, "c.budget = ?")
		args = append(args, f.Budget)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "c.created_at >= ?")
		args = append(args, millis(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "c.created_at < ?")
		args = append(args, millis(f.Until))
	}
	return conds, args
}

// where is the filter's WHERE clause (with its leading space), and its
// arguments.
func (f CaseFilter) where() (string, []any, error) {
	var conds []string
	var args []any
	if len(f.States) > 0 {
		conds = append(conds, "c.state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if !f.UpdatedBefore.IsZero() {
		conds = append(conds, "c.updated_at < ?")
		args = append(args, millis(f.UpdatedBefore))
	}
	rc, ra := f.receivedConds()
	conds, args = append(conds, rc...), append(args, ra...)
	if f.Search != "" {
		q, err := searchQuery(f.Search)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?)")
		args = append(args, q)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// Cases lists cases, newest first (at most f.Limit, 1,000 when unset); with
// UpdatedBefore, the last changed first.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	if (f.Search != "" || f.Supplier != "") && f.UpdatedBefore.IsZero() {
		return s.searchCases(ctx, f)
	}
	if f.Supplier != "" {
		return nil, fmt.Errorf("store: cases: a supplier filter with UpdatedBefore: %w", errors.ErrUnsupported)
	}
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	order := " ORDER BY c.id DESC"
	if !f.UpdatedBefore.IsZero() {
		order = " ORDER BY c.updated_at DESC, c.id DESC"
	}
	rows, err := s.db.QueryContext(ctx, caseSelect+where+order+" LIMIT ? OFFSET ?", append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("store: cases: %w", err)
	}
	return collect(rows, scanCase)
}

// searchCases answers a search from the index, newest first: the index's
// rows are read in descending case order and stop at the limit, each
// checked against the search itself (searchCandidates may match more).
// CROSS JOIN keeps the index as the outer loop: with a state filter,
// SQLite would otherwise read every case of the state and probe the index
// for each.
func (s *Store) searchCases(ctx context.Context, f CaseFilter) ([]Case, error) {
	// The index is read for the search, else for the supplier; each case
	// is checked against both.
	var folded, supplier string
	var err error
	if f.Search != "" {
		if folded, err = foldSearch(f.Search); err != nil {
			return nil, err
		}
	}
	if f.Supplier != "" {
		if supplier, err = foldSearch(f.Supplier); err != nil {
			return nil, err
		}
	}
	drive := folded
	if drive == "" {
		drive = supplier
	}
	q := strings.Replace(caseSelect, "FROM cases c JOIN", "FROM case_search s CROSS JOIN cases c ON c.id = s.rowid JOIN", 1) +
		" WHERE case_search MATCH ?"
	args := []any{searchCandidates(drive)}
	if len(f.States) > 0 {
		q += " AND c.state IN (" + placeholders(len(f.States)) + ")"
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if rc, ra := f.receivedConds(); len(rc) > 0 {
		q += " AND " + strings.Join(rc, " AND ")
		args = append(args, ra...)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY s.rowid DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("store: search cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	skip := max(f.Offset, 0)
	for len(out) < f.Limit && rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		if (folded == "" || c.matches(folded)) && (supplier == "" || c.supplierMatches(supplier)) {
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search cases: %w", err)
	}
	return out, nil
}

// matches reports whether one of the case's searched fields holds the
// folded search text.
func (c Case) matches(folded string) bool {
	for _, v := range []string{c.Ref, c.SupplierName, c.SupplierSIRET, c.SupplierEmail, c.InvoiceNumber,
		c.Engagement, c.FlowNumber, c.Subject} {
		if strings.Contains(searchFold(v), folded) {
			return true
		}
	}
	return false
}

// CountCases counts the cases a filter selects (its Limit aside): from the
// counts kept per state when it names states only.
func (s *Store) CountCases(ctx context.Context, f CaseFilter) (int, error) {
	if f.Supplier != "" {
		return 0, ErrSupplierNotCounted
	}
	if rc, _ := f.receivedConds(); f.Search == "" && f.UpdatedBefore.IsZero() && len(rc) == 0 {
		q := "SELECT COALESCE(SUM(n), 0) FROM state_counts WHERE entity = 'cases'"
		var args []any
		if len(f.States) > 0 {
			q += " AND state IN (" + placeholders(len(f.States)) + ")"
			for _, st := range f.States {
				args = append(args, st)
			}
		}
		var n int
		if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: count cases: %w", err)
		}
		return n, nil
	}
	where, args, err := f.where()
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cases c"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// CasesOfMessage returns the cases opened for a message, in creation order.
func (s *Store) CasesOfMessage(ctx context.Context, messageID int64) ([]Case, error) {
	rows, err := s.db.QueryContext(ctx, caseSelect+" WHERE c.message_id = ? ORDER BY c.id", messageID)
	if err != nil {
		return nil, fmt.Errorf("store: cases of message %d: %w", messageID, err)
	}
	return collect(rows, scanCase)
}

// MessagesAwaitingSettlement returns parsed messages whose cases are all settled.
func (s *Store) MessagesAwaitingSettlement(ctx context.Context, limit int) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, messageSelect+` WHERE state = ? AND NOT EXISTS (
	SELECT 1 FROM cases c WHERE c.message_id = messages.id AND c.state IN (?, ?, ?))
ORDER BY id LIMIT ?`, MessageParsed, CaseNew, CaseRouted, CaseDepositing, limit)
	if err != nil {
		return nil, fmt.Errorf("store: messages awaiting settlement: %w", err)
	}
	return collect(rows, scanMessage)
}

const outboxSelect = `SELECT id, COALESCE(case_id, 0), COALESCE(topic, ''), kind, header_message_id, envelope_from, recipients, subject, raw, state,
	attempts, last_error, created_at, COALESCE(sent_at, 0), send_attempts, attempt_at, attempt_phase FROM outbox`

func scanOutbox(row interface{ Scan(...any) error }) (OutboxItem, error) {
	var it OutboxItem
	var rcpt string
	var created, sent, attempt int64
	err := row.Scan(&it.ID, &it.CaseID, &it.Topic, &it.Kind, &it.HeaderMessageID, &it.EnvelopeFrom, &rcpt, &it.Subject, &it.Raw,
		&it.State, &it.Attempts, &it.LastError, &created, &sent, &it.SendAttempts, &attempt, &it.AttemptPhase)
	if errors.Is(err, sql.ErrNoRows) {
		return it, ErrNotFound
	}
	if rcpt != "" {
		it.Recipients = strings.Split(rcpt, ",")
	}
	it.CreatedAt, it.SentAt, it.AttemptAt = fromMillis(created), fromMillis(sent), fromMillis(attempt)
	return it, err
}

// DueOutbox returns queued replies whose next attempt is due.
func (s *Store) DueOutbox(ctx context.Context, limit int) ([]OutboxItem, error) {
	rows, err := s.db.QueryContext(ctx, outboxSelect+" WHERE state = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?",
		OutboxQueued, millis(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	return collect(rows, scanOutbox)
}

// InterruptedSends returns the replies left sending: an attempt began and
// its end was never recorded (the process stopped, or the store failed,
// during or right after the SMTP session).
func (s *Store) InterruptedSends(ctx context.Context) ([]OutboxItem, error) {
	rows, err := s.db.QueryContext(ctx, outboxSelect+" WHERE state = ? ORDER BY id", OutboxSending)
	if err != nil {
		return nil, fmt.Errorf("store: interrupted sends: %w", err)
	}
	return collect(rows, scanOutbox)
}

// UnconfirmedSends counts the replies ever marked sent, unconfirmed (a
// counter: the ledger keeps them even once a person had one sent again).
func (s *Store) UnconfirmedSends(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger WHERE entity = ? AND from_state = ? AND to_state = ?",
		EntityOutbox, OutboxSending, OutboxUnconfirmed).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unconfirmed sends: %w", err)
	}
	return n, nil
}

// OutboxOfCase returns the replies of a case.
func (s *Store) OutboxOfCase(ctx context.Context, caseID int64) ([]OutboxItem, error) {
	rows, err := s.db.QueryContext(ctx, outboxSelect+" WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of case %d: %w", caseID, err)
	}
	return collect(rows, scanOutbox)
}

// LedgerEntry is one recorded state change.
type LedgerEntry struct {
	At       time.Time
	Entity   Entity
	EntityID int64
	From, To string
	Note     string
}

// Ledger returns the state changes of one entity, oldest first.
func (s *Store) Ledger(ctx context.Context, entity Entity, id int64) ([]LedgerEntry, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT at, entity, entity_id, from_state, to_state, note FROM ledger WHERE entity = ? AND entity_id = ? ORDER BY id",
		entity, id)
	if err != nil {
		return nil, fmt.Errorf("store: ledger: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (LedgerEntry, error) {
		var e LedgerEntry
		var at int64
		err := row.Scan(&at, &e.Entity, &e.EntityID, &e.From, &e.To, &e.Note)
		e.At = fromMillis(at)
		return e, err
	})
}

// Pending counts the work Facteur still has to do on its own: messages not
// settled, cases being deposited, replies not sent, messages not filed.
type Pending struct {
	Messages, Cases, Outbox, Unfiled int
}

// Idle reports whether nothing is pending.
func (p Pending) Idle() bool { return p == Pending{} }

// Pending returns the amount of outstanding automatic work.
func (s *Store) Pending(ctx context.Context) (Pending, error) {
	var p Pending
	err := s.db.QueryRowContext(ctx, `SELECT
	(SELECT COUNT(*) FROM messages WHERE state IN (?, ?)),
	(SELECT COUNT(*) FROM cases WHERE state IN (?, ?, ?, ?)),
	(SELECT COUNT(*) FROM outbox WHERE state IN (?, ?)),
	(SELECT COUNT(*) FROM messages WHERE state IN (?, ?) AND filed_at IS NULL)`,
		MessageReceived, MessageParsed, CaseNew, CaseRouted, CaseDepositing, CaseDeposited, OutboxQueued, OutboxSending, MessageDone, MessageFailed,
	).Scan(&p.Messages, &p.Cases, &p.Outbox, &p.Unfiled)
	if err != nil {
		return p, fmt.Errorf("store: pending: %w", err)
	}
	return p, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rows: %w", err)
	}
	return out, nil
}

// Counts are the numbers of messages, cases and replies in each state.
type Counts struct {
	Messages map[MessageState]int
	Cases    map[CaseState]int
	Outbox   map[OutboxState]int
}

// Counts counts the rows of each state (for metrics), as the triggers of
// migration 9 keep them: a read of a few rows, not of every row.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Messages: map[MessageState]int{}, Cases: map[CaseState]int{}, Outbox: map[OutboxState]int{}}
	rows, err := s.db.QueryContext(ctx, "SELECT entity, state, n FROM state_counts WHERE n <> 0")
	if err != nil {
		return c, fmt.Errorf("store: counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var entity, st string
		var n int
		if err := rows.Scan(&entity, &st, &n); err != nil {
			return c, fmt.Errorf("store: counts: %w", err)
		}
		switch entity {
		case "messages":
			c.Messages[MessageState(st)] = n
		case "cases":
			c.Cases[CaseState(st)] = n
		case "outbox":
			c.Outbox[OutboxState(st)] = n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("store: counts: %w", err)
	}
	return c, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// TransitionCount is how many times entities went from one state to
// another.
type TransitionCount struct {
	From, To string
	N        int
}

// Transitions counts the state changes of one kind of entity recorded at or
// after since (notes, which keep the state, are left out).
func (s *Store) Transitions(ctx context.Context, entity Entity, since time.Time) ([]TransitionCount, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT from_state, to_state, COUNT(*) FROM ledger WHERE entity = ? AND at >= ? AND from_state != to_state GROUP BY from_state, to_state ORDER BY from_state, to_state",
		entity, millis(since))
	if err != nil {
		return nil, fmt.Errorf("store: transitions: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (TransitionCount, error) {
		var c TransitionCount
		err := row.Scan(&c.From, &c.To, &c.N)
		return c, err
	})
}

// LastOutbox returns the newest outbox item of a kind, or ErrNotFound.
func (s *Store) LastOutbox(ctx context.Context, kind string) (OutboxItem, error) {
	return scanOutbox(s.db.QueryRowContext(ctx, outboxSelect+" WHERE kind = ? ORDER BY id DESC LIMIT 1", kind))
}

// FailedOutbox returns the items that could not be sent, marked failed at
// or after since, oldest first.
func (s *Store) FailedOutbox(ctx context.Context, since time.Time) ([]OutboxItem, error) {
	rows, err := s.db.QueryContext(ctx, outboxSelect+" WHERE state = ? AND updated_at >= ? ORDER BY id", OutboxFailed, millis(since))
	if err != nil {
		return nil, fmt.Errorf("store: failed outbox: %w", err)
	}
	return collect(rows, scanOutbox)
}

// DocumentsOfMessage returns the documents found in a message, in order.
func (s *Store) DocumentsOfMessage(ctx context.Context, messageID int64) ([]DocumentInfo, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT id, idx, name, content_type, format, sha256, size, is_invoice, error, problem, problem_limit FROM documents WHERE message_id = ? ORDER BY idx", messageID)
	if err != nil {
		return nil, fmt.Errorf("store: documents of message %d: %w", messageID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (DocumentInfo, error) {
		var d DocumentInfo
		err := row.Scan(&d.ID, &d.Index, &d.Name, &d.ContentType, &d.Format, &d.SHA256, &d.Size, &d.IsInvoice, &d.Error, &d.Problem, &d.Limit)
		return d, err
	})
}
