// Package gateway is Facteur's worker: it pulls due work from the store and
// moves each message, invoice case and reply through its states, calling the
// parser, the router, Chorus Pro and the notifier. It is the only place that
// calls those stages, and every state change it makes goes through the
// store's checked transitions.
package gateway

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"sync"
	"time"

	"facteur/chorus"
	"facteur/guard"
	"facteur/notifier"
	"facteur/parser"
	"facteur/register"
	"facteur/router"
	"facteur/store"
)

// Depositor is the part of the Chorus Pro client the gateway uses.
type Depositor interface {
	DeposerFlux(ctx context.Context, r chorus.DepositRequest) (*chorus.DepositResult, error)
	ConsulterCRDetaille(ctx context.Context, flowNumber string) (*chorus.FlowReport, error)
	FindSupplierInvoice(ctx context.Context, number string, supplierID int64, supplierSIRET string, from, to time.Time) ([]chorus.InvoiceSummary, error)
	FindInvoiceByFlow(ctx context.Context, flowNumber string) ([]chorus.InvoiceSummary, error)
	FindRecipientInvoice(ctx context.Context, number, supplierSIRET, recipientSIRET string, from, to time.Time) ([]chorus.InvoiceSummary, error)
	ConsulterHistoriqueFacture(ctx context.Context, invoiceID int64) (*chorus.InvoiceHistory, error)
	DeposerPDF(ctx context.Context, r chorus.PDFRequest) (*chorus.PDFResult, error)
	Soumettre(ctx context.Context, s chorus.Submission) (*chorus.SubmitResult, error)
	RecupererStructuresActivesPourFournisseur(ctx context.Context) ([]chorus.SupplierStructure, error)
	RecupererCoordonneesBancairesValides(ctx context.Context, structureID int64) ([]chorus.BankDetails, error)
}

// RulesSource gives the routing rules of a recipient structure (the
// structure rules cache of the Chorus Pro client).
type RulesSource interface {
	Get(ctx context.Context, siret string) (chorus.StructureRules, error)
}

// RegisterSource gives the engagement register as last read (nil before a
// first successful read) and the error of the latest read.
type RegisterSource interface {
	Current(now time.Time) (*register.Register, error)
}

// Sender sends one composed message over SMTP, telling progress how far
// the attempt got (notifier.Mailer.SendTracked).
type Sender interface {
	SendTracked(ctx context.Context, envelopeFrom string, rcpt []string, raw []byte, progress notifier.Progress) error
}

// Options wire a Gateway.
type Options struct {
	Store  *store.Store
	Chorus Depositor
	Mailer Sender
	Rules  router.Rules
	// Structures, when set, refines Rules with what Chorus Pro says each
	// budget's structure requires (engagement number, service code).
	Structures RulesSource
	Parser     parser.Options
	// SupplierID narrows the duplicate searches on Chorus Pro
	// (idFournisseur); 0 searches by invoice number and SIRET only.
	SupplierID int64
	// LifecyclePoll says when to ask Chorus Pro again about an integrated
	// invoice's status; nil means every 6 hours.
	LifecyclePoll func(time.Time) time.Time

	CasePrefix   string       // "FAC"
	Organisation string       // shown in replies
	From         mail.Address // From of the replies
	EnvelopeFrom string       // MAIL FROM; "" = null sender
	Bcc          []string     // copy of every reply
	OwnAddresses []string     // our mailboxes: never answered
	// RepliesPerSenderPerDay bounds the replies queued for one address in
	// 24 hours (default 10); the replies over it are held back and the
	// supplier told the next day in one summary.
	RepliesPerSenderPerDay int
	// Digest configures the daily digest to finance staff.
	Digest DigestOptions
	// Register, when set, is the engagement register (read again when its
	// file changes).
	Register RegisterSource

	Logger *slog.Logger
	Now    func() time.Time
	// OnSettled is called after messages were settled (so they can be filed).
	OnSettled func()
}

// Gateway moves work through the states. Run it with Run, or drive it step
// by step with Step.
type Gateway struct {
	o    Options
	log  *slog.Logger
	wake chan struct{}
	mu   sync.Mutex // one Step at a time

	// registerState is what was last logged about the engagement
	// register, so that a change is logged once.
	registerState string

	// started is when the gateway first looked for a digest to send, the
	// base of the schedule until a first digest exists; digestFailed is the
	// topic of a digest that could not be composed (given up for the day).
	started      time.Time
	digestFailed string

	// suppliers caches the supplier structures the technical account may
	// submit invoices for (PDF mode), refreshed daily.
	suppliers struct {
		sync.Mutex
		list []chorus.SupplierStructure
		at   time.Time
	}

	// beat is what Run is doing, for Heartbeat.
	beat heartbeat
}

// heartbeat records what a Run loop is doing: since when its pass in
// progress runs, or that it waits for work. It uses the real clock, not
// Options.Now: it is about the process, not about the work's dates.
type heartbeat struct {
	mu      sync.Mutex
	running bool
	busy    time.Time // start of the pass in progress; zero while waiting
}

func (h *heartbeat) set(running bool, busy time.Time) {
	h.mu.Lock()
	h.running, h.busy = running, busy
	h.mu.Unlock()
}

// Heartbeat reports when Run was last seen making progress: the present
// while it waits for work, else the time the pass in progress began (when
// the previous one finished). A pass that does not end (a store, Chorus
// Pro or SMTP call that hangs) leaves it in the past: the systemd watchdog
// (package app) stops its pings when it is too old. Zero when Run is not
// running.
func (g *Gateway) Heartbeat() time.Time {
	g.beat.mu.Lock()
	defer g.beat.mu.Unlock()
	switch {
	case !g.beat.running:
		return time.Time{}
	case g.beat.busy.IsZero():
		return time.Now()
	}
	return g.beat.busy
}

// New returns a gateway.
func New(o Options) *Gateway {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CasePrefix == "" {
		o.CasePrefix = "FAC"
	}
	if o.RepliesPerSenderPerDay == 0 {
		o.RepliesPerSenderPerDay = 10
	}
	if o.LifecyclePoll == nil {
		o.LifecyclePoll = func(t time.Time) time.Time { return t.Add(6 * time.Hour) }
	}
	return &Gateway{o: o, log: o.Logger, wake: make(chan struct{}, 1)}
}

// Wake asks Run to look for work now.
func (g *Gateway) Wake() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Recover reports what a previous run left in the middle of an act: a case
// found in "depositing" may or may not have reached Chorus Pro. It is never
// deposited again blindly (invariant 2): the next Step searches Chorus Pro
// for it first (verifyDeposits). A reply found "sending" is decided on from
// how far its attempt got (recoverSends).
func (g *Gateway) Recover(ctx context.Context) error {
	cases, err := g.o.Store.DueCases(ctx, 1000, store.CaseDepositing)
	if err != nil {
		return err
	}
	for _, c := range cases {
		g.log.Warn("case interrupted while depositing; Chorus Pro will be searched before any new deposit", "case", c.Ref, "message", c.MessageID)
	}
	// Replies left sending: sent again, or marked sent, unconfirmed.
	g.mu.Lock()
	defer g.mu.Unlock()
	_, err = g.recoverSends(ctx)
	return err
}

// Run works until ctx is cancelled: it steps whenever woken, and at least
// every poll interval (due retries are found that way).
func (g *Gateway) Run(ctx context.Context, poll time.Duration) error {
	g.beat.set(true, time.Now())
	defer g.beat.set(false, time.Time{})
	if err := g.Recover(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			g.beat.set(true, time.Now())
			worked, err := g.Step(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				g.log.Error("gateway step failed", "err", err)
				break
			}
			if !worked {
				break
			}
		}
		g.beat.set(true, time.Time{})
		select {
		case <-ctx.Done():
			return nil
		case <-g.wake:
		case <-t.C:
		}
	}
}

// Step does one pass over the due work and reports whether it did anything.
// An error is returned only when the store fails; failures of a stage are
// recorded on the item concerned.
func (g *Gateway) Step(ctx context.Context) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	worked := false
	for _, s := range []struct {
		name string
		f    func(context.Context) (int, error)
	}{
		{"parse", g.parseMessages}, {"decide", g.decideCases}, {"verify", g.verifyDeposits}, {"deposit", g.depositCases},
		{"poll", g.pollFlows}, {"follow", g.followInvoices}, {"settle", g.settleMessages}, {"digest", g.queueDigest}, {"summary", g.queueSummaries}, {"send", g.sendReplies},
	} {
		// Each message, case and reply has its own panic boundary; this
		// one stops a panic outside them (a query, the digest) from
		// taking the daemon down: the pass ends with the error.
		var n int
		err := guard.Call(g.log, "gateway stage "+s.name, func() (err error) {
			n, err = s.f(ctx)
			return err
		})
		if err != nil {
			return worked, err
		}
		worked = worked || n > 0
	}
	return worked, nil
}

const batch = 50

// backoff returns the delay before attempt n+1 (n ≥ 1 failed attempts):
// exponential from base, capped, with ±20 % jitter.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d - d/10 + j
}

func (g *Gateway) now() time.Time { return g.o.Now() }

func (g *Gateway) isOwn(addr string) bool {
	a := strings.ToLower(strings.TrimSpace(addr))
	for _, own := range g.o.OwnAddresses {
		if strings.ToLower(own) == a {
			return true
		}
	}
	return a == strings.ToLower(g.o.From.Address)
}
