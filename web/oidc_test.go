package web_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// idp is a small OpenID Connect provider on loopback, written for the
// test from the specifications (OpenID Connect Core and Discovery, RFC
// 7636): discovery, JWKS, an authorization endpoint that logs in whoever
// the test says, a token endpoint checking the client's secret and the
// PKCE verifier, and RS256-signed ID tokens.
type idp struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// claims are those of the next login (iss, aud, exp, iat, nonce are
	// added unless set); tamper changes the next token.
	claims map[string]any
	tamper func(claims map[string]any)
	codes  map[string]grant
	signer *rsa.PrivateKey // nil: key
}

type grant struct {
	claims              map[string]any
	challenge, redirect string
}

const (
	idpClient = "facteur-web"
	idpSecret = "secret-du-client"
)

func startIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{t: t, key: key, codes: map[string]grant{}}
	m := http.NewServeMux()
	p.srv = httptest.NewServer(m)
	t.Cleanup(p.srv.Close)
	m.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	m.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64.EncodeToString(key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	m.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != idpClient || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		claims := map[string]any{"iss": p.srv.URL, "aud": idpClient, "exp": time.Now().Add(5 * time.Minute).Unix(),
			"iat": time.Now().Unix(), "nonce": q.Get("nonce")}
		for k, v := range p.claims {
			claims[k] = v
		}
		if p.tamper != nil {
			p.tamper(claims)
		}
		code := randomString()
		p.codes[code] = grant{claims: claims, challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	m.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		p.mu.Lock()
		g, found := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		signer := p.signer
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != idpClient || secret != idpSecret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		if signer == nil {
			signer = key
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 300,
			"id_token": signJWT(t, signer, g.claims)})
	})
	return p
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	b64 := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	signing := b64.EncodeToString(head) + "." + b64.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64.EncodeToString(sig)
}

// oidcLogin goes through the login: the page sends the browser to the
// provider, which sends it back; it returns the page's last answer.
func oidcLogin(t *testing.T, b *browser, p *idp) response {
	t.Helper()
	r := b.get("/connexion")
	loc := r.header.Get("Location")
	if r.status != http.StatusFound || !strings.HasPrefix(loc, p.srv.URL+"/authorize?") {
		t.Fatalf("login page: %d %s\n%s", r.status, loc, r.body)
	}
	resp, err := b.c.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(back, b.f.srv.URL+"/connexion/retour?") {
		t.Fatalf("provider: %d %s", resp.StatusCode, back)
	}
	return b.get(strings.TrimPrefix(back, b.f.srv.URL))
}

// TestOIDCLogin: a login through the identity provider opens a session for
// the person it names, if added; a token not for us, badly signed,
// replayed, or naming an unverified address opens nothing.
func TestOIDCLogin(t *testing.T) {
	p := startIDP(t)
	f := newFixture(t, "public_url = \"{{URL}}\"\nauth = \"oidc\"\n[web.oidc]\nissuer = \""+p.srv.URL+"\"\nclient_id = \""+idpClient+
		"\"\nclient_secret = { value = \""+idpSecret+"\" }\n")
	f.addUser("agent@casq.fr", "", "gestion")

	p.claims = map[string]any{"sub": "u-1", "email": "agent@casq.fr", "email_verified": true}
	b := f.browser()
	r := oidcLogin(t, b, p)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/dossiers" {
		t.Fatalf("callback: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	list := b.get("/dossiers")
	want(t, "list after the OIDC login", list, http.StatusOK, "agent@casq.fr (gestion)")
	want(t, "password login in oidc mode", f.browser().post("/connexion", url.Values{"nom": {manager}, "mot_de_passe": {managerPass}}), http.StatusNotFound)

	for _, tc := range []struct {
		name   string
		claims map[string]any
		tamper func(map[string]any)
		signer bool
		status int
		words  string
	}{
		{"person not added", map[string]any{"email": "inconnu@casq.fr"}, nil, false, http.StatusForbidden, "Accès non ouvert"},
		{"address not verified", map[string]any{"email": "agent@casq.fr", "email_verified": false}, nil, false, http.StatusUnauthorized, "non vérifiée"},
		{"token for another client", map[string]any{"email": "agent@casq.fr"}, func(c map[string]any) { c["aud"] = "autre" }, false, http.StatusUnauthorized, "jeton d'identité invalide"},
		{"expired token", map[string]any{"email": "agent@casq.fr"}, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, false, http.StatusUnauthorized, "jeton d'identité invalide"},
		{"other issuer", map[string]any{"email": "agent@casq.fr"}, func(c map[string]any) { c["iss"] = "https://faux.example" }, false, http.StatusUnauthorized, "jeton d'identité invalide"},
		{"replayed nonce", map[string]any{"email": "agent@casq.fr"}, func(c map[string]any) { c["nonce"] = "ancien" }, false, http.StatusUnauthorized, "rejoué"},
		{"signed by another key", map[string]any{"email": "agent@casq.fr"}, nil, true, http.StatusUnauthorized, "jeton d'identité invalide"},
		{"no name", map[string]any{"sub": "u-2"}, nil, false, http.StatusUnauthorized, "ne nomme personne"},
	} {
		p.mu.Lock()
		p.claims, p.tamper, p.signer = tc.claims, tc.tamper, nil
		if tc.signer {
			other, _ := rsa.GenerateKey(rand.Reader, 2048)
			p.signer = other
		}
		p.mu.Unlock()
		b := f.browser()
		r := oidcLogin(t, b, p)
		want(t, tc.name, r, tc.status, strings.ReplaceAll(tc.words, "'", "&#39;"))
		if r := b.get("/dossiers"); r.status != http.StatusSeeOther {
			t.Errorf("%s: a session was opened (%d)", tc.name, r.status)
		}
	}

	// A callback with a state the browser did not start.
	p.mu.Lock()
	p.claims, p.tamper, p.signer = map[string]any{"email": "agent@casq.fr"}, nil, nil
	p.mu.Unlock()
	b = f.browser()
	if r := b.get("/connexion"); r.status != http.StatusFound {
		t.Fatalf("login page: %d", r.status)
	}
	want(t, "forged state", b.get("/connexion/retour?code=x&state=forged"), http.StatusUnauthorized, "inconnue ou expirée")
	want(t, "provider's refusal", b.get("/connexion/retour?error=access_denied&error_description=non"), http.StatusUnauthorized, "a refusé")
	want(t, "callback without the login cookie", f.browser().get("/connexion/retour?code=x&state=y"), http.StatusUnauthorized)
}
