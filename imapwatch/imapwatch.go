// Package imapwatch watches one IMAP mailbox for Facteur.
//
// A Watcher keeps one IMAP session per mailbox. Each cycle selects the
// watched folder, checks UIDVALIDITY against the checkpoint kept by the
// store, fetches the messages whose UID is above the checkpoint (in bounded
// batches, one body at a time) and hands their raw bytes to Store.Ingest.
// The checkpoint advances only after a message is durably ingested. Then the
// cycle files the messages the store reports as settled: each one is moved
// to the folder of its disposition.
//
// The package decides nothing about invoices: it only moves bytes into the
// store and messages between folders when the store says so.
//
// Cycles run on a cron schedule (robfig/cron/v3 syntax, descriptors such as
// "@every 1m" allowed) or on demand (Trigger), never two at once.
package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"facteur/store"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultFolder         = "INBOX"
	DefaultSchedule       = "@every 1m"
	DefaultMaxMessageSize = 40 << 20
	DefaultDialTimeout    = 30 * time.Second
)

// batchSize bounds the number of UIDs named in one FETCH or SEARCH command.
const batchSize = 200

// ErrClosed is returned by Cycle after Close.
var ErrClosed = errors.New("imapwatch: watcher closed")

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

	Folder string // watched folder, default "INBOX"
	// Folders maps each disposition to its destination folder, with "/" as
	// the hierarchy separator (translated to the server's own). Missing
	// folders are created. A disposition without a folder is not filed.
	Folders map[store.Disposition]string

	Schedule       string // robfig/cron spec, default "@every 1m"
	MaxMessageSize int64  // bytes; bigger messages are not downloaded (see oversizeStub); default 40 MiB
	// DialTimeout bounds connecting, the TLS handshake and authentication;
	// default 30 s. (Each later command has the client's own timeouts:
	// 30 s for a response, 5 min for a literal.)
	DialTimeout time.Duration

	Logger   *slog.Logger
	OnIngest func() // called after a cycle that ingested ≥1 new message; may be nil
}

// CycleStats counts what one cycle did.
type CycleStats struct {
	Fetched  int // messages handed to Store.Ingest (stubs of oversized messages included)
	Ingested int // of which new to the store
	Filed    int // filings marked done
}

// Watcher watches one mailbox. Its methods are safe for concurrent use.
type Watcher struct {
	opts     Options
	st       Store
	log      *slog.Logger
	schedule cron.Schedule

	sem     chan struct{} // held by the running cycle
	trigger chan struct{} // buffered(1): a cycle was requested

	mu     sync.Mutex
	sess   *session // nil when not connected
	closed bool
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
	return &Watcher{
		opts:     opts,
		st:       st,
		log:      logger.With("mailbox", opts.Name),
		schedule: sched,
		sem:      make(chan struct{}, 1),
		trigger:  make(chan struct{}, 1),
	}, nil
}

// Cycle runs one cycle: connect if needed, select the folder, ingest new
// messages, then file settled ones. It waits for a running cycle to end
// first. On error the connection is dropped, so that the next cycle
// reconnects. OnIngest is called when at least one message was new, even
// if the cycle failed afterwards.
func (w *Watcher) Cycle(ctx context.Context) (CycleStats, error) {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return CycleStats{}, ctx.Err()
	}
	stats, err := w.cycleLocked(ctx)
	<-w.sem
	if stats.Ingested > 0 && w.opts.OnIngest != nil {
		w.opts.OnIngest()
	}
	return stats, err
}

func (w *Watcher) cycleLocked(ctx context.Context) (CycleStats, error) {
	w.mu.Lock()
	closed, s := w.closed, w.sess
	w.mu.Unlock()
	if closed {
		return CycleStats{}, ErrClosed
	}
	if s != nil && !s.alive(ctx) {
		w.log.Info("imap connection lost, reconnecting")
		s.close()
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

	// The client has no context support: closing the connection is what
	// interrupts a command when ctx is done.
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	stats, err := w.cycle(ctx, s)
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

// Run runs a first cycle at once, then one at each time of the schedule and
// one after each Trigger, until ctx is done. Cycle errors are logged, not
// returned. Run returns nil once ctx is done and the running cycle (which
// ctx interrupts) has ended. Call Close afterwards to log out.
func (w *Watcher) Run(ctx context.Context) error {
	w.log.Info("imap watcher started", "addr", w.opts.Addr, "folder", w.opts.Folder, "schedule", w.opts.Schedule)
	w.runCycle(ctx)
	for {
		next := w.schedule.Next(time.Now())
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			w.log.Info("imap watcher stopped")
			return nil
		case <-timer.C:
		case <-w.trigger:
			timer.Stop()
		}
		w.runCycle(ctx)
	}
}

func (w *Watcher) runCycle(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	start := time.Now()
	stats, err := w.Cycle(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		w.log.Debug("imap cycle interrupted by shutdown", "err", err)
	case err != nil:
		w.log.Error("imap cycle failed", "err", err,
			"fetched", stats.Fetched, "ingested", stats.Ingested, "filed", stats.Filed)
	case stats != CycleStats{}:
		w.log.Info("imap cycle done", "fetched", stats.Fetched, "ingested", stats.Ingested,
			"filed", stats.Filed, "duration", time.Since(start).Round(time.Millisecond))
	default:
		w.log.Debug("imap cycle done, nothing to do", "duration", time.Since(start).Round(time.Millisecond))
	}
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
