package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"facteur/store"
)

// checkHeaders: the security headers every answer carries.
func checkHeaders(t *testing.T, what string, r response) {
	t.Helper()
	for k, v := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := r.header.Get(k); got == "" || (v != "" && got != v) {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
}

// TestRefusedWithoutSession: nothing but the login page without a
// session; a page asked goes to the login, an action is refused.
func TestRefusedWithoutSession(t *testing.T) {
	f := newFixture(t, "")
	b := f.browser()
	c := f.caseOf(heldInvoice)
	for _, path := range []string{"/", "/dossiers", "/dossiers/" + c.Ref, "/documents/1", "/dossiers?recherche=" + heldInvoice} {
		r := b.get(path)
		checkHeaders(t, path, r)
		if r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "/connexion") && path != "/" {
			t.Errorf("GET %s without a session: %d %s, want the login page", path, r.status, r.header.Get("Location"))
		}
		if strings.Contains(r.body, c.Ref) {
			t.Errorf("GET %s without a session shows the case", path)
		}
	}
	r := b.post("/dossiers/"+c.Ref+"/engagement", url.Values{"valeur": {"EJ-1"}})
	want(t, "action without a session", r, http.StatusUnauthorized, "Connexion nécessaire")
	r = b.get("/connexion")
	want(t, "login page", r, http.StatusOK, `<label for="nom">Identifiant</label>`, `<label for="mot_de_passe">Mot de passe</label>`, `lang="fr"`)
	checkHeaders(t, "login page", r)
	if got, _ := f.st.CaseByRef(f.ctx, c.Ref); got.State != store.CaseHeld {
		t.Errorf("the case moved: %s", got.State)
	}
}

// TestLogin: a local account logs in with its password, never with a
// wrong one or a forged form; the session cookie is HttpOnly, SameSite;
// logging out ends the session in the store.
func TestLogin(t *testing.T) {
	f := newFixture(t, "")
	b := f.browser()
	page := b.get("/connexion")
	token := b.token(page)
	r := b.post("/connexion", url.Values{"jeton": {token}, "nom": {manager}, "mot_de_passe": {"mauvais mot de passe"}})
	want(t, "wrong password", r, http.StatusUnauthorized, "Nom ou mot de passe incorrect")
	r = b.post("/connexion", url.Values{"jeton": {b.token(r)}, "nom": {"inconnu"}, "mot_de_passe": {managerPass}})
	want(t, "unknown person", r, http.StatusUnauthorized, "Nom ou mot de passe incorrect")
	r = b.post("/connexion", url.Values{"jeton": {"forged"}, "nom": {manager}, "mot_de_passe": {managerPass}})
	want(t, "forged login form", r, http.StatusForbidden, "Le formulaire a expiré")
	other := f.browser()
	r = other.post("/connexion", url.Values{"jeton": {token}, "nom": {manager}, "mot_de_passe": {managerPass}})
	want(t, "login form without its cookie", r, http.StatusForbidden)

	r = b.post("/connexion", url.Values{"jeton": {b.token(b.get("/connexion"))}, "nom": {manager}, "mot_de_passe": {managerPass}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", r.status, r.body)
	}
	var cookie string
	for _, sc := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "facteur_session=") {
			cookie = sc
		}
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	list := b.get("/dossiers")
	want(t, "list after login", list, http.StatusOK, manager+" (gestion)", "Se déconnecter")
	r = b.post("/deconnexion", url.Values{"jeton": {"forged"}})
	want(t, "logout with a forged token", r, http.StatusForbidden)
	r = b.post("/deconnexion", url.Values{"jeton": {b.token(list)}})
	want(t, "logout", r, http.StatusOK, "Connexion")
	if r := b.get("/dossiers"); r.status != http.StatusSeeOther {
		t.Errorf("list after logout: %d", r.status)
	}
	// The old cookie, replayed, opens nothing: the session is gone from the store.
	replay := f.browser()
	u, _ := url.Parse(f.srv.URL)
	name, value, _ := strings.Cut(strings.SplitN(cookie, ";", 2)[0], "=")
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value}})
	if r := replay.get("/dossiers"); r.status != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: %d", r.status)
	}
}

// TestLoginRateLimit: five failures for a name block it, even with the
// right password, and say for how long; others are not blocked.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, "")
	b := f.browser()
	r := b.get("/connexion")
	for i := range 5 {
		r = b.post("/connexion", url.Values{"jeton": {b.token(r)}, "nom": {manager}, "mot_de_passe": {"essai " + string(rune('a'+i))}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r = b.post("/connexion", url.Values{"jeton": {b.token(r)}, "nom": {manager}, "mot_de_passe": {managerPass}})
	want(t, "sixth attempt, right password", r, http.StatusTooManyRequests, "Trop de tentatives de connexion", "minutes")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if list := f.browser().login(reader, readerPass); list.status != http.StatusOK {
		t.Errorf("another person blocked: %d", list.status)
	}
}

// TestListPage: the day's counts, the cases waiting for a person first,
// the search of `facteur cases list --search`, the filters.
func TestListPage(t *testing.T) {
	f := newFixture(t, "")
	b := f.browser()
	held, other := f.caseOf(heldInvoice), f.caseOf(otherInvoice)
	list := b.login(reader, readerPass)
	want(t, "list", list, http.StatusOK, "Aujourd'hui", "À traiter", "À examiner (1)", held.Ref, other.Ref,
		"<strong>2</strong> message(s) reçu(s)", `<label for="recherche">Recherche</label>`, `<label for="etat">État</label>`)
	todo := list.body[strings.Index(list.body, "À traiter"):strings.Index(list.body, "Tous les dossiers")]
	if !strings.Contains(todo, held.Ref) || strings.Contains(todo, other.Ref) {
		t.Errorf("à traiter lists:\n%s", todo)
	}
	for _, tc := range []struct {
		query      string
		has, hasnt string
		ignored    bool // the filter is not understood: the whole list
	}{
		{"recherche=" + url.QueryEscape(" t-WEB -1"), held.Ref, other.Ref, false}, // spaces and case ignored, as the CLI's search
		{"recherche=" + url.QueryEscape(held.Ref), held.Ref, other.Ref, false},
		{"etat=held", held.Ref, other.Ref, false},
		{"etat=awaiting_supplier", other.Ref, held.Ref, false},
		{"fournisseur=voirie&budget=" + url.QueryEscape("Budget principal"), other.Ref, "Aucun dossier", false},
		{"budget=" + url.QueryEscape("Budget eau potable"), "Aucun dossier ne correspond", held.Ref, false},
		{"du=2099-01-01", "Aucun dossier ne correspond", held.Ref, false},
		{"du=hier", "Date « du » illisible", "xx-never", true},
		{"recherche=t1", "au moins 3 lettres ou chiffres", held.Ref, false},
		{"fournisseur=vo", "au moins 3 lettres ou chiffres", held.Ref, false},
		{"etat=" + url.QueryEscape("<script>"), "État inconnu", "<script>", true},
	} {
		r := b.get("/dossiers?" + tc.query)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", tc.query, r.status)
			continue
		}
		body := r.body[strings.Index(r.body, "Tous les dossiers"):]
		if !strings.Contains(body, tc.has) || strings.Contains(body, tc.hasnt) {
			t.Errorf("%s: want %q, not %q, in\n%s", tc.query, tc.has, tc.hasnt, body)
		}
		if strings.Contains(r.body, "À traiter") != tc.ignored {
			t.Errorf("%s: a filtered list shows the cases to handle", tc.query)
		}
	}
}

// TestCasePage: what was read, the documents, the replies, the history;
// the actions for a manager only.
func TestCasePage(t *testing.T) {
	f := newFixture(t, "")
	c := f.caseOf(heldInvoice)
	mb := f.browser()
	mb.login(manager, managerPass)
	r := mb.get("/dossiers/" + c.Ref)
	want(t, "case page", r, http.StatusOK, "Dossier "+c.Ref, "à examiner", "numéro d&#39;engagement absent", heldInvoice,
		"Voirie Nord Travaux", "Budget principal", "Factur-X, facture", "Historique", "Agir sur le dossier",
		`<label for="engagement">Numéro d'engagement</label>`, `<label for="budget-choisi">Budget</label>`, `<label for="motif">Motif (obligatoire)</label>`)
	if !regexp.MustCompile(`<a href="/documents/\d+">Facture T-WEB-1 – été.pdf</a>`).MatchString(r.body) {
		t.Errorf("no link to the PDF:\n%s", r.body)
	}
	if h := r.header.Get("Content-Type"); h != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", h)
	}
	rb := f.browser()
	rb.login(reader, readerPass)
	r = rb.get("/dossiers/" + c.Ref)
	want(t, "case page for a reader", r, http.StatusOK, "Votre rôle (lecture)")
	if strings.Contains(r.body, `action="/dossiers/`+c.Ref+`/`) {
		t.Error("a reader is offered the actions")
	}
	want(t, "unknown case", rb.get("/dossiers/FAC-2026-999999"), http.StatusNotFound, "Dossier introuvable")
	want(t, "unknown case with markup", rb.get("/dossiers/"+url.PathEscape("<b>x</b>")), http.StatusNotFound, "&lt;b&gt;x&lt;/b&gt;")
}

var docLinkRE = regexp.MustCompile(`<a href="(/documents/\d+)">`)

// TestDocument: a document is served from the spool by its id in the
// store, a PDF inline with its name (RFC 8187) and a strict policy;
// forged ids and paths find nothing.
func TestDocument(t *testing.T) {
	f := newFixture(t, "")
	c := f.caseOf(heldInvoice)
	b := f.browser()
	b.login(reader, readerPass)
	m := docLinkRE.FindStringSubmatch(b.get("/dossiers/" + c.Ref).body)
	if m == nil {
		t.Fatal("no document link")
	}
	r := b.get(m[1])
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix([]byte(r.body), []byte("%PDF-")) {
		t.Fatalf("document: %d %q %q", r.status, r.header.Get("Content-Type"), r.body[:min(20, len(r.body))])
	}
	if cd := r.header.Get("Content-Disposition"); cd != `inline; filename="Facture T-WEB-1 _ _t_.pdf"; filename*=UTF-8''Facture%20T-WEB-1%20%E2%80%93%20%C3%A9t%C3%A9.pdf` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("document CSP %q", csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("document without nosniff")
	}
	for _, path := range []string{"/documents/999999", "/documents/0", "/documents/-1", "/documents/01", "/documents/1abc",
		"/documents/" + url.PathEscape("../../spool"), "/documents/%2e%2e%2fspool", "/documents/..%2F..%2Fetc%2Fpasswd",
		"/documents/../../etc/passwd", "/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/documents/1?path=/etc/passwd&file=../x"} {
		r := b.get(path)
		if r.status == http.StatusOK && path != "/documents/1?path=/etc/passwd&file=../x" || strings.Contains(r.body, "root:") {
			t.Errorf("GET %s: %d %q", path, r.status, r.body[:min(80, len(r.body))])
		}
		if path == "/documents/1?path=/etc/passwd&file=../x" && r.status == http.StatusOK && !strings.HasPrefix(r.body, "%PDF-") {
			t.Errorf("GET %s served something else than document 1", path)
		}
	}
	if r := f.browser().get(m[1]); r.status != http.StatusSeeOther || strings.HasPrefix(r.body, "%PDF") {
		t.Errorf("document without a session: %d", r.status)
	}
}

// TestActions: a manager's actions go through the gateway and are in the
// ledger under the person's name; a reader's, a forged form's, a
// cross-site one's are refused, and so is what the case's state forbids.
func TestActions(t *testing.T) {
	f := newFixture(t, "")
	c := f.caseOf(heldInvoice)
	path := "/dossiers/" + c.Ref
	rb := f.browser()
	rb.login(reader, readerPass)
	readerToken := rb.token(rb.get(path))
	r := rb.post(path+"/engagement", url.Values{"jeton": {readerToken}, "valeur": {"EJ-2026-000901"}})
	want(t, "reader's action", r, http.StatusForbidden, "Action non autorisée", "« lecture »")

	mb := f.browser()
	mb.login(manager, managerPass)
	page := mb.get(path)
	token := mb.token(page)
	want(t, "forged token", mb.post(path+"/engagement", url.Values{"jeton": {"x" + token}, "valeur": {"EJ-2026-000901"}}), http.StatusForbidden, "Formulaire refusé")
	want(t, "no token", mb.post(path+"/engagement", url.Values{"valeur": {"EJ-2026-000901"}}), http.StatusForbidden)
	want(t, "another session's token", mb.post(path+"/engagement", url.Values{"jeton": {readerToken}, "valeur": {"EJ-2026-000901"}}), http.StatusForbidden)
	mb.header.Set("Sec-Fetch-Site", "cross-site")
	want(t, "cross-site form", mb.post(path+"/engagement", url.Values{"jeton": {token}, "valeur": {"EJ-2026-000901"}}), http.StatusForbidden)
	mb.header.Del("Sec-Fetch-Site")
	if got, _ := f.st.CaseByRef(f.ctx, c.Ref); got.State != store.CaseHeld || got.Engagement != "" {
		t.Fatalf("a refused action changed the case: %s %q", got.State, got.Engagement)
	}

	want(t, "unknown action", mb.post(path+"/supprimer", url.Values{"jeton": {token}}), http.StatusNotFound)
	want(t, "reject without a reason", mb.post(path+"/ecarter", url.Values{"jeton": {token}, "valeur": {"  "}}), http.StatusUnprocessableEntity, "le motif est obligatoire")
	want(t, "engagement too long", mb.post(path+"/engagement", url.Values{"jeton": {token}, "valeur": {strings.Repeat("7", 51)}}), http.StatusUnprocessableEntity, "50 caractères")
	want(t, "unknown budget", mb.post(path+"/budget", url.Values{"jeton": {token}, "valeur": {"Budget des fêtes"}}), http.StatusUnprocessableEntity, "budget inconnu", "Budget eau potable")
	want(t, "retry without a failed reply", mb.post(path+"/renvoyer", url.Values{"jeton": {token}}), http.StatusUnprocessableEntity, "aucune réponse en échec")
	want(t, "unknown case", mb.post("/dossiers/FAC-2026-999999/engagement", url.Values{"jeton": {token}, "valeur": {"EJ-1"}}), http.StatusNotFound)

	r = mb.post(path+"/engagement", url.Values{"jeton": {token}, "valeur": {"EJ-2026-000901"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path+"?fait=engagement" {
		t.Fatalf("set engagement: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	want(t, "after the engagement", mb.get(r.header.Get("Location")), http.StatusOK, "Le numéro d&#39;engagement est enregistré", "reçue")
	f.run()
	got, _ := f.st.CaseByRef(f.ctx, c.Ref)
	if got.State != store.CaseIntegrated || got.Engagement != "EJ-2026-000901" {
		t.Fatalf("after the engagement given on the page: %s %q %q", got.State, got.Reason, got.Engagement)
	}
	if invs := f.env.Sandbox.Invoices(); len(invs) != 1 || invs[0].Engagement != "EJ-2026-000901" || invs[0].Number != heldInvoice {
		t.Errorf("deposited on the sandbox: %+v", invs)
	}
	ledger, _ := f.st.Ledger(f.ctx, store.EntityCase, c.ID)
	named := false
	for _, e := range ledger {
		named = named || strings.Contains(e.Note, "saisi par "+manager)
	}
	if !named {
		t.Errorf("the ledger does not name %s: %+v", manager, ledger)
	}
	r = mb.get(path)
	want(t, "integrated case", r, http.StatusOK, "déposée et intégrée", "saisi par "+manager, "Aucune action n'est possible")
	want(t, "action the state forbids", mb.post(path+"/ecarter", url.Values{"jeton": {token}, "valeur": {"doublon"}}), http.StatusConflict, "action impossible sur un dossier « déposée et intégrée »")

	other := f.caseOf(otherInvoice)
	r = mb.post("/dossiers/"+other.Ref+"/traite", url.Values{"jeton": {token}, "valeur": {"déposée à la main sur Chorus Pro"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("handled outside: %d\n%s", r.status, r.body)
	}
	if got, _ := f.st.CaseByRef(f.ctx, other.Ref); got.State != store.CaseIgnored || !strings.Contains(got.Reason, "selon "+manager) {
		t.Errorf("handled outside: %s %q", got.State, got.Reason)
	}
}

// TestProxyAuth: behind the reverse proxy, the person its header names is
// believed only from the configured proxies, and only when known.
func TestProxyAuth(t *testing.T) {
	f := newFixture(t, "auth = \"proxy\"\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\nproxy_user_header = \"X-Remote-User\"")
	f.addUser("agent@casq.fr", "", "gestion")
	b := f.browser()
	want(t, "no header", b.get("/dossiers"), http.StatusUnauthorized, "Connexion nécessaire")
	b.header.Set("X-Remote-User", "inconnu@casq.fr")
	want(t, "unknown person", b.get("/dossiers"), http.StatusUnauthorized)
	b.header.Set("X-Remote-User", "agent@casq.fr")
	r := b.get("/dossiers")
	want(t, "known person", r, http.StatusOK, "agent@casq.fr (gestion)")
	c := f.caseOf(heldInvoice)
	r = b.post("/dossiers/"+c.Ref+"/budget", url.Values{"jeton": {b.token(r)}, "valeur": {"Budget principal"}})
	if r.status != http.StatusSeeOther {
		t.Errorf("action behind the proxy: %d\n%s", r.status, r.body)
	}
	// Another person through the same browser: the session follows the header.
	b.header.Set("X-Remote-User", reader)
	want(t, "person changed", b.get("/dossiers"), http.StatusOK, reader+" (lecture)")
	want(t, "password login in proxy mode", b.post("/connexion", url.Values{"nom": {manager}, "mot_de_passe": {managerPass}}), http.StatusNotFound)

	g := newFixture(t, "auth = \"proxy\"\ntrusted_proxies = [\"10.1.2.3\"]")
	g.addUser("agent@casq.fr", "", "gestion")
	b = g.browser()
	b.header.Set("X-Remote-User", "agent@casq.fr")
	want(t, "header from an address that is no proxy", b.get("/dossiers"), http.StatusUnauthorized)
}
