package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"facteur/parser"

	"facteur/app"
	"facteur/demo"
	"facteur/store"
)

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func startEnv(t *testing.T) (*demo.Env, []demo.Sample) {
	t.Helper()
	env, err := demo.Start(t.TempDir(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	sams, err := demo.Samples(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return env, sams
}

// runUntilSettled runs a fresh App over env until everything is settled.
func runUntilSettled(t *testing.T, env *demo.Env, want int) {
	t.Helper()
	if err := demo.Run(context.Background(), env, want, 30*time.Second,
		app.Options{Logger: testLogger(t), GatewayPoll: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

func header(t *testing.T, raw []byte) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	return m.Header
}

func decodedSubject(t *testing.T, h mail.Header) string {
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", h.Get("Subject"), err)
	}
	return s
}

// body returns the decoded text of every part of a reply.
func body(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(m.Body)
	// Replies are quoted-printable: undo soft breaks and the =XX escapes we
	// look for, enough to search the French text.
	s := strings.ReplaceAll(string(b), "=\r\n", "")
	r := strings.NewReplacer("=C3=A9", "é", "=C3=A8", "è", "=E2=80=99", "’", "=C2=A0", " ", "=E2=80=AF", " ", "=3D", "=")
	return r.Replace(s)
}

func TestEndToEnd(t *testing.T) {
	env, sams := startEnv(t)
	raws := make([][]byte, len(sams))
	for i, s := range sams {
		raws[i] = s.Mail.Bytes()
		if err := env.Deliver(raws[i]); err != nil {
			t.Fatal(err)
		}
	}
	runUntilSettled(t, env, len(sams))

	// Deposits reached Chorus Pro with the right recipient and engagement.
	deps := env.Sandbox.Deposits()
	if len(deps) != 3 {
		t.Fatalf("%d deposits, want 3: %+v", len(deps), deps)
	}
	want := map[string]string{"20007189200067": "EJ-2026-003154", "20007189200026": "EJ-2026-004217", "20007189200059": "EJ-2026-005120"}
	syntax := map[string]string{"20007189200059": "IN_DP_E1_UBL_INVOICE"}
	for _, d := range deps {
		if ej, ok := want[d.BuyerSIRET]; !ok || d.OrderReference != ej {
			t.Errorf("deposit %s: recipient %s engagement %q", d.FlowNumber, d.BuyerSIRET, d.OrderReference)
		}
		delete(want, d.BuyerSIRET)
		wantSyntax, ext := "IN_DP_E2_CII_FACTURX", ".pdf"
		if s, ok := syntax[d.BuyerSIRET]; ok {
			wantSyntax, ext = s, ".xml"
		}
		if d.Syntax != wantSyntax || d.State != "IN_INTEGRE" || !strings.HasSuffix(d.FileName, ext) {
			t.Errorf("deposit %s: syntax %s state %s file %s", d.FlowNumber, d.Syntax, d.State, d.FileName)
		}
	}
	if len(want) != 0 {
		t.Errorf("no deposit for %v", want)
	}

	// Replies: three confirmations, one request and one guide for the PDF
	// without structured data, none to the automatic reply.
	byID := map[string]demo.Sample{}
	for _, s := range sams {
		byID["<"+s.Mail.MessageID+">"] = s
	}
	replies := env.SMTP.Messages()
	if len(replies) != 5 {
		t.Fatalf("%d replies, want 5", len(replies))
	}
	kinds := map[string]int{}
	for _, r := range replies {
		h := header(t, r.Data)
		subj := decodedSubject(t, h)
		text := body(t, r.Data)
		if r.From != "" {
			t.Errorf("reply MAIL FROM %q, want the null sender", r.From)
		}
		if h.Get("Auto-Submitted") != "auto-replied" {
			t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
		}
		orig, ok := byID[h.Get("In-Reply-To")]
		if !ok {
			t.Fatalf("In-Reply-To %q matches no sample", h.Get("In-Reply-To"))
		}
		if !strings.Contains(h.Get("References"), h.Get("In-Reply-To")) {
			t.Errorf("References %q lacks %q", h.Get("References"), h.Get("In-Reply-To"))
		}
		if !strings.HasPrefix(subj, "[FAC-2026-") {
			t.Errorf("subject %q lacks the case reference", subj)
		}
		to, _ := mail.ParseAddress(h.Get("To"))
		from, _ := mail.ParseAddress(orig.Mail.From)
		if to == nil || from == nil || to.Address != from.Address {
			t.Errorf("reply to %v, want %v", to, from)
		}
		if !contains(r.To, "finances@casq.fr") || h.Get("Bcc") != "" {
			t.Errorf("bcc: envelope %v, header %q", r.To, h.Get("Bcc"))
		}
		if !strings.Contains(text, "Madame, Monsieur") {
			t.Errorf("reply is not the French letter: %q", text)
		}
		switch {
		case strings.Contains(subj, "déposée sur Chorus Pro"):
			kinds["confirmation"]++
			if !strings.Contains(text, "CPP001") || !strings.Contains(text, "EJ-2026-00") {
				t.Errorf("confirmation lacks the flow or engagement number: %q", text)
			}
		case strings.Contains(subj, "Numéro d'engagement manquant"):
			kinds["request"]++
			if !strings.Contains(text, "engagement") || !strings.Contains(orig.Label, "sans numéro d'engagement") {
				t.Errorf("request for %q: %q", orig.Label, text)
			}
		case strings.Contains(subj, "à déposer sur Chorus Pro"):
			kinds["guide"]++
			if !strings.Contains(text, "200 071 892 00034") || !strings.Contains(text, "EJ-2026-006031") ||
				!strings.Contains(orig.Label, "PDF sans Factur-X") {
				t.Errorf("guide for %q lacks the assainissement SIRET or the engagement number: %q", orig.Label, text)
			}
		default:
			t.Errorf("unexpected reply %q", subj)
		}
	}
	if kinds["confirmation"] != 3 || kinds["request"] != 1 || kinds["guide"] != 1 {
		t.Errorf("replies = %v", kinds)
	}

	// Every message left the INBOX for its folder.
	if n := env.Count("INBOX"); n != 0 {
		t.Errorf("%d messages still in INBOX", n)
	}
	processed, ignored := env.Count("Facteur/Traitees"), env.Count("Facteur/Ignorees")
	if processed != 5 || ignored != 1 {
		t.Errorf("processed folder %d, ignored folder %d; want 5 and 1", processed, ignored)
	}

	// Running the worker again over the same mailbox deposits and replies
	// nothing more: not on a plain restart, not when the very same messages
	// reappear in the INBOX (as after a UIDVALIDITY reset), not when the
	// suppliers send the same invoices again in new e-mails.
	runUntilSettled(t, env, len(sams))
	for _, raw := range raws {
		if err := env.Deliver(raw); err != nil {
			t.Fatal(err)
		}
	}
	runUntilSettled(t, env, len(sams))
	ctx := context.Background()
	if msgs := messages(t, env); len(msgs) != len(sams) {
		t.Errorf("identical messages ingested again: %d messages, want %d", len(msgs), len(sams))
	}
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil { // new MIME boundaries: new bytes
			t.Fatal(err)
		}
	}
	// The automatic reply has no attachment, hence no random boundary: its
	// bytes are the same and it is recognised, not ingested again.
	runUntilSettled(t, env, 2*len(sams)-1)
	if n := len(env.Sandbox.Deposits()); n != 3 {
		t.Errorf("after the runs again: %d deposits, want still 3", n)
	}
	// Each invoice already deposited, sent again, is answered once: it was
	// received, here is where it stands, nothing more to do. The others
	// (a request pending, a guide sent) are not answered again.
	msgs := env.SMTP.Messages()
	again := 0
	for _, m := range msgs[min(5, len(msgs)):] {
		if bytes.Contains(m.Data, []byte("d=C3=A9j=C3=A0 re=C3=A7ue")) || bytes.Contains(m.Data, []byte("déjà reçue")) {
			again++
		}
	}
	if len(msgs) != 8 || again != 3 {
		t.Errorf("after the runs again: %d replies (%d « déjà reçue »), want 5 + 3 « déjà reçue »", len(msgs), again)
	}
	if n := env.Count("INBOX"); n != 0 {
		t.Errorf("after the runs again: %d messages left in INBOX", n)
	}
	st, err := store.Open(ctx, env.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dups, err := st.Cases(ctx, store.CaseFilter{States: []store.CaseState{store.CaseDuplicate}})
	if err != nil || len(dups) != 5 {
		t.Errorf("%d duplicate cases (%v), want 5 (the invoices sent again)", len(dups), err)
	}
}

func messages(t *testing.T, env *demo.Env) []store.Message {
	t.Helper()
	st, err := store.Open(context.Background(), env.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

// TestCrashBetweenSpoolAndCommit kills the ingest path after the raw
// message is spooled and before its row is committed, then restarts: every
// message is ingested, deposited and answered exactly once.
func TestCrashBetweenSpoolAndCommit(t *testing.T) {
	env, sams := startEnv(t)
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	crash := errors.New("injected crash between spool and commit")
	var spooled atomic.Int32
	a, err := app.New(ctx, env.Config, app.Options{Logger: testLogger(t), Store: store.Options{
		AfterSpool: func() error {
			// The watcher ingests a group of messages with one commit: the
			// first group dies mid-ingest, spooled and not committed.
			if spooled.Add(1) == 1 {
				return crash
			}
			return nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	w := a.Watchers()[0]
	if _, err := w.Cycle(ctx); !errors.Is(err, crash) {
		t.Fatalf("cycle error = %v, want the injected crash", err)
	}
	msgs, err := a.Store().Messages(ctx, 100)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("after the crash: %d messages committed (%v), want 0", len(msgs), err)
	}
	a.Close() // the process dies

	runUntilSettled(t, env, len(sams)) // restart
	a2, err := app.New(ctx, env.Config, app.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	msgs, _ = a2.Store().Messages(ctx, 100)
	if len(msgs) != len(sams) {
		t.Fatalf("%d messages after restart, want %d", len(msgs), len(sams))
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.HeaderMessageID] {
			t.Errorf("message %s ingested twice", m.HeaderMessageID)
		}
		seen[m.HeaderMessageID] = true
	}
	entries, _ := os.ReadDir(env.Dir + "/spool")
	if len(entries) != len(sams) {
		t.Errorf("%d spool files, want %d", len(entries), len(sams))
	}
	if n := len(env.Sandbox.Deposits()); n != 3 {
		t.Errorf("%d deposits, want 3", n)
	}
	if n := len(env.SMTP.Messages()); n != 5 {
		t.Errorf("%d replies, want 5", n)
	}
}

func TestPasswordWarning(t *testing.T) {
	env, _ := startEnv(t)
	cfg := *env.Config
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if w := app.PasswordWarning(&cfg, now); w != "" {
		t.Errorf("no date configured: %q", w)
	}
	for _, tt := range []struct {
		setOn string
		warn  string
	}{
		{"2026-01-01", ""},           // expires 2027-02-29 → no: 424 days later is 2027-02-28/03-01
		{"2025-10-20", "expires on"}, // expires 2026-12-18: within 30 days
		{"2025-09-01", "expired on"}, // expired 2026-10-30
	} {
		cfg.Chorus.PasswordSetOn = tt.setOn
		w := app.PasswordWarning(&cfg, now)
		if tt.warn == "" && w != "" || tt.warn != "" && !strings.Contains(w, tt.warn) {
			t.Errorf("set on %s: warning %q, want %q", tt.setOn, w, tt.warn)
		}
	}
}

func TestMetricsAndHealth(t *testing.T) {
	env, sams := startEnv(t)
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	runUntilSettled(t, env, len(sams))
	cfg := *env.Config
	cfg.Chorus.PasswordSetOn = time.Now().AddDate(0, 0, -410).Format("2006-01-02") // expires in 14 days
	cfg.Register.File = filepath.Join(t.TempDir(), "engagements.csv")
	if err := os.WriteFile(cfg.Register.File, []byte("engagement\nEJ-1\nEJ-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), &cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	if _, err := a.Watchers()[0].Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := get(t, srv.URL+"/metrics", 200)
	for _, want := range []string{
		`facteur_cases{state="integrated"} 3`, `facteur_cases{state="awaiting_supplier"} 1`,
		`facteur_cases{state="guided"} 1`,
		`facteur_replies{state="sent"} 5`, `facteur_messages{state="done"} 6`, "facteur_store_up 1",
		"facteur_replies_unconfirmed_total 0", "facteur_cases_depositing_over_1h 0",
		"facteur_register_engagements 2", "facteur_register_up 1",
		"facteur_chorus_password_expiry_timestamp_seconds", "go_goroutines", `facteur_mailbox_up{mailbox="comptabilite"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	health := get(t, srv.URL+"/healthz", 200)
	if !strings.Contains(health, `"status":"warning"`) || !strings.Contains(health, "expires on") || !strings.Contains(health, `"mailbox comptabilite":"ok"`) {
		t.Errorf("health with a password expiring soon: %s", health)
	}

	cfg.Chorus.PasswordSetOn = time.Now().AddDate(0, 0, -500).Format("2006-01-02")
	expired, err := app.New(context.Background(), &cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer expired.Close()
	srv2 := httptest.NewServer(expired.Handler())
	defer srv2.Close()
	if h := get(t, srv2.URL+"/healthz", 503); !strings.Contains(h, `"status":"failing"`) {
		t.Errorf("health with an expired password: %s", h)
	}
}

func get(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, status, b)
	}
	return string(b)
}

// TestParserLimitsFromConfig: the [limits] of the configuration reach the
// parser: a PDF over the configured page count is a document in error.
func TestParserLimitsFromConfig(t *testing.T) {
	env, _ := startEnv(t)
	cfg := *env.Config
	cfg.Limits.MaxPDFPages = 1
	opts := app.ParserOptions(&cfg, nil)
	if opts.MaxPDFPages != 1 || opts.MaxParts != cfg.Limits.MaxParts || opts.DocumentTimeout != cfg.Limits.DocumentTimeout.Duration {
		t.Fatalf("options %+v", opts)
	}
	doc := fpdf.New("P", "mm", "A4", "")
	for range 2 {
		doc.AddPage()
		doc.SetFont("Helvetica", "", 12)
		doc.Cell(40, 10, "Facture FA-1")
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if d := parser.ParseDocument("f.pdf", buf.Bytes(), opts); !strings.Contains(d.Error, "more than the limit of 1") {
		t.Errorf("two-page PDF under max_pdf_pages = 1: error %q", d.Error)
	}
}
