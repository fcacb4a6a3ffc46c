package dist

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest overall exposure `systemd-analyze security`
// may give the unit (0 best, 10 worst; "OK" up to 1.9 on its scale).
const maxExposure = 1.5

// systemdAnalyze finds systemd-analyze: the test skips without it, except
// under CI, where .ci/run installs it.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze missing (Debian: apt-get install systemd)")
		}
		t.Skip("systemd-analyze missing")
	}
	return path
}

func readUnit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("facteur.service")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The unit is what systemd-analyze verify finds nothing to say about: it
// checks every directive, the dependencies, that ExecStart= is executable
// and, with man(1), that the page of Documentation= exists. The binary
// and its man page are built here, and the unit's /usr/bin/facteur points
// at that binary.
func TestUnitVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "facteur")
	build := exec.Command("go", "build", "-o", bin, "../cmd/facteur")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	unit := readUnit(t)
	if !strings.Contains(unit, "ExecStart=/usr/bin/facteur ") {
		t.Fatal("ExecStart= does not run /usr/bin/facteur, where the Debian package installs it")
	}
	if err := os.WriteFile(filepath.Join(dir, "facteur.service"), []byte(strings.ReplaceAll(unit, "/usr/bin/facteur", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify"}
	env := os.Environ()
	if _, err := exec.LookPath("man"); err == nil {
		manDir := filepath.Join(dir, "man")
		if err := os.MkdirAll(filepath.Join(manDir, "man1"), 0o755); err != nil {
			t.Fatal(err)
		}
		page, err := exec.Command(bin, "man").Output()
		if err != nil {
			t.Fatalf("facteur man: %v", err)
		}
		if err := os.WriteFile(filepath.Join(manDir, "man1", "facteur.1"), page, 0o644); err != nil {
			t.Fatal(err)
		}
		env = append(env, "MANPATH="+manDir)
	} else {
		t.Log("man(1) missing: Documentation= not checked")
		args = append(args, "--man=no")
	}
	cmd := exec.Command(analyze, append(args, filepath.Join(dir, "facteur.service"))...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The unit's exposure, as `systemd-analyze security --offline=true
// dist/facteur.service` rates it, stays at or below maxExposure.
func TestUnitSecurity(t *testing.T) {
	analyze := systemdAnalyze(t)
	out, err := exec.Command(analyze, "security", "--offline=true", "--no-pager", "facteur.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=true: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for facteur\.service: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure in:\n%s", out)
	}
	exposure, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("overall exposure %.1f %s", exposure, m[2])
	if exposure > maxExposure {
		t.Errorf("overall exposure %.1f %s, want at most %.1f:\n%s", exposure, m[2], maxExposure, out)
	}
}

// What systemd must know of the daemon, and every secret the example
// configuration names: each is a credential the unit loads, by the name
// the configuration gives it ({ credential = "NAME" }) or from the file it
// names in /etc/facteur ({ file = "/etc/facteur/NAME" }).
func TestUnitContents(t *testing.T) {
	unit := readUnit(t)
	for _, want := range []string{"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=facteur", "StateDirectory=facteur",
		"ConfigurationDirectory=facteur", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "UMask=0077",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service", "SystemCallArchitectures=native"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]string{} // credential name → source file
	for _, m := range regexp.MustCompile(`(?m)^#?LoadCredential=([^:\s]+):(\S+)$`).FindAllStringSubmatch(unit, -1) {
		loaded[m[1]] = m[2]
	}
	secrets := 0
	for _, m := range regexp.MustCompile(`\{ *(credential|file) *= *"([^"]+)" *\}`).FindAllStringSubmatch(string(example), -1) {
		kind, v := m[1], m[2]
		if v == "NAME" || v == "/etc/facteur/NAME" {
			continue // the file's explanation of the forms
		}
		secrets++
		name := v
		if kind == "file" {
			name = strings.TrimPrefix(v, "/etc/facteur/")
		}
		src, ok := loaded[name]
		switch {
		case !ok:
			t.Errorf("config.example.toml names the secret %s %q, which the unit does not load (LoadCredential=%s:/etc/facteur/%s)", kind, v, name, name)
		case kind == "file" && src != v:
			t.Errorf("LoadCredential=%s:%s, but config.example.toml reads %s", name, src, v)
		}
	}
	if secrets == 0 {
		t.Error("no secret found in config.example.toml")
	}
}
