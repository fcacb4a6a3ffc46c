package store

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The upgrade fixtures are databases as each earlier version of Facteur left
// them: testdata/schema-vN.db holds the schema of the first N migrations
// (user_version N) and a few rows written with that version's columns. They
// are committed, and never regenerated once released: a fixture is what an
// operator's database looks like. When a migration is appended, make the
// fixture of the version before it:
//
//	go test ./store -run TestUpgradeFromEveryVersion -update-fixtures
//
// which writes the missing fixtures only (existing ones are kept as they are).
var updateFixtures = flag.Bool("update-fixtures", false, "write the missing testdata/schema-vN.db upgrade fixtures")

// fixtureNow is the clock of the upgraded stores: the day after the
// fixtures' rows.
var fixtureNow = time.Date(2026, time.November, 26, 9, 0, 0, 0, time.UTC)

func fixturePath(version int) string {
	return filepath.Join("testdata", fmt.Sprintf("schema-v%d.db", version))
}

// fixtureRows are the rows of a fixture, each written by the versions from
// its first one on (a column added by migration N is filled from version N).
var fixtureRows = []struct {
	since int
	sql   string
}{
	{1, `INSERT INTO mailboxes (name, uidvalidity, last_uid, updated_at) VALUES ('comptabilite', 7, 12, 1795597200000)`},
	{1, `INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, spool_name, state, disposition,
		header_message_id, from_addr, subject, received_at, updated_at, filed_at)
		VALUES (1, 'comptabilite', 7, 11, 'aa11', 2048, 'aa11.eml', 'done', 'processed',
		'f-1@voirie.example', 'compta@voirie.example', 'Facture F-1', 1795597200000, 1795597260000, 1795597270000)`},
	{1, `INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, spool_name, state, received_at, updated_at, next_attempt_at)
		VALUES (2, 'comptabilite', 7, 12, 'bb22', 512, 'bb22.eml', 'received', 1795597300000, 1795597300000, 1795597300000)`},
	{1, `INSERT INTO documents (id, message_id, idx, name, content_type, format, sha256, size, is_invoice)
		VALUES (1, 1, 0, 'Facture F-1.pdf', 'application/pdf', 'facturx', 'dd11', 1900, 1)`},
	{1, `INSERT INTO cases (id, ref, message_id, document_id, state, supplier_name, supplier_siret, supplier_email,
		invoice_number, invoice_date, amount_with_vat, currency, budget, recipient_siret, engagement, syntax,
		flow_number, deposit_date, flow_state, created_at, updated_at)
		VALUES (1, 'FAC-2026-000001', 1, 1, 'integrated', 'Voirie Nord Travaux', '41234567800011', 'compta@voirie.example',
		'F-1', '2026-11-20', '120.00', 'EUR', 'Budget principal', '20007189200067', 'EJ-2026-1', 'IN_DP_E1_FACTURX',
		'CPP0011117000000000000001', '2026-11-25', 'IN_INTEGRE', 1795597210000, 1795597250000)`},
	{1, `INSERT INTO cases (id, ref, message_id, state, reason, supplier_email, created_at, updated_at)
		VALUES (2, 'FAC-2026-000002', 1, 'awaiting_supplier', 'numéro d''engagement manquant', 'compta@voirie.example', 1795597220000, 1795597220000)`},
	{1, `INSERT INTO outbox (id, case_id, kind, header_message_id, envelope_from, recipients, subject, raw, state, created_at, updated_at, sent_at)
		VALUES (1, 1, 'deposited', 'r-1@casq.fr', '', 'compta@voirie.example,finances@casq.fr', 'Facture F-1 déposée', 'raw-1', 'sent', 1795597255000, 1795597256000, 1795597256000)`},
	{1, `INSERT INTO outbox (id, case_id, kind, header_message_id, envelope_from, recipients, subject, raw, created_at, updated_at)
		VALUES (2, 2, 'need_engagement', 'r-2@casq.fr', '', 'compta@voirie.example', 'Numéro d''engagement', 'raw-2', 1795597225000, 1795597225000)`},
	{1, `INSERT INTO ledger (at, entity, entity_id, from_state, to_state, note) VALUES
		(1795597200000, 'message', 1, '', 'received', 'comptabilite uidvalidity=7 uid=11 size=2048'),
		(1795597205000, 'message', 1, 'received', 'parsed', ''),
		(1795597210000, 'case', 1, '', 'new', 'FAC-2026-000001'),
		(1795597215000, 'case', 1, 'new', 'routed', ''),
		(1795597240000, 'case', 1, 'routed', 'depositing', ''),
		(1795597250000, 'case', 1, 'depositing', 'integrated', ''),
		(1795597220000, 'case', 2, '', 'new', 'FAC-2026-000002'),
		(1795597221000, 'case', 2, 'new', 'awaiting_supplier', 'numéro d''engagement manquant'),
		(1795597260000, 'message', 1, 'parsed', 'done', 'processed'),
		(1795597300000, 'message', 2, '', 'received', 'comptabilite uidvalidity=7 uid=12 size=512')`},
	{1, `INSERT INTO counters (name, value) VALUES ('case:FAC:2026', 2)`},
	{2, `UPDATE cases SET no_reply = 'expéditeur automatique' WHERE id = 1`},
	{3, `UPDATE cases SET invoice_id = 4242, lifecycle = 'MISE_A_DISPOSITION' WHERE id = 1`},
	{4, `INSERT INTO outbox (id, topic, kind, header_message_id, envelope_from, recipients, subject, raw, state, created_at, updated_at, sent_at)
		VALUES (3, 'digest:2026-11-25', 'digest', 'd-1@casq.fr', '', 'finances@casq.fr', 'Point du jour', 'raw-3', 'sent', 1795597800000, 1795597801000, 1795597801000)`},
	{5, `INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, spool_name, state, received_at, updated_at, next_attempt_at, not_downloaded)
		VALUES (3, 'comptabilite', 7, 13, 'cc33', 300, 'cc33.eml', 'received', 1795597400000, 1795597400000, 1795597400000,
		'{"size":94371840,"limit":41943040,"folder":"INBOX","attachments":[{"name":"scan.pdf","media_type":"application/pdf","size":94000000}]}')`},
	{5, `UPDATE documents SET problem = 'limit', problem_limit = 'pages' WHERE id = 1`},
	{6, `UPDATE cases SET iban = 'FR7630006000011234567890189' WHERE id = 1`},
	{8, `UPDATE cases SET invoice_type = 'invoice' WHERE id = 1`},
	{7, `UPDATE messages SET raw_pruned_at = 1795600000000 WHERE id = 1`},
}

// writeFixture makes the database version v of Facteur created, with the
// rows it could hold.
func writeFixture(t *testing.T, v int, path string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "fixture.db")
	db, err := sql.Open("sqlite", "file:"+tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("PRAGMA page_size = 1024"); err != nil { // small files
		t.Fatal(err)
	}
	for i, m := range migrations[:v] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
	for _, r := range fixtureRows {
		if r.since <= v {
			if _, err := db.Exec(r.sql); err != nil {
				t.Fatalf("version %d: %s: %v", v, r.sql, err)
			}
		}
	}
	// A compact file in rollback-journal mode, nothing beside it.
	if _, err := db.Exec("VACUUM INTO ?", path); err != nil {
		t.Fatal(err)
	}
}

// copyFile copies a fixture to where a test may change it.
func copyFixture(t *testing.T, v int) string {
	t.Helper()
	b, err := os.ReadFile(fixturePath(v))
	if err != nil {
		t.Fatalf("fixture of schema version %d: %v (make it: go test ./store -run TestUpgradeFromEveryVersion -update-fixtures)", v, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DatabaseFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// schemaOf is the schema of a database: every table, index and trigger with
// its SQL text, and the user_version.
func schemaOf(t *testing.T, db *sql.DB) (objects []string, version int) {
	t.Helper()
	rows, err := db.Query("SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, name, tbl, text string
		if err := rows.Scan(&typ, &name, &tbl, &text); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, typ+" "+name+" on "+tbl+": "+strings.Join(strings.Fields(text), " "))
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	return objects, version
}

// TestUpgradeFromEveryVersion opens the database of every earlier schema
// version with the current store: it is migrated to the current schema
// (the same tables, columns, indexes and triggers as a new database) and
// its rows are all there, read through the store.
func TestUpgradeFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	for v := 1; v < len(migrations); v++ {
		if _, err := os.Stat(fixturePath(v)); errors.Is(err, os.ErrNotExist) && *updateFixtures {
			writeFixture(t, v, fixturePath(v))
			t.Logf("wrote %s", fixturePath(v))
		}
	}
	fresh := openTest(t, t.TempDir(), Options{})
	want, wantVersion := schemaOf(t, fresh.db)
	if wantVersion != len(migrations) {
		t.Fatalf("a new database is at version %d, want %d", wantVersion, len(migrations))
	}
	for v := 1; v < len(migrations); v++ {
		t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
			dir := copyFixture(t, v)
			if _, got := schemaOfFile(t, filepath.Join(dir, DatabaseFile)); got != v {
				t.Fatalf("fixture %s is at version %d", fixturePath(v), got)
			}
			s := openTest(t, dir, Options{Now: func() time.Time { return fixtureNow }})
			got, gotVersion := schemaOf(t, s.db)
			if gotVersion != len(migrations) || !reflect.DeepEqual(got, want) {
				t.Fatalf("migrated schema (version %d) differs from a new database's (version %d):\n got %s\nwant %s",
					gotVersion, wantVersion, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			checkFixtureRows(ctx, t, s, v)
		})
	}
}

func schemaOfFile(t *testing.T, path string) ([]string, int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return schemaOf(t, db)
}

// checkFixtureRows reads the rows of a fixture of version v through the
// store, as the daemon and `facteur cases` do.
func checkFixtureRows(ctx context.Context, t *testing.T, s *Store, v int) {
	t.Helper()
	if uv, uid, err := s.Checkpoint(ctx, "comptabilite"); err != nil || uv != 7 || uid != 12 {
		t.Errorf("checkpoint: %d %d %v", uv, uid, err)
	}
	m, err := s.Message(ctx, 1)
	if err != nil || m.State != MessageDone || m.Disposition != DispositionProcessed || !m.Filed ||
		m.Subject != "Facture F-1" || m.HeaderMessageID != "f-1@voirie.example" || m.NotDownloaded != nil {
		t.Errorf("message 1: %+v, %v", m, err)
	}
	due, err := s.DueMessages(ctx, 10)
	wantDue := []int64{2}
	if v >= 5 {
		wantDue = append(wantDue, 3)
	}
	if err != nil || len(due) != len(wantDue) {
		t.Fatalf("due messages: %+v, %v; want ids %v", due, err, wantDue)
	}
	for i, id := range wantDue {
		if due[i].ID != id {
			t.Errorf("due message %d is %d, want %d", i, due[i].ID, id)
		}
	}
	if v >= 5 {
		if nd := due[1].NotDownloaded; nd == nil || nd.Limit != 41943040 || len(nd.Attachments) != 1 || nd.Attachments[0].Name != "scan.pdf" {
			t.Errorf("message 3 not downloaded: %+v", nd)
		}
	}
	c, err := s.CaseByRef(ctx, "FAC-2026-000001")
	if err != nil || c.ID != 1 || c.State != CaseIntegrated || c.SupplierName != "Voirie Nord Travaux" ||
		c.FlowNumber != "CPP0011117000000000000001" || c.Document != 0 || c.DocumentSHA != "dd11" || c.Subject != "Facture F-1" {
		t.Errorf("case 1: %+v, %v", c, err)
	}
	if want := map[bool]string{true: "expéditeur automatique"}[v >= 2]; c.NoReply != want {
		t.Errorf("case 1 no_reply %q, want %q", c.NoReply, want)
	}
	if wantID, wantLife := map[bool]int64{true: 4242}[v >= 3], map[bool]string{true: "MISE_A_DISPOSITION"}[v >= 3]; c.InvoiceID != wantID || c.Lifecycle != wantLife {
		t.Errorf("case 1 invoice %d %q, want %d %q", c.InvoiceID, c.Lifecycle, wantID, wantLife)
	}
	docs, err := s.DocumentsOfMessage(ctx, 1)
	if err != nil || len(docs) != 1 || docs[0].Name != "Facture F-1.pdf" || !docs[0].IsInvoice {
		t.Errorf("documents: %+v, %v", docs, err)
	} else if want := map[bool]string{true: "limit"}[v >= 5]; docs[0].Problem != want {
		t.Errorf("document problem %q, want %q", docs[0].Problem, want)
	}
	waiting, err := s.Cases(ctx, CaseFilter{States: []CaseState{CaseAwaitingSupplier}})
	if err != nil || len(waiting) != 1 || waiting[0].Ref != "FAC-2026-000002" || waiting[0].Document != -1 {
		t.Errorf("awaiting cases: %+v, %v", waiting, err)
	}
	out, err := s.OutboxOfCase(ctx, 1)
	if err != nil || len(out) != 1 || out[0].State != OutboxSent || len(out[0].Recipients) != 2 {
		t.Errorf("outbox of case 1: %+v, %v", out, err)
	}
	queued, err := s.DueOutbox(ctx, 10)
	if err != nil || len(queued) != 1 || queued[0].ID != 2 || queued[0].Kind != "need_engagement" {
		t.Errorf("due outbox: %+v, %v", queued, err)
	}
	last, err := s.LastOutbox(ctx, "digest")
	switch {
	case v >= 4 && (err != nil || last.Topic != "digest:2026-11-25"):
		t.Errorf("digest: %+v, %v", last, err)
	case v < 4 && !errors.Is(err, ErrNotFound):
		t.Errorf("digest in a version %d database: %+v, %v", v, last, err)
	}
	if iban, ref, err := s.KnownIBAN(ctx, "41234567800011", 0); err != nil || (v >= 6) != (iban == "FR7630006000011234567890189" && ref == "FAC-2026-000001") {
		t.Errorf("known IBAN: %q %q, %v", iban, ref, err)
	}
	if at, err := s.RawPruned(ctx, 1); err != nil || (v >= 7) != !at.IsZero() {
		t.Errorf("raw of message 1 pruned at %v, %v", at, err)
	}
	ledger, err := s.Ledger(ctx, EntityCase, 1)
	if err != nil || len(ledger) != 4 || ledger[3].To != string(CaseIntegrated) {
		t.Errorf("ledger of case 1: %+v, %v", ledger, err)
	}
	// Migration 9: the cases are in the search index and counted per state.
	if found, err := s.Cases(ctx, CaseFilter{Search: "voirie nord"}); err != nil || len(found) != 1 || found[0].Ref != "FAC-2026-000001" {
		t.Errorf("search of the migrated cases: %+v, %v", found, err)
	}
	if n, err := s.CountCases(ctx, CaseFilter{States: []CaseState{CaseAwaitingSupplier}}); err != nil || n != 1 {
		t.Errorf("awaiting cases counted: %d, %v", n, err)
	}
	if counts, err := s.Counts(ctx); err != nil || counts.Cases[CaseIntegrated] != 1 || counts.Messages[MessageDone] != 1 || counts.Outbox[OutboxSent] < 1 {
		t.Errorf("counts of the migrated database: %+v, %v", counts, err)
	}
	// The migrated database takes new work: the case counter goes on.
	err = s.Update(ctx, func(tx *Tx) error {
		c, err := tx.CreateCase("FAC", 1, 0, CaseFields{})
		if err == nil && c.Ref != "FAC-2026-000003" {
			err = fmt.Errorf("new case %s", c.Ref)
		}
		return err
	})
	if err != nil {
		t.Errorf("new case in the migrated database: %v", err)
	}
}

// TestNewerSchemaRefused: a database written by a newer Facteur (a schema
// version beyond this program's migrations) is refused, untouched, with
// ErrNewerSchema and a message that says what to do.
func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), dir, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v; want ErrNewerSchema", err)
	}
	for _, want := range []string{"newer version of Facteur", fmt.Sprintf("schema version %d", len(migrations)+1), fmt.Sprintf("up to %d", len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, v := schemaOfFile(t, filepath.Join(dir, DatabaseFile)); v != len(migrations)+1 {
		t.Errorf("user_version changed to %d", v)
	}
}
