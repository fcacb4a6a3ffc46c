package store

import "strings"

// migrations are applied in order; the database's user_version is the number
// of migrations applied. Never edit a released migration: append a new one.
var migrations = []string{
	// 1: the walking skeleton schema.
	`
CREATE TABLE mailboxes (
	name        TEXT PRIMARY KEY,
	uidvalidity INTEGER NOT NULL,
	last_uid    INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);

CREATE TABLE messages (
	id                INTEGER PRIMARY KEY,
	mailbox           TEXT    NOT NULL,
	uidvalidity       INTEGER NOT NULL,
	uid               INTEGER NOT NULL,
	sha256            TEXT    NOT NULL,
	size              INTEGER NOT NULL,
	spool_name        TEXT    NOT NULL,
	state             TEXT    NOT NULL DEFAULT 'received',
	reason            TEXT    NOT NULL DEFAULT '',
	disposition       TEXT    NOT NULL DEFAULT '',
	header_message_id TEXT    NOT NULL DEFAULT '',
	from_addr         TEXT    NOT NULL DEFAULT '',
	subject           TEXT    NOT NULL DEFAULT '',
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT    NOT NULL DEFAULT '',
	received_at       INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	filed_at          INTEGER,
	UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX messages_by_hash ON messages (mailbox, sha256);
CREATE INDEX messages_by_state ON messages (state, next_attempt_at);
CREATE INDEX messages_by_header_id ON messages (header_message_id);

CREATE TABLE documents (
	id           INTEGER PRIMARY KEY,
	message_id   INTEGER NOT NULL REFERENCES messages (id),
	idx          INTEGER NOT NULL,
	name         TEXT    NOT NULL,
	content_type TEXT    NOT NULL,
	format       TEXT    NOT NULL,
	sha256       TEXT    NOT NULL,
	size         INTEGER NOT NULL,
	is_invoice   INTEGER NOT NULL,
	error        TEXT    NOT NULL DEFAULT '',
	UNIQUE (message_id, idx)
);

CREATE TABLE cases (
	id               INTEGER PRIMARY KEY,
	ref              TEXT    NOT NULL UNIQUE,
	message_id       INTEGER NOT NULL REFERENCES messages (id),
	document_id      INTEGER REFERENCES documents (id),
	state            TEXT    NOT NULL,
	reason           TEXT    NOT NULL DEFAULT '',
	supplier_name    TEXT    NOT NULL DEFAULT '',
	supplier_siret   TEXT    NOT NULL DEFAULT '',
	supplier_email   TEXT    NOT NULL DEFAULT '',
	invoice_number   TEXT    NOT NULL DEFAULT '',
	invoice_date     TEXT    NOT NULL DEFAULT '',
	amount_with_vat  TEXT    NOT NULL DEFAULT '',
	currency         TEXT    NOT NULL DEFAULT '',
	budget           TEXT    NOT NULL DEFAULT '',
	recipient_siret  TEXT    NOT NULL DEFAULT '',
	engagement       TEXT    NOT NULL DEFAULT '',
	syntax           TEXT    NOT NULL DEFAULT '',
	flow_number      TEXT    NOT NULL DEFAULT '',
	deposit_date     TEXT    NOT NULL DEFAULT '',
	flow_state       TEXT    NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX cases_by_state ON cases (state, next_attempt_at);
CREATE INDEX cases_by_message ON cases (message_id);

CREATE TABLE outbox (
	id                INTEGER PRIMARY KEY,
	case_id           INTEGER NOT NULL REFERENCES cases (id),
	kind              TEXT    NOT NULL,
	header_message_id TEXT    NOT NULL,
	envelope_from     TEXT    NOT NULL,
	recipients        TEXT    NOT NULL,
	subject           TEXT    NOT NULL,
	raw               BLOB    NOT NULL,
	state             TEXT    NOT NULL DEFAULT 'queued',
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	sent_at           INTEGER,
	UNIQUE (case_id, kind)
);
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);

CREATE TABLE ledger (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	entity    TEXT    NOT NULL,
	entity_id INTEGER NOT NULL,
	from_state TEXT   NOT NULL,
	to_state  TEXT    NOT NULL,
	note      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ledger_by_entity ON ledger (entity, entity_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`,
	// 2: why no reply may be sent about a case (automatic sender, own
	// address...), decided once when the case is opened.
	`ALTER TABLE cases ADD COLUMN no_reply TEXT NOT NULL DEFAULT '';`,
	// 3: the invoice on Chorus Pro (identifiantFactureCPP) and its latest
	// lifecycle status, followed after integration.
	`ALTER TABLE cases ADD COLUMN invoice_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '';`,
	// 4: outbox items about no case (the daily digest to finance staff):
	// case_id becomes optional, and such an item has a topic, unique, that
	// keeps it from being queued twice ("digest:2026-11-26"). SQLite cannot
	// relax NOT NULL in place: the table is rebuilt, ids kept.
	`
CREATE TABLE outbox_v4 (
	id                INTEGER PRIMARY KEY,
	case_id           INTEGER REFERENCES cases (id),
	topic             TEXT,
	kind              TEXT    NOT NULL,
	header_message_id TEXT    NOT NULL,
	envelope_from     TEXT    NOT NULL,
	recipients        TEXT    NOT NULL,
	subject           TEXT    NOT NULL,
	raw               BLOB    NOT NULL,
	state             TEXT    NOT NULL DEFAULT 'queued',
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	sent_at           INTEGER,
	UNIQUE (case_id, kind),
	UNIQUE (topic),
	CHECK ((case_id IS NULL) != (topic IS NULL))
);
INSERT INTO outbox_v4 (id, case_id, kind, header_message_id, envelope_from, recipients, subject, raw, state,
	attempts, next_attempt_at, last_error, created_at, updated_at, sent_at)
SELECT id, case_id, kind, header_message_id, envelope_from, recipients, subject, raw, state,
	attempts, next_attempt_at, last_error, created_at, updated_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
`,
	// 5: a message too big to download is recorded as such, with what the
	// server told of it (size, limit, folder, attachments, as JSON), in the
	// row: never as a header of the ingested bytes, which anyone can write.
	// A document that could not be read keeps the parser's typed problem
	// (and the limit reached) beside its technical error.
	`ALTER TABLE messages ADD COLUMN not_downloaded TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN problem TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN problem_limit TEXT NOT NULL DEFAULT '';`,
	// 6: the IBAN an invoice names, so that one differing from the
	// supplier's earlier invoices is noticed (the "changement de RIB"
	// fraud), with the index that finds a supplier's cases.
	`ALTER TABLE cases ADD COLUMN iban TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_by_supplier ON cases (supplier_siret, id);`,
	// 7: ten years of mail (BENCHMARKS.md, "Growth over ten years"): the
	// indexes that keep the daemon's, the digest's and `facteur cases`'s
	// queries from reading whole tables (EXPLAIN QUERY PLAN showed scans),
	// and the mark of a raw message pruned by the retention setting (the
	// instant, in ms; 0 while its spool file is kept).
	`ALTER TABLE messages ADD COLUMN raw_pruned_at INTEGER NOT NULL DEFAULT 0;
-- ToFile, Pending: the few messages not filed yet, among a million filed.
CREATE INDEX messages_unfiled ON messages (state, mailbox, uid) WHERE filed_at IS NULL;
-- LiveCaseFor, SupersedeAwaiting: one invoice of a supplier with years of them.
CREATE INDEX cases_by_invoice ON cases (supplier_siret, invoice_number);
-- CasesOfSender: what a supplier asking about its invoices may be told.
CREATE INDEX cases_by_email ON cases (supplier_email COLLATE NOCASE);
-- Cases of a state, newest first (the digest, cases list --state): the
-- entries of a state are in id order, no sort of every held case.
CREATE INDEX cases_by_state_newest ON cases (state);
-- LastOutbox: the latest digest, among every reply ever sent.
CREATE INDEX outbox_by_kind ON outbox (kind);
-- CaseRepliedTo: the reply a supplier answers.
CREATE INDEX outbox_by_header_id ON outbox (header_message_id);
-- RepliesTo: the replies of the last day (the reply's raw bytes sit
-- before created_at in the row: a scan reads every reply ever sent).
CREATE INDEX outbox_by_created ON outbox (created_at);
-- FailedOutbox: the replies that failed since the previous digest.
CREATE INDEX outbox_by_updated ON outbox (state, updated_at);
-- Transitions: the state changes since the previous digest (covering).
CREATE INDEX ledger_by_time ON ledger (entity, at, from_state, to_state);`,
	// 8: what the document is ("invoice", "credit_note"), so that a reply
	// calls a credit note an avoir.
	`ALTER TABLE cases ADD COLUMN invoice_type TEXT NOT NULL DEFAULT '';`,
	// 9: ten years of mail, continued (BENCHMARKS.md): the search of
	// `facteur cases list --search` reads an index instead of every case,
	// and the counts per state (metrics, systemd status, the digest) are
	// kept by triggers instead of counting a million rows each minute.
	// facteur_search_text is the store's own SQL function (store/search.go).
	`CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize = 'trigram', content = '', contentless_delete = 1);
INSERT INTO case_search (rowid, body)
	SELECT c.id, facteur_search_text(c.ref, c.supplier_name, c.supplier_siret, c.supplier_email,
		c.invoice_number, c.engagement, c.flow_number, m.subject)
	FROM cases c JOIN messages m ON m.id = c.message_id;
CREATE TRIGGER case_search_insert AFTER INSERT ON cases BEGIN
	INSERT INTO case_search (rowid, body) VALUES (new.id, facteur_search_text(new.ref, new.supplier_name,
		new.supplier_siret, new.supplier_email, new.invoice_number, new.engagement, new.flow_number,
		(SELECT subject FROM messages WHERE id = new.message_id)));
END;
CREATE TRIGGER case_search_update AFTER UPDATE OF ref, message_id, supplier_name, supplier_siret, supplier_email,
	invoice_number, engagement, flow_number ON cases BEGIN
	DELETE FROM case_search WHERE rowid = old.id;
	INSERT INTO case_search (rowid, body) VALUES (new.id, facteur_search_text(new.ref, new.supplier_name,
		new.supplier_siret, new.supplier_email, new.invoice_number, new.engagement, new.flow_number,
		(SELECT subject FROM messages WHERE id = new.message_id)));
END;
CREATE TRIGGER case_search_delete AFTER DELETE ON cases BEGIN
	DELETE FROM case_search WHERE rowid = old.id;
END;
-- Cases of a state not changed for a while (the digest's unanswered requests).
CREATE INDEX cases_by_state_updated ON cases (state, updated_at);
CREATE TABLE state_counts (
	entity TEXT    NOT NULL,
	state  TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (entity, state)
) WITHOUT ROWID;
INSERT INTO state_counts (entity, state, n) SELECT 'messages', state, COUNT(*) FROM messages GROUP BY state;
INSERT INTO state_counts (entity, state, n) SELECT 'cases', state, COUNT(*) FROM cases GROUP BY state;
INSERT INTO state_counts (entity, state, n) SELECT 'outbox', state, COUNT(*) FROM outbox GROUP BY state;
` + countTriggers("messages") + countTriggers("cases") + countTriggers("outbox"),
	// 10: the restores from a backup (store/restored.go), and the cases
	// searched on Chorus Pro before their first deposit after one.
	`CREATE TABLE restores (
	at                INTEGER PRIMARY KEY,
	backup_created_at INTEGER NOT NULL
);
CREATE TABLE restore_checked (
	case_id INTEGER PRIMARY KEY REFERENCES cases (id),
	at      INTEGER NOT NULL
);`,
	// 11: a reply is sent once across crashes: each attempt is recorded
	// before the SMTP session opens (state "sending", its time, a counter
	// of attempts begun) and, durably, when it reached DATA (its phase),
	// so that a restart can tell an attempt that cannot have delivered the
	// reply (sent again) from one that may have (marked unconfirmed).
	`ALTER TABLE outbox ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN attempt_phase TEXT NOT NULL DEFAULT '';`,
	// 12: the replies held back by the daily limit per address, so that
	// the supplier is told the next day in one summary of its invoices of
	// that day (summary_id: the outbox item of the summary that told it,
	// 0 when none could be composed; NULL until then).
	`CREATE TABLE replies_held_back (
	id         INTEGER PRIMARY KEY,
	recipient  TEXT    NOT NULL,
	day        TEXT    NOT NULL,
	case_id    INTEGER NOT NULL REFERENCES cases (id),
	kind       TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	summary_id INTEGER
);
CREATE INDEX replies_held_back_pending ON replies_held_back (day, recipient) WHERE summary_id IS NULL;
CREATE INDEX replies_held_back_by_case ON replies_held_back (case_id);`,
	// 13: the finance staff's web page: the people who may use it, with
	// their role and, for a local account, an argon2id hash ("" for a
	// person authenticated by the identity provider or the reverse proxy),
	// and its sessions, known by the SHA-256 of their cookie only.
	`CREATE TABLE users (
	name          TEXT    PRIMARY KEY,
	password_hash TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE TABLE web_sessions (
	token_hash TEXT    PRIMARY KEY,
	user_name  TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_name);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);`,
}

// countTriggers keeps state_counts for one table (migration 9): a row
// counted in its state when inserted, moved when its state changes,
// uncounted when deleted.
func countTriggers(table string) string {
	return strings.NewReplacer("TABLE", table).Replace(`
CREATE TRIGGER TABLE_count_insert AFTER INSERT ON TABLE BEGIN
	INSERT OR IGNORE INTO state_counts (entity, state, n) VALUES ('TABLE', new.state, 0);
	UPDATE state_counts SET n = n + 1 WHERE entity = 'TABLE' AND state = new.state;
END;
CREATE TRIGGER TABLE_count_update AFTER UPDATE OF state ON TABLE WHEN old.state IS NOT new.state BEGIN
	UPDATE state_counts SET n = n - 1 WHERE entity = 'TABLE' AND state = old.state;
	INSERT OR IGNORE INTO state_counts (entity, state, n) VALUES ('TABLE', new.state, 0);
	UPDATE state_counts SET n = n + 1 WHERE entity = 'TABLE' AND state = new.state;
END;
CREATE TRIGGER TABLE_count_delete AFTER DELETE ON TABLE BEGIN
	UPDATE state_counts SET n = n - 1 WHERE entity = 'TABLE' AND state = old.state;
END;
`)
}
