package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"facteur/app"
	"facteur/chorus/sandbox"
	"facteur/config"
	"facteur/demo"
	"facteur/samples"
	"facteur/store"
	"facteur/web"
)

// The browser test: Debian's chromium, driven through the DevTools
// protocol (chromedp), over Facteur as `facteur run` runs it (the demo's
// IMAP server, the Chorus Pro sandbox, the real worker and the page's own
// listener). axe-core (npm), injected in each main page, checks it for
// WCAG 2.1 A/AA and best practices (labels, heading order, contrast...).
//
// FACTEUR_AXE is the path of axe.min.js (.ci/run installs it);
// FACTEUR_ARTEFACTS, where screenshots of a failure go (default: a new
// temporary directory, kept and logged when the test fails); FACTEUR_SCREENSHOTS, when set, a
// directory where the screenshots of the finance staff's guide are
// written (docs/guide-services-financiers.md says how). With CI set, a
// missing chromium or axe-core fails the test.

// needBrowser returns chromium's path and axe-core's source, or skips
// (fails on CI).
func needBrowser(t *testing.T) (string, string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s, and CI is set: .ci/run installs chromium (apt) and axe-core (npm)", what)
		}
		t.Skip(what)
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		missing("chromium not installed (apt-get install chromium)")
	}
	path := os.Getenv("FACTEUR_AXE")
	if path == "" {
		missing("FACTEUR_AXE not set (npm install --prefix DIR axe-core@4.14.1; FACTEUR_AXE=DIR/node_modules/axe-core/axe.min.js)")
	}
	axe, err := os.ReadFile(path)
	if err != nil {
		missing(fmt.Sprintf("axe-core not readable: %v", err))
	}
	return bin, string(axe)
}

// daemon is Facteur running over the demo's peers, with its page.
type daemon struct {
	env  *demo.Env
	app  *app.App
	st   *store.Store
	url  string
	stop func()
}

func startDaemon(t *testing.T) *daemon {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	env, err := demo.Start(t.TempDir(), demo.Options{Suppliers: []sandbox.Supplier{{ID: 4400, SIRET: s.SIRET, Name: s.Name}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	cfg, err := config.Parse([]byte(env.ConfigTOML() + "\n[web]\nlisten = \"127.0.0.1:0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{GatewayPoll: 200 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	d := &daemon{env: env, app: a, st: a.Store()}
	hash, err := web.HashPassword(managerPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.st.AddUser(ctx, store.User{Name: manager, PasswordHash: hash, Role: web.RoleManage}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	d.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("facteur run: %v", err)
			}
			a.Close()
		})
	}
	t.Cleanup(d.stop)
	deadline := time.Now().Add(10 * time.Second)
	for a.WebAddr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the page never listened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.url = "http://" + a.WebAddr()
	return d
}

// waitCase waits until the case of invoice is in state want.
func (d *daemon) waitCase(t *testing.T, invoice string, want store.CaseState) store.Case {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cs, err := d.st.Cases(context.Background(), store.CaseFilter{Search: invoice})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 1 && cs[0].State == want {
			return cs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("case of %s: %+v, want %s", invoice, cs, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// axeResult is what the test keeps of axe.run.
type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target  []any  `json:"target"`
			Summary string `json:"failureSummary"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes int `json:"passes"`
}

func TestBrowser(t *testing.T) {
	bin, axe := needBrowser(t)
	d := startDaemon(t)
	invoice := "T-NAV-1"
	d.env.Deliver(invoiceMail(t, invoice, "no-reply@voirie-nord-travaux.example").Bytes())
	d.env.Deliver(invoiceMail(t, "T-NAV-2", "comptabilite@voirie-nord-travaux.example").Bytes())
	held := d.waitCase(t, invoice, store.CaseHeld)
	d.waitCase(t, "T-NAV-2", store.CaseAwaitingSupplier)

	artefacts := os.Getenv("FACTEUR_ARTEFACTS")
	if artefacts == "" {
		// Kept when the test fails (its path is logged), removed otherwise.
		dir, err := os.MkdirTemp("", "facteur-navigateur-")
		if err != nil {
			t.Fatal(err)
		}
		artefacts = dir
		t.Cleanup(func() {
			if !t.Failed() {
				os.RemoveAll(dir)
			}
		})
	} else if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
	guide := os.Getenv("FACTEUR_SCREENSHOTS")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1366, 900), chromedp.Flag("lang", "fr-FR"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()

	step := "start"
	shot := func(dir, name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Logf("screenshot %s: %v", name, err)
		}
	}
	failed := func(err error) {
		t.Helper()
		shot(artefacts, "echec-"+strings.ReplaceAll(step, " ", "-"))
		t.Fatalf("%s: %v (screenshot in %s)", step, err, artefacts)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step = what
		if err := chromedp.Do(ctx, actions...); err != nil {
			failed(err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		step = "read " + string(sel)
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			failed(err)
		}
		return s
	}
	defer func() {
		if t.Failed() {
			shot(artefacts, "echec-fin")
			t.Logf("screenshots of the failure in %s (step %q)", artefacts, step)
		}
	}()
	checkAxe := func(pageName string) {
		t.Helper()
		step = "axe on " + pageName
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](axe+"\n;true")); err != nil {
			failed(err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
			.then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`, chromedp.EvalAwaitPromise))
		if err != nil {
			failed(err)
		}
		var res axeResult
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			t.Fatalf("axe on %s: %v", pageName, err)
		}
		if res.Passes == 0 {
			t.Errorf("axe on %s checked nothing", pageName)
		}
		t.Logf("axe on %s: %d rules passed, %d violated", pageName, res.Passes, len(res.Violations))
		for _, v := range res.Violations {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target)+": "+n.Summary)
			}
			t.Errorf("axe on %s: %s (%s)\n  %s", pageName, v.ID, v.Help, strings.Join(where, "\n  "))
		}
		if guide != "" {
			shot(guide, "page-"+pageName)
		}
	}

	// Log in with a local account. The page allows no script: axe is
	// injected through the DevTools protocol, the page's policy bypassed.
	do("start the browser")
	step = "bypass CSP for axe"
	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		failed(err)
	}
	do("open the page", chromedp.Navigate(d.url+"/"), chromedp.WaitVisible(chromedp.ID("nom")))
	checkAxe("connexion")
	do("log in", chromedp.SendKeys(chromedp.ID("nom"), manager), chromedp.SendKeys(chromedp.ID("mot_de_passe"), managerPass),
		chromedp.Submit(chromedp.ID("mot_de_passe")), chromedp.WaitVisible(chromedp.ID("recherche")))
	if h := text("h1"); h != "Dossiers" {
		t.Fatalf("after login: h1 %q", h)
	}
	checkAxe("dossiers")

	// Find the held case through the search, and open it.
	do("search", chromedp.SendKeys(chromedp.ID("recherche"), invoice), chromedp.Submit(chromedp.ID("recherche")),
		chromedp.WaitVisible(`//caption[contains(., "correspondant aux critères")]`))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section[aria-labelledby=tous] tbody tr").length`))
	if err != nil || rows != 1 {
		t.Errorf("the search for %s lists %d cases (%v), want 1", invoice, rows, err)
	}
	checkAxe("recherche")
	do("open the case", chromedp.Click(`//a[text()="`+held.Ref+`"]`), chromedp.WaitVisible(chromedp.ID("engagement")))
	if h := text("h1"); h != "Dossier "+held.Ref {
		t.Fatalf("case page h1 %q", h)
	}
	if r := text(".reason"); !strings.Contains(r, "à examiner") || !strings.Contains(r, "numéro d'engagement absent") {
		t.Errorf("case page reason %q", r)
	}
	checkAxe("dossier")
	caseURL := d.url + "/dossiers/" + held.Ref

	// View its PDF.
	step = "find the PDF"
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href^="/documents/"]`), "href"))
	if err != nil || !href.Exists {
		failed(fmt.Errorf("no link to the PDF: %v", err))
	}
	// The document's own policy is read as the server sent it: the
	// bypass (for axe) is off while it is fetched.
	step = "open the PDF"
	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: false}); err != nil {
		failed(err)
	}
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(d.url+href.Value))
	if err != nil {
		failed(err)
	}
	// Chromium reports, of the policy of a PDF it shows, frame-ancestors
	// only; TestDocument reads the whole header.
	if resp.Status != 200 || resp.MimeType != "application/pdf" || !strings.HasPrefix(headerValue(resp, "Content-Disposition"), "inline; ") ||
		!strings.Contains(headerValue(resp, "Content-Security-Policy"), "frame-ancestors") {
		t.Errorf("the PDF: status %d, type %q, headers %v", resp.Status, resp.MimeType, resp.Headers)
	}
	if guide != "" {
		time.Sleep(time.Second) // the viewer draws the page
		shot(guide, "page-document")
	}
	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		failed(err)
	}

	// Set the engagement number: the case is decided again and deposited.
	do("set the engagement", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.ID("engagement")),
		chromedp.SendKeys(chromedp.ID("engagement"), "EJ-2026-004242"),
		chromedp.Submit(chromedp.ID("engagement")), chromedp.WaitVisible(chromedp.CSS(".done")))
	if done := text(".done"); !strings.Contains(done, "numéro d'engagement est enregistré") {
		t.Errorf("after the engagement: %q", done)
	}
	d.waitCase(t, invoice, store.CaseIntegrated)
	do("see it deposited", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(".reason")))
	if r := text(".reason"); !strings.Contains(r, "déposée et intégrée") {
		t.Errorf("after the deposit, the case page says %q", r)
	}
	if h := text("ol.timeline"); !strings.Contains(h, "saisi par "+manager) || !strings.Contains(h, "déposée et intégrée") {
		t.Errorf("history:\n%s", h)
	}
	invs := d.env.Sandbox.Invoices()
	if len(invs) != 1 || invs[0].Engagement != "EJ-2026-004242" || invs[0].Number != invoice {
		t.Errorf("on the sandbox: %+v", invs)
	}
	checkAxe("dossier-depose")

	// Log out: the page is closed again.
	do("log out", chromedp.Click(`//button[text()="Se déconnecter"]`), chromedp.WaitVisible(`//h1[text()="Connexion"]`),
		chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.ID("nom")))
	step = "where"
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		failed(err)
	}
	if !strings.HasSuffix(loc, "/connexion") {
		t.Errorf("after logout the case page sends to %s", loc)
	}
}

func headerValue(r *network.Response, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}
