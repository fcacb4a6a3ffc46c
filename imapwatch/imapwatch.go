// Package imapwatch watches one IMAP mailbox for Facteur.
//
// A Watcher keeps one IMAP session per mailbox. Each cycle selects the
// watched folder, checks UIDVALIDITY against the checkpoint kept by the
// store, finds the messages whose UID is above the checkpoint (UID SEARCH),
// fetches the cheap part of them first (UID, RFC822.SIZE, INTERNALDATE,
// ENVELOPE, BODYSTRUCTURE, in batches of 200 UIDs), then the bodies with
// one BODY.PEEK[] per group of consecutive messages (at most 32 and 8 MiB
// announced; the next group's FETCH sent one ahead), and hands each group
// to Store.IngestBatch (one commit), in a second goroutine while the next
// group is read. A message over MaxMessageSize is not downloaded: its
// envelope is ingested, recorded as not downloaded (size, limit, the
// attachments BODYSTRUCTURE announces) in the row, never in the bytes. The
// checkpoint never passes a
// message that is not durably ingested; it is saved at the end of each
// batch and when a cycle stops early. Then the cycle files the messages the
// store reports as settled: each one is moved to the folder of its
// disposition.
//
// The package decides nothing about invoices: it only moves bytes into the
// store and messages between folders when the store says so.
//
// Run keeps the session open. When the server has IDLE, Run waits in IDLE
// between cycles and starts a cycle as soon as the server announces new
// mail. IDLE is interrupted at least every LivenessInterval (default 30 s)
// to check that the connection still answers (DONE, then NOOP, each within
// LivenessTimeout), so that a dead connection is noticed within a minute,
// and never lasts longer than IdleRestart (default 25 min, below the
// 29 minutes after which servers may drop an idle client). Cycles also run
// on a cron schedule (robfig/cron/v3 syntax, descriptors such as
// "@every 1m" allowed), the safety net and the only trigger on servers
// without IDLE, and on demand (Trigger). Never two cycles at once.
//
// A failed cycle drops the connection; Run reconnects after a jittered
// exponential backoff between ReconnectMin and ReconnectMax. Each outage is
// logged once when it starts (warning; error for an authentication
// failure), once more at error level when the backoff reaches its cap, and
// once when the mailbox is reachable again.
//
// # Acknowledgement
//
// A message counts as received once Store.IngestBatch has returned for its
// group: only then does the checkpoint move past its UID, and only a
// settled message (its outcome committed by the store) is ever moved out of
// the watched folder.
// Nothing is flagged or deleted otherwise.
//
// # Authentication
//
// Auth "password" uses SASL PLAIN when offered, else LOGIN. Auth "xoauth2"
// gets a token with the OAuth2 client-credentials grant (Microsoft 365
// app-only access), caches it, renews it before it expires, and replaces
// the session before its token expires (Exchange Online ends sessions whose
// token expired).
package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"facteur/guard"
	"facteur/store"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultFolder         = "INBOX"
	DefaultSchedule       = "@every 1m"
	DefaultMaxMessageSize = 40 << 20
	DefaultDialTimeout    = 30 * time.Second

	DefaultIdleRestart      = 25 * time.Minute
	DefaultLivenessInterval = 30 * time.Second
	DefaultLivenessTimeout  = 20 * time.Second
	DefaultReconnectMin     = time.Second
	DefaultReconnectMax     = 5 * time.Minute
)

// Authentication methods (Options.Auth).
const (
	AuthPassword = "password"
	AuthXOAUTH2  = "xoauth2"
)

// maxStructureRetries bounds the reconnections of one cycle after
// BODYSTRUCTURE responses the client could not read.
const maxStructureRetries = 5

// batchSize bounds the number of UIDs named in one FETCH or SEARCH command.
const batchSize = 200

// ErrClosed is returned by Cycle after Close.
var ErrClosed = errors.New("imapwatch: watcher closed")

// ErrAuth marks errors of authentication (wrong password, rejected or
// unobtainable OAuth2 token): retrying will not help until someone acts.
var ErrAuth = errors.New("authentication failed")

// Store is the part of the store a Watcher uses. *store.Store satisfies it.
type Store interface {
	// Checkpoint returns the UIDVALIDITY and the highest UID below which
	// every message of the mailbox has been ingested; 0, 0 when unknown.
	Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	SaveCheckpoint(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
	// Ingest stores a raw message durably. It is idempotent on
	// (mailbox, UIDVALIDITY, UID) and on the content hash: created is false
	// when the message was already known.
	Ingest(ctx context.Context, in store.Incoming) (id int64, created bool, err error)
	// IngestBatch stores several raw messages durably, with the outcome of
	// Ingest on each in order, in one commit: when it returns nil, all are
	// durable; when it fails, none of the new ones is. The result has one
	// entry per message of ins.
	IngestBatch(ctx context.Context, ins []store.Incoming) ([]store.Ingested, error)
	// ToFile lists the settled messages of the mailbox not yet filed.
	ToFile(ctx context.Context, mailbox string) ([]store.Filing, error)
	MarkFiled(ctx context.Context, messageID int64) error
}

// Options configures a Watcher.
type Options struct {
	Name     string // mailbox name, the store key; required
	Addr     string // host:port; required
	Security string // "tls" (default) | "starttls" | "plain" (refused unless the host is loopback)

	Username, Password string
	CAFile             string // PEM roots added to the system roots; optional
	// TLSInsecureSkipVerify disables certificate verification. For tests
	// against throwaway servers only: a warning is logged at every
	// connection. Prefer CAFile.
	TLSInsecureSkipVerify bool

	Auth   string // AuthPassword (default) or AuthXOAUTH2
	OAuth2 OAuth2 // with AuthXOAUTH2: TokenURL, ClientID and ClientSecret required

	Folder string // watched folder, default "INBOX"
	// Folders maps each disposition to its destination folder, with "/" as
	// the hierarchy separator (translated to the server's own). Missing
	// folders are created. A disposition without a folder is not filed.
	Folders map[store.Disposition]string

	Schedule       string // robfig/cron spec, default "@every 1m"
	MaxMessageSize int64  // bytes; bigger messages are not downloaded (see notDownloaded); default 40 MiB
	// DialTimeout bounds connecting, the TLS handshake and authentication;
	// default 30 s. (Each later command has the client's own timeouts:
	// 30 s for a response, 5 min for a literal.)
	DialTimeout time.Duration

	// DisableIdle makes Run poll on Schedule only, even when the server
	// has IDLE.
	DisableIdle bool
	// IdleRestart is the longest an IDLE command lasts; default 25 min.
	IdleRestart time.Duration
	// LivenessInterval is how often an idle connection is checked;
	// default 30 s. LivenessTimeout bounds each answer of that check
	// (and the server's acknowledgement of IDLE); default 20 s.
	LivenessInterval, LivenessTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the backoff between failed
	// cycles; defaults 1 s and 5 min.
	ReconnectMin, ReconnectMax time.Duration

	Logger   *slog.Logger
	OnIngest func() // called after a cycle that ingested ≥1 new message; may be nil
}

// CycleStats counts what one cycle did.
type CycleStats struct {
	Fetched  int // messages handed to Store.IngestBatch (envelopes of messages not downloaded included)
	Ingested int // of which new to the store
	Filed    int // filings marked done
}

// Watcher watches one mailbox. Its methods are safe for concurrent use.
type Watcher struct {
	opts     Options
	st       Store
	log      *slog.Logger
	schedule cron.Schedule

	tokens *tokenSource // with AuthXOAUTH2
	// onNews, when set (benchmarks), is called by the client's reader when
	// the server announces EXISTS; it must not block.
	onNews func(time.Time)
	// groupMax, when > 0 (tests), replaces groupMessages.
	groupMax int

	sem     chan struct{} // held by the running cycle, or by IDLE
	trigger chan struct{} // buffered(1): a cycle was requested

	mu          sync.Mutex
	sess        *session // nil when not connected
	closed      bool
	connects    int        // successful connections so far
	noStructure []uidRange // where BODYSTRUCTURE could not be read
	lastOK      time.Time  // end of the last successful cycle
	lastErr     error      // error of the last cycle, nil after a success

	beat heartbeat // what Run is doing, for Heartbeat
}

// heartbeat records what Run is doing: a cycle, busy since it began or since
// its latest answer from the store, or a wait that should end by a time.
type heartbeat struct {
	mu        sync.Mutex
	running   bool
	since     time.Time // in a cycle: its start or its latest store answer
	waitUntil time.Time // waiting: when the wait ends at the latest; zero in a cycle
}

func (h *heartbeat) set(running bool, since, waitUntil time.Time) {
	h.mu.Lock()
	h.running, h.since, h.waitUntil = running, since, waitUntil
	h.mu.Unlock()
}

// progress records that the cycle in progress got an answer from the store.
func (h *heartbeat) progress() {
	h.mu.Lock()
	if h.running && h.waitUntil.IsZero() {
		h.since = time.Now()
	}
	h.mu.Unlock()
}

// waitSlack is what a wait of Run may last beyond its due end before
// Heartbeat stops taking it as normal.
const waitSlack = time.Minute

// Heartbeat reports when Run was last seen making progress. While it waits
// as it should (in IDLE, for the schedule, in the backoff after a failure),
// that is the present; a wait lasting beyond its due end (the next time of
// the schedule, plus the liveness timeouts of ending IDLE, plus a minute)
// counts only until then. In a cycle, it is the cycle's start or its latest
// answer from the store (each group ingested, the checkpoint saved, a
// message filed), so that a long first cycle over a big folder is not taken
// for a stuck one. A cycle blocked (an IMAP server that stopped answering
// with the connection open, a store that does not return) leaves it in the
// past: the systemd watchdog (package app) stops its pings when it is too
// old. Zero when Run is not running.
func (w *Watcher) Heartbeat() time.Time {
	h := &w.beat
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.running:
		return time.Time{}
	case h.waitUntil.IsZero():
		return h.since
	}
	if now := time.Now(); now.Before(h.waitUntil) {
		return now
	}
	return h.waitUntil
}

// progressStore is the store as cycles use it: each answer counts as
// progress of the cycle for Heartbeat.
type progressStore struct {
	Store
	beat *heartbeat
}

func (p progressStore) IngestBatch(ctx context.Context, ins []store.Incoming) ([]store.Ingested, error) {
	defer p.beat.progress()
	return p.Store.IngestBatch(ctx, ins)
}

func (p progressStore) SaveCheckpoint(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	defer p.beat.progress()
	return p.Store.SaveCheckpoint(ctx, mailbox, uidValidity, lastUID)
}

func (p progressStore) MarkFiled(ctx context.Context, messageID int64) error {
	defer p.beat.progress()
	return p.Store.MarkFiled(ctx, messageID)
}

// New checks opts, applies defaults and returns a Watcher. It does no I/O.
func New(opts Options, st Store) (*Watcher, error) {
	if st == nil {
		return nil, errors.New("imapwatch: nil store")
	}
	if opts.Name == "" {
		return nil, errors.New("imapwatch: empty mailbox name")
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("imapwatch: mailbox %s: address %q: want host:port", opts.Name, opts.Addr)
	}
	switch opts.Security {
	case "":
		opts.Security = "tls"
	case "tls", "starttls":
	case "plain":
		if !isLoopbackHost(host) {
			return nil, fmt.Errorf("imapwatch: mailbox %s: security \"plain\" refused for non-loopback host %q", opts.Name, host)
		}
	default:
		return nil, fmt.Errorf("imapwatch: mailbox %s: unknown security %q (want tls, starttls or plain)", opts.Name, opts.Security)
	}
	if opts.Folder == "" {
		opts.Folder = DefaultFolder
	}
	if opts.Schedule == "" {
		opts.Schedule = DefaultSchedule
	}
	sched, err := cron.ParseStandard(opts.Schedule)
	if err != nil {
		return nil, fmt.Errorf("imapwatch: mailbox %s: schedule %q: %w", opts.Name, opts.Schedule, err)
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	setDuration(&opts.IdleRestart, DefaultIdleRestart)
	setDuration(&opts.LivenessInterval, DefaultLivenessInterval)
	setDuration(&opts.LivenessTimeout, DefaultLivenessTimeout)
	setDuration(&opts.ReconnectMin, DefaultReconnectMin)
	setDuration(&opts.ReconnectMax, DefaultReconnectMax)
	opts.ReconnectMax = max(opts.ReconnectMax, opts.ReconnectMin)
	switch opts.Auth {
	case "":
		opts.Auth = AuthPassword
	case AuthPassword:
	case AuthXOAUTH2:
		if err := checkOAuth2(opts.OAuth2); err != nil {
			return nil, fmt.Errorf("imapwatch: mailbox %s: oauth2: %w", opts.Name, err)
		}
	default:
		return nil, fmt.Errorf("imapwatch: mailbox %s: unknown auth %q (want %s or %s)", opts.Name, opts.Auth, AuthPassword, AuthXOAUTH2)
	}
	folders := make(map[store.Disposition]string, len(opts.Folders))
	for d, f := range opts.Folders {
		if f = strings.TrimSpace(f); f != "" {
			folders[d] = f
		}
	}
	opts.Folders = folders
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		opts:     opts,
		log:      logger.With("mailbox", opts.Name),
		schedule: sched,
		sem:      make(chan struct{}, 1),
		trigger:  make(chan struct{}, 1),
	}
	w.st = progressStore{Store: st, beat: &w.beat}
	if opts.Auth == AuthXOAUTH2 {
		w.tokens = newTokenSource(opts.OAuth2, w.log)
	}
	return w, nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// checkOAuth2 checks the settings of the client-credentials grant. The
// token URL must be https, except towards a loopback host.
func checkOAuth2(o OAuth2) error {
	u, err := url.Parse(o.TokenURL)
	switch {
	case o.TokenURL == "":
		return errors.New("token URL required")
	case err != nil:
		return fmt.Errorf("token URL: %w", err)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		return fmt.Errorf("token URL %q: want https (http only towards a loopback host)", o.TokenURL)
	case o.ClientID == "":
		return errors.New("client id required")
	case o.ClientSecret == "":
		return errors.New("client secret required")
	}
	return nil
}

// Cycle runs one cycle: connect if needed, select the folder, ingest new
// messages, then file settled ones. It waits for a running cycle to end
// first. On error the connection is dropped, so that the next cycle
// reconnects. OnIngest is called when at least one message was new, even
// if the cycle failed afterwards.
func (w *Watcher) Cycle(ctx context.Context) (CycleStats, error) {
	select {
	case w.sem <- struct{}{}:
	default:
		// A cycle runs, or Run idles: wake Run so it stops idling. The
		// channel's queue then hands the session to this call first.
		w.Trigger()
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			return CycleStats{}, ctx.Err()
		}
	}
	stats, err := w.cycleLocked(ctx)
	<-w.sem
	if stats.Ingested > 0 && w.opts.OnIngest != nil {
		w.opts.OnIngest()
	}
	return stats, err
}

// cycleLocked runs a cycle (the caller holds w.sem) and records its
// outcome for Status.
func (w *Watcher) cycleLocked(ctx context.Context) (CycleStats, error) {
	stats, err := w.cycleAttempts(ctx)
	w.mu.Lock()
	if err == nil {
		w.lastOK, w.lastErr = time.Now(), nil
	} else if ctx.Err() == nil {
		w.lastErr = err
	}
	w.mu.Unlock()
	return stats, err
}

// Status is how a watcher is doing, for health checks.
type Status struct {
	Mailbox     string
	LastSuccess time.Time // end of the last cycle that succeeded; zero before the first
	LastError   error     // error of the last cycle, nil when it succeeded
}

// Status reports the outcome of the latest cycle.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Status{Mailbox: w.opts.Name, LastSuccess: w.lastOK, LastError: w.lastErr}
}

func (w *Watcher) cycleAttempts(ctx context.Context) (CycleStats, error) {
	var total CycleStats
	for attempt := 0; ; attempt++ {
		stats, err := w.cycleOnce(ctx)
		total.Fetched += stats.Fetched
		total.Ingested += stats.Ingested
		total.Filed += stats.Filed
		var se *structureError
		if !errors.As(err, &se) {
			return total, err
		}
		if attempt == maxStructureRetries {
			return total, fmt.Errorf("imapwatch: mailbox %s: %w", w.opts.Name, err)
		}
		// The connection is gone with the unreadable response: go on from
		// the checkpoint on a new one, without BODYSTRUCTURE for this batch.
		w.log.Warn("BODYSTRUCTURE unreadable: fetching these messages without it",
			"from_uid", uint32(se.from), "to_uid", uint32(se.to), "err", se.err)
		w.mu.Lock()
		w.noStructure = append(w.noStructure, uidRange{uidValidity: se.uidValidity, from: se.from, to: se.to})
		w.mu.Unlock()
	}
}

// cycleOnce runs one cycle on the current session, connecting first if
// needed.
func (w *Watcher) cycleOnce(ctx context.Context) (CycleStats, error) {
	w.mu.Lock()
	closed, s := w.closed, w.sess
	w.mu.Unlock()
	if closed {
		return CycleStats{}, ErrClosed
	}
	if s != nil && !s.renewAt.IsZero() && !time.Now().Before(s.renewAt) {
		w.log.Debug("oauth2 token due for renewal: replacing the session")
		w.dropSession(s)
		s.logout()
		s = nil
	}
	if s != nil && !s.justChecked && !s.alive(ctx) {
		w.log.Info("imap connection lost, reconnecting")
		w.dropSession(s)
		s = nil
	}
	if s == nil {
		var err error
		if s, err = w.connect(ctx); err != nil {
			return CycleStats{}, err
		}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			s.close()
			return CycleStats{}, ErrClosed
		}
		w.sess = s
		w.mu.Unlock()
	}
	s.justChecked = false
	// News announced before this cycle is handled by it.
	select {
	case <-s.updates:
	default:
	}

	// The client has no context support: closing the connection is what
	// interrupts a command when ctx is done.
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	// A panic in the cycle ends it like a failure: the connection is
	// dropped and the next cycle starts afresh (the checkpoint never
	// passed a message not durably ingested).
	var stats CycleStats
	err := guard.Call(w.log, "imap cycle "+w.opts.Name, func() (err error) {
		stats, err = w.cycle(ctx, s)
		return err
	})
	if !stop() || err != nil {
		w.dropSession(s)
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("imapwatch: mailbox %s: cycle interrupted: %w", w.opts.Name, ctx.Err())
		}
	}
	return stats, err
}

// dropSession forgets s (if still current) and closes its connection.
func (w *Watcher) dropSession(s *session) {
	w.mu.Lock()
	if w.sess == s {
		w.sess = nil
	}
	w.mu.Unlock()
	s.close()
}

// Trigger requests a cycle as soon as possible from Run. It never blocks;
// requests made while one is pending are merged.
func (w *Watcher) Trigger() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// Run runs a first cycle at once, then waits (in IDLE when the server
// has it) and runs a cycle when new mail is announced, at each time of the
// schedule and after each Trigger, until ctx is done. Failures are logged
// and retried with backoff, not returned. Run returns nil once ctx is done
// and the running cycle (which ctx interrupts) has ended, or when the
// Watcher is closed. Call Close afterwards to log out.
func (w *Watcher) Run(ctx context.Context) error {
	w.log.Info("imap watcher started", "addr", w.opts.Addr, "folder", w.opts.Folder, "schedule", w.opts.Schedule,
		"idle", !w.opts.DisableIdle)
	defer w.beat.set(false, time.Time{}, time.Time{})
	var out outage
	for ctx.Err() == nil {
		start := time.Now()
		w.beat.set(true, start, time.Time{})
		stats, err := w.Cycle(ctx)
		switch {
		case ctx.Err() != nil:
			w.log.Debug("imap cycle interrupted by shutdown", "err", err)
			continue
		case errors.Is(err, ErrClosed):
			w.log.Info("imap watcher closed")
			return nil
		case err != nil:
			delay := out.failed(w, err, stats)
			w.beat.set(true, time.Time{}, time.Now().Add(delay+waitSlack))
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		out.recovered(w)
		switch {
		case stats != CycleStats{}:
			w.log.Info("imap cycle done", "fetched", stats.Fetched, "ingested", stats.Ingested,
				"filed", stats.Filed, "duration", time.Since(start).Round(time.Millisecond))
		default:
			w.log.Debug("imap cycle done, nothing to do", "duration", time.Since(start).Round(time.Millisecond))
		}
		// IDLE, or the timer, ends at the schedule's next time at the
		// latest; ending IDLE takes at most two LivenessTimeouts (the
		// acknowledgement of the last IDLE, then that of DONE).
		due := w.schedule.Next(time.Now()).Add(2*w.opts.LivenessTimeout + waitSlack)
		w.beat.set(true, time.Time{}, due)
		if err := w.wait(ctx); err != nil && ctx.Err() == nil {
			// The next cycle reconnects at once; the backoff applies only
			// if that fails too.
			w.log.Warn("imap connection lost, reconnecting", "err", err)
			out.lost()
		}
	}
	w.log.Info("imap watcher stopped")
	return nil
}

// outage tracks consecutive failures for backoff and logging.
type outage struct {
	failures int
	since    time.Time
	capped   bool // the error line for "still failing" was written
	lostConn bool // the outage began with a connection lost (already logged)
}

// failed records a failed cycle, logs it when it is news, and returns the
// delay before the next attempt: exponential from ReconnectMin, capped at
// ReconnectMax, jittered down by up to a half.
func (o *outage) failed(w *Watcher, err error, stats CycleStats) time.Duration {
	o.failures++
	if o.failures == 1 {
		o.since = time.Now()
	}
	d := w.opts.ReconnectMin
	for i := 1; i < o.failures && d < w.opts.ReconnectMax; i++ {
		d *= 2
	}
	capped := d >= w.opts.ReconnectMax
	d = min(d, w.opts.ReconnectMax)
	d -= rand.N(d/2 + 1)

	attrs := []any{"err", err, "attempt", o.failures, "retry_in", d.Round(time.Millisecond),
		"fetched", stats.Fetched, "ingested", stats.Ingested, "filed", stats.Filed}
	switch {
	case o.failures == 1 && errors.Is(err, ErrAuth):
		w.log.Error("imap cycle failed: authentication refused", attrs...)
	case o.failures == 1 && !o.lostConn:
		w.log.Warn("imap cycle failed", attrs...)
	case capped && !o.capped:
		o.capped = true
		w.log.Error("imap cycle failed: mailbox unreachable, still retrying",
			append(attrs, "down_since", o.since.Format(time.RFC3339))...)
	default:
		w.log.Debug("imap cycle failed again", attrs...)
	}
	return d
}

// lost records a connection lost while waiting (logged by the caller).
func (o *outage) lost() {
	o.lostConn = true
	if o.failures == 0 {
		o.since = time.Now()
	}
}

// recovered records a successful cycle, logging the end of an outage.
func (o *outage) recovered(w *Watcher) {
	if o.failures > 0 {
		w.log.Info("imap mailbox reachable again", "failed_attempts", o.failures,
			"down_for", time.Since(o.since).Round(time.Second))
	}
	*o = outage{}
}

// Close logs out (or, while a cycle runs, cuts the connection). Later
// cycles fail with ErrClosed. Close is idempotent.
func (w *Watcher) Close() error {
	w.mu.Lock()
	w.closed = true
	s := w.sess
	w.sess = nil
	w.mu.Unlock()
	if s == nil {
		return nil
	}
	select {
	case w.sem <- struct{}{}:
		s.logout()
		<-w.sem
	default:
		s.close() // a cycle is running: interrupt it
	}
	return nil
}
