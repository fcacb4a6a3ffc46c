package gateway_test

import (
	"context"
	"net/mail"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
	"facteur/demo/smtpcapture"
	"facteur/gateway"
	"facteur/notifier"
	"facteur/router"
	"facteur/samples"
	"facteur/store"
)

// The gateway's behaviour tests build the gateway from its own Options, with
// real peers on loopback: a store in a temporary directory, the Chorus Pro
// sandbox, an SMTP server capturing the replies. Messages are ingested
// straight into the store (the gateway does not talk IMAP: fetching and
// filing are imapwatch's, tested there and end to end in cmd/facteur). One
// clock, moved by the tests, is the store's, the gateway's, the structure
// rules cache's and the sandbox's: no test waits for wall-clock time.

// Credentials of the sandbox; they exist only in this process.
const (
	sandboxClientID     = "test-piste-client"
	sandboxClientSecret = "test-piste-secret"
	sandboxLogin        = "TECH_1_test@cpro.fr"
	sandboxPassword     = "test-technical-password"
)

// mailboxName is the name of the one mailbox messages are ingested from.
const mailboxName = "comptabilite"

// epoch is where the test clock starts: a Wednesday morning, so that a few
// hours later it is still the same day.
var epoch = time.Date(2026, time.November, 25, 9, 0, 0, 0, time.UTC)

// clock is the test clock: it stands still until the test moves it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// casqRules are the routing rules of the demo configuration (app.Rules of
// config.example.toml's budgets): the four CASQ budgets, each taken to
// require an engagement number until Chorus Pro says otherwise, and the
// invoices Facteur may not deposit answered with a guide
// (routing.cannot_deposit = "guide", the default).
func casqRules() router.Rules {
	return router.Rules{Guide: true, Budgets: []router.Budget{
		{Name: "Budget principal", SIRET: samples.CASQBudgetPrincipal, EngagementRequired: true},
		{Name: "Budget eau potable", SIRET: samples.CASQBudgetEauPotable, Keywords: []string{"eau potable"}, EngagementRequired: true},
		{Name: "Budget assainissement", SIRET: samples.CASQBudgetAssainissement, Keywords: []string{"assainissement"}, EngagementRequired: true},
		{Name: "Budget circuit automobile", SIRET: samples.CASQBudgetCircuitAutomobile, Keywords: []string{"circuit"}, EngagementRequired: true},
	}}
}

// harness drives a Gateway step by step over its peers.
type harness struct {
	t       *testing.T
	ctx     context.Context
	clock   *clock
	dir     string // the store's
	sandbox *sandbox.Server
	smtp    *smtpcapture.Server
	st      *store.Store
	gw      *gateway.Gateway
	uid     uint32 // of the last message ingested
	// tuning is what the test changed in the gateway's options (its
	// configuration), applied again at every restart.
	tuning []func(*gateway.Options)
}

// newHarness starts the peers and a gateway. so are the sandbox's options
// (structures, suppliers, lifecycle...); the harness sets its credentials
// and its clock.
func newHarness(t *testing.T, so sandbox.Options) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: &clock{now: epoch}, dir: t.TempDir()}
	so.ClientID, so.ClientSecret, so.Login, so.Password = sandboxClientID, sandboxClientSecret, sandboxLogin, sandboxPassword
	if so.Now == nil {
		so.Now = h.clock.Now
	}
	var err error
	if h.sandbox, err = sandbox.Start(so); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.sandbox.Close() })
	if h.smtp, err = smtpcapture.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.smtp.Close() })
	t.Cleanup(func() {
		if h.st != nil {
			h.st.Close()
		}
	})
	h.restart()
	return h
}

// tune changes the gateway's options from the next restart on.
func (h *harness) tune(f func(*gateway.Options)) {
	h.tuning = append(h.tuning, f)
}

// options are the gateway's options as the daemon's wiring gives them for
// the demo configuration, over the harness's peers, then as the test tuned
// them. Every call builds new clients, as a new process would.
func (h *harness) options() gateway.Options {
	h.t.Helper()
	client, err := chorus.New(chorus.Config{
		APIURL: h.sandbox.URL(), TokenURL: h.sandbox.TokenURL(),
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret, Login: sandboxLogin, Password: sandboxPassword,
		Timeout: 10 * time.Second,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	structures := chorus.NewRulesCache(client, chorus.DefaultRulesTTL, nil)
	structures.SetClock(h.clock.Now)
	mailer, err := notifier.NewMailer(notifier.MailerOptions{Addr: h.smtp.Addr(), Security: "plain"})
	if err != nil {
		h.t.Fatal(err)
	}
	own := []string{samples.CASQMailbox}
	o := gateway.Options{
		Store: h.st, Chorus: client, Mailer: mailer, Rules: casqRules(), Structures: structures,
		Digest:       gateway.DigestOptions{WaitingAfter: 7 * 24 * time.Hour, Mailboxes: own},
		CasePrefix:   "FAC",
		Organisation: "Agglomération du Saint-Quentinois",
		From:         mail.Address{Name: "Agglomération du Saint-Quentinois – Direction des Finances", Address: samples.CASQMailbox},
		Bcc:          []string{"finances@casq.fr"},
		OwnAddresses: own,
		Now:          h.clock.Now,
	}
	for _, f := range h.tuning {
		f(&o)
	}
	return o
}

// restart is a process restart: the store is opened again, a new gateway
// is built over it and recovers what the previous one left.
func (h *harness) restart() {
	h.t.Helper()
	if h.st != nil {
		if err := h.st.Close(); err != nil {
			h.t.Fatal(err)
		}
		h.st = nil
	}
	st, err := store.Open(h.ctx, h.dir, store.Options{Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.gw = gateway.New(h.options())
	if err := h.gw.Recover(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// ingest records a message in the store, as imapwatch does when it fetches
// one (each at a new UID of the mailbox).
func (h *harness) ingest(raw []byte, nd *store.NotDownloaded) {
	h.t.Helper()
	h.uid++
	_, created, err := h.st.Ingest(h.ctx, store.Incoming{Mailbox: mailboxName, UIDValidity: 1, UID: h.uid, Raw: raw, NotDownloaded: nd})
	if err != nil {
		h.t.Fatal(err)
	}
	if !created {
		h.t.Fatalf("message %d already known to the store", h.uid)
	}
}

// deliver ingests a message (dated now on the test clock unless dated).
func (h *harness) deliver(m samples.Mail) {
	h.t.Helper()
	if m.Date.IsZero() {
		m.Date = h.clock.Now()
	}
	h.ingest(m.Bytes(), nil)
}

// deliverNotDownloaded ingests m as imapwatch does a message bigger than
// the mailbox's limit: its envelope only, the row saying it was not
// downloaded, with the attachments its BODYSTRUCTURE announces.
func (h *harness) deliverNotDownloaded(m samples.Mail, limit int64) {
	h.t.Helper()
	if m.Date.IsZero() {
		m.Date = h.clock.Now()
	}
	nd := &store.NotDownloaded{Size: int64(len(m.Bytes())), Limit: limit, Folder: "INBOX"}
	for _, a := range m.Attachments {
		mt := a.ContentType
		switch {
		case mt != "":
		case strings.EqualFold(path.Ext(a.Name), ".pdf"):
			mt = "application/pdf"
		default:
			mt = "application/octet-stream"
		}
		nd.Attachments = append(nd.Attachments, store.Attachment{Name: a.Name, MediaType: mt, Size: int64(len(a.Data))})
	}
	envelope := samples.Mail{From: m.From, To: m.To, Subject: m.Subject, MessageID: m.MessageID, Date: m.Date, Headers: m.Headers}
	h.ingest(envelope.Bytes(), nd)
}

// run steps the gateway until it has nothing due.
func (h *harness) run() {
	h.t.Helper()
	for i := 0; ; i++ {
		worked, err := h.gw.Step(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if !worked {
			return
		}
		if i > 100 {
			h.t.Fatal("gateway never settles")
		}
	}
}

// forceDue moves the clock past every backoff.
func forceDue(t *testing.T, h *harness) {
	t.Helper()
	h.clock.Advance(3 * time.Hour)
}

// runDue runs the gateway repeatedly with the clock moved past every
// backoff each time: the searches and retries of a deposit in doubt.
func (h *harness) runDue(rounds int) {
	h.t.Helper()
	for i := 0; i < rounds; i++ {
		forceDue(h.t, h)
		h.run()
	}
}

func (h *harness) cases() []store.Case {
	h.t.Helper()
	cases, err := h.st.Cases(h.ctx, store.CaseFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return cases
}

func (h *harness) onlyCase() store.Case {
	h.t.Helper()
	cases, err := h.st.Cases(h.ctx, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		h.t.Fatalf("cases = %+v, %v; want one", cases, err)
	}
	return cases[0]
}

// filed counts the settled messages by the folder imapwatch files them
// into (their disposition): what the mailbox's folders hold once filed.
func (h *harness) filed() map[store.Disposition]int {
	h.t.Helper()
	fs, err := h.st.ToFile(h.ctx, mailboxName)
	if err != nil {
		h.t.Fatal(err)
	}
	n := map[store.Disposition]int{}
	for _, f := range fs {
		n[f.Disposition]++
	}
	return n
}

// disposition is the folder the message of case c is to be filed into,
// "" while it is not settled.
func (h *harness) disposition(c store.Case) store.Disposition {
	h.t.Helper()
	m, err := h.st.Message(h.ctx, c.MessageID)
	if err != nil {
		h.t.Fatal(err)
	}
	if m.State != store.MessageDone && m.State != store.MessageFailed {
		return ""
	}
	return m.Disposition
}
