package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/app"
	"facteur/demo"
)

// lockedBuffer is a buffer written by one goroutine and read by another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoPage: facteur demo --keep serves the finance staff's page over
// the demo's cases, and prints its address and an account that logs in.
func TestDemoPage(t *testing.T) {
	env, err := demo.Start(t.TempDir(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	sams, err := demo.Samples(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sams[:2] {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := demo.Run(ctx, env, 2, 30*time.Second, app.Options{GatewayPoll: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- serveDemoPage(ctx, env, &out, app.Options{GatewayPoll: 100 * time.Millisecond}) }()
	re := regexp.MustCompile(`La page des services financiers : (http://127\.0\.0\.1:\d+/)\n  identifiant : demo ; mot de passe : (\S+)\n`)
	var m []string
	for deadline := time.Now().Add(15 * time.Second); m == nil; {
		if m = re.FindStringSubmatch(out.String()); m == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no address printed:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	login := get(c.Get(m[1] + "connexion"))
	token := regexp.MustCompile(`name="jeton" value="([^"]+)"`).FindStringSubmatch(login)
	if token == nil {
		t.Fatalf("login page:\n%s", login)
	}
	list := get(c.PostForm(m[1]+"connexion", url.Values{"jeton": {token[1]}, "nom": {"demo"}, "mot_de_passe": {m[2]}}))
	if !strings.Contains(list, "demo (gestion)") || !strings.Contains(list, "FAC-") {
		t.Errorf("the demo's page after login:\n%s", list)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveDemoPage: %v", err)
	}
}
