package chorus

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeGateway serves a valid token and answers API calls with answer.
type fakeGateway struct {
	srv       *httptest.Server
	tokens    atomic.Int64
	calls     atomic.Int64
	expiresIn int
	mu        sync.Mutex
	answer    http.HandlerFunc
}

func newFakeGateway(t *testing.T, answer http.HandlerFunc) *fakeGateway {
	g := &fakeGateway{answer: answer, expiresIn: 3600}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			n := g.tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			g.mu.Lock()
			exp := g.expiresIn
			g.mu.Unlock()
			_, _ = w.Write([]byte(`{"access_token":"tok` + strconv.FormatInt(n, 10) + `","token_type":"Bearer","expires_in":` + strconv.Itoa(exp) + `,"scope":"openid"}`))
			return
		}
		g.calls.Add(1)
		g.mu.Lock()
		a := g.answer
		g.mu.Unlock()
		a(w, r)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) client(t *testing.T, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Config{APIURL: g.srv.URL, TokenURL: g.srv.URL + "/token", ClientID: "id", ClientSecret: "secret",
		Login: "login", Password: "pw", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answer    http.HandlerFunc
		transient bool
		code      int
		label     string
	}{
		{"500", status(500, "internal"), true, 0, "internal"},
		{"502 html", status(502, "<html>Bad gateway</html>"), true, 0, "Bad gateway"},
		{"503", status(503, ""), true, 0, "empty body"},
		{"504", status(504, ""), true, 0, ""},
		{"429", status(429, `{"httpCode":"429"}`), true, 0, ""},
		{"200 not json", status(200, "<html>maintenance</html>"), true, 0, "not JSON"},
		{"400 business", status(400, `{"codeRetour":10001,"libelle":"TRA_MSG_00.001"}`), false, 10001, "TRA_MSG_00.001"},
		{"403", status(403, ""), false, 0, "subscribed"},
		{"404", status(404, ""), false, 0, "not found"},
		{"415", status(415, ""), false, 0, ""},
		{"200 codeRetour", status(200, `{"codeRetour":20002,"libelle":"GDP_MSG_11.033"}`), false, 20002, "GDP_MSG_11.033"},
		{"200 codeRetour string", status(200, `{"codeRetour":"20000","libelle":"TRA_MSG_00.015"}`), false, 20000, "TRA_MSG_00.015"},
		{"302", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, tc.answer)
			_, err := g.client(t, 5*time.Second).ConsulterCRDetaille(context.Background(), "CPP0011117000000000000001")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if e.Transient != tc.transient || IsTransient(err) != tc.transient || e.Code != tc.code || !strings.Contains(e.Label, tc.label) {
				t.Fatalf("err = %#v (%v)", e, err)
			}
			if e.Op != "consulterCRDetaille" || !strings.HasPrefix(err.Error(), "chorus: consulterCRDetaille: ") {
				t.Fatalf("err = %v", err)
			}
			if g.calls.Load() != 1 {
				t.Fatalf("%d calls", g.calls.Load())
			}
		})
	}
}

func TestTimeoutAndNetworkErrorsAreTransient(t *testing.T) {
	release := make(chan struct{})
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := g.client(t, 150*time.Millisecond)
	start := time.Now()
	_, err := c.DeposerFlux(context.Background(), DepositRequest{File: []byte("<a/>"), FileName: "a.xml", Syntax: SyntaxCII})
	if !IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) || !MaybeDeposited(err) {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	// Parent context cancelled: transient as well, and prompt.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ConsulterCRDetaille(ctx, "X"); !IsTransient(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}

	// Nothing listening.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	c2, err := New(Config{APIURL: url, TokenURL: url + "/token", ClientID: "a", ClientSecret: "b", Login: "c", Password: "d", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.DeposerFlux(context.Background(), DepositRequest{File: []byte("<a/>"), FileName: "a.xml", Syntax: SyntaxCII})
	var e *Error
	if !errors.As(err, &e) || !e.Transient || e.Op != "token" || MaybeDeposited(err) {
		t.Fatalf("connection refused: %#v", err)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	g := newFakeGateway(t, status(200, `{"codeRetour":0,"etatCourantDepotFlux":"IN_RECU"}`))
	g.expiresIn = 120
	c := g.client(t, 5*time.Second)
	var now atomic.Int64
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return base.Add(time.Duration(now.Load())) }
	call := func() {
		t.Helper()
		if _, err := c.ConsulterCRDetaille(context.Background(), "F"); err != nil {
			t.Fatal(err)
		}
	}
	call()
	now.Store(int64(59 * time.Second)) // 61 s left: still good
	call()
	if n := g.tokens.Load(); n != 1 {
		t.Fatalf("%d tokens at +59s", n)
	}
	now.Store(int64(61 * time.Second)) // 59 s left: renewed
	call()
	if n := g.tokens.Load(); n != 2 {
		t.Fatalf("%d tokens at +61s", n)
	}
}

func TestRetryOnlyOnceOn401(t *testing.T) {
	var n atomic.Int64
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(401)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok2" {
			w.WriteHeader(401)
			return
		}
		status(200, `{"codeRetour":0,"etatCourantDepotFlux":"IN_INTEGRE","listeErreurDP":null}`)(w, r)
	})
	rep, err := g.client(t, 5*time.Second).ConsulterCRDetaille(context.Background(), "F")
	if err != nil || rep.State != "IN_INTEGRE" {
		t.Fatalf("%+v %v", rep, err)
	}
	if g.tokens.Load() != 2 || g.calls.Load() != 2 {
		t.Fatalf("%d tokens %d calls", g.tokens.Load(), g.calls.Load())
	}
}

func TestPreflight(t *testing.T) {
	g := newFakeGateway(t, status(500, ""))
	c := g.client(t, time.Second)
	pdf := []byte("%PDF-1.7\n...")
	xml := []byte("\xef\xbb\xbf\n <?xml version=\"1.0\"?><Invoice/>")
	for _, tc := range []struct {
		name string
		req  DepositRequest
		want string
	}{
		{"unknown syntax", DepositRequest{File: pdf, FileName: "a.pdf", Syntax: "IN_DP_E2_FACTURX"}, "unknown syntaxeFlux"},
		{"empty name", DepositRequest{File: pdf, FileName: "", Syntax: SyntaxFacturX}, "empty"},
		{"no extension", DepositRequest{File: pdf, FileName: "facture", Syntax: SyntaxFacturX}, "no extension"},
		{"dot only", DepositRequest{File: pdf, FileName: "facture.", Syntax: SyntaxFacturX}, "no extension"},
		{"hidden file", DepositRequest{File: pdf, FileName: ".pdf", Syntax: SyntaxFacturX}, "no extension"},
		{"201 chars", DepositRequest{File: pdf, FileName: strings.Repeat("é", 197) + ".pdf", Syntax: SyntaxFacturX}, "200"},
		{"path", DepositRequest{File: pdf, FileName: "../a.pdf", Syntax: SyntaxFacturX}, "separator"},
		{"control", DepositRequest{File: pdf, FileName: "a\n.pdf", Syntax: SyntaxFacturX}, "control"},
		{"empty file", DepositRequest{File: nil, FileName: "a.pdf", Syntax: SyntaxFacturX}, "empty"},
		{"xml as facturx", DepositRequest{File: xml, FileName: "a.pdf", Syntax: SyntaxFacturX}, "not a PDF"},
		{"pdf as ubl", DepositRequest{File: pdf, FileName: "a.xml", Syntax: SyntaxUBL}, "not XML"},
		{"xml named pdf", DepositRequest{File: xml, FileName: "a.pdf", Syntax: SyntaxCII}, ".xml"},
		{"pdf named xml", DepositRequest{File: pdf, FileName: "a.xml", Syntax: SyntaxFacturX}, ".pdf"},
		{"too large", DepositRequest{File: append(append([]byte{}, pdf...), make([]byte, DefaultMaxFileSize)...), FileName: "a.pdf", Syntax: SyntaxFacturX}, "more than"},
	} {
		_, err := c.DeposerFlux(context.Background(), tc.req)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalidRequest) || e.Transient || MaybeDeposited(err) || !strings.Contains(e.Label, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Exactly 200 characters is fine (the gateway then fails with 500).
	_, err := c.DeposerFlux(context.Background(), DepositRequest{File: pdf, FileName: strings.Repeat("é", 196) + ".pdf", Syntax: SyntaxFacturX})
	if errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("200 chars refused: %v", err)
	}
	_, err = c.DeposerFlux(context.Background(), DepositRequest{File: xml, FileName: "A.XML", Syntax: SyntaxUBL})
	if errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("BOM + upper-case extension refused: %v", err)
	}
	if _, err := c.ConsulterCRDetaille(context.Background(), " "); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("empty flow number: %v", err)
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2 (pre-flight failures cost none)", n)
	}
}

func TestNewConfig(t *testing.T) {
	ok := Config{APIURL: "https://api.piste.gouv.fr", TokenURL: "https://oauth.piste.gouv.fr/api/oauth/token",
		ClientID: "a", ClientSecret: "b", Login: "c", Password: "d"}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"no api url":       func(c *Config) { c.APIURL = "" },
		"http remote":      func(c *Config) { c.APIURL = "http://api.piste.gouv.fr" },
		"ftp":              func(c *Config) { c.TokenURL = "ftp://x/y" },
		"no secret":        func(c *Config) { c.ClientSecret = "" },
		"no login":         func(c *Config) { c.Login = "" },
		"default client":   func(c *Config) { c.HTTPClient = http.DefaultClient },
		"negative timeout": func(c *Config) { c.Timeout = -1 },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "chorus: config: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	cfg := ok
	cfg.APIURL, cfg.TokenURL = "http://127.0.0.1:8080", "http://localhost:8080/api/oauth/token"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.hc == http.DefaultClient || c.hc.Transport == nil || c.timeout != DefaultTimeout || c.maxFileSize != DefaultMaxFileSize {
		t.Fatal("defaults not applied")
	}
	if c.account != "Yzpk" { // base64("c:d")
		t.Fatalf("cpro-account %q", c.account)
	}
}

func TestEnvironment(t *testing.T) {
	for _, tc := range []struct{ name, api, token string }{
		{"sandbox", "https://sandbox-api.piste.gouv.fr", "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"},
		{"production", "https://api.piste.gouv.fr", "https://oauth.piste.gouv.fr/api/oauth/token"},
	} {
		api, tok, ok := Environment(tc.name)
		if !ok || api != tc.api || tok != tc.token {
			t.Errorf("%s: %s %s %v", tc.name, api, tok, ok)
		}
	}
	if _, _, ok := Environment("qualif"); ok {
		t.Error("unknown environment accepted")
	}
}

func TestFlowOutcome(t *testing.T) {
	for state, want := range map[string]string{
		"IN_RECU": OutcomePending, "IN_EN_ATTENTE_TRAITEMENT_CPP": OutcomePending, "IN_EN_ATTENTE_RETRAITEMENT_CPP": OutcomePending,
		"IN_EN_COURS_TRAITEMENT_CPP": OutcomePending, "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": OutcomePending,
		"QP_RECEVABLE": OutcomePending, "IN_INTEGRE": OutcomeIntegrated, "IN_REJETE": OutcomeRejected,
		"QP_IRRECEVABLE": OutcomeRejected, "IN_INTEGRE_PARTIEL": OutcomePartial, "QP_RECEVABLE_AVEC_ERREUR": OutcomePartial,
		"IN_INCIDENTE": OutcomeUnknown, "IN_TRAITE_SE_CPP": OutcomeUnknown, "": OutcomeUnknown, "in_integre": OutcomeIntegrated, " In_Rejete ": OutcomeRejected,
	} {
		if got := FlowOutcome(state); got != want {
			t.Errorf("FlowOutcome(%q) = %s, want %s", state, got, want)
		}
	}
}

func TestDecodeCRDetailleTolerance(t *testing.T) {
	rep, err := decodeCRDetaille([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","etatCourantDepotFlux":"IN_REJETE",
		"listeErreurDP":{"identifiantFournisseur":84512367800011,"identifiantDestinataire":"20007189200067","numeroDP":"A-1","libelleErreurDP":"motif"},
		"listeErreurTechnique":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.InvoiceErrors) != 1 || rep.InvoiceErrors[0].SupplierID != "84512367800011" || rep.InvoiceErrors[0].Message != "motif" || rep.TechnicalErrors != nil {
		t.Fatalf("%+v", rep)
	}
	if _, err := decodeCRDetaille([]byte(`{"codeRetour":0,"listeErreurDP":"oops"}`)); err == nil {
		t.Fatal("string listeErreurDP accepted")
	}
}

// FuzzConsulterCRDetaille feeds arbitrary answer bodies to the client's
// decoding of consulterCRDetaille: it must return a report or an *Error,
// never panic.
func FuzzConsulterCRDetaille(f *testing.F) {
	f.Add([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","codeInterfaceDepotFlux":"FSO1117A","dateDepotFlux":"2025-04-02T10:14:03.512+02:00","dateHeureEtatCourantFlux":"2025-04-02T10:16:12.300+02:00","etatCourantDepotFlux":"IN_REJETE","nomFichier":"FSO1117A_CPP001_CPP0011117000000000731942","listeErreurDP":[{"identifiantFournisseur":"84512367800011","identifiantDestinataire":"20007189200067","numeroDP":"AVP-2025-0142","libelleErreurDP":"x"}],"listeErreurTechnique":[]}`))
	f.Add([]byte(`{"codeRetour":0,"etatCourantDepotFlux":"QP_IRRECEVABLE","listeErreurTechnique":{"codeErreur":1,"libelleErreur":"y","natureErreur":null}}`))
	f.Add([]byte(`{"codeRetour":"20000","libelle":"TRA_MSG_00.015"}`))
	f.Add([]byte(`{"codeRetour":1e3}`))
	f.Add([]byte(`{"codeRetour":99999999999}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := decodeCRDetaille(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || rep != nil {
				t.Fatalf("error %v is not a lone *Error", err)
			}
			if e.Code == 0 && !e.Transient {
				t.Fatalf("decoding failure neither business nor transient: %v", err)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report without error")
		}
		_ = FlowOutcome(rep.State)
	})
}
