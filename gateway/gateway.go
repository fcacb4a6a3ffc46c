// Package gateway is Facteur's worker: it pulls due work from the store and
// moves each message, invoice case and reply through its states, calling the
// parser, the router, Chorus Pro and the notifier. It is the only place that
// calls those stages, and every state change it makes goes through the
// store's checked transitions.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"sync"
	"time"

	"facteur/chorus"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// Depositor is the part of the Chorus Pro client the gateway uses.
type Depositor interface {
	DeposerFlux(ctx context.Context, r chorus.DepositRequest) (*chorus.DepositResult, error)
	ConsulterCRDetaille(ctx context.Context, flowNumber string) (*chorus.FlowReport, error)
}

// Sender sends one composed message over SMTP.
type Sender interface {
	Send(ctx context.Context, envelopeFrom string, rcpt []string, raw []byte) error
}

// Options wire a Gateway.
type Options struct {
	Store  *store.Store
	Chorus Depositor
	Mailer Sender
	Rules  router.Rules
	Parser parser.Options

	CasePrefix   string       // "FAC"
	Organisation string       // shown in replies
	From         mail.Address // From of the replies
	EnvelopeFrom string       // MAIL FROM; "" = null sender
	Bcc          []string     // copy of every reply
	OwnAddresses []string     // our mailboxes: never answered
	// RepliesPerSenderPerDay bounds the replies to one address (default 10).
	RepliesPerSenderPerDay int

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
	return &Gateway{o: o, log: o.Logger, wake: make(chan struct{}, 1)}
}

// Wake asks Run to look for work now.
func (g *Gateway) Wake() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Recover handles what a previous run left in the middle of an act: a case
// found in "depositing" may or may not have reached Chorus Pro. It is never
// deposited again blindly (invariant 2): it is held for a person to check.
// Searching Chorus Pro for it automatically comes with the complete client.
func (g *Gateway) Recover(ctx context.Context) error {
	cases, err := g.o.Store.DueCases(ctx, 1000, store.CaseDepositing)
	if err != nil {
		return err
	}
	for _, c := range cases {
		reason := "dépôt interrompu (arrêt du service pendant l'envoi à Chorus Pro) : vérifier sur Chorus Pro avant tout nouveau dépôt"
		g.log.Warn("case interrupted while depositing; held", "case", c.Ref, "message", c.MessageID)
		err := g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld, reason, store.CaseFields{})
		})
		if err != nil {
			return fmt.Errorf("gateway: recover case %s: %w", c.Ref, err)
		}
	}
	return nil
}

// Run works until ctx is cancelled: it steps whenever woken, and at least
// every poll interval (due retries are found that way).
func (g *Gateway) Run(ctx context.Context, poll time.Duration) error {
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
	for _, f := range []func(context.Context) (int, error){
		g.parseMessages, g.decideCases, g.depositCases, g.pollFlows, g.settleMessages, g.sendReplies,
	} {
		n, err := f(ctx)
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
