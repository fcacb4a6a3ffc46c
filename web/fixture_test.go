package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"facteur/app"
	"facteur/chorus/sandbox"
	"facteur/config"
	"facteur/demo"
	"facteur/samples"
	"facteur/store"
	"facteur/web"
)

// fixture is Facteur as `facteur run` wires it over the demo's peers (the
// Chorus Pro sandbox, an SMTP capture), its gateway stepped by the test,
// its page served by an httptest server.
type fixture struct {
	t   *testing.T
	ctx context.Context
	env *demo.Env
	app *app.App
	st  *store.Store
	srv *httptest.Server
	uid uint32
}

// The accounts of the fixture.
const (
	manager      = "mdupont"
	managerPass  = "mot de passe de gestion"
	reader       = "lbernard"
	readerPass   = "mot de passe de lecture"
	heldInvoice  = "T-WEB-1"
	otherInvoice = "T-WEB-2"
)

// newFixture starts Facteur with webTOML as its [web] section (after
// listen), with a manager and a reader, and one case held for its
// engagement number (its sender cannot be answered).
func newFixture(t *testing.T, webTOML string) *fixture {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	env, err := demo.Start(t.TempDir(), demo.Options{Suppliers: []sandbox.Supplier{{ID: 4300, SIRET: s.SIRET, Name: s.Name}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	// The page's address is known before Facteur starts: {{URL}} in
	// webTOML is replaced with it.
	srv := httptest.NewUnstartedServer(nil)
	pageURL := "http://" + srv.Listener.Addr().String() + "/"
	webTOML = strings.ReplaceAll(webTOML, "{{URL}}", pageURL)
	cfg, err := config.Parse([]byte(env.ConfigTOML() + "\n[web]\nlisten = \"127.0.0.1:0\"\n" + webTOML + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), env: env}
	if f.app, err = app.New(f.ctx, cfg, app.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.app.Close() })
	f.st = f.app.Store()
	srv.Config.Handler = f.app.WebHandler()
	srv.Start()
	f.srv = srv
	t.Cleanup(f.srv.Close)
	f.addUser(manager, managerPass, web.RoleManage)
	f.addUser(reader, readerPass, web.RoleRead)
	f.deliver(invoiceMail(t, heldInvoice, "no-reply@voirie-nord-travaux.example"))
	f.deliver(invoiceMail(t, otherInvoice, "comptabilite@voirie-nord-travaux.example"))
	f.run()
	if c := f.caseOf(heldInvoice); c.State != store.CaseHeld {
		t.Fatalf("fixture: %s is %s %q, want held", heldInvoice, c.State, c.Reason)
	}
	return f
}

// invoiceMail is a Factur-X of Voirie Nord Travaux for the budget
// principal, without engagement number, sent from from.
func invoiceMail(t *testing.T, number, from string) samples.Mail {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	pdf, err := samples.FacturX(s.Invoice(number, "2026-11-20", samples.CASQBudgetPrincipal, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	return samples.Mail{From: "Voirie Nord Travaux <" + from + ">", To: samples.CASQMailbox, Subject: "Facture " + number,
		Body: "Bonjour, veuillez trouver notre facture ci-jointe.", MessageID: number + "@voirie-nord-travaux.example",
		Attachments: []samples.Attachment{{Name: "Facture " + number + " – été.pdf", Data: pdf}}}
}

func (f *fixture) addUser(name, password, role string) {
	f.t.Helper()
	hash := ""
	if password != "" {
		var err error
		if hash, err = web.HashPassword(password); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := f.st.AddUser(f.ctx, store.User{Name: name, PasswordHash: hash, Role: role}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) deliver(m samples.Mail) {
	f.t.Helper()
	f.uid++
	if _, _, err := f.st.Ingest(f.ctx, store.Incoming{Mailbox: "comptabilite", UIDValidity: 1, UID: f.uid, Raw: m.Bytes()}); err != nil {
		f.t.Fatal(err)
	}
}

// run steps the gateway until it has nothing left to do.
func (f *fixture) run() {
	f.t.Helper()
	for i := 0; ; i++ {
		worked, err := f.app.Gateway().Step(f.ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if !worked {
			return
		}
		if i > 100 {
			f.t.Fatal("the gateway never settles")
		}
	}
}

func (f *fixture) caseOf(invoice string) store.Case {
	f.t.Helper()
	cs, err := f.st.Cases(f.ctx, store.CaseFilter{Search: invoice})
	if err != nil || len(cs) != 1 {
		f.t.Fatalf("case of %s: %d cases, %v", invoice, len(cs), err)
	}
	return cs[0]
}

// browser is a person's browser: its cookies, no redirect followed.
type browser struct {
	f      *fixture
	c      *http.Client
	header http.Header // sent with every request
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, header: http.Header{}, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// response is what the browser got.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) response {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(data)}
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) response {
	return b.do(http.MethodPost, path, form)
}

var tokenRE = regexp.MustCompile(`name="jeton" value="([^"]+)"`)

// token is the CSRF token of the forms of a page.
func (b *browser) token(r response) string {
	b.f.t.Helper()
	m := tokenRE.FindStringSubmatch(r.body)
	if m == nil {
		b.f.t.Fatalf("no form token in the page:\n%s", r.body)
	}
	return m[1]
}

// login logs in with a local account and returns the list page.
func (b *browser) login(name, password string) response {
	b.f.t.Helper()
	page := b.get("/connexion")
	r := b.post("/connexion", url.Values{"jeton": {b.token(page)}, "nom": {name}, "mot_de_passe": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/dossiers" {
		b.f.t.Fatalf("login of %s: %d %s\n%s", name, r.status, r.header.Get("Location"), r.body)
	}
	return b.get("/dossiers")
}

func want(t *testing.T, what string, r response, status int, words ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.status, status, r.body)
	}
	for _, w := range words {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: the page lacks %q", what, w)
		}
	}
}
