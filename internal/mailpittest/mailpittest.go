// Package mailpittest starts a real SMTP server for tests: mailpit
// (github.com/axllent/mailpit, which .ci/run installs), with STARTTLS and
// AUTH required, on free loopback ports, and reads back what it received
// through its HTTP API (../shared/reference/mail-ingestion.md §4.2).
package mailpittest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/internal/testcert"
)

// The account the server accepts.
const (
	User     = "facteur@casq.fr"
	Password = "s3cret-mailpit"
)

// Server is one running mailpit.
type Server struct {
	SMTPAddr string // STARTTLS required, AUTH required
	APIAddr  string
	CAFile   string // the certificate the server presents
}

// Binary finds mailpit on PATH or in the Go install directory; without it
// the test is skipped, except when CI is set, where it fails.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "mailpit"); fileExists(p) {
			return p
		}
	}
	const how = "go install github.com/axllent/mailpit@v1.33.1"
	if os.Getenv("CI") != "" {
		t.Fatalf("mailpit not installed, and CI is set (%s)", how)
	}
	t.Skipf("mailpit not installed (%s)", how)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts mailpit (chaos triggers enabled) and stops it when the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	cert := testcert.New(t)
	certFile, keyFile, authFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "auth")
	for f, data := range map[string][]byte{certFile: cert.CertPEM, keyFile: cert.KeyPEM, authFile: []byte(User + ":" + Password + "\n")} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{SMTPAddr: freeAddr(t), APIAddr: freeAddr(t), CAFile: cert.CAFile}
	cmd := exec.Command(bin, "--smtp", s.SMTPAddr, "--listen", s.APIAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls",
		"--smtp-auth-file", authFile, "--smtp-disable-rdns", "--disable-version-check", "--enable-chaos")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get("http://" + s.APIAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Get decodes the JSON answer of an API path ("/api/v1/messages", …).
func (s *Server) Get(t testing.TB, path string, out any) {
	t.Helper()
	resp, err := http.Get("http://" + s.APIAddr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// Summary is a message as the list API gives it.
type Summary struct {
	ID, MessageID, Subject string
	From                   struct{ Address string }
	To, Bcc                []struct{ Address string }
}

// Messages lists the messages received, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var list struct{ Messages []Summary }
	s.Get(t, "/api/v1/messages", &list)
	return list.Messages
}

// RecipientRefusal makes the server refuse every recipient with code (an
// SMTP reply code), or accept them again with 0.
func (s *Server) RecipientRefusal(t testing.TB, code int) {
	t.Helper()
	body := fmt.Sprintf(`{"Recipient":{"ErrorCode":%d,"Probability":100}}`, code)
	if code == 0 {
		body = `{"Recipient":{"ErrorCode":451,"Probability":0}}`
	}
	req, err := http.NewRequest(http.MethodPut, "http://"+s.APIAddr+"/api/v1/chaos", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chaos: %s", resp.Status)
	}
}
