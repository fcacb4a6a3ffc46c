// Package app wires Facteur's packages together from a configuration: the
// store, one IMAP watcher per mailbox, the Chorus Pro client, the SMTP
// mailer and the gateway worker. `facteur run` and `facteur demo` both go
// through it, so the demo exercises exactly the production code path.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"facteur/chorus"
	"facteur/config"
	"facteur/gateway"
	"facteur/guard"
	"facteur/imapwatch"
	"facteur/notifier"
	"facteur/parser"
	"facteur/register"
	"facteur/router"
	"facteur/sdnotify"
	"facteur/store"
	"facteur/web"
)

// Options tune an App beyond its configuration.
type Options struct {
	Logger *slog.Logger
	// Store options (tests inject failures through them).
	Store store.Options
	// GatewayPoll is how often the gateway looks for due retries when
	// nothing wakes it; default 15 s.
	GatewayPoll time.Duration
	// Now is the clock of the store and the gateway (tests move it); nil:
	// time.Now. Store.Now, when set, wins for the store.
	Now func() time.Time
	// Systemd tunes the notifications to systemd (READY, STATUS, the
	// watchdog); see systemd.go.
	Systemd SystemdOptions
}

// App is a wired Facteur.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	store    *store.Store
	watchers []*imapwatch.Watcher
	gateway  *gateway.Gateway
	poll     time.Duration
	register *register.File // nil without an engagement register
	systemd  SystemdOptions
	web      *web.Server // nil without the finance staff's page
	webMu    sync.Mutex
	webAddr  string
}

// New resolves the secrets, opens the store and builds every component. It
// starts nothing.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.GatewayPoll == 0 {
		o.GatewayPoll = 15 * time.Second
	}
	chorusClient, err := newChorus(cfg, log)
	if err != nil {
		return nil, err
	}
	mailer, err := newMailer(cfg, log)
	if err != nil {
		return nil, err
	}
	patterns, err := compilePatterns(cfg.Engagement.Patterns)
	if err != nil {
		return nil, err
	}
	if o.Store.Now == nil {
		o.Store.Now = o.Now
	}
	sd := o.Systemd.Notifier
	if sd == nil {
		sd, _ = sdnotify.FromEnv() // an unusable socket is reported by Run
	}
	stopExtending := extendStart(sd, log, startExtendEvery, startExtension, startExtendMax)
	st, err := store.Open(ctx, cfg.Instance.DataDir, o.Store)
	stopExtending()
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, store: st, poll: o.GatewayPoll, systemd: o.Systemd}

	var own []string
	for _, mb := range cfg.Mailboxes {
		own = append(own, mb.Address)
	}
	fromName := cfg.SMTP.FromName
	if fromName == "" {
		fromName = cfg.Instance.Name
	}
	lifecycle, err := cron.ParseStandard(cfg.Chorus.LifecyclePoll)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("chorus lifecycle_poll: %w", err)
	}
	digestSchedule, err := cron.ParseStandard(cfg.Digest.Schedule)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("digest schedule: %w", err)
	}
	g := decidingOptions(cfg, chorusClient, patterns, log)
	g.Store, g.Mailer = st, mailer
	g.LifecyclePoll = lifecycle.Next
	g.Register = a.registerSource()
	g.Digest = gateway.DigestOptions{To: cfg.Digest.To, Next: digestSchedule.Next,
		WaitingAfter: time.Duration(cfg.Digest.WaitingDays) * 24 * time.Hour, Mailboxes: own}
	if cfg.Web.Listen != "" && cfg.Web.PublicURL != "" {
		g.Digest.PageURL = cfg.WebURL() // the address finance staff reach, not the loopback listener
	}
	g.From = mail.Address{Name: fromName, Address: cfg.SMTP.From}
	g.EnvelopeFrom, g.Bcc, g.OwnAddresses = cfg.SMTP.EnvelopeFrom, cfg.SMTP.Bcc, own
	g.OnSettled, g.Now = a.triggerWatchers, o.Now
	a.gateway = gateway.New(g)
	for _, mb := range cfg.Mailboxes {
		var password, clientSecret string
		if mb.Auth == imapwatch.AuthXOAUTH2 {
			clientSecret, err = mb.OAuth2.ClientSecret.Resolve()
		} else {
			password, err = mb.Password.Resolve()
		}
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("mailbox %s: secret: %w", mb.Name, err)
		}
		w, err := imapwatch.New(imapwatch.Options{
			Name: mb.Name, Addr: net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port)), Security: mb.Security,
			Username: mb.Username, Password: password, CAFile: mb.CAFile, Folder: mb.Folder,
			TLSInsecureSkipVerify: mb.TLSInsecureSkipVerify, Auth: mb.Auth,
			OAuth2: imapwatch.OAuth2{TokenURL: mb.OAuth2.TokenURL, ClientID: mb.OAuth2.ClientID,
				ClientSecret: clientSecret, Scope: mb.OAuth2.Scope},
			Folders: map[store.Disposition]string{
				store.DispositionProcessed: mb.ProcessedFolder,
				store.DispositionReview:    mb.ReviewFolder,
				store.DispositionIgnored:   mb.IgnoredFolder,
			},
			Schedule: mb.Poll, MaxMessageSize: int64(mb.MaxMessageSize),
			Logger:   log.With("component", "imapwatch"),
			OnIngest: a.gateway.Wake,
		}, st)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
		a.watchers = append(a.watchers, w)
	}
	if a.web, err = a.newWeb(cfg, patterns); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// decidingOptions are the gateway options that make its decisions: the
// routing rules, Chorus Pro's structure rules and technical account (nil
// chorusClient: the configured rules alone), the parser's options.
func decidingOptions(cfg *config.Config, chorusClient *chorus.Client, patterns []*regexp.Regexp, log *slog.Logger) gateway.Options {
	g := gateway.Options{
		Rules:        Rules(cfg),
		SupplierID:   cfg.Chorus.SupplierID,
		Parser:       ParserOptions(cfg, patterns),
		CasePrefix:   cfg.Instance.CasePrefix,
		Organisation: cfg.Instance.Name,
		Logger:       log.With("component", "gateway"),

		RepliesPerSenderPerDay: cfg.Replies.PerSenderPerDay,
	}
	if chorusClient != nil {
		g.Chorus = chorusClient
		g.Structures = chorus.NewRulesCache(chorusClient, cfg.Chorus.StructureRefresh.Duration, log.With("component", "chorus"))
	}
	return g
}

// Rules are the routing rules a configuration describes.
func Rules(cfg *config.Config) router.Rules {
	rules := router.Rules{DefaultBudget: cfg.Routing.DefaultBudget, Guide: cfg.Routing.CannotDeposit == config.CannotDepositGuide}
	for _, b := range cfg.Budgets {
		// Until the structure rules are read from Chorus Pro, every budget
		// of a public body is taken to require an engagement number.
		rules.Budgets = append(rules.Budgets, router.Budget{Name: b.Name, SIRET: b.SIRET, Keywords: b.Keywords,
			EngagementRequired: true, EngagementMandatory: b.EngagementMandatory()})
	}
	return rules
}

// ParserOptions are the parser's limits from the configuration, with the
// compiled engagement patterns.
func ParserOptions(cfg *config.Config, patterns []*regexp.Regexp) parser.Options {
	l := cfg.Limits
	return parser.Options{
		EngagementPatterns: patterns,
		MaxDepth:           l.MaxDepth, MaxParts: l.MaxParts,
		MaxDecompressedBytes: int64(l.MaxDecompressedSize), MaxRatio: l.MaxRatio, MaxArchiveEntries: l.MaxArchiveEntries,
		MaxPDFBytes: int(l.MaxPDFSize), MaxPDFPages: l.MaxPDFPages, MaxPDFObjects: l.MaxPDFObjects,
		DocumentTimeout: l.DocumentTimeout.Duration,
	}
}

// registerSource is the engagement register file, or nil without one.
func (a *App) registerSource() gateway.RegisterSource {
	if a.cfg.Register.File == "" {
		return nil
	}
	a.register = &register.File{Path: a.cfg.Register.File}
	return a.register
}

func newChorus(cfg *config.Config, log *slog.Logger) (*chorus.Client, error) {
	c := cfg.Chorus
	apiURL, tokenURL := c.APIURL, c.TokenURL
	if envAPI, envToken, ok := chorus.Environment(c.Environment); ok {
		if apiURL == "" {
			apiURL = envAPI
		}
		if tokenURL == "" {
			tokenURL = envToken
		}
	}
	secret, err := c.ClientSecret.Resolve()
	if err != nil {
		return nil, fmt.Errorf("chorus client_secret: %w", err)
	}
	password, err := c.TechnicalPassword.Resolve()
	if err != nil {
		return nil, fmt.Errorf("chorus technical_password: %w", err)
	}
	return chorus.New(chorus.Config{
		APIURL: apiURL, TokenURL: tokenURL, ClientID: c.ClientID, ClientSecret: secret,
		Login: c.TechnicalLogin, Password: password, Timeout: c.Timeout.Duration,
		Logger: log.With("component", "chorus"),
	})
}

func newMailer(cfg *config.Config, log *slog.Logger) (*notifier.Mailer, error) {
	s := cfg.SMTP
	var password string
	if s.Username != "" {
		p, err := s.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("smtp password: %w", err)
		}
		password = p
	}
	return notifier.NewMailer(notifier.MailerOptions{
		Addr: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Security: s.Security,
		Username: s.Username, Password: password, CAFile: s.CAFile, Timeout: s.Timeout.Duration,
		Logger: log.With("component", "notifier"),
	})
}

func compilePatterns(ps []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range ps {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("engagement pattern %q: %w", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func (a *App) triggerWatchers() {
	for _, w := range a.watchers {
		w.Trigger()
	}
}

// Store is the app's store.
func (a *App) Store() *store.Store { return a.store }

// Gateway is the app's worker.
func (a *App) Gateway() *gateway.Gateway { return a.gateway }

// Watchers are the app's mailbox watchers.
func (a *App) Watchers() []*imapwatch.Watcher { return a.watchers }

// Run runs the watchers and the gateway until ctx is cancelled, then waits
// for them to stop. Under systemd (Type=notify) it says when it is ready,
// keeps a status line and pings the watchdog while its loops make progress
// (systemd.go).
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(a.watchers)+4)
	// Each loop runs within a panic boundary: the pieces of work inside
	// have their own (a message, a case, an IMAP cycle are set aside), so
	// a panic reaching this one is a defect of the loop itself: it is
	// logged with its stack and stops the daemon cleanly, with an error
	// (systemd restarts it), instead of killing the process unrecorded.
	start := func(what string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := guard.Call(a.log, what, f); err != nil {
				errs <- fmt.Errorf("%s: %w", what, err)
				cancel()
			}
		}()
	}
	if addr := a.cfg.Metrics.Listen; addr != "" {
		start("metrics server", func() error { return a.serveMetrics(ctx, addr) })
	}
	if a.web != nil {
		start("web server", func() error { return a.serveWeb(ctx, a.cfg.Web.Listen) })
	}
	for _, w := range a.watchers {
		start("mailbox watcher", func() error { return w.Run(ctx) })
		w.Trigger() // first cycle at start, not at the first tick
	}
	start("gateway", func() error { return a.gateway.Run(ctx, a.poll) })
	start("password watch", func() error { a.watchPassword(ctx); return nil })
	start("retention", func() error { a.pruneRawMessages(ctx); return nil })
	a.log.Info("facteur running", "mailboxes", len(a.watchers), "data_dir", a.cfg.Instance.DataDir)
	// Every loop is started: READY=1 (under systemd), then the status and
	// the watchdog's pings while they make progress, STOPPING=1 at the end.
	start("systemd notifications", func() error { a.superviseSystemd(ctx, a.systemd); return nil })
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return nil
}

// Close releases the watchers and the store.
func (a *App) Close() error {
	for _, w := range a.watchers {
		w.Close()
	}
	return a.store.Close()
}

// PasswordWarning returns, in English for the operator, a warning when the
// Chorus Pro technical password expires within 30 days or has expired
// (it must be changed every 424 days), or "".
func PasswordWarning(cfg *config.Config, now time.Time) string {
	setOn, ok := cfg.Chorus.PasswordSetOnDate()
	if !ok {
		return ""
	}
	warn, expiry := chorus.PasswordNeedsWarning(setOn, now)
	if !warn {
		return ""
	}
	days := int(expiry.Sub(now).Hours() / 24)
	if days < 0 {
		return fmt.Sprintf("the Chorus Pro technical password expired on %s: deposits will fail until it is changed and chorus.password_set_on updated", expiry.Format("2006-01-02"))
	}
	return fmt.Sprintf("the Chorus Pro technical password expires on %s (in %d days): have the structure's main manager change it, then update chorus.password_set_on", expiry.Format("2006-01-02"), days)
}

// watchPassword warns once a day while the technical password is close to
// its expiry.
func (a *App) watchPassword(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if w := PasswordWarning(a.cfg, time.Now()); w != "" {
			a.log.Warn("chorus technical password", "warning", w)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
