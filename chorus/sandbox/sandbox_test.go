package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/samples"
)

// sample returns an invoice of the demo supplier to the CASQ main budget,
// with an engagement number.
func sample(number string) samples.Invoice {
	return samples.DemoSupplier().Invoice(number, "2026-11-02", samples.CASQBudgetPrincipal, "", "EJ-2026-000451")
}

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t     *testing.T
	s     *Server
	clock *clock
	hc    *http.Client
	token string
}

func start(t *testing.T, delay time.Duration) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}
	s, err := Start(Options{
		ClientID: "id", ClientSecret: "secret", Login: "TECH_1_x@cpro.fr", Password: "pw",
		ProcessingDelay: delay, Now: clk.Now, MaxFileSize: 256 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := &harness{t: t, s: s, clock: clk, hc: &http.Client{Timeout: 10 * time.Second}}
	h.token = h.getToken("id", "secret")
	return h
}

func (h *harness) getToken(id, secret string) string {
	h.t.Helper()
	resp, err := h.hc.PostForm(h.s.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"openid"},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return ""
	}
	if out["expires_in"] != float64(3600) || out["token_type"] != "Bearer" {
		h.t.Fatalf("token answer %v", out)
	}
	return out["access_token"].(string)
}

func (h *harness) account() string {
	return base64.StdEncoding.EncodeToString([]byte("TECH_1_x@cpro.fr:pw"))
}

// post sends body to path with the right headers unless overridden.
func (h *harness) post(path string, body any, hdr map[string]string) (*http.Response, map[string]any) {
	h.t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			h.t.Fatal(err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.s.URL()+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("cpro-account", h.account())
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			h.t.Fatalf("%s: status %d, body not JSON: %q", path, resp.StatusCode, data)
		}
	}
	return resp, out
}

func deposit(file []byte, name, syntax string) map[string]any {
	return map[string]any{"fichierFlux": base64.StdEncoding.EncodeToString(file), "nomFichier": name, "syntaxeFlux": syntax, "avecSignature": false}
}

func TestTokenEndpoint(t *testing.T) {
	h := start(t, 0)
	if tok := h.getToken("id", "wrong"); tok != "" {
		t.Fatal("token issued for a wrong secret")
	}
	resp, err := h.hc.PostForm(h.s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 400 || out["error"] != "invalid_client" || out["error_description"] == "" {
		t.Fatalf("bad client: %d %v", resp.StatusCode, out)
	}
	resp, err = h.hc.PostForm(h.s.TokenURL(), url.Values{"grant_type": {"password"}, "client_id": {"id"}, "client_secret": {"secret"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("grant_type password: %d", resp.StatusCode)
	}
	if a, b := h.getToken("id", "secret"), h.getToken("id", "secret"); a == b || len(a) < 32 {
		t.Fatalf("tokens not random: %q %q", a, b)
	}
}

func TestAuthChecks(t *testing.T) {
	h := start(t, 0)
	cr := map[string]any{"numeroFluxDepot": "CPP0011117000000000000001"}

	resp, _ := h.post(pathCR, cr, map[string]string{"Authorization": "Bearer nope"})
	if resp.StatusCode != 401 {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
	resp, _ = h.post(pathCR, cr, map[string]string{"cpro-account": base64.StdEncoding.EncodeToString([]byte("TECH_1_x@cpro.fr:bad"))})
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"` {
		t.Fatalf("bad account: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Tokens expire after an hour of simulated time.
	h.clock.Add(3601 * time.Second)
	resp, _ = h.post(pathCR, cr, nil)
	if resp.StatusCode != 401 {
		t.Fatalf("expired token: %d", resp.StatusCode)
	}
	h.token = h.getToken("id", "secret")
	resp, out := h.post(pathCR, cr, nil)
	if resp.StatusCode != 200 || out["codeRetour"] == float64(0) {
		t.Fatalf("unknown flow: %d %v", resp.StatusCode, out)
	}
	h.s.ExpireTokens()
	if resp, _ = h.post(pathCR, cr, nil); resp.StatusCode != 401 {
		t.Fatalf("after ExpireTokens: %d", resp.StatusCode)
	}
}

func TestRoutesAndMalformed(t *testing.T) {
	h := start(t, 0)
	if resp, _ := h.post("/cpro/factures/v1/recycler", map[string]any{}, nil); resp.StatusCode != 404 {
		t.Fatalf("unknown route: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, h.s.URL()+pathDeposer, nil)
	resp, err := h.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if resp, _ := h.post(pathDeposer, []byte(`{"fichierFlux":`), nil); resp.StatusCode != 400 {
		t.Fatalf("malformed JSON: %d", resp.StatusCode)
	}
	if resp, _ := h.post(pathDeposer, map[string]any{"nomFichier": "a.pdf"}, nil); resp.StatusCode != 400 {
		t.Fatalf("missing fields: %d", resp.StatusCode)
	}
	if resp, _ := h.post(pathDeposer, map[string]any{"fichierFlux": "!!!", "nomFichier": "a.pdf", "syntaxeFlux": syntaxFacturX}, nil); resp.StatusCode != 400 {
		t.Fatalf("bad base64: %d", resp.StatusCode)
	}
	if resp, _ := h.post(pathDeposer, deposit([]byte("<a/>"), "a.xml", syntaxCII), map[string]string{"Content-Type": "text/plain"}); resp.StatusCode != 415 {
		t.Fatalf("text/plain: %d", resp.StatusCode)
	}
	huge := append([]byte(`{"fichierFlux":"`), bytes.Repeat([]byte("A"), 2<<20)...)
	if resp, out := h.post(pathDeposer, append(huge, `"}`...), nil); resp.StatusCode != 413 || out["codeRetour"] != float64(20001) {
		t.Fatalf("oversized body: %d %v", resp.StatusCode, out)
	}
	if len(h.s.Deposits()) != 0 {
		t.Fatal("a refused request was recorded")
	}
}

func TestDeposerBusinessErrors(t *testing.T) {
	h := start(t, 0)
	inv := sample("FA-1")
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	cii := samples.CII(inv)
	for _, tc := range []struct {
		name string
		req  map[string]any
		code float64
		want string
	}{
		{"unknown syntax", deposit(pdf, "f.pdf", "IN_DP_E2_FACTURX"), codeBadSyntax, "n'est pas reconnue"},
		{"unsupported syntax", deposit(cii, "f.xml", "IN_DP_E1_XCBL"), codeBadSyntax, "bac à sable"},
		{"no extension", deposit(pdf, "facture", syntaxFacturX), codeBadFileName, "extension"},
		{"long name", deposit(pdf, strings.Repeat("a", 197)+".pdf", syntaxFacturX), codeBadFileName, "200"},
		{"xml as facturx", deposit(cii, "f.pdf", syntaxFacturX), codeBadContent, "PDF"},
		{"pdf as cii", deposit(pdf, "f.xml", syntaxCII), codeBadContent, "XML"},
		{"wrong extension", deposit(pdf, "f.xml", syntaxFacturX), codeBadFileName, ".pdf"},
		{"too large", deposit(append([]byte("%PDF-1.7\n"), make([]byte, 256<<10)...), "f.pdf", syntaxFacturX), 20001, "GDP_MSG_11.022"},
	} {
		resp, out := h.post(pathDeposer, tc.req, nil)
		if resp.StatusCode != 200 || out["codeRetour"] != tc.code || !strings.Contains(out["libelle"].(string), tc.want) {
			t.Errorf("%s: %d %v", tc.name, resp.StatusCode, out)
		}
	}
	if n := len(h.s.Deposits()); n != 0 {
		t.Fatalf("%d refused deposits recorded", n)
	}
}

func TestFlowLifecycleAndReport(t *testing.T) {
	h := start(t, 10*time.Minute)
	inv := sample("FA-2026-0042")
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	resp, out := h.post(pathDeposer, deposit(pdf, "facture.pdf", syntaxFacturX), nil)
	if resp.StatusCode != 200 || out["codeRetour"] != float64(0) || out["libelle"] != "TRA_MSG_00.000" {
		t.Fatalf("deposit: %d %v", resp.StatusCode, out)
	}
	flowNum := out["numeroFluxDepot"].(string)
	if !regexp.MustCompile(`^CPP0011117\d{15}$`).MatchString(flowNum) || out["dateDepot"] != "2026-11-02" || out["syntaxeFlux"] != syntaxFacturX {
		t.Fatalf("deposit answer %v", out)
	}
	iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$`)
	for _, step := range []struct {
		advance time.Duration
		state   string
	}{{0, StateReceived}, {5 * time.Minute, StateProcessing}, {5 * time.Minute, StateIntegrated}} {
		h.clock.Add(step.advance)
		_, cr := h.post(pathCR, map[string]any{"numeroFluxDepot": flowNum}, nil)
		if cr["etatCourantDepotFlux"] != step.state || cr["codeRetour"] != float64(0) {
			t.Fatalf("after %v: %v", step.advance, cr)
		}
		if cr["codeInterfaceDepotFlux"] != "FSO1117A" || cr["nomFichier"] != "FSO1117A_CPP001_"+flowNum {
			t.Fatalf("report names: %v", cr)
		}
		if !iso.MatchString(cr["dateDepotFlux"].(string)) || !iso.MatchString(cr["dateHeureEtatCourantFlux"].(string)) {
			t.Fatalf("dates: %v", cr)
		}
		if l, ok := cr["listeErreurDP"].([]any); !ok || len(l) != 0 {
			t.Fatalf("listeErreurDP: %v", cr["listeErreurDP"])
		}
		if l, ok := cr["listeErreurTechnique"].([]any); !ok || len(l) != 0 {
			t.Fatalf("listeErreurTechnique: %v", cr["listeErreurTechnique"])
		}
	}
	deps := h.s.Deposits()
	if len(deps) != 1 || deps[0].State != StateIntegrated || deps[0].InvoiceNumber != "FA-2026-0042" || deps[0].FileName != "facture.pdf" {
		t.Fatalf("deposits %+v", deps)
	}
	// Deposits returns copies.
	deps[0].Data[0] = 'X'
	deps[0].InvoiceNumber = "changed"
	if again := h.s.Deposits(); again[0].Data[0] != '%' || again[0].InvoiceNumber != "FA-2026-0042" {
		t.Fatal("Deposits shares memory with the server")
	}
}

func TestRejectionsAndInterfaces(t *testing.T) {
	h := start(t, 0)
	noEJ := sample("A-1")
	noEJ.OrderReference = ""
	unknown := sample("A-2")
	unknown.BuyerSIRET = "21750001600019" // Paris, not a CASQ budget
	long := sample("A-123456789012345678901")
	for _, tc := range []struct {
		name, syntax, file string
		data               []byte
		prefix, state      string
		want               string
	}{
		{"no EJ (UBL)", syntaxUBL, "a.xml", samples.UBL(noEJ), "CPP0011100", StateRejected, "OrderReference/ID"},
		{"unknown buyer (CII)", syntaxCII, "a.xml", samples.CII(unknown), "CPP0011110", StateRejected, "n'est pas une structure publique connue"},
		{"long number", syntaxCII, "a.xml", samples.CII(long), "CPP0011110", StateRejected, "dépasse 20 caractères"},
		{"unreadable", syntaxCII, "a.xml", []byte("<rsm:CrossIndustryInvoice"), "CPP0011110", StateInadmissible, "n'a pas pu être lu"},
	} {
		_, out := h.post(pathDeposer, deposit(tc.data, tc.file, tc.syntax), nil)
		num, _ := out["numeroFluxDepot"].(string)
		if !strings.HasPrefix(num, tc.prefix) {
			t.Errorf("%s: flow %q, want prefix %s", tc.name, num, tc.prefix)
			continue
		}
		_, cr := h.post(pathCR, map[string]any{"numeroFluxDepot": num}, nil)
		if cr["etatCourantDepotFlux"] != tc.state {
			t.Errorf("%s: state %v", tc.name, cr["etatCourantDepotFlux"])
		}
		b, _ := json.Marshal(cr)
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: report %s lacks %q", tc.name, b, tc.want)
		}
	}
}

func TestServiceCodes(t *testing.T) {
	clk := &clock{t: time.Now()}
	s, err := newServer(Options{ClientID: "a", ClientSecret: "b", Login: "c", Password: "d", Now: clk.Now,
		Structures: []Structure{{SIRET: "11111111111111", ServiceRequired: true, Services: []string{"DST-VOIRIE"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ service, verdict string }{{"", StateRejected}, {"AUTRE", StateRejected}, {"DST-VOIRIE", StateIntegrated}} {
		inv := invoiceData{Number: "N-" + tc.service, SellerSIRET: "84512367800011", BuyerSIRET: "11111111111111", BuyerReference: tc.service}
		f := &flow{}
		s.judge(f, inv, nil)
		if f.verdict != tc.verdict {
			t.Errorf("service %q: %s %v", tc.service, f.verdict, f.Errors)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	h := start(t, 0)
	h.s.FailNext(pathCR, 503, 2)
	cr := map[string]any{"numeroFluxDepot": "x"}
	for i, want := range []int{503, 503, 200} {
		if resp, _ := h.post(pathCR, cr, nil); resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func TestStartOptions(t *testing.T) {
	if _, err := Start(Options{ClientID: "a"}); err == nil {
		t.Fatal("missing credentials accepted")
	}
	if _, err := Start(Options{ClientID: "a", ClientSecret: "b", Login: "c", Password: "d", Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("non-loopback address accepted")
	}
	if got := CASQStructures(); len(got) != 4 || !got[0].EngagementRequired || got[0].ServiceRequired || got[3].SIRET != "20007189200059" {
		t.Fatalf("CASQStructures %+v", got)
	}
}
