package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyntaxErrorLine: a TOML syntax error names the line (and column)
// where the mistake is, whatever character the decoder stopped at, and no
// key of another table.
func TestSyntaxErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"value without quotes", "[instance]\nname = \"x\"\ndata_dir = \"/tmp\"\ncase_prefix = FAC\n", "line 4, column 15:"},
		{"unterminated table header", "[instance]\nname = \"x\"\n\n\n[smtp\nhost = \"a\"\n", "line 5, column 6:"},
		{"unterminated string", "[instance]\nname = \"x\nlog_level = \"info\"\n", "line 2, column 10:"},
		{"duplicate key", "[instance]\nname = \"x\"\nname = \"y\"\n", "line 3, column 1:"},
		{"duplicate table", "[instance]\nname = \"x\"\n[instance]\nlog_level = \"info\"\n", "line 3, column 2:"},
		{"garbage after a value", "[instance]\nname = \"x\"\n[[budget]]\nname = \"b\"\nsiret = 123abc\n", "line 5, column 12:"},
		{"byte order mark", "\xef\xbb\xbf[instance]\nname = \"x\"\n\nfoo = = 1\n", "line 4, column 7:"},
		{"CRLF line ends", "[instance]\r\nname = \"x\"\r\n\r\nfoo = = 1\r\n", "line 4, column 7:"},
		{"accents before the mistake", "[instance]\nname = \"Agglomération\"x\n", "line 2, column 23:"},
	} {
		ps := problems(t, tc.src)
		if len(ps) != 1 || !strings.HasPrefix(ps[0].Message, tc.want) || ps[0].Key != "" {
			t.Errorf("%s: %#v; want one file-level problem starting with %q", tc.name, ps, tc.want)
		}
	}
}

// writeConfig writes src to a file of a fresh directory and returns its path.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "facteur.toml")
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// withDataDir sets instance.data_dir in the minimal configuration.
func withDataDir(src, dir string) string {
	return strings.Replace(src, "[instance]\n", fmt.Sprintf("[instance]\ndata_dir = %q\n", dir), 1)
}

// TestCheckReportsEverythingAtOnce: a wrong value, a missing secret file, a
// missing CA file and a data directory that is a file are all reported by
// one run, each with its key.
func TestCheckReportsEverythingAtOnce(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	src := withDataDir(minimal, notDir)
	src = strings.Replace(src, `technical_password = { value = "tech-secret" }`,
		fmt.Sprintf("technical_password = { file = %q }", filepath.Join(dir, "absent-password")), 1)
	src = strings.Replace(src, `host = "imap.mairie.example"`,
		fmt.Sprintf("host = \"imap.mairie.example\"\nport = 99999\nca_file = %q", filepath.Join(dir, "absent-ca.pem")), 1)
	src = strings.Replace(src, `siret = "200 071 892 00067"`, `siret = "20007189200068"`, 1)
	cfg, ps, _ := Check(writeConfig(t, src))
	if cfg == nil || cfg.Instance.DataDir != notDir {
		t.Fatal("Check did not return what it read of the file")
	}
	wantKeys(t, ps, map[string]string{
		"mailbox[0].port":           "between 1 and 65535",
		"budget[0].siret":           "check digit",
		"chorus.technical_password": "absent-password",
		"mailbox[0].ca_file":        "absent-ca.pem",
		"instance.data_dir":         "is not a directory",
	})
	if len(ps) != 5 {
		t.Errorf("%d problems, want 5:\n%v", len(ps), ps)
	}

	// The same file once fixed: no problem, the configuration returned.
	good := withDataDir(minimal, dir)
	cfg, ps, warnings := Check(writeConfig(t, good))
	if cfg == nil || len(ps) != 0 {
		t.Fatalf("good file: %v", ps)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "secret written inline") {
		t.Errorf("the warnings of the file are lost: %q", warnings)
	}
}

// TestCheckNotTwice: a secret whose sources are wrong is said once, by the
// file's validation, not again when it cannot be resolved.
func TestCheckNotTwice(t *testing.T) {
	src := withDataDir(minimal, t.TempDir())
	src = strings.Replace(src, `client_secret = { value = "chorus-secret" }`, `client_secret = { value = "a", env = "B" }`, 1)
	src = strings.Replace(src, `technical_password = { value = "tech-secret" }`, `technical_password = { env = "NOT-A-NAME" }`, 1)
	_, ps, _ := Check(writeConfig(t, src))
	wantKeys(t, ps, map[string]string{
		"chorus.client_secret":          "several sources",
		"chorus.technical_password.env": "not a valid environment variable name",
	})
	if len(ps) != 2 {
		t.Errorf("%d problems, want 2:\n%v", len(ps), ps)
	}
	// A shape problem is not followed by "required" for the same key.
	src = strings.Replace(withDataDir(minimal, t.TempDir()), `password = { value = "imap-secret" }`, `password = "imap-secret"`, 1)
	_, ps, _ = Check(writeConfig(t, src))
	if len(ps) != 1 || ps[0].Key != "mailbox[0].password" {
		t.Errorf("inline string as a secret: %v", ps)
	}
}

// TestCheckCredentials: outside the service a systemd credential cannot be
// seen, which is a warning naming the LoadCredential= it needs; inside it
// (or with $CREDENTIALS_DIRECTORY set) a missing one is a problem.
func TestCheckCredentials(t *testing.T) {
	src := strings.Replace(withDataDir(minimal, t.TempDir()), `password = { value = "imap-secret" }`, `password = { credential = "mail-password" }`, 1)
	path := writeConfig(t, src)

	t.Setenv("CREDENTIALS_DIRECTORY", "")
	cfg, ps, warnings := Check(path)
	if cfg == nil || len(ps) != 0 {
		t.Fatalf("credential outside the service: %v", ps)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "mailbox[0].password") || !strings.Contains(w, "LoadCredential=mail-password:") {
		t.Errorf("warnings: %q", warnings)
	}

	creds := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	_, ps, _ = Check(path)
	wantKeys(t, ps, map[string]string{"mailbox[0].password": `credential "mail-password"`})
	os.WriteFile(filepath.Join(creds, "mail-password"), []byte("pw\n"), 0o600)
	if cfg, ps, _ := Check(path); cfg == nil || len(ps) != 0 {
		t.Errorf("credential present: %v", ps)
	}
}

// TestCheckDataDir: a data directory that does not exist yet is fine when
// facteur run can create it (a warning says so); one that cannot be
// created, is not a directory, or is not writable is a problem; a relative
// one is refused by Parse.
func TestCheckDataDir(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "var", "lib", "facteur")
	cfg, ps, warnings := Check(writeConfig(t, withDataDir(minimal, missing)))
	if cfg == nil || len(ps) != 0 || !strings.Contains(strings.Join(warnings, "\n"), "does not exist yet") {
		t.Errorf("creatable data_dir: %v %q", ps, warnings)
	}

	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	_, ps, _ = Check(writeConfig(t, withDataDir(minimal, filepath.Join(file, "facteur"))))
	wantKeys(t, ps, map[string]string{"instance.data_dir": "not a directory"})

	ps = problems(t, withDataDir(minimal, "var/lib/facteur"))
	wantKeys(t, ps, map[string]string{"instance.data_dir": "absolute path"})

	if os.Geteuid() == 0 {
		t.Log("running as root: permissions cannot refuse anything; not writable and not creatable are not tried")
		return
	}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o500)
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	_, ps, _ = Check(writeConfig(t, withDataDir(minimal, ro)))
	wantKeys(t, ps, map[string]string{"instance.data_dir": "is not writable by"})
	_, ps, _ = Check(writeConfig(t, withDataDir(minimal, filepath.Join(ro, "facteur"))))
	wantKeys(t, ps, map[string]string{"instance.data_dir": "may not create it"})
}

// TestCheckUnreadableFile: a file that cannot be read is one problem.
func TestCheckUnreadableFile(t *testing.T) {
	cfg, ps, _ := Check(filepath.Join(t.TempDir(), "absent.toml"))
	if cfg != nil || len(ps) != 1 || !strings.Contains(ps[0].Message, "no such file") {
		t.Errorf("absent file: %v", ps)
	}
}
