package notifier

import (
	"context"
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

// mailpit is a real SMTP server (github.com/axllent/mailpit, installed by
// .ci/run) started by a test: STARTTLS required, AUTH required, its HTTP
// API to read back what it received.
type mailpit struct {
	smtp, api string
	caFile    string
}

// mailpitBinary finds mailpit on PATH or in the Go install directory.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if p := filepath.Join(dir, "mailpit"); dir != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("mailpit not installed (go install github.com/axllent/mailpit@v1.33.1)")
	}
	t.Skip("mailpit not installed (go install github.com/axllent/mailpit@v1.33.1)")
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	dir := t.TempDir()
	cert := testcert.New(t)
	certFile, keyFile, authFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "auth")
	for f, data := range map[string][]byte{certFile: cert.CertPEM, keyFile: cert.KeyPEM, authFile: []byte("facteur@casq.fr:s3cret\n")} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mp := &mailpit{smtp: freeAddr(t), api: freeAddr(t), caFile: cert.CAFile}
	cmd := exec.Command(bin, "--smtp", mp.smtp, "--listen", mp.api, "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls",
		"--smtp-auth-file", authFile, "--smtp-disable-rdns", "--disable-version-check", "--enable-chaos")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get("http://" + mp.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return mp
}

func (mp *mailpit) get(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get("http://" + mp.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (mp *mailpit) chaos(t *testing.T, recipientCode int) {
	t.Helper()
	body := fmt.Sprintf(`{"Recipient":{"ErrorCode":%d,"Probability":100}}`, recipientCode)
	if recipientCode == 0 {
		body = `{"Recipient":{"ErrorCode":451,"Probability":0}}`
	}
	req, _ := http.NewRequest(http.MethodPut, "http://"+mp.api+"/api/v1/chaos", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("chaos: %s", resp.Status)
	}
}

// TestMailpitDelivery sends a composed reply through a real SMTP server
// (STARTTLS, AUTH, the null sender MAIL FROM:<>) and reads it back as the
// supplier would: headers, French text, the hidden copy delivered.
func TestMailpitDelivery(t *testing.T) {
	mp := startMailpit(t)
	m := newMailer(t, MailerOptions{Addr: mp.smtp, Security: "starttls", Username: "facteur@casq.fr", Password: "s3cret", CAFile: mp.caFile})
	r, raw := composedReply(t)
	if err := m.Send(context.Background(), "", r.Recipients(), raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var list struct {
		Messages []struct {
			ID, MessageID, Subject string
			To, Bcc                []struct{ Address string }
		}
	}
	mp.get(t, "/api/v1/messages", &list)
	if len(list.Messages) != 1 {
		t.Fatalf("%d messages in mailpit", len(list.Messages))
	}
	got := list.Messages[0]
	if got.Subject != "[FAC-2026-000123] Facture FA-2026-0042 déposée sur Chorus Pro" || len(got.To) != 1 || got.To[0].Address != r.To.Address {
		t.Errorf("message %+v", got)
	}
	if len(got.Bcc) != 1 || got.Bcc[0].Address != r.Bcc[0] {
		t.Errorf("hidden copy: %+v, want %v", got.Bcc, r.Bcc)
	}
	var headers map[string][]string
	mp.get(t, "/api/v1/message/"+got.ID+"/headers", &headers)
	if a := headers["Auto-Submitted"]; len(a) != 1 || a[0] != "auto-replied" {
		t.Errorf("Auto-Submitted %q", a)
	}
	// (mailpit itself prepends a Bcc field naming the envelope-only
	// recipients, for display; the message sent has none: compose_test.)
	if irt := headers["In-Reply-To"]; len(irt) != 1 || irt[0] != "<"+r.OriginalMessageID+">" {
		t.Errorf("In-Reply-To %q", irt)
	}
	var msg struct{ Text, HTML string }
	mp.get(t, "/api/v1/message/"+got.ID, &msg)
	if !strings.Contains(msg.Text, "Nous avons bien reçu votre facture") || !strings.Contains(msg.HTML, "<html lang=\"fr\">") {
		t.Errorf("text %q", msg.Text)
	}
}

// TestMailpitRefusals: the server's refusals, injected by mailpit's chaos
// triggers, are told apart: 550 is permanent (the reply is given up), 451
// transient (tried again later).
func TestMailpitRefusals(t *testing.T) {
	mp := startMailpit(t)
	m := newMailer(t, MailerOptions{Addr: mp.smtp, Security: "starttls", Username: "facteur@casq.fr", Password: "s3cret", CAFile: mp.caFile})
	r, raw := composedReply(t)
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{550, true}, {451, false}} {
		mp.chaos(t, tc.code)
		err := m.Send(context.Background(), "", r.Recipients(), raw)
		if err == nil || IsPermanent(err) != tc.permanent {
			t.Errorf("recipient refused with %d: %v, permanent %v", tc.code, err, IsPermanent(err))
		}
	}
	// A wrong password is a configuration error, not the message's fault.
	mp.chaos(t, 0)
	bad := newMailer(t, MailerOptions{Addr: mp.smtp, Security: "starttls", Username: "facteur@casq.fr", Password: "wrong", CAFile: mp.caFile})
	if err := bad.Send(context.Background(), "", r.Recipients(), raw); err == nil || IsPermanent(err) {
		t.Errorf("wrong password: %v, permanent %v; want a non-permanent error (the reply waits for the fix)", err, IsPermanent(err))
	}
}
