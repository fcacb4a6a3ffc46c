package main

import (
	"bytes"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"facteur/clerk"
	"facteur/demo"
	"facteur/samples"
	"facteur/store"
)

// No test reads the configuration of the machine it runs on (a package
// test may have installed /etc/facteur/facteur.toml meanwhile): the default
// of --config is a file that does not exist.
func init() {
	configDefault = filepath.Join(os.TempDir(), "facteur-test-no-such-dir", "facteur.toml")
}

// everyCommand lists every command and subcommand, root first.
func everyCommand() []*command {
	var all []*command
	var walk func(c *command)
	walk = func(c *command) {
		all = append(all, c)
		for _, s := range c.subs {
			walk(s)
		}
	}
	walk(root)
	return all
}

// words of the command line as typed: "cases list" for facteur cases list.
func argv(c *command) []string {
	return strings.Fields(strings.TrimPrefix(c.path(), "facteur"))
}

// TestHelpEverywhere: --help and -h on every command and subcommand exit
// 0, print on stdout its usage line, its subcommands and every flag, never
// Go's "Usage of" text; facteur help COMMAND prints the same.
func TestHelpEverywhere(t *testing.T) {
	for _, c := range everyCommand() {
		for _, h := range []string{"--help", "-h", "-help"} {
			args := append(argv(c), h)
			code, out, errOut := runCLI(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("facteur %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
			}
			usage := "Usage: " + c.path()
			if c.lang == french {
				usage = "Utilisation : " + c.path()
			}
			if c.raw != nil { // backup, restore: their own help
				usage = "usage: " + c.path()
			}
			if !strings.HasPrefix(out, usage) || strings.Contains(out, "Usage of") {
				t.Errorf("facteur %s:\n%s", strings.Join(args, " "), out)
			}
			for _, s := range c.subs {
				if !s.hidden && !regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(s.name)+` `).MatchString(out) {
					t.Errorf("facteur %s does not list %s:\n%s", strings.Join(args, " "), s.name, out)
				}
			}
			fs, _ := c.flags()
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(out, flagName(f.Name)+" ") {
					t.Errorf("facteur %s does not list %s:\n%s", strings.Join(args, " "), flagName(f.Name), out)
				}
			})
		}
		_, want, _ := runCLI(t, append(argv(c), "--help")...)
		if c.raw != nil {
			var b strings.Builder
			c.help(&b)
			want = b.String()
		}
		if code, out, _ := runCLI(t, append([]string{"help"}, argv(c)...)...); code != 0 || out != want {
			t.Errorf("facteur help %s: exit %d\n%s", strings.Join(argv(c), " "), code, out)
		}
	}
	if code, _, errOut := runCLI(t, "help", "frobnicate"); code != 2 || !strings.Contains(errOut, "no command") {
		t.Errorf("help of an unknown command: exit %d %s", code, errOut)
	}
}

// TestFlagMetavars: every flag taking a value names it (`FILE`), so that
// the help shows no Go type name; the help of cases and its subcommands is
// French.
func TestFlagMetavars(t *testing.T) {
	for _, c := range everyCommand() {
		fs, _ := c.flags()
		fs.VisitAll(func(f *flag.Flag) {
			name, _ := flag.UnquoteUsage(f)
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				return
			}
			if name != strings.ToUpper(name) || !strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q names no value in backquotes", c.path(), f.Name, f.Usage)
			}
		})
	}
	for _, c := range append([]*command{casesCommand}, casesCommand.subs...) {
		_, out, _ := runCLI(t, append(argv(c), "--help")...)
		for _, english := range []string{"Usage", "Options:", "default", "show this help", "Commands"} {
			if strings.Contains(out, english) {
				t.Errorf("%s --help says %q:\n%s", c.path(), english, out)
			}
		}
	}
	_, out, _ := runCLI(t, "cases", "--help")
	for _, sub := range []string{"list", "show", "release", "reject", "retry"} {
		if !strings.Contains(out, "\n  "+sub+" ") {
			t.Errorf("cases --help does not list %s:\n%s", sub, out)
		}
	}
}

// TestCasesSpeaksFrench: the refusals of a badly written cases command are
// French, with where to find the help; no Go flag text.
func TestCasesSpeaksFrench(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cases", "list", "--bogus"}, "facteur cases list : option inconnue --bogus"},
		{[]string{"cases", "--bogus", "list"}, "facteur cases : option inconnue --bogus"},
		{[]string{"cases", "reject", "FAC-2026-000001", "--reason"}, "l'option --reason attend une valeur"},
		{[]string{"cases", "list", "--limit", "beaucoup"}, "valeur « beaucoup » incorrecte pour l'option --limit"},
		{[]string{"cases", "list", "--limit", "0"}, "--limit doit être un nombre de dossiers"},
		{[]string{"cases", "frobnicate"}, "commande inconnue « frobnicate » (list, show, release, reject, retry, engagement, budget, handled)"},
		{[]string{"cases", "show"}, "indiquez le numéro du dossier"},
		{[]string{"cases", "release", "FAC-1", "FAC-2"}, "un seul numéro de dossier"},
		{[]string{"cases", "list", "en-trop"}, "argument inattendu « en-trop »"},
		{[]string{"cases", "list", "--state", "perdue"}, "état inconnu « perdue »"},
		{[]string{"cases", "list"}, "aucun fichier de configuration " + configDefault + " (celui lu par défaut) ; indiquez-en un avec --config FICHIER"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "Voir « facteur cases") {
			t.Errorf("facteur %s: exit %d, stderr:\n%s\nwant %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
		for _, english := range []string{"flag", "Usage", "usage", "store:", "gateway:"} {
			if strings.Contains(errOut, english) {
				t.Errorf("facteur %s says %q:\n%s", strings.Join(tc.args, " "), english, errOut)
			}
		}
	}
	// The refusal of an unknown state lists the valid ones, names and labels.
	_, _, errOut := runCLI(t, "cases", "list", "--state", "perdue")
	for _, s := range clerk.States {
		if !strings.Contains(errOut, string(s)) || !strings.Contains(errOut, clerk.StateLabel(s)) {
			t.Errorf("the refusal of an unknown state lacks %s (%s):\n%s", s, clerk.StateLabel(s), errOut)
		}
	}
}

// TestStateNames: a state is named by its name or its French label, in any
// case, with or without accents; the labels are all different.
func TestStateNames(t *testing.T) {
	seen := map[string]store.CaseState{}
	for _, s := range clerk.States {
		label := clerk.StateLabel(s)
		if label == string(s) {
			t.Errorf("%s has no French label", s)
		}
		if o, dup := seen[clerk.Fold(label)]; dup {
			t.Errorf("%s and %s have the same label %q", s, o, label)
		}
		seen[clerk.Fold(label)] = s
		for _, v := range []string{string(s), strings.ToUpper(string(s)), label, strings.ToUpper(label),
			" " + strings.NewReplacer("é", "e", "à", "a", "É", "E").Replace(label) + " "} {
			if got, ok := clerk.ParseState(v); !ok || got != s {
				t.Errorf("clerk.ParseState(%q) = %q, %v; want %s", v, got, ok, s)
			}
		}
	}
	for _, v := range []string{"", "  ", "examiner", "held,rejected", "déposée en"} {
		if s, ok := clerk.ParseState(v); ok {
			t.Errorf("clerk.ParseState(%q) = %s", v, s)
		}
	}
	if got, ok := clerk.ParseState("À EXAMINER"); !ok || got != store.CaseHeld {
		t.Errorf("À EXAMINER: %s %v", got, ok)
	}
	if got, ok := clerk.ParseState("deposee en traitement"); !ok || got != store.CaseDeposited {
		t.Errorf("deposee en traitement: %s %v", got, ok)
	}
}

// TestVersion: facteur --version and facteur version print the version
// and the schema version the store writes.
func TestVersion(t *testing.T) {
	want := fmt.Sprintf("facteur %s\nschema version %d\n", buildVersion(), store.SchemaVersion())
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, want) {
			t.Errorf("facteur %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	if store.SchemaVersion() < 5 {
		t.Errorf("schema version %d", store.SchemaVersion())
	}
	defer func(v string) { version = v }(version)
	version = "1.2.3"
	if _, out, _ := runCLI(t, "--version"); !strings.HasPrefix(out, "facteur 1.2.3\n") {
		t.Errorf("version set at build time: %s", out)
	}
}

// TestVersionSetAtBuild: a binary built with -ldflags -X main.version says
// that version; one built without it, what the toolchain recorded.
func TestVersionSetAtBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "facteur")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "facteur 9.8.7\nschema version "+strconv.Itoa(store.SchemaVersion())+"\n") {
		t.Errorf("--version: %v\n%s", err, out)
	}
}

// TestConfigDefault: --config is /etc/facteur/facteur.toml for every
// command that reads a configuration; without it and without that file,
// each says so and how to name another.
func TestConfigDefault(t *testing.T) {
	if defaultConfig != "/etc/facteur/facteur.toml" {
		t.Errorf("default configuration %s", defaultConfig)
	}
	for _, c := range everyCommand() {
		fs, _ := c.flags()
		want := configDefault // backup and restore too: they use configFlag
		if f := fs.Lookup("config"); f != nil && c != inspectCommand && f.DefValue != want {
			t.Errorf("%s --config defaults to %q", c.path(), f.DefValue)
		}
	}
	for _, args := range [][]string{{"run"}, {"check-config"}, {"check-config", "--dump"}} {
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, "no configuration file at "+configDefault+" (the default); name one with --config FILE") {
			t.Errorf("facteur %s: exit %d %s", strings.Join(args, " "), code, errOut)
		}
	}
}

// casesEnv is a demo environment with one settled message, its
// configuration file and the reference of its case.
func casesEnv(t *testing.T) (cfgPath, ref string) {
	t.Helper()
	dir := t.TempDir()
	env, err := demo.Start(dir, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	cfgPath = filepath.Join(dir, "facteur.toml")
	os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600)
	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice("VNT-2026-77", "2026-11-02", samples.CASQBudgetPrincipal, "", "EJ-2026-000077"))
	if err != nil {
		t.Fatal(err)
	}
	env.Deliver(samples.Mail{From: s.Email, To: samples.CASQMailbox, Subject: "Facture VNT-2026-77",
		Attachments: []samples.Attachment{{Name: "VNT-2026-77.pdf", Data: pdf}}}.Bytes())
	env.Sandbox.FailNext("/cpro/factures/v1/deposer/flux", 400, 1) // refused: held for a person
	settle(t, env, 1)
	code, out, errOut := runCLI(t, "cases", "--config", cfgPath, "list", "--state", "held")
	if code != 0 || !strings.Contains(out, "VNT-2026-77") {
		t.Fatalf("list: exit %d %s\n%s", code, errOut, out)
	}
	return cfgPath, strings.Fields(strings.Split(out, "\n")[1])[0]
}

// TestFlagsAnywhere: the flags of cases may come before or after its
// subcommand and its arguments; --state takes the French labels.
func TestFlagsAnywhere(t *testing.T) {
	cfgPath, ref := casesEnv(t)
	_, want, _ := runCLI(t, "cases", "--config", cfgPath, "list")
	for _, args := range [][]string{
		{"cases", "list", "--config", cfgPath},
		{"cases", "list", "--config=" + cfgPath},
		{"cases", "--config", cfgPath},
		{"cases", "--config", "/nonexistent.toml", "list", "--config", cfgPath}, // the last one wins
	} {
		if code, out, errOut := runCLI(t, args...); code != 0 || out != want {
			t.Errorf("facteur %s: exit %d %s\n%s\nwant\n%s", strings.Join(args, " "), code, errOut, out, want)
		}
	}
	for _, state := range []string{"held", "HELD", "à examiner", "A EXAMINER", "À examiner"} {
		code, out, errOut := runCLI(t, "cases", "list", "--state", state, "--config", cfgPath)
		if code != 0 || !strings.Contains(out, ref) {
			t.Errorf("list --state %q: exit %d %s\n%s", state, code, errOut, out)
		}
	}
	if code, out, _ := runCLI(t, "cases", "list", "--config", cfgPath, "--state", "paid", "--state", "mise en paiement"); code != 0 || strings.Contains(out, ref) {
		t.Errorf("list --state paid lists %s:\n%s", ref, out)
	}
	if code, out, _ := runCLI(t, "cases", "list", "--config", cfgPath, "--state", "paid", "--state", "held"); code != 0 || !strings.Contains(out, ref) {
		t.Errorf("list --state paid --state held does not list %s:\n%s", ref, out)
	}
	if code, out, errOut := runCLI(t, "cases", "show", ref, "--config", cfgPath); code != 0 || !strings.Contains(out, "à examiner") {
		t.Errorf("show REF --config: exit %d %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "cases", "reject", ref, "--config", cfgPath); code != 1 || !strings.Contains(errOut, "--reason est obligatoire") {
		t.Errorf("reject without --reason: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "cases", "reject", "--reason", "facture annulée", ref, "--config", cfgPath); code != 0 || !strings.Contains(out, "écarté") {
		t.Errorf("reject --reason R REF --config: exit %d %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "cases", "retry", "--config", cfgPath, ref); code != 1 || !strings.Contains(errOut, "aucune réponse en échec") ||
		strings.Contains(errOut, "gateway") {
		t.Errorf("retry without a failed reply: exit %d %s", code, errOut)
	}

	// check-config: FILE or --config FILE, flags on either side.
	for _, args := range [][]string{{"check-config", cfgPath}, {"check-config", "--config", cfgPath},
		{"check-config", cfgPath, "--dump"}, {"check-config", "--dump", "--config", cfgPath}} {
		if code, out, _ := runCLI(t, args...); code != 0 || !strings.Contains(out, cfgPath+": OK") {
			t.Errorf("facteur %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	if code, _, errOut := runCLI(t, "check-config", "--config", cfgPath, "/other.toml"); code != 2 || !strings.Contains(errOut, "once") {
		t.Errorf("two files: exit %d %s", code, errOut)
	}
	// inspect: a flag after the paths.
	if code, out, errOut := runCLI(t, "inspect", filepath.Join(filepath.Dir(cfgPath), "absent.pdf"), "--text-only"); code != 1 || !strings.Contains(out, `absent.pdf: no such file`) {
		t.Errorf("inspect PATH --text-only: exit %d %s\n%s", code, errOut, out)
	}
}

// TestCasesStoreErrorsInFrench: what stops cases before any case is read
// is said in French, without the store's words.
func TestCasesStoreErrorsInFrench(t *testing.T) {
	dir := t.TempDir()
	cfg := demoConfig(t, dir)
	code, _, errOut := runCLI(t, "cases", "list", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "aucune base de données dans "+dir) {
		t.Errorf("no database: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, store.DatabaseFile)); err == nil {
		t.Error("cases created a database")
	}

	// A database written by a newer Facteur.
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", store.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errOut = runCLI(t, "cases", "show", "FAC-2026-000001", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "version plus récente de Facteur") || strings.Contains(errOut, "store") {
		t.Errorf("newer database: exit %d %s", code, errOut)
	}

	// A configuration with problems.
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[instance]\nname = \"x\"\ncase_prefix = 12\n"), 0o600)
	code, _, errOut = runCLI(t, "cases", "--config", bad)
	if code != 2 || !strings.Contains(errOut, "le fichier de configuration "+bad+" est incorrect") ||
		!strings.Contains(errOut, "facteur check-config "+bad) || !strings.Contains(errOut, "instance.case_prefix") {
		t.Errorf("bad configuration: exit %d %s", code, errOut)
	}
}

// demoConfig writes a valid configuration whose data_dir is dir.
func demoConfig(t *testing.T, dir string) string {
	t.Helper()
	env, err := demo.Start(t.TempDir(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env.Close()
	src := regexp.MustCompile(`(?m)^data_dir = .*$`).ReplaceAllString(env.ConfigTOML(), fmt.Sprintf("data_dir = %q", dir))
	p := filepath.Join(t.TempDir(), "facteur.toml")
	os.WriteFile(p, []byte(src), 0o600)
	return p
}

// TestCheckConfigAtOnce: check-config lists in one run a wrong value, a
// missing secret file, a data_dir that is a file; a syntax error names its
// line.
func TestCheckConfigAtOnce(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(demoConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?m)^data_dir = .*$`).ReplaceAllString(string(good), fmt.Sprintf("data_dir = %q", filepath.Join(dir, "file")))
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	src = regexp.MustCompile(`(?m)^technical_password = .*$`).ReplaceAllString(src, fmt.Sprintf("technical_password = { file = %q }", filepath.Join(dir, "absent-secret")))
	src = regexp.MustCompile(`(?m)^case_prefix = .*$`).ReplaceAllString(src, `case_prefix = "fac"`)
	if !strings.Contains(src, `case_prefix = "fac"`) {
		src = strings.Replace(src, "[instance]\n", "[instance]\ncase_prefix = \"fac\"\n", 1)
	}
	p := filepath.Join(dir, "bad.toml")
	os.WriteFile(p, []byte(src), 0o600)
	code, out, _ := runCLI(t, "check-config", p)
	if code != 2 || !strings.Contains(out, p+": 3 problem(s):") {
		t.Errorf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"instance.case_prefix: \"fac\"", "chorus.technical_password: open " + filepath.Join(dir, "absent-secret"), "instance.data_dir: " + filepath.Join(dir, "file") + " is not a directory"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not say %q:\n%s", want, out)
		}
	}

	lines := strings.Split(string(good), "\n")
	lines[6] = "[smtp"
	os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600)
	if code, out, _ := runCLI(t, "check-config", p); code != 2 || !strings.Contains(out, "line 7, column 6:") {
		t.Errorf("syntax error on line 7: exit %d\n%s", code, out)
	}
}

// TestMirroredFlags: the commands that parse their own flags (demo,
// inspect, sandbox) have, in the table, the same flags with the same
// defaults, read from what their own -h prints.
func TestMirroredFlags(t *testing.T) {
	real := map[*command]func([]string, *bytes.Buffer) int{
		demoCommand:    func(a []string, w *bytes.Buffer) int { return cmdDemo(a, w, w) },
		inspectCommand: func(a []string, w *bytes.Buffer) int { return cmdInspect(a, w, w) },
		sandboxCommand: func(a []string, w *bytes.Buffer) int { return cmdSandbox(a, w, w) },
		runCommand:     func(a []string, w *bytes.Buffer) int { return cmdRun(a, w) },
	}
	flagLine := regexp.MustCompile(`^  -([^\s]+)(?: ([^\s]+))?(?:\t|$)`)
	defaultOf := regexp.MustCompile(`\(default (.*)\)$`)
	for c, fn := range real {
		var buf bytes.Buffer
		fn([]string{"-h"}, &buf)
		got := map[string]string{} // name → "bool" or the default
		var last string
		for _, l := range strings.Split(buf.String(), "\n") {
			if m := flagLine.FindStringSubmatch(l); m != nil {
				last = m[1]
				got[last] = ""
				if m[2] == "" {
					got[last] = "bool"
				}
			}
			if m := defaultOf.FindStringSubmatch(strings.TrimSpace(l)); m != nil && last != "" {
				d := m[1]
				if u, err := strconv.Unquote(d); err == nil {
					d = u
				}
				got[last] = d
			}
		}
		fs, _ := c.flags()
		want := map[string]string{}
		fs.VisitAll(func(f *flag.Flag) {
			switch b, ok := f.Value.(interface{ IsBoolFlag() bool }); {
			case ok && b.IsBoolFlag():
				want[f.Name] = "bool"
			case f.DefValue == "0s" || f.DefValue == "0" || f.DefValue == "":
				want[f.Name] = ""
			default:
				want[f.Name] = f.DefValue
			}
		})
		if c == runCommand { // run's own parser has no default: it is given one
			want["config"] = ""
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: its own flags %v, the table's %v", c.path(), got, want)
		}
	}
}

// TestMan: facteur man is a manual page with every command and flag,
// which man(1) renders without a warning.
func TestMan(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	code, page, errOut := runCLI(t, "man")
	if code != 0 || errOut != "" || !strings.Contains(page, `.TH FACTEUR 1 "2026\-01\-01" "facteur `) {
		t.Fatalf("exit %d %s\n%s", code, errOut, page)
	}
	for _, c := range everyCommand()[1:] {
		if c.hidden {
			if strings.Contains(page, ".SS \""+roffText(c.path())) {
				t.Errorf("the page shows the hidden %s", c.path())
			}
			continue
		}
		if !strings.Contains(page, ".SS \""+roffText(c.path())) {
			t.Errorf("the page lacks %s", c.path())
		}
	}
	for _, want := range []string{`\-\-state`, `\-\-config`, `\-\-version`, "à examiner", `\-\-dump`, ".SH FILES", ".SH EXIT STATUS"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man(1) is not installed: the page is not rendered")
	}
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed: the page is not rendered")
	}
	p := filepath.Join(t.TempDir(), "facteur.1")
	os.WriteFile(p, []byte(page), 0o644)
	cmd := exec.Command("man", "--warnings", "-E", "UTF-8", "-l", p)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=0", "LC_ALL=C.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("man: %v\n%s", err, stderr.String())
	}
	text := regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
	for _, want := range []string{"facteur cases list", "--state ÉTAT", "à examiner", "/etc/facteur/facteur.toml"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered page lacks %q:\n%s", want, text)
		}
	}
}
