package store

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// plannedQueries are the queries of growthQueries as the store writes
// them (queries.go, tx.go, store.go, retention.go), for EXPLAIN QUERY PLAN.
// Keep them in step with the code they copy.
var plannedQueries = []struct {
	name string
	sql  string
	args []any
	// scans is why a full scan is accepted ("" when none is).
	scans string
}{
	{"DueMessages", messageSelect + " WHERE state = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?", []any{"received", 0, 50}, ""},
	{"DueCases", caseSelect + " WHERE c.state IN (?) AND c.next_attempt_at <= ? ORDER BY c.id LIMIT ?", []any{"routed", 0, 50}, ""},
	{"DueOutbox", outboxSelect + " WHERE state = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?", []any{"queued", 0, 50}, ""},
	{"MessagesAwaitingSettlement", messageSelect + ` WHERE state = ? AND NOT EXISTS (
	SELECT 1 FROM cases c WHERE c.message_id = messages.id AND c.state IN (?, ?, ?))
ORDER BY id LIMIT ?`, []any{"parsed", "new", "routed", "depositing", 50}, ""},
	{"ToFile", `
SELECT id, uidvalidity, uid, disposition FROM messages
WHERE mailbox = ? AND state IN (?, ?) AND disposition != '' AND filed_at IS NULL
ORDER BY uid`, []any{"comptabilite", "done", "failed"}, ""},
	{"LastOutbox", outboxSelect + " WHERE kind = ? ORDER BY id DESC LIMIT 1", []any{"digest"}, ""},
	{"Ingest/known", `
SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?
UNION ALL
SELECT 1 FROM messages WHERE mailbox = ? AND sha256 = ?
LIMIT 1`, []any{"m", 1, 1, "m", "x"}, ""},
	{"LiveCaseFor", caseSelect + " WHERE c.supplier_siret = ? AND c.invoice_number = ? AND c.state IN (?, ?, ?, ?, ?, ?) ORDER BY c.id LIMIT 1",
		[]any{"s", "n", "routed", "depositing", "deposited", "integrated", "awaiting_supplier", "guided"}, ""},
	{"SupersedeAwaiting", "SELECT id, state FROM cases WHERE supplier_siret = ? AND invoice_number = ? AND state IN (?, ?) AND id != ?",
		[]any{"s", "n", "awaiting_supplier", "guided", 1}, ""},
	{"RepliesTo", "SELECT COUNT(*) FROM outbox WHERE created_at >= ? AND (',' || lower(recipients) || ',') LIKE ?", []any{0, "%,a@b,%"}, ""},
	{"CaseRepliedTo", "SELECT case_id FROM outbox WHERE header_message_id = ? AND case_id IS NOT NULL", []any{"x"}, ""},
	{"Pending", `SELECT
	(SELECT COUNT(*) FROM messages WHERE state IN (?, ?)),
	(SELECT COUNT(*) FROM cases WHERE state IN (?, ?, ?, ?)),
	(SELECT COUNT(*) FROM outbox WHERE state = ?),
	(SELECT COUNT(*) FROM messages WHERE state IN (?, ?) AND filed_at IS NULL)`,
		[]any{"received", "parsed", "new", "routed", "depositing", "deposited", "queued", "done", "failed"}, ""},
	{"Counts", "SELECT entity, state, n FROM state_counts WHERE n <> 0", nil, "SCAN state_counts: a row per entity and state, kept by triggers"},
	{"CountCases/state", "SELECT COALESCE(SUM(n), 0) FROM state_counts WHERE entity = 'cases' AND state IN (?)", []any{"held"}, ""},
	{"CountCases/waiting", "SELECT COUNT(*) FROM cases c WHERE c.state IN (?) AND c.updated_at < ?", []any{"awaiting_supplier", 0}, ""},
	{"Transitions", "SELECT from_state, to_state, COUNT(*) FROM ledger WHERE entity = ? AND at >= ? AND from_state != to_state GROUP BY from_state, to_state ORDER BY from_state, to_state",
		[]any{"case", 0}, ""},
	{"FailedOutbox", outboxSelect + " WHERE state = ? AND updated_at >= ? ORDER BY id", []any{"failed", 0}, ""},
	{"Cases/state", caseSelect + " WHERE c.state IN (?) ORDER BY c.id DESC LIMIT ?", []any{"held", 1000}, ""},
	{"Cases/list", caseSelect + " ORDER BY c.id DESC LIMIT ?", []any{200}, "newest first, LIMIT rows"},
	{"Cases/waiting", caseSelect + " WHERE c.state IN (?) AND c.updated_at < ? ORDER BY c.updated_at DESC, c.id DESC LIMIT ?", []any{"awaiting_supplier", 0, 51}, ""},
	{"Cases/search", strings.Replace(caseSelect, "FROM cases c JOIN", "FROM case_search s CROSS JOIN cases c ON c.id = s.rowid JOIN", 1) +
		" WHERE case_search MATCH ? ORDER BY s.rowid DESC", []any{`"r4231s"`}, ""},
	{"Cases/search/state", strings.Replace(caseSelect, "FROM cases c JOIN", "FROM case_search s CROSS JOIN cases c ON c.id = s.rowid JOIN", 1) +
		" WHERE case_search MATCH ? AND c.state IN (?) ORDER BY s.rowid DESC", []any{`"r4231s"`, "held"}, ""},
	{"CountCases/search", "SELECT COUNT(*) FROM cases c WHERE c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?)", []any{`"fournisseur4231sas"`}, ""},
	{"CaseByRef", caseSelect + " WHERE c.ref = ?", []any{"FAC-2031-000042"}, ""},
	{"Ledger", "SELECT at, entity, entity_id, from_state, to_state, note FROM ledger WHERE entity = ? AND entity_id = ? ORDER BY id", []any{"case", 1}, ""},
	{"OutboxOfCase", outboxSelect + " WHERE case_id = ? ORDER BY id", []any{1}, ""},
	{"CasesOfMessage", caseSelect + " WHERE c.message_id = ? ORDER BY c.id", []any{1}, ""},
	{"KnownIBAN", `
SELECT iban, ref FROM cases
WHERE supplier_siret = ? AND id != ? AND iban != '' AND state IN (?, ?, ?)
ORDER BY id DESC LIMIT 1`, []any{"s", 1, "deposited", "integrated", "paid"}, ""},
	{"CasesOfSender", caseSelect + " WHERE c.supplier_email = ? COLLATE NOCASE ORDER BY c.id DESC LIMIT ?", []any{"a@b.example", 20}, ""},
	// The retention of raw messages (retention.go).
	{"PruneRaw/bound", "SELECT received_at FROM messages WHERE id >= ? ORDER BY id LIMIT 1", []any{1}, ""},
	{"PruneRaw/candidates", "SELECT m.id, m.sha256, m.spool_name" + prunable + " ORDER BY m.id LIMIT ?", append(prunableArgs(0, 100, 0), 100), ""},
	{"PruneRaw/mark", "UPDATE messages SET raw_pruned_at = ? WHERE id IN (SELECT m.id" + prunable + ")", append([]any{1}, prunableArgs(0, 2, 0)...), ""},
	{"PruneRaw/mailboxes", `
WITH RECURSIVE mb(name) AS (
	SELECT MIN(mailbox) FROM messages
	UNION ALL
	SELECT (SELECT MIN(mailbox) FROM messages WHERE mailbox > mb.name) FROM mb WHERE mb.name IS NOT NULL)
SELECT name FROM mb WHERE name IS NOT NULL`, nil, "SCAN mb: the few mailbox names, one index lookup each"},
	{"PruneRaw/needed", "SELECT COUNT(*) FROM messages WHERE mailbox = ? AND sha256 = ? AND raw_pruned_at = 0", []any{"m", "x"}, ""},
}

// fullScan matches a plan line that reads a whole table or index.
var fullScan = regexp.MustCompile(`^SCAN (\w+)`)

// ftsMatch matches the plan line of a full-text MATCH: the FTS5 table's
// own index (its "M" constraint), not a scan of its rows.
var ftsMatch = regexp.MustCompile(`SCAN \w+ VIRTUAL TABLE INDEX \d+:M\d`)

// queryPlan returns the lines of EXPLAIN QUERY PLAN, indented by depth.
func queryPlan(ctx context.Context, t *testing.T, s *Store, sql string, args ...any) []string {
	t.Helper()
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	depth := map[int]int{}
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		depth[id] = depth[parent] + 1
		lines = append(lines, strings.Repeat("  ", depth[id]-1)+detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestQueryPlans: the daemon's, the digest's and `facteur cases`'s queries
// read no whole table (or whole index) that grows with the years, except
// where noted. `go test ./store -run TestQueryPlans -v` prints the plans
// (quoted in BENCHMARKS.md).
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	for _, q := range plannedQueries {
		plan := queryPlan(ctx, t, s, q.sql, q.args...)
		t.Logf("%s:\n    %s", q.name, strings.Join(plan, "\n    "))
		if q.scans != "" {
			continue
		}
		for _, line := range plan {
			if m := fullScan.FindStringSubmatch(strings.TrimSpace(line)); m != nil && !strings.HasPrefix(m[1], "CONSTANT") &&
				!ftsMatch.MatchString(line) {
				t.Errorf("%s reads all of %s: %q", q.name, m[1], line)
			}
		}
	}
}
