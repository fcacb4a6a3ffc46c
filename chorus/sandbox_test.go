package chorus_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
	"facteur/samples"
)

// Client ↔ sandbox tests: both sides over real HTTP on loopback.

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

type pair struct {
	sb     *sandbox.Server
	client *chorus.Client
	clock  *clock
	tokens atomic.Int64 // token requests seen
	calls  atomic.Int64 // API requests seen
	url    string
}

const (
	testID, testSecret = "3f1c2a9e-5b7d-4c21-9e0a-7d2b8c4f6a10", "s3cret"
	testLogin, testPW  = "TECH_1_20007189200067@cpro.fr", "Exemple-Mot2Passe!"
)

// seller is the supplier of the sample invoices, and the supplier structure
// (supplierID, supplierSIRET) the technical user of every pair's sandbox is
// attached to, with the bank details bankDetailsID.
var seller = samples.DemoSupplier()

const bankDetailsID = 187654

// sample returns an invoice of seller to the CASQ main budget, with an
// engagement number.
func sample(number string) samples.Invoice {
	return seller.Invoice(number, "2026-11-02", samples.CASQBudgetPrincipal, "", "EJ-2026-000451")
}

// newPair starts a sandbox, fronts its handler with a counting loopback
// server, and returns a client for it. mod may change the client config.
// Without opts.Suppliers, the technical user is attached to seller.
func newPair(t *testing.T, opts sandbox.Options, mod func(*chorus.Config)) *pair {
	t.Helper()
	p := &pair{clock: &clock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}}
	opts.ClientID, opts.ClientSecret, opts.Login, opts.Password = testID, testSecret, testLogin, testPW
	if opts.Suppliers == nil {
		opts.Suppliers = []sandbox.Supplier{{ID: supplierID, SIRET: supplierSIRET, Name: seller.Name,
			BankDetails: map[int64]string{bankDetailsID: "Compte principal"}}}
	}
	if opts.Now == nil {
		opts.Now = p.clock.Now
	}
	sb, err := sandbox.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	p.sb = sb
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/oauth/token" {
			p.tokens.Add(1)
		} else {
			p.calls.Add(1)
		}
		sb.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	p.url = front.URL
	cfg := chorus.Config{
		APIURL: front.URL, TokenURL: front.URL + "/api/oauth/token",
		ClientID: testID, ClientSecret: testSecret, Login: testLogin, Password: testPW,
		Timeout: 10 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := chorus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.client = c
	return p
}

func facturX(t *testing.T, inv samples.Invoice) []byte {
	t.Helper()
	pdf, err := samples.FacturX(inv)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func (p *pair) deposit(t *testing.T, inv samples.Invoice) *chorus.DepositResult {
	t.Helper()
	res, err := p.client.DeposerFlux(context.Background(), chorus.DepositRequest{
		File: facturX(t, inv), FileName: "facture_" + inv.Number + ".pdf", Syntax: chorus.SyntaxFacturX,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (p *pair) report(t *testing.T, flow string) *chorus.FlowReport {
	t.Helper()
	rep, err := p.client.ConsulterCRDetaille(context.Background(), flow)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestFacturXRoundTrip(t *testing.T) {
	p := newPair(t, sandbox.Options{ProcessingDelay: 10 * time.Minute}, nil)
	inv := sample("FA-2026-0042")
	inv.BuyerSIRET = samples.CASQBudgetEauPotable
	inv.BuyerReference = "EAU"
	res := p.deposit(t, inv)
	if !regexp.MustCompile(`^CPP0011117\d{15}$`).MatchString(res.FlowNumber) || res.DepositDate != "2026-11-02" || res.Syntax != chorus.SyntaxFacturX {
		t.Fatalf("deposit result %+v", res)
	}
	deps := p.sb.Deposits()
	if len(deps) != 1 {
		t.Fatalf("%d deposits", len(deps))
	}
	d := deps[0]
	if d.FlowNumber != res.FlowNumber || d.BuyerSIRET != samples.CASQBudgetEauPotable || d.OrderReference != "EJ-2026-000451" ||
		d.SellerSIRET != seller.SIRET || d.InvoiceNumber != "FA-2026-0042" || d.BuyerReference != "EAU" || d.State != "IN_RECU" {
		t.Fatalf("deposit as read by the sandbox: %+v", d)
	}
	for _, step := range []struct {
		advance        time.Duration
		state, outcome string
	}{
		{0, "IN_RECU", chorus.OutcomePending},
		{6 * time.Minute, "IN_EN_COURS_TRAITEMENT_CPP", chorus.OutcomePending},
		{4 * time.Minute, "IN_INTEGRE", chorus.OutcomeIntegrated},
	} {
		p.clock.Add(step.advance)
		rep := p.report(t, res.FlowNumber)
		if rep.State != step.state || chorus.FlowOutcome(rep.State) != step.outcome || len(rep.InvoiceErrors) != 0 {
			t.Fatalf("after +%v: %+v", step.advance, rep)
		}
		if !strings.HasPrefix(rep.DepositedAt, "2026-11-02T10:30:00.000+01:00") {
			t.Fatalf("DepositedAt %q", rep.DepositedAt)
		}
	}
}

func TestMissingEngagementRejected(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	inv := sample("FA-2026-0043")
	inv.OrderReference = ""
	res := p.deposit(t, inv)
	rep := p.report(t, res.FlowNumber)
	if rep.State != "IN_REJETE" || chorus.FlowOutcome(rep.State) != chorus.OutcomeRejected || len(rep.InvoiceErrors) != 1 {
		t.Fatalf("report %+v", rep)
	}
	e := rep.InvoiceErrors[0]
	if e.InvoiceNumber != "FA-2026-0043" || e.RecipientID != samples.CASQBudgetPrincipal || e.SupplierID != seller.SIRET ||
		!strings.Contains(e.Message, "engagement juridique est obligatoire") || !strings.Contains(e.Message, "BuyerOrderReferencedDocument") {
		t.Fatalf("invoice error %+v", e)
	}
	if d := p.sb.Deposits()[0]; len(d.Errors) != 1 || d.Errors[0] != e.Message {
		t.Fatalf("sandbox deposit errors %q", d.Errors)
	}
}

func TestDuplicateInvoiceRejected(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	first := p.deposit(t, sample("FA-2026-0050"))
	second := p.deposit(t, sample("FA-2026-0050"))
	// Same number, another supplier: allowed.
	other := samples.DemoSuppliers()[2].Invoice("FA-2026-0050", "2026-11-02", samples.CASQBudgetPrincipal, "", "EJ-2026-000451")
	third := p.deposit(t, other)
	if first.FlowNumber == second.FlowNumber {
		t.Fatal("same flow number twice")
	}
	if rep := p.report(t, first.FlowNumber); rep.State != "IN_INTEGRE" {
		t.Fatalf("first: %+v", rep)
	}
	rep := p.report(t, second.FlowNumber)
	if rep.State != "IN_REJETE" || len(rep.InvoiceErrors) != 1 || !strings.Contains(rep.InvoiceErrors[0].Message, "déjà été déposée") {
		t.Fatalf("second: %+v", rep)
	}
	if rep := p.report(t, third.FlowNumber); rep.State != "IN_INTEGRE" {
		t.Fatalf("other supplier: %+v", rep)
	}
}

func TestIrrecevableFlow(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	pdf, err := samples.PlainPDF(sample("FA-2026-0060"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.client.DeposerFlux(context.Background(), chorus.DepositRequest{File: pdf, FileName: "f.pdf", Syntax: chorus.SyntaxFacturX})
	if err != nil {
		t.Fatal(err)
	}
	rep := p.report(t, res.FlowNumber)
	if rep.State != "QP_IRRECEVABLE" || chorus.FlowOutcome(rep.State) != chorus.OutcomeRejected ||
		len(rep.TechnicalErrors) != 1 || rep.TechnicalErrors[0].Message == "" {
		t.Fatalf("report %+v", rep)
	}
}

func TestXMLSyntaxes(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	for _, tc := range []struct {
		syntax, prefix string
		data           []byte
	}{
		{chorus.SyntaxCII, "CPP0011110", samples.CII(sample("C-1"))},
		{chorus.SyntaxUBL, "CPP0011100", samples.UBL(sample("U-1"))},
	} {
		res, err := p.client.DeposerFlux(context.Background(), chorus.DepositRequest{File: tc.data, FileName: "facture.xml", Syntax: tc.syntax})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.FlowNumber, tc.prefix) {
			t.Fatalf("%s: flow %s", tc.syntax, res.FlowNumber)
		}
		if rep := p.report(t, res.FlowNumber); rep.State != "IN_INTEGRE" {
			t.Fatalf("%s: %+v", tc.syntax, rep)
		}
	}
}

func TestTokenCachedAndRenewedOn401(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	res := p.deposit(t, sample("T-1"))
	for range 3 {
		p.report(t, res.FlowNumber)
	}
	if n := p.tokens.Load(); n != 1 {
		t.Fatalf("%d token requests for 4 calls, want 1", n)
	}
	// The gateway forgets the token: one 401, one new token, success.
	p.sb.ExpireTokens()
	p.report(t, res.FlowNumber)
	if n, calls := p.tokens.Load(), p.calls.Load(); n != 2 || calls != 6 {
		t.Fatalf("after expiry: %d token requests, %d calls; want 2 and 6", n, calls)
	}
}

func TestConcurrentCallsShareOneToken(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.client.ConsulterCRDetaille(context.Background(), "CPP0011117000000000000099")
			if err == nil {
				err = errors.New("unknown flow accepted")
			}
			var e *chorus.Error
			if !errors.As(err, &e) || e.Code == 0 {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.tokens.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestWrongClientSecret(t *testing.T) {
	p := newPair(t, sandbox.Options{}, func(c *chorus.Config) { c.ClientSecret = "wrong" })
	_, err := p.client.ConsulterCRDetaille(context.Background(), "CPP0011117000000000000001")
	var e *chorus.Error
	if !errors.As(err, &e) || e.Op != "token" || e.HTTPStatus != 400 || chorus.IsTransient(err) || !strings.Contains(e.Label, "invalid_client") {
		t.Fatalf("err = %#v", err)
	}
	if p.calls.Load() != 0 {
		t.Fatal("API called without a token")
	}
}

func TestWrongTechnicalAccount(t *testing.T) {
	p := newPair(t, sandbox.Options{}, func(c *chorus.Config) { c.Password = "expired" })
	_, err := p.client.DeposerFlux(context.Background(), chorus.DepositRequest{
		File: facturX(t, sample("W-1")), FileName: "w.pdf", Syntax: chorus.SyntaxFacturX})
	var e *chorus.Error
	if !errors.As(err, &e) || e.HTTPStatus != 401 || chorus.IsTransient(err) || chorus.MaybeDeposited(err) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "cpro-account") || !strings.Contains(err.Error(), "login or password incorrects") {
		t.Fatalf("error does not point at the technical account: %v", err)
	}
	if strings.Contains(err.Error(), "expired") {
		t.Fatal("the password leaked into the error")
	}
	// Retried exactly once with a fresh token.
	if p.tokens.Load() != 2 || p.calls.Load() != 2 {
		t.Fatalf("%d token requests, %d calls; want 2 and 2", p.tokens.Load(), p.calls.Load())
	}
	if len(p.sb.Deposits()) != 0 {
		t.Fatal("deposit recorded")
	}
}

func TestUnknownFlowIsPermanent(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	_, err := p.client.ConsulterCRDetaille(context.Background(), "CPP0011117000000000000042")
	var e *chorus.Error
	if !errors.As(err, &e) || e.HTTPStatus != 200 || e.Code == 0 || e.Label == "" || chorus.IsTransient(err) {
		t.Fatalf("err = %#v", err)
	}
}

func TestSandboxFaultsAreTransient(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	pdf := facturX(t, sample("F-1"))
	req := chorus.DepositRequest{File: pdf, FileName: "f.pdf", Syntax: chorus.SyntaxFacturX}
	p.sb.FailNext("/cpro/factures/v1/deposer/flux", 503, 1)
	_, err := p.client.DeposerFlux(context.Background(), req)
	if !chorus.IsTransient(err) || !chorus.MaybeDeposited(err) {
		t.Fatalf("503: %v (transient %v, maybe deposited %v)", err, chorus.IsTransient(err), chorus.MaybeDeposited(err))
	}
	p.sb.FailNext("", 429, 1)
	_, err = p.client.DeposerFlux(context.Background(), req)
	if !chorus.IsTransient(err) || chorus.MaybeDeposited(err) {
		t.Fatalf("429: %v", err)
	}
	if _, err := p.client.DeposerFlux(context.Background(), req); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
}

func TestSandboxSizeLimit(t *testing.T) {
	p := newPair(t, sandbox.Options{MaxFileSize: 64 << 10}, func(c *chorus.Config) { c.MaxFileSize = 1 << 20 })
	big := append(facturX(t, sample("B-1")), make([]byte, 80<<10)...)
	_, err := p.client.DeposerFlux(context.Background(), chorus.DepositRequest{File: big, FileName: "b.pdf", Syntax: chorus.SyntaxFacturX})
	var e *chorus.Error
	if !errors.As(err, &e) || e.Code != 20001 || e.Label != "GDP_MSG_11.022" || chorus.IsTransient(err) || chorus.MaybeDeposited(err) {
		t.Fatalf("err = %#v", err)
	}
}
