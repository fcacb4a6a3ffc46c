package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facteur/app"
	"facteur/chorus/sandbox"
	"facteur/demo"
	"facteur/internal/panictest"
	"facteur/samples"
	"facteur/store"
)

// TestMain lets tests run the real command in a child process: the test
// binary re-executes itself with FACTEUR_TEST_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("FACTEUR_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	// A recovered panic is a defect even when the daemon survives it:
	// none is expected here.
	panictest.Main(m, new(panictest.Expected))
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDemo(t *testing.T) {
	code, out, errOut := runCLI(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"déposée et intégrée", "en attente du fournisseur", "ignorée", "CPP001",
		"Numéro d'engagement manquant", "déposée sur Chorus Pro",
		"4 flux déposé(s)", "7 réponse(s)", "0 message(s) restant(s)", "Budget circuit automobile",
		"à déposer par le fournisseur", "instructions envoyées (Budget assainissement, EJ EJ-",
		// The tour: a credit note deposited, a forgotten attachment asked for.
		"Avoir AV-", "Facture non reçue ou illisible", "aucune pièce jointe",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example names systemd credentials and files of a real host; point
	// every secret at a file of this test.
	good := string(example)
	for _, old := range []string{`{ credential = "mail-password" }`, `{ credential = "chorus-client-secret" }`, `{ credential = "chorus-technical-password" }`} {
		good = strings.ReplaceAll(good, old, `{ file = "`+secret+`" }`)
	}
	goodPath := filepath.Join(dir, "good.toml")
	os.WriteFile(goodPath, []byte(good), 0o600)
	code, out, _ := runCLI(t, "check-config", goodPath)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("good config: exit %d\n%s", code, out)
	}
	// --dump: the effective configuration, defaults applied, no secret.
	code, out, _ = runCLI(t, "check-config", "--dump", goodPath)
	if code != 0 || !strings.Contains(out, `cannot_deposit = "guide"`) || !strings.Contains(out, "[digest]") ||
		!strings.Contains(out, `schedule = "0 8 * * 1-5"`) || strings.Contains(out, "s3cret") {
		t.Errorf("dump: exit %d\n%s", code, out)
	}

	bad := strings.Replace(good, `siret = "20007189200026"`, `siret = "20007189200027"`, 1)
	bad = strings.Replace(bad, "port = 993", "port = 99999", 1)
	bad = strings.Replace(bad, "[instance]", "[instance]\ncolour = \"blue\"", 1)
	badPath := filepath.Join(dir, "bad.toml")
	os.WriteFile(badPath, []byte(bad), 0o600)
	code, out, _ = runCLI(t, "check-config", badPath)
	if code != 2 {
		t.Fatalf("bad config: exit %d, want 2\n%s", code, out)
	}
	for _, key := range []string{"instance.colour", "mailbox[0].port", "budget[1].siret"} {
		if !strings.Contains(out, key) {
			t.Errorf("problems lack %s:\n%s", key, out)
		}
	}

	missing := strings.ReplaceAll(good, secret, filepath.Join(dir, "absent"))
	missingPath := filepath.Join(dir, "missing.toml")
	os.WriteFile(missingPath, []byte(missing), 0o600)
	if code, out, _ := runCLI(t, "check-config", missingPath); code != 2 || !strings.Contains(out, "absent") {
		t.Errorf("unreadable secret: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := runCLI(t); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "run"); code != 2 || !strings.Contains(errOut, "--config") {
		t.Errorf("run without config: exit %d %s", code, errOut)
	}
}

// TestRunStopsCleanlyOnSIGTERM runs `facteur run` as a separate process
// against the demo peers, lets it settle the sample mail, then sends
// SIGTERM: it must stop cleanly (exit 0) and have done the work once.
func TestRunStopsCleanlyOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	env, err := demo.Start(dir, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sams, err := demo.Samples(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "facteur.toml")
	if err := os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := startRun(t, cfgPath)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := openWhenReady(ctx, t, dir)
	defer st.Close()
	if err := demo.WaitSettled(ctx, st, env, len(sams)); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, run.stderr.String())
	}
	run.stop(t)
	if n := len(env.Sandbox.Deposits()); n != 3 {
		t.Errorf("%d deposits, want 3", n)
	}
	logs := run.stderr.String()
	if !strings.Contains(logs, "msg=stopped") || strings.Contains(logs, "time=") {
		t.Errorf("logs should end with a clean stop and carry no timestamps:\n%s", logs)
	}
}

// running is `facteur run --config FILE` in its own process (this test
// binary, re-executed).
type running struct {
	cmd     *exec.Cmd
	exited  chan error
	stderr  *bytes.Buffer
	stopped bool
}

// startRun starts the daemon; it is killed when the test ends, unless
// stop stopped it.
func startRun(t *testing.T, cfgPath string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(os.Args[0], "run", "--config", cfgPath), exited: make(chan error, 1), stderr: new(bytes.Buffer)}
	r.cmd.Env = append(os.Environ(), "FACTEUR_TEST_MAIN=1")
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if !r.stopped {
			r.cmd.Process.Kill()
			<-r.exited
		}
	})
	return r
}

// stop sends SIGTERM: the daemon must exit 0 within 20 s.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.exited:
		r.stopped = true
		if err != nil {
			t.Fatalf("facteur run exited with %v\nstderr:\n%s", err, r.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("facteur run did not stop within 20 s of SIGTERM\nstderr:\n%s", r.stderr.String())
	}
}

// openWhenReady opens the store once the child process has created it.
func openWhenReady(ctx context.Context, t *testing.T, dir string) *store.Store {
	t.Helper()
	for {
		if _, err := os.Stat(filepath.Join(dir, "facteur.db")); err == nil {
			st, err := store.Open(ctx, dir, store.Options{})
			if err == nil {
				return st
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("the store never appeared")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	s := samples.DemoSuppliers()[0]
	inv := s.Invoice("HSP-2026-7", "2026-11-02", samples.CASQBudgetEauPotable, "", "EJ-2026-000042")
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(dir, "facture.pdf")
	os.WriteFile(pdfPath, pdf, 0o600)
	noEJ := s.Invoice("HSP-2026-8", "2026-11-02", samples.CASQBudgetEauPotable, "", "")
	pdf2, _ := samples.FacturX(noEJ)
	mail := samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture HSP-2026-8",
		Attachments: []samples.Attachment{{Name: "Facture HSP-2026-8.pdf", Data: pdf2}}}
	emlPath := filepath.Join(dir, "message.eml")
	os.WriteFile(emlPath, mail.Bytes(), 0o600)
	env, err := demo.Start(dir, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	cfgPath := filepath.Join(dir, "facteur.toml")
	os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600)

	code, out, errOut := runCLI(t, "inspect", "--config", cfgPath, pdfPath, emlPath)
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	doc := first["documents"].([]any)[0].(map[string]any)
	invoice := doc["invoice"].(map[string]any)
	if first["kind"] != "pdf" || doc["format"] != "facturx" || invoice["number"] != "HSP-2026-7" ||
		invoice["order_reference"] != "EJ-2026-000042" || invoice["buyer_reference"] != nil ||
		invoice["buyer"].(map[string]any)["siret"] != samples.CASQBudgetEauPotable {
		t.Errorf("pdf line: %s", lines[0])
	}
	r := first["route"].(map[string]any)
	if r["outcome"] != "deposit" || r["budget"] != "Budget eau potable" || r["mode"] != "flux" {
		t.Errorf("pdf route: %v", r)
	}
	r2 := second["route"].(map[string]any)
	if second["kind"] != "email" || r2["outcome"] != "ask" || r2["missing"] != "engagement" {
		t.Errorf("eml line: %s", lines[1])
	}
	if code, _, _ := runCLI(t, "inspect", filepath.Join(dir, "absent.pdf")); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}

	// With an engagement register that lacks the number, the route holds,
	// as the daemon would.
	regPath := filepath.Join(dir, "engagements.csv")
	os.WriteFile(regPath, []byte("engagement;budget\nEJ-2026-000001;20007189200026\n"), 0o600)
	os.WriteFile(cfgPath, []byte(env.ConfigTOML()+"\n[register]\nfile = \""+regPath+"\"\n"), 0o600)
	code, out, errOut = runCLI(t, "inspect", "--config", cfgPath, pdfPath)
	if code != 0 || !strings.Contains(out, `"outcome":"hold"`) || !strings.Contains(out, "absent du registre") {
		t.Errorf("inspect with a register: exit %d %s\n%s", code, errOut, out)
	}
}

// TestCasesWorkflow is what a finance clerk does: list the held cases,
// release one once the cause is fixed, see it deposited, and fail to
// reject a deposited invoice.
func TestCasesWorkflow(t *testing.T) {
	dir := t.TempDir()
	env, err := demo.Start(dir, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	cfgPath := filepath.Join(dir, "facteur.toml")
	os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600)

	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice("VNT-2026-55", "2026-11-02", samples.CASQBudgetPrincipal, "", "EJ-2026-000055"))
	if err != nil {
		t.Fatal(err)
	}
	env.Deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture VNT-2026-55",
		Attachments: []samples.Attachment{{Name: "VNT-2026-55.pdf", Data: pdf}}}.Bytes())
	env.Sandbox.FailNext("/cpro/factures/v1/deposer/flux", 400, 1) // refused: held for a person
	settle(t, env, 1)

	code, out, _ := runCLI(t, "cases", "--config", cfgPath, "list", "--state", "held")
	if code != 0 || !strings.Contains(out, "VNT-2026-55") || !strings.Contains(out, "à examiner") {
		t.Fatalf("list held: exit %d\n%s", code, out)
	}
	ref := strings.Fields(strings.Split(out, "\n")[1])[0]
	// "Where is the invoice of Voirie Nord?": accents, case and spaces ignored.
	for _, q := range []string{"voirie nord", "VNT-2026-55", s.SIRET[:3] + " " + s.SIRET[3:9]} {
		code, out, _ := runCLI(t, "cases", "--config", cfgPath, "list", "--search", q)
		if code != 0 || !strings.Contains(out, ref) {
			t.Errorf("list --search %q: exit %d\n%s", q, code, out)
		}
	}
	if code, out, _ := runCLI(t, "cases", "--config", cfgPath, "list", "--search", "hydro"); code != 0 || strings.Contains(out, ref) {
		t.Errorf("list --search hydro lists %s:\n%s", ref, out)
	}

	code, out, errOut := runCLI(t, "cases", "--config", cfgPath, "release", ref)
	if code != 0 || !strings.Contains(out, "remis à l'examen") {
		t.Fatalf("release: exit %d %s %s", code, out, errOut)
	}
	settle(t, env, 1)
	if n := len(env.Sandbox.Deposits()); n != 1 {
		t.Fatalf("%d deposits after release, want 1", n)
	}
	code, out, _ = runCLI(t, "cases", "--config", cfgPath, "show", ref)
	if code != 0 || !strings.Contains(out, "déposée et intégrée") || !strings.Contains(out, "remis à l'examen par") ||
		!strings.Contains(out, "EJ-2026-000055") || !strings.Contains(out, "envoyée") ||
		!strings.Contains(out, "« VNT-2026-55.pdf » (Factur-X, facture)") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	code, _, errOut = runCLI(t, "cases", "--config", cfgPath, "reject", ref, "--reason", "erreur")
	if code != 1 || !strings.Contains(errOut, "action impossible") {
		t.Errorf("reject of a deposited invoice: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "cases", "--config", cfgPath, "show", "FAC-2026-999999"); code != 1 || !strings.Contains(errOut, "aucun dossier") {
		t.Errorf("unknown case: exit %d %s", code, errOut)
	}
}

// settle runs the daemon's code over the demo environment until settled.
func settle(t *testing.T, env *demo.Env, want int) {
	t.Helper()
	if err := demo.Run(context.Background(), env, want, 20*time.Second, app.Options{GatewayPoll: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

// TestInspectDecidesAsTheDaemon: inspect --config routes with what the
// daemon uses (Chorus Pro's structure rules, the suppliers the technical
// account is attached to, the cases already known), not with the bare
// configured rules: a plain PDF from an attached supplier is deposited in
// PDF mode, and the daemon, given the same message, does exactly that;
// sent again, inspect calls it the duplicate the daemon would.
func TestInspectDecidesAsTheDaemon(t *testing.T) {
	dir := t.TempDir()
	s := samples.DemoSuppliers()[1]
	env, err := demo.Start(dir, demo.Options{Suppliers: []sandbox.Supplier{{ID: 4242, SIRET: s.SIRET, Name: s.Name,
		BankDetails: map[int64]string{555001: "Compte courant"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	cfgPath := filepath.Join(dir, "facteur.toml")
	os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600)
	plain, err := samples.PlainPDF(s.Invoice("INS-2026-1", "2026-11-20", samples.CASQBudgetPrincipal, "", "EJ-2026-000321"))
	if err != nil {
		t.Fatal(err)
	}
	raw := samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture INS-2026-1",
		Attachments: []samples.Attachment{{Name: "INS-2026-1.pdf", Data: plain}}}.Bytes()
	emlPath := filepath.Join(dir, "message.eml")
	os.WriteFile(emlPath, raw, 0o600)

	route := func() map[string]any {
		t.Helper()
		code, out, errOut := runCLI(t, "inspect", "--config", cfgPath, emlPath)
		if code != 0 {
			t.Fatalf("inspect exit %d: %s", code, errOut)
		}
		var line struct {
			Route     map[string]any `json:"route"`
			Documents []struct {
				Engagement *struct{ Value, Evidence string } `json:"engagement"`
			} `json:"documents"`
		}
		if err := json.Unmarshal([]byte(out), &line); err != nil {
			t.Fatal(err)
		}
		if len(line.Documents) != 1 || line.Documents[0].Engagement == nil || line.Documents[0].Engagement.Value != "EJ-2026-000321" {
			t.Errorf("engagement %+v", line.Documents)
		}
		return line.Route
	}
	if r := route(); r["outcome"] != "deposit" || r["mode"] != "pdf" || r["siret"] != samples.CASQBudgetPrincipal {
		t.Fatalf("inspect route %v; want a PDF-mode deposit, as the daemon does for an attached supplier", r)
	}
	env.Deliver(raw)
	settle(t, env, 1)
	if invs := env.Sandbox.Invoices(); len(invs) != 1 || invs[0].Mode != "DEPOT_PDF_API" || invs[0].Number != "INS-2026-1" {
		t.Fatalf("the daemon submitted %+v; want the PDF-mode deposit inspect announced", invs)
	}
	if r := route(); r["outcome"] != "duplicate" {
		t.Errorf("inspect route after the deposit %v; want duplicate, as the daemon would", r)
	}
}
