package imapwatch

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hs256 returns a JWT signed with HMAC-SHA256, as Dovecot's oauth2 passdb
// validates locally (mail-ingestion.md §4.3).
func hs256(key []byte, claims map[string]any) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	signing := head + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// tokenEndpoint is an OAuth2 token endpoint (client-credentials grant) on
// loopback, minting JWTs for dovecotUser.
type tokenEndpoint struct {
	srv *httptest.Server
	key []byte

	mu       sync.Mutex
	requests int
	lifetime time.Duration // expires_in, and the JWT's exp
	expired  bool          // mint tokens that are already expired (exp in the past)
	forms    []map[string]string
}

const (
	testClientID     = "facteur-app"
	testClientSecret = "client-s3cret"
)

func newTokenEndpoint(t *testing.T, key []byte) *tokenEndpoint {
	te := &tokenEndpoint{key: key, lifetime: time.Hour}
	te.srv = httptest.NewServer(http.HandlerFunc(te.serve))
	t.Cleanup(te.srv.Close)
	return te
}

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	te.mu.Lock()
	defer te.mu.Unlock()
	te.requests++
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	te.forms = append(te.forms, form)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if form["grant_type"] != "client_credentials" || form["client_id"] != testClientID || form["client_secret"] != testClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
		return
	}
	now := time.Now()
	exp := now.Add(te.lifetime)
	if te.expired {
		exp = now.Add(-time.Minute)
	}
	tok := hs256(te.key, map[string]any{
		"sub": "facteur-app-sp", "email": dovecotUser,
		"iat": now.Unix() - 5, "nbf": now.Unix() - 5, "exp": exp.Unix(),
	})
	json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "access_token": tok, "expires_in": int(te.lifetime.Seconds()),
	})
}

func (te *tokenEndpoint) count() int {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.requests
}

func TestDovecotXOAUTH2(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	d := startDovecot(t, dovecotOptions{oauth2Key: key})
	te := newTokenEndpoint(t, key)
	d.save("INBOX", sampleMsg(1))

	st := newMemStore()
	opts := d.watcherOptions(t)
	opts.Password = ""
	opts.Auth = AuthXOAUTH2
	opts.OAuth2 = OAuth2{TokenURL: te.srv.URL + "/tenant/oauth2/v2.0/token", ClientID: testClientID, ClientSecret: testClientSecret}
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if te.count() != 1 {
		t.Fatalf("%d token requests, want 1", te.count())
	}
	if got := te.forms[0]["scope"]; got != DefaultOAuth2Scope {
		t.Errorf("scope = %q, want %q", got, DefaultOAuth2Scope)
	}

	// The server drops the session: the reconnection reuses the cached token.
	d.doveadm(nil, "kick", dovecotUser)
	d.save("INBOX", sampleMsg(2))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if te.count() != 1 {
		t.Fatalf("%d token requests after a reconnection, want 1 (cached)", te.count())
	}

	// A token due for renewal is renewed, and the session replaced, before
	// it expires.
	te.mu.Lock()
	te.lifetime = 2 * time.Second
	te.mu.Unlock()
	w.tokens.invalidate(w.tokens.cur.value)
	d.doveadm(nil, "kick", dovecotUser)
	d.save("INBOX", sampleMsg(3))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if te.count() != 2 {
		t.Fatalf("%d token requests, want 2", te.count())
	}
	time.Sleep(1100 * time.Millisecond) // renewal at half the lifetime
	d.save("INBOX", sampleMsg(4))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if te.count() != 3 {
		t.Fatalf("%d token requests, want 3 (renewed before expiry)", te.count())
	}
	checkOnce(t, st, [][]byte{sampleMsg(1), sampleMsg(2), sampleMsg(3), sampleMsg(4)})
}

func TestDovecotXOAUTH2Refused(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	d := startDovecot(t, dovecotOptions{oauth2Key: key})
	te := newTokenEndpoint(t, key)
	opts := d.watcherOptions(t)
	opts.Auth = AuthXOAUTH2
	opts.OAuth2 = OAuth2{TokenURL: te.srv.URL, ClientID: testClientID, ClientSecret: testClientSecret}

	t.Run("expired token", func(t *testing.T) {
		te.mu.Lock()
		te.expired = true
		te.mu.Unlock()
		defer func() { te.mu.Lock(); te.expired = false; te.mu.Unlock() }()
		w, err := New(opts, newMemStore())
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		before := te.count()
		for range 2 {
			if _, err := w.Cycle(t.Context()); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "XOAUTH2") {
				t.Fatalf("Cycle with an expired token: err = %v, want ErrAuth", err)
			}
		}
		if got := te.count() - before; got != 2 {
			t.Errorf("%d token requests, want 2: a refused token must not be reused", got)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		o := opts
		o.OAuth2.ClientSecret = "faux"
		w, err := New(o, newMemStore())
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		_, err = w.Cycle(t.Context())
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("Cycle with a wrong client secret: err = %v", err)
		}
	})
}

func TestTokenSourceResponses(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		lifetime          time.Duration
		err               string
	}{
		{"ok", "application/json", `{"access_token":"abc","token_type":"Bearer","expires_in":3599}`, 200, 3599 * time.Second, ""},
		{"string expires_in", "application/json; charset=utf-8", `{"access_token":"abc","token_type":"bearer","expires_in":"3600"}`, 200, time.Hour, ""},
		{"no expires_in", "application/json", `{"access_token":"abc","token_type":"Bearer"}`, 200, time.Hour, ""},
		{"not json", "text/html", `<html>proxy login</html>`, 200, 0, "not JSON"},
		{"no token", "application/json", `{"token_type":"Bearer","expires_in":3600}`, 200, 0, "no access_token"},
		{"mac token", "application/json", `{"access_token":"abc","token_type":"mac","expires_in":3600}`, 200, 0, "token_type"},
		{"bad expiry", "application/json", `{"access_token":"abc","expires_in":-5}`, 200, 0, "expires_in"},
		{"invalid scope", "application/json", `{"error":"invalid_scope","error_description":"AADSTS70011: bad scope\r\nTrace ID: x"}`, 400, 0, "invalid_scope: AADSTS70011: bad scope"},
		{"server error", "text/plain", `oops`, 503, 0, "503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			ts := newTokenSource(OAuth2{TokenURL: srv.URL, ClientID: "id", ClientSecret: "s"}, testLogger(t))
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			ts.now = func() time.Time { return now }
			tok, err := ts.token(context.Background())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if (tc.status == 400) != errors.Is(err, ErrAuth) {
					t.Errorf("errors.Is(err, ErrAuth) = %v for status %d", errors.Is(err, ErrAuth), tc.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRenew := now.Add(tc.lifetime - 5*time.Minute)
			if tok.value != "abc" || !tok.renewAt.Equal(wantRenew) {
				t.Errorf("token = %+v, want abc renewed at %v", tok, wantRenew)
			}
		})
	}
}

func TestXOAUTH2InitialResponse(t *testing.T) {
	c := newXOAUTH2Client("compta@casq.fr", "tok.en", testLogger(t))
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=compta@casq.fr\x01auth=Bearer tok.en\x01\x01" {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	if resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer","scope":"mail"}`)); err != nil || len(resp) != 0 {
		t.Fatalf("Next = %q, %v; want an empty response", resp, err)
	}
}
