package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"facteur/ident"
)

const examplePath = "../config.example.toml"

// minimal is a small valid configuration; tests append to it or edit it.
const minimal = `
[instance]
name = "Commune de Test"

[[mailbox]]
name = "factures"
address = "factures@mairie.example"
host = "imap.mairie.example"
password = { value = "imap-secret" }

[smtp]
host = "smtp.mairie.example"
from = "factures@mairie.example"

[chorus]
client_id = "id"
client_secret = { value = "chorus-secret" }
technical_login = "TECH_1_x@cpro.fr"
technical_password = { value = "tech-secret" }

[[budget]]
name = "Budget principal"
siret = "200 071 892 00067"
`

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// problems parses src, which must fail, and returns the problems.
func problems(t *testing.T, src string) Problems {
	t.Helper()
	c, err := Parse([]byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded, want problems; config: %+v", c)
	}
	if c != nil {
		t.Errorf("Parse returned a config along with an error")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v", err, err)
	}
	return ps
}

// wantKeys asserts that a problem is reported for each key, with a message
// containing the given fragment.
func wantKeys(t *testing.T, ps Problems, want map[string]string) {
	t.Helper()
	for key, frag := range want {
		found := false
		for _, p := range ps {
			if p.Key == key && strings.Contains(p.Message, frag) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem %q containing %q; got:\n%v", key, frag, ps)
		}
	}
}

func TestExample(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	yes := true
	want := []Budget{
		{Name: "Budget principal", SIRET: "20007189200067", Keywords: []string{}, EngagementRequired: &yes},
		{Name: "Budget eau potable", SIRET: "20007189200026", Keywords: []string{"eau potable"}, EngagementRequired: &yes},
		{Name: "Budget assainissement", SIRET: "20007189200034", Keywords: []string{"assainissement"}, EngagementRequired: &yes},
		{Name: "Budget circuit automobile", SIRET: "20007189200059", Keywords: []string{"circuit"}, EngagementRequired: &yes},
	}
	if !reflect.DeepEqual(c.Budgets, want) {
		t.Errorf("budgets:\n got %#v\nwant %#v", c.Budgets, want)
	}
	if c.Instance.Name != "Agglomération du Saint-Quentinois" {
		t.Errorf("instance.name = %q", c.Instance.Name)
	}
	if len(c.Mailboxes) != 1 {
		t.Fatalf("%d mailboxes, want 1", len(c.Mailboxes))
	}
	m := c.Mailboxes[0]
	if m.Address != "accueil.comptabilite@casq.fr" || m.Security != "tls" || m.Port != 993 || m.MaxMessageSize != 40*MiB {
		t.Errorf("mailbox: %+v", m)
	}
	if m.Password.Credential == "" && m.Password.File == "" {
		t.Errorf("mailbox password should come from a credential or a file: %v", m.Password)
	}
	if c.SMTP.Security != "starttls" || c.SMTP.Port != 587 || len(c.SMTP.Bcc) == 0 || c.SMTP.FromName == "" {
		t.Errorf("smtp: %+v", c.SMTP)
	}
	if c.Chorus.Environment != "sandbox" || c.Chorus.ClientSecret.Credential != "chorus-client-secret" || c.Chorus.TechnicalPassword.Credential != "chorus-technical-password" {
		t.Errorf("chorus: %+v", c.Chorus)
	}
	if len(c.Engagement.Patterns) != 0 {
		t.Errorf("engagement patterns set, want empty (the parser's defaults)")
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings on the example: %q", w)
	}
	for _, s := range []string{"20007189200026", "200 071 892 00026", "200\u00a0071\u00a0892\u00a000026"} {
		if b, ok := c.BudgetBySIRET(s); !ok || b.Name != "Budget eau potable" {
			t.Errorf("BudgetBySIRET(%q) = %v, %v", s, b, ok)
		}
	}
	if b, ok := c.BudgetBySIRET("20007189200075"); ok {
		t.Errorf("BudgetBySIRET(unknown) = %v", b)
	}
}

// TestExampleDocumented checks that every key of the example file has a
// comment: either on the line above, or as part of a commented block.
func TestExampleDocumented(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	keyRE := regexp.MustCompile(`^([a-z_]+) =`)
	inBudget, seenBudget := false, false
	for i, l := range lines {
		if strings.HasPrefix(l, "[[budget]]") {
			inBudget = true
			if seenBudget {
				continue
			}
		}
		if strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "[[budget]]") {
			inBudget = false
		}
		m := keyRE.FindStringSubmatch(l)
		if m == nil || i == 0 {
			continue
		}
		if inBudget && seenBudget {
			continue // later budgets repeat the documented keys of the first
		}
		if !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			t.Errorf("line %d: key %q has no comment above it", i+1, m[1])
		}
		if inBudget && m[1] == "keywords" {
			seenBudget = true
		}
	}
}

func TestMinimalDefaults(t *testing.T) {
	c := mustParse(t, minimal)
	m := c.Mailboxes[0]
	checks := []struct {
		name     string
		got, exp any
	}{
		{"data_dir", c.Instance.DataDir, "/var/lib/facteur"},
		{"case_prefix", c.Instance.CasePrefix, "FAC"},
		{"log_level", c.Instance.LogLevel, "info"},
		{"mailbox.security", m.Security, "tls"},
		{"mailbox.port", m.Port, 993},
		{"mailbox.username", m.Username, "factures@mairie.example"},
		{"mailbox.folder", m.Folder, "INBOX"},
		{"mailbox.poll", m.Poll, "@every 1m"},
		{"mailbox.processed_folder", m.ProcessedFolder, "Facteur/Traitees"},
		{"mailbox.review_folder", m.ReviewFolder, "Facteur/A-verifier"},
		{"mailbox.ignored_folder", m.IgnoredFolder, "Facteur/Ignorees"},
		{"mailbox.max_message_size", m.MaxMessageSize, ByteSize(40 << 20)},
		{"smtp.security", c.SMTP.Security, "starttls"},
		{"smtp.port", c.SMTP.Port, 587},
		{"smtp.from_name", c.SMTP.FromName, "Commune de Test"},
		{"smtp.envelope_from", c.SMTP.EnvelopeFrom, ""},
		{"smtp.timeout", c.SMTP.Timeout.Duration, 30 * time.Second},
		{"chorus.environment", c.Chorus.Environment, "sandbox"},
		{"chorus.timeout", c.Chorus.Timeout.Duration, 60 * time.Second},
		{"chorus.status_poll", c.Chorus.StatusPoll, "@every 5m"},
		{"routing.cannot_deposit", c.Routing.CannotDeposit, "guide"},
		{"limits.max_parts", c.Limits.MaxParts, 200},
		{"limits.max_pdf_size", c.Limits.MaxPDFSize, ByteSize(50 << 20)},
		{"limits.document_timeout", c.Limits.DocumentTimeout.Duration, 10 * time.Second},
		{"budget.siret", c.Budgets[0].SIRET, "20007189200067"},
	}
	for _, ck := range checks {
		if ck.got != ck.exp {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.exp)
		}
	}
	if len(c.Engagement.Patterns) != 0 {
		t.Errorf("patterns = %q, want empty: the parser's defaults apply", c.Engagement.Patterns)
	}

	// Port defaults follow the security.
	c = mustParse(t, strings.Replace(strings.Replace(minimal,
		`host = "imap.mairie.example"`, `host = "imap.mairie.example"`+"\nsecurity = \"starttls\"", 1),
		`host = "smtp.mairie.example"`, `host = "smtp.mairie.example"`+"\nsecurity = \"tls\"", 1))
	if c.Mailboxes[0].Port != 143 || c.SMTP.Port != 465 {
		t.Errorf("ports: imap %d (want 143), smtp %d (want 465)", c.Mailboxes[0].Port, c.SMTP.Port)
	}
	c = mustParse(t, strings.Replace(minimal, `host = "smtp.mairie.example"`, "host = \"127.0.0.1\"\nsecurity = \"plain\"", 1))
	if c.SMTP.Port != 25 {
		t.Errorf("plain smtp port %d, want 25", c.SMTP.Port)
	}
}

func TestUnknownKeys(t *testing.T) {
	src := minimal + `
[[mailbox]]
name = "second"
address = "second@mairie.example"
host = "imap.mairie.example"
prot = 993
password = { file = "/etc/facteur/x", fil = "typo" }

[routing]
defaut_budget = "Budget principal"

[extra]
a = 1
`
	src = strings.Replace(src, `siret = "200 071 892 00067"`, "siret = \"200 071 892 00067\"\nSIRET = \"x\"", 1)
	ps := problems(t, src)
	wantKeys(t, ps, map[string]string{
		"mailbox[1].prot":         "unknown key",
		"mailbox[1].password.fil": "unknown key",
		"routing.defaut_budget":   "unknown key",
		"extra":                   "unknown key",
		"budget[0].SIRET":         "unknown key",
	})
	if len(ps) != 5 {
		t.Errorf("got %d problems, want 5:\n%v", len(ps), ps)
	}
	// The error text has one "key: message" per line.
	if got := strings.Count(ps.Error(), "\n") + 1; got != len(ps) {
		t.Errorf("Error() has %d lines for %d problems:\n%s", got, len(ps), ps.Error())
	}
}

func TestTypeErrors(t *testing.T) {
	src := `
[instance]
name = 12
[[mailbox]]
name = "a"
address = "a@b.example"
host = "imap.b.example"
port = "993"
password = "hunter2"
max_message_size = "40 potatoes"
[smtp]
host = "smtp.b.example"
from = "a@b.example"
bcc = "finances@b.example"
timeout = 30
[chorus]
client_id = "x"
client_secret = { value = "x" }
technical_login = "x"
technical_password = { value = "x" }
timeout = "soon"
[budget]
name = "Budget principal"
siret = "20007189200067"
[engagement]
patterns = ["(\\d+)", 3]
`
	ps := problems(t, src)
	wantKeys(t, ps, map[string]string{
		"instance.name":               "must be a string, not an integer",
		"mailbox[0].port":             "must be an integer, not a string",
		"mailbox[0].password":         "must be a table",
		"mailbox[0].max_message_size": "unknown unit",
		"smtp.bcc":                    "must be an array of strings, not a string",
		"smtp.timeout":                "duration string",
		"chorus.timeout":              "invalid duration",
		"budget":                      "array of tables ([[budget]])",
		"engagement.patterns[1]":      "must be a string, not an integer",
	})
}

func TestSyntaxError(t *testing.T) {
	ps := problems(t, minimal+"\n[smtp]\nport = 25\n")
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "line") {
		t.Errorf("duplicate table: %v", ps)
	}
	// The unterminated table header is on line 1; the decoder's own line
	// number says 2, as the character it stopped at is line 1's newline.
	ps = problems(t, "[instance\nname = 1")
	if len(ps) != 1 || !strings.HasPrefix(ps[0].Message, "line 1, column 10:") {
		t.Errorf("syntax error: %#v", ps)
	}
}

// TestManyMistakes checks that every problem of a bad file is reported at
// once, each with its key path.
func TestManyMistakes(t *testing.T) {
	src := `
[instance]
case_prefix = "fac"
log_level = "verbose"

[[mailbox]]
name = "Compta!"
address = "Compta <compta@mairie.example>"
host = "imap.mairie.example:993"
port = 70000
security = "ssl"
password = { file = "/etc/facteur/p", env = "P" }
poll = "every minute"
review_folder = "INBOX"
max_message_size = "-1"
folders = ["INBOX"]

[[mailbox]]
name = "dup"
address = "not an address"
host = "mail.example.org"
security = "plain"
password = { env = "NOT-VALID" }

[[mailbox]]
name = "dup"
address = "dup@mairie.example"
host = "127.0.0.1"
security = "plain"
password = { credential = "imap" }

[smtp]
host = ""
port = -1
username = "relay"
from = ""
envelope_from = "<bounce@mairie.example>"
bcc = ["finances@mairie.example", "nope"]
timeout = 30

[chorus]
environment = "custom"
token_url = "ftp://oauth.example"
client_secret = "s"

[[budget]]
name = "Budget principal"
siret = "20007189200067"
keywords = ["eau", " "]

[[budget]]
name = "Budget principal"
siret = "200 071 892 00068"

[[budget]]
name = "Budget eau"
siret = "2000718920006"
keywords = ["EAU"]

[[budget]]
name = "Budget doublon"
siret = "20007189200067"

[[budget]]
name = ""
siret = "2000718920006A"

[routing]
default_budget = "Budget annexe"
cannot_deposit = "reply"

[register]
file = "engagements.csv"

[limits]
max_pdf_pages = -1

[engagement]
patterns = ["engagement ([0-9]+", "engagement [0-9]+", "(EJ)([0-9]+)", "EJ ([0-9]+)"]
`
	ps := problems(t, src)
	want := map[string]string{
		"instance.name":               "required",
		"instance.case_prefix":        "upper-case",
		"instance.log_level":          `"verbose" must be one of`,
		"mailbox[0].name":             "a-z, 0-9",
		"mailbox[0].address":          "bare address",
		"mailbox[0].host":             "must not include the port",
		"mailbox[0].port":             "between 1 and 65535",
		"mailbox[0].security":         `"ssl" must be one of "tls", "starttls", "plain"`,
		"mailbox[0].password":         "several sources set (file, env)",
		"mailbox[0].poll":             "invalid schedule",
		"mailbox[0].review_folder":    "each folder must be different",
		"mailbox[0].max_message_size": "invalid size",
		"mailbox[0].folders":          "unknown key",
		"smtp.timeout":                "duration string",
		"chorus.client_secret":        "must be a table",
		"mailbox[1].address":          "not a valid e-mail address",
		"mailbox[1].security":         "only allowed towards a loopback host",
		"mailbox[1].password.env":     "not a valid environment variable name",
		"mailbox[2].name":             `"dup" is already the name of mailbox[1]`,
		"smtp.host":                   "required",
		"smtp.port":                   "between 1 and 65535",
		"smtp.password":               "required",
		"smtp.from":                   "required",
		"smtp.envelope_from":          "bare address",
		"smtp.bcc[1]":                 "not a valid e-mail address",
		"chorus.api_url":              `required when chorus.environment is "custom"`,
		"chorus.token_url":            "http:// or https://",
		"chorus.client_id":            "required",
		"chorus.technical_login":      "required",
		"chorus.technical_password":   "required",
		"budget[1].name":              "already the name of budget[0]",
		"budget[1].siret":             "not a valid SIRET",
		"budget[2].siret":             "14 digits",
		"budget[2].keywords[0]":       "also a keyword of budget[0]",
		"budget[0].keywords[1]":       "blank",
		"budget[3].siret":             "already the SIRET of budget[0]",
		"budget[4].name":              "required",
		"budget[4].siret":             "14 digits",
		"routing.default_budget":      `"Budget annexe" is not the name`,
		"routing.cannot_deposit":      `must be "guide" or "hold", not "reply"`,
		"register.file":               "must be an absolute path",
		"limits.max_pdf_pages":        "must be positive",
		"engagement.patterns[0]":      "invalid regexp",
		"engagement.patterns[1]":      "exactly one capture group",
		"engagement.patterns[2]":      "has 2",
	}
	wantKeys(t, ps, want)
	for _, p := range ps {
		if _, ok := want[p.Key]; !ok {
			t.Errorf("unexpected problem %v", p)
		}
	}
	// A value of the wrong type is not reported again by validation.
	if n := strings.Count("\n"+ps.Error(), "\nchorus.client_secret:"); n != 1 {
		t.Errorf("chorus.client_secret reported %d times", n)
	}
	// mailbox[2] uses plain towards 127.0.0.1, engagement.patterns[3] is fine.
	for _, k := range []string{"mailbox[2].security", "mailbox[2].host", "engagement.patterns[3]"} {
		if slices.Contains(ps.keys(), k) {
			t.Errorf("unexpected problem for %s", k)
		}
	}
}

func TestPlainSecurity(t *testing.T) {
	for _, host := range []string{"localhost", "LOCALHOST.", "127.0.0.1", "127.3.2.1", "::1", "[::1]"} {
		src := strings.Replace(minimal, `host = "imap.mairie.example"`, fmt.Sprintf("host = %q\nsecurity = \"plain\"", host), 1)
		src = strings.Replace(src, `host = "smtp.mairie.example"`, fmt.Sprintf("host = %q\nsecurity = \"plain\"", host), 1)
		if _, err := Parse([]byte(src)); err != nil {
			t.Errorf("plain towards %s refused: %v", host, err)
		}
	}
	for _, host := range []string{"imap.mairie.example", "10.0.0.1", "192.168.1.1", "::2", "localhost.example.org", "128.0.0.1"} {
		src := strings.Replace(minimal, `host = "imap.mairie.example"`, fmt.Sprintf("host = %q\nsecurity = \"plain\"", host), 1)
		src = strings.Replace(src, `host = "smtp.mairie.example"`, fmt.Sprintf("host = %q\nsecurity = \"plain\"", host), 1)
		wantKeys(t, problems(t, src), map[string]string{
			"mailbox[0].security": "loopback",
			"smtp.security":       "loopback",
		})
	}
}

func TestChorusURLs(t *testing.T) {
	src := strings.Replace(minimal, `client_id = "id"`, "environment = \"custom\"\napi_url = \"http://127.0.0.1:8080\"\ntoken_url = \"https://oauth.example/api/oauth/token\"\nclient_id = \"id\"", 1)
	c := mustParse(t, src)
	if c.Chorus.APIURL != "http://127.0.0.1:8080" {
		t.Errorf("api_url = %q", c.Chorus.APIURL)
	}
	src = strings.Replace(minimal, `client_id = "id"`, "environment = \"production\"\napi_url = \"https://\"\nclient_id = \"id\"", 1)
	wantKeys(t, problems(t, src), map[string]string{"chorus.api_url": "no host"})
}

func TestSIRET(t *testing.T) {
	casq := []string{"20007189200067", "20007189200026", "20007189200034", "20007189200059"}
	for _, s := range casq {
		if !ident.ValidSIRET(s) {
			t.Errorf("ident.ValidSIRET(%s) = false", s)
		}
		// Changing any single digit breaks the check digit.
		for i := range len(s) {
			b := []byte(s)
			b[i] = '0' + (b[i]-'0'+1)%10
			if ident.ValidSIRET(string(b)) {
				t.Errorf("ident.ValidSIRET(%s) = true (altered from %s)", b, s)
			}
		}
		// So does swapping two different adjacent digits.
		for i := 0; i+1 < len(s); i++ {
			if s[i] == s[i+1] {
				continue
			}
			b := []byte(s)
			b[i], b[i+1] = b[i+1], b[i]
			if ident.ValidSIRET(string(b)) {
				t.Errorf("ident.ValidSIRET(%s) = true (swapped from %s)", b, s)
			}
		}
	}
	for _, s := range []string{"", "2000718920006", "200071892000670", "2000718920006A", "200 071 892 00067"} {
		if ident.ValidSIRET(s) {
			t.Errorf("ident.ValidSIRET(%q) = true", s)
		}
	}
	// La Poste: the sum of the digits is a multiple of 5, Luhn or not.
	if !ident.ValidSIRET("35600000000048") { // head office, Luhn-valid
		t.Errorf("La Poste head office refused")
	}
	if s := "35600000049995"; digitSum(s)%5 != 0 || !ident.ValidSIRET(s) {
		t.Errorf("La Poste establishment %s (digit sum %d) refused", s, digitSum(s))
	}
	if s := "35600000049996"; ident.ValidSIRET(s) {
		t.Errorf("La Poste %s (digit sum %d) accepted", s, digitSum(s))
	}
	if got := ident.Compact(" 200 071\u00a0892\u202f00067 "); got != "20007189200067" {
		t.Errorf("ident.Compact = %q", got)
	}
}

func digitSum(s string) int {
	n := 0
	for _, c := range s {
		n += int(c - '0')
	}
	return n
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := write("pw", "s3cret \r\n\n")
	empty := write("empty", "\n")
	big := write("big", strings.Repeat("x", maxSecretSize+1))
	credDir := filepath.Join(dir, "creds")
	if err := os.Mkdir(credDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(credDir, "mail-password"), []byte("from-systemd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FACTEUR_TEST_SECRET", "from-env")
	t.Setenv("FACTEUR_TEST_EMPTY", "")
	t.Setenv("CREDENTIALS_DIRECTORY", credDir)

	ok := []struct {
		s    Secret
		want string
	}{
		{Secret{File: file}, "s3cret "},
		{Secret{Env: "FACTEUR_TEST_SECRET"}, "from-env"},
		{Secret{Credential: "mail-password"}, "from-systemd"},
		{Secret{Value: "inline"}, "inline"},
	}
	for _, tc := range ok {
		got, err := tc.s.Resolve()
		if err != nil || got != tc.want {
			t.Errorf("%v.Resolve() = %q, %v; want %q", tc.s, got, err, tc.want)
		}
		if !tc.s.IsSet() {
			t.Errorf("%v.IsSet() = false", tc.s)
		}
	}
	bad := []struct {
		s    Secret
		frag string
	}{
		{Secret{}, "no source"},
		{Secret{File: file, Value: "x"}, "several sources"},
		{Secret{File: filepath.Join(dir, "missing")}, "no such file"},
		{Secret{File: empty}, "empty"},
		{Secret{File: big}, "larger than"},
		{Secret{Env: "FACTEUR_TEST_UNSET_VARIABLE"}, "not set"},
		{Secret{Env: "FACTEUR_TEST_EMPTY"}, "empty"},
		{Secret{Credential: "other"}, "no such file"},
		{Secret{Credential: "../creds/mail-password"}, "invalid credential name"},
	}
	for _, tc := range bad {
		got, err := tc.s.Resolve()
		if err == nil || !strings.Contains(err.Error(), tc.frag) || got != "" {
			t.Errorf("%v.Resolve() = %q, %v; want error containing %q", tc.s, got, err, tc.frag)
		}
	}
	if (Secret{}).IsSet() {
		t.Errorf("zero Secret is set")
	}

	t.Setenv("CREDENTIALS_DIRECTORY", "")
	if _, err := (Secret{Credential: "mail-password"}).Resolve(); err == nil || !strings.Contains(err.Error(), "CREDENTIALS_DIRECTORY") {
		t.Errorf("credential without $CREDENTIALS_DIRECTORY: %v", err)
	}
}

func TestCheckSecrets(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "chorus")
	if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FACTEUR_TEST_IMAP", "imap")
	src := strings.NewReplacer(
		`password = { value = "imap-secret" }`, `password = { env = "FACTEUR_TEST_IMAP" }`,
		`client_secret = { value = "chorus-secret" }`, fmt.Sprintf("client_secret = { file = %q }", pw),
		`technical_password = { value = "tech-secret" }`, fmt.Sprintf("technical_password = { file = %q }", filepath.Join(dir, "missing")),
		`from = "factures@mairie.example"`, "from = \"factures@mairie.example\"\nusername = \"u\"\npassword = { env = \"FACTEUR_TEST_UNSET_SMTP\" }",
	).Replace(minimal)
	src = strings.Replace(src, `host = "imap.mairie.example"`, fmt.Sprintf("host = \"imap.mairie.example\"\nca_file = %q", filepath.Join(dir, "ca.pem")), 1)
	c := mustParse(t, src)
	ps := c.CheckSecrets()
	wantKeys(t, ps, map[string]string{
		"chorus.technical_password": "no such file",
		"smtp.password":             "FACTEUR_TEST_UNSET_SMTP is not set",
		"mailbox[0].ca_file":        "no such file",
	})
	if len(ps) != 3 {
		t.Errorf("got %d problems, want 3:\n%v", len(ps), ps)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings without inline secrets: %q", w)
	}
}

func TestWarnings(t *testing.T) {
	c := mustParse(t, strings.Replace(minimal, `from = "factures@mairie.example"`, "from = \"factures@mairie.example\"\npassword = { value = \"orphan\" }", 1))
	w := strings.Join(c.Warnings(), "\n")
	for _, k := range []string{"mailbox[0].password: secret written inline", "chorus.client_secret: secret written inline", "chorus.technical_password: secret written inline", "smtp.password: set but smtp.username is empty"} {
		if !strings.Contains(w, k) {
			t.Errorf("warnings lack %q:\n%s", k, w)
		}
	}
}

func TestRedacted(t *testing.T) {
	c := mustParse(t, strings.Replace(minimal, `name = "Commune de Test"`, `name = "Commune de \"Test\"\tà l'essai"`, 1))
	out := c.Redacted()
	for _, secret := range []string{"imap-secret", "chorus-secret", "tech-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted() shows secret %q:\n%s", secret, out)
		}
	}
	for _, frag := range []string{"[[mailbox]]", "[[budget]]", `siret = "20007189200067"`, `password = { value = "(redacted)" }`, `max_message_size = "40MiB"`, `timeout = "30s"`} {
		if !strings.Contains(out, frag) {
			t.Errorf("Redacted() lacks %q:\n%s", frag, out)
		}
	}
	// The dump is TOML that reads back as the same configuration, secrets aside.
	back, err := Parse([]byte(out))
	if err != nil {
		t.Fatalf("Parse(Redacted()): %v\n%s", err, out)
	}
	if back.Redacted() != out {
		t.Errorf("round trip differs:\n got %s\nwant %s", back.Redacted(), out)
	}
	if back.Instance.Name != c.Instance.Name || back.Mailboxes[0].Password.Value != redacted {
		t.Errorf("round trip: name %q, password %v", back.Instance.Name, back.Mailboxes[0].Password)
	}

	ex, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(ex.Redacted())); err != nil {
		t.Errorf("example's redacted dump does not parse: %v", err)
	}
	if !strings.Contains(ex.Redacted(), `client_secret = { credential = "chorus-client-secret" }`) {
		t.Errorf("example dump lacks the secret's source:\n%s", ex.Redacted())
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret{Value: "hunter2"}
	c := struct{ P Secret }{s}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s)
	js, _ := json.Marshal(c)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", c, c, c, s), logged.String(), string(js)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if got := (Secret{File: "/etc/facteur/x"}).String(); got != "file:/etc/facteur/x" {
		t.Errorf("String() = %q", got)
	}
}

func TestByteSize(t *testing.T) {
	ok := map[string]ByteSize{
		"40MiB": 40 << 20, "25MB": 25_000_000, "512KiB": 512 << 10, "1024": 1024,
		"2 GiB": 2 << 30, "10kb": 10_000, "7b": 7, "3M": 3 << 20, " 5 mib ": 5 << 20,
	}
	for in, want := range ok {
		var b ByteSize
		if err := b.UnmarshalText([]byte(in)); err != nil || b != want {
			t.Errorf("ByteSize(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-5", "1.5MiB", "40 potatoes", "99999999999999999999", "9999999999999GiB"} {
		var b ByteSize
		if err := b.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("ByteSize(%q) = %d, want error", in, b)
		}
	}
	for b, want := range map[ByteSize]string{40 << 20: "40MiB", 1000: "1000", 512 << 10: "512KiB", 0: "0", 3 << 30: "3GiB"} {
		if b.String() != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(b), b.String(), want)
		}
	}
	// An integer in TOML is a number of bytes.
	c := mustParse(t, strings.Replace(minimal, `host = "imap.mairie.example"`, "host = \"imap.mairie.example\"\nmax_message_size = 1048576", 1))
	if c.Mailboxes[0].MaxMessageSize != MiB {
		t.Errorf("max_message_size = %d", c.Mailboxes[0].MaxMessageSize)
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Duration != 90*time.Second {
		t.Errorf("Duration(1m30s) = %v, %v", d, err)
	}
	for _, in := range []string{"", "30", "-5s", "soon"} {
		if err := d.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("Duration(%q) accepted", in)
		}
	}
	if got, _ := (Duration{5 * time.Minute}).MarshalText(); string(got) != "5m0s" {
		t.Errorf("MarshalText = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(minimal))
	f.Add([]byte("[[mailbox]]\nport = \"x\"\n[[budget]]\nsiret = 1\nmailbox = 3"))
	f.Add([]byte("mailbox = [{ name = 1 }, 2]\nbudget = [[1]]\n[smtp]\ntimeout = 1979-05-27"))
	f.Add([]byte("[chorus]\nstatus_poll = \"TZ=Europe/Paris 0 0 * * 0-\"\n[engagement]\npatterns = [\"(\"]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not a non-empty Problems: %T %v", err, err)
			}
			if c != nil {
				t.Fatal("config returned with problems")
			}
			return
		}
		// A valid configuration dumps to TOML that reads back.
		if _, err := Parse([]byte(c.Redacted())); err != nil {
			t.Fatalf("Parse(Redacted()) failed: %v\n%s", err, c.Redacted())
		}
		_ = c.Warnings()
	})
}

// TestShapeFillMatchesDecoder checks that the Config filled by the shape
// walker (used to validate a file with type errors) is the one the TOML
// library decodes.
func TestShapeFillMatchesDecoder(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data) + "\n" + strings.TrimPrefix(minimal[strings.Index(minimal, "[[mailbox]]"):strings.Index(minimal, "[smtp]")], "\n")
	var raw map[string]any
	if _, err := toml.Decode(src, &raw); err != nil {
		t.Fatal(err)
	}
	var walked, decoded Config
	var ps Problems
	checkShape("", raw, reflect.ValueOf(&walked).Elem(), &ps)
	if len(ps) > 0 {
		t.Fatalf("shape problems: %v", ps)
	}
	if _, err := toml.Decode(src, &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(walked, decoded) {
		t.Errorf("walker and decoder differ:\nwalker  %#v\ndecoder %#v", walked, decoded)
	}
	if len(decoded.Mailboxes) != 2 {
		t.Errorf("%d mailboxes", len(decoded.Mailboxes))
	}
}

func TestMailboxAuth(t *testing.T) {
	c := mustParse(t, minimal)
	if m := c.Mailboxes[0]; m.Auth != "password" || m.TLSInsecureSkipVerify || m.OAuth2 != (MailboxOAuth2{}) {
		t.Errorf("defaults: auth %q, insecure %v, oauth2 %+v", m.Auth, m.TLSInsecureSkipVerify, m.OAuth2)
	}

	oauth := strings.Replace(minimal, `password = { value = "imap-secret" }`, `auth = "xoauth2"
tls_insecure_skip_verify = true
[mailbox.oauth2]
token_url = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"
client_id = "app-id"
client_secret = { file = "/etc/facteur/imap-oauth2-secret" }`, 1)
	c = mustParse(t, oauth)
	m := c.Mailboxes[0]
	if m.Auth != "xoauth2" || !m.TLSInsecureSkipVerify || m.OAuth2.ClientID != "app-id" ||
		m.OAuth2.ClientSecret.File != "/etc/facteur/imap-oauth2-secret" || m.OAuth2.Scope != DefaultOAuth2Scope {
		t.Errorf("xoauth2 mailbox: %+v", m)
	}
	// The client secret is checked like any other; no password is needed.
	ps := c.CheckSecrets()
	wantKeys(t, ps, map[string]string{"mailbox[0].oauth2.client_secret": "no such file"})
	for _, p := range ps {
		if p.Key == "mailbox[0].password" {
			t.Errorf("password required with xoauth2: %v", p)
		}
	}
	// The redacted dump shows the secret's source and reads back.
	out := c.Redacted()
	if !strings.Contains(out, `client_secret = { file = "/etc/facteur/imap-oauth2-secret" }`) || !strings.Contains(out, "tls_insecure_skip_verify = true") {
		t.Errorf("Redacted():\n%s", out)
	}
	if back, err := Parse([]byte(out)); err != nil || back.Redacted() != out {
		t.Errorf("Parse(Redacted()): %v", err)
	}
	inline := strings.Replace(oauth, `{ file = "/etc/facteur/imap-oauth2-secret" }`, `{ value = "tr3s-secret" }`, 1)
	if out := mustParse(t, inline).Redacted(); strings.Contains(out, "tr3s-secret") {
		t.Errorf("Redacted() shows the client secret:\n%s", out)
	}

	ps = problems(t, strings.Replace(minimal, `password = { value = "imap-secret" }`, `auth = "oauth"
tls_insecure_skip_verify = "yes"
[mailbox.oauth2]
client_id = "x"
scope = ""`, 1))
	wantKeys(t, ps, map[string]string{
		"mailbox[0].auth":                     `"oauth" must be one of "password", "xoauth2"`,
		"mailbox[0].tls_insecure_skip_verify": "must be a boolean",
	})
	ps = problems(t, strings.Replace(minimal, `password = { value = "imap-secret" }`, `password = { value = "imap-secret" }
auth = "xoauth2"
[mailbox.oauth2]
token_url = "http://login.example/token"
scope = " "`, 1))
	wantKeys(t, ps, map[string]string{
		"mailbox[0].oauth2.token_url":     "must be https",
		"mailbox[0].oauth2.client_id":     "required",
		"mailbox[0].oauth2.client_secret": "required",
		"mailbox[0].oauth2.scope":         "must not be blank",
		"mailbox[0].password":             "not used",
	})
	ps = problems(t, strings.Replace(minimal, `password = { value = "imap-secret" }`, `auth = "xoauth2"`, 1))
	wantKeys(t, ps, map[string]string{"mailbox[0].oauth2.token_url": "required"})
	ps = problems(t, strings.Replace(minimal, `password = { value = "imap-secret" }`, `password = { value = "imap-secret" }
[mailbox.oauth2]
client_id = "x"`, 1))
	wantKeys(t, ps, map[string]string{"mailbox[0].oauth2": `only used with auth = "xoauth2"`})
	ps = problems(t, strings.Replace(minimal, `host = "imap.mairie.example"`, "host = \"127.0.0.1\"\nsecurity = \"plain\"\ntls_insecure_skip_verify = true", 1))
	wantKeys(t, ps, map[string]string{"mailbox[0].tls_insecure_skip_verify": "meaningless"})
	// A loopback token endpoint may be plain http (tests, local proxies).
	mustParse(t, strings.Replace(oauth, "https://login.microsoftonline.com/tenant/oauth2/v2.0/token", "http://127.0.0.1:8080/token", 1))
}

// TestBudgetEngagementRequired: the body's own rule per budget, true when
// absent, false only when said; a value of another type is refused.
func TestBudgetEngagementRequired(t *testing.T) {
	base := strings.Replace(minimal, "[[budget]]", "[[budget]]\nengagement_required = false", 1)
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Budgets[0].EngagementMandatory() {
		t.Error("engagement_required = false not taken")
	}
	c, err = Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Budgets[0].EngagementMandatory() || !strings.Contains(c.Redacted(), "engagement_required = true") {
		t.Errorf("absent: mandatory %v; redacted:\n%s", c.Budgets[0].EngagementMandatory(), c.Redacted())
	}
	if _, err := Parse([]byte(strings.Replace(minimal, "[[budget]]", "[[budget]]\nengagement_required = \"oui\"", 1))); err == nil ||
		!strings.Contains(err.Error(), "budget[0].engagement_required: must be a boolean") {
		t.Errorf("a string: %v", err)
	}
}
