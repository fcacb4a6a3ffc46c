package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"facteur/sdnotify"
	"facteur/store"
)

// SystemdOptions tune what Run tells systemd (unit Type=notify, see
// dist/facteur.service).
type SystemdOptions struct {
	// Notifier receives the notifications; nil: the socket named by
	// $NOTIFY_SOCKET, and nothing is sent when that is unset.
	Notifier *sdnotify.Notifier
	// StuckAfter is how long the gateway's pass in progress, or a mailbox's
	// IMAP cycle, may go without progress before it is taken as stuck and
	// the watchdog pings stop; default DefaultStuckAfter.
	StuckAfter time.Duration
	// StatusEvery is how often the STATUS= line is refreshed; default 1 min.
	StatusEvery time.Duration
}

// DefaultStuckAfter is above the longest pass the gateway may take while
// still making progress: a batch of 50 cases whose Chorus Pro calls each
// run to their 60 s timeout. A pass or a cycle that long has stopped for
// good (a lock, a peer that keeps its connection open without answering):
// systemd then kills the daemon and starts it again, which is safe (a
// deposit interrupted is searched on Chorus Pro before any new attempt, a
// message not acknowledged is fetched again).
const DefaultStuckAfter = time.Hour

// superviseSystemd speaks the systemd protocol for Run until ctx is done:
// READY=1 at once (Run calls it once the store is open, the configuration
// checked and every loop started), a STATUS= line refreshed every
// StatusEvery, WATCHDOG=1 at half the watchdog interval while every loop
// makes progress and the store answers, STOPPING=1 when ctx is done. It
// does nothing when no notification socket is set.
func (a *App) superviseSystemd(ctx context.Context, o SystemdOptions) {
	n := o.Notifier
	if n == nil {
		var err error
		if n, err = sdnotify.FromEnv(); err != nil {
			a.log.Warn("systemd notifications disabled", "err", err)
			return
		}
		if n == nil {
			return
		}
	}
	if o.StuckAfter <= 0 {
		o.StuckAfter = DefaultStuckAfter
	}
	if o.StatusEvery <= 0 {
		o.StatusEvery = time.Minute
	}
	interval, err := sdnotify.WatchdogInterval()
	if err != nil {
		a.log.Warn("systemd watchdog disabled", "err", err)
	}
	s := &systemdState{a: a, n: n, started: time.Now(), stuckAfter: o.StuckAfter, pingTimeout: 10 * time.Second, watchdog: interval > 0}
	check := o.StatusEvery
	if interval > 0 {
		check = interval / 2
		s.pingTimeout = min(s.pingTimeout, interval/4)
	}
	s.count(ctx)
	s.send(n.Ready(s.status()))
	a.log.Info("systemd notified: ready", "socket", n.Socket(), "watchdog", interval, "stuck_after", o.StuckAfter)

	// The cases are counted apart from the checks, so that a database that
	// is slow to answer never delays a check; a change found by a check is
	// told at once, with the latest counts.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.StatusEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.count(ctx)
			s.send(n.Status(s.status()))
		}
	}()
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			const stopping = "stopping: finishing the work in progress"
			s.send(n.Stopping(stopping))
			wg.Wait()
			s.send(n.Status(stopping)) // over a status the counting sent meanwhile
			return
		case <-t.C:
		}
		problems := s.problems(ctx)
		if len(problems) == 0 && interval > 0 {
			s.send(n.Watchdog())
		}
		if s.changed(problems) {
			s.send(n.Status(s.status()))
		}
	}
}

// systemdState is what superviseSystemd keeps between two ticks.
type systemdState struct {
	a                       *App
	n                       *sdnotify.Notifier
	started                 time.Time
	stuckAfter, pingTimeout time.Duration
	watchdog                bool // WATCHDOG_USEC is set for this process

	mu          sync.Mutex
	stuck       []string // the problems found by the latest check
	sendFailed  bool     // a notification could not be sent (logged once)
	cases       string   // what the latest count says of the cases
	deposits    int      // cases deposited or beyond at the latest count
	lastDeposit time.Time
	counted     bool // deposits is known
}

// send logs the first notification that fails, and the next success.
func (s *systemdState) send(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && !s.sendFailed:
		s.sendFailed = true
		s.a.log.Error("systemd notification failed", "socket", s.n.Socket(), "err", err)
	case err == nil && s.sendFailed:
		s.sendFailed = false
		s.a.log.Info("systemd notifications sent again", "socket", s.n.Socket())
	}
}

// problems lists what keeps the daemon from making progress: a loop stuck
// (its heartbeat older than stuckAfter), a store that does not answer
// within pingTimeout.
func (s *systemdState) problems(ctx context.Context) []string {
	var out []string
	now := time.Now()
	stuck := func(what string, beat time.Time) {
		if beat.IsZero() {
			// Not running: not started yet, or ended (Run is stopping).
			beat = s.started
		}
		if now.Sub(beat) > s.stuckAfter {
			out = append(out, what+" since "+beat.Format(time.DateTime))
		}
	}
	stuck("gateway pass running", s.a.gateway.Heartbeat())
	for _, w := range s.a.watchers {
		stuck("mailbox "+w.Status().Mailbox+": IMAP cycle without progress", w.Heartbeat())
	}
	pctx, cancel := context.WithTimeout(ctx, s.pingTimeout)
	err := s.a.store.Ping(pctx)
	cancel()
	if err != nil && ctx.Err() == nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", s.pingTimeout)
		}
		out = append(out, "database: "+err.Error())
	}
	return out
}

// changed records the problems of a check, logs what changed and reports
// whether anything did.
func (s *systemdState) changed(problems []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Join(problems, "\n") == strings.Join(s.stuck, "\n") {
		return false
	}
	switch {
	case len(problems) > 0 && s.watchdog:
		s.a.log.Error("no progress: systemd watchdog pings stopped (systemd restarts the daemon after WatchdogSec)",
			"problems", strings.Join(problems, "; "))
	case len(problems) > 0:
		s.a.log.Error("no progress (no systemd watchdog to restart the daemon: WatchdogSec= is not set)",
			"problems", strings.Join(problems, "; "))
	case s.watchdog:
		s.a.log.Info("progress again: systemd watchdog pings resumed", "after", strings.Join(s.stuck, "; "))
	default:
		s.a.log.Info("progress again", "after", strings.Join(s.stuck, "; "))
	}
	s.stuck = problems
	return true
}

// status is the line `systemctl status facteur` shows: first what is
// stuck, then the mailboxes connected, the cases waiting and the last
// deposit (as last counted).
func (s *systemdState) status() string {
	var parts []string
	s.mu.Lock()
	if len(s.stuck) > 0 {
		parts = append(parts, "NOT PROGRESSING: "+strings.Join(s.stuck, ", "))
	}
	cases := s.cases
	s.mu.Unlock()
	connected, down := 0, []string{}
	for _, w := range s.a.watchers {
		st := w.Status()
		if st.LastError == nil && !st.LastSuccess.IsZero() {
			connected++
		} else {
			down = append(down, st.Mailbox)
		}
	}
	mb := fmt.Sprintf("%d/%d mailboxes connected", connected, len(s.a.watchers))
	if len(down) > 0 {
		mb += " (not " + strings.Join(down, ", ") + ")"
	}
	return strings.Join(append(parts, mb, cases), "; ")
}

// count reads the cases waiting from the store, and learns of deposits
// from the number of cases deposited or beyond (deposited, integrated,
// paid, rejected) growing between two counts: that costs no query of its
// own, is precise to StatusEvery, and knows nothing of the deposits made
// before the start.
func (s *systemdState) count(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, s.pingTimeout)
	counts, err := s.a.store.Counts(qctx)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", s.pingTimeout)
		}
		s.cases = "cases unknown (database: " + err.Error() + ")"
		return
	}
	c := counts.Cases
	line := fmt.Sprintf("cases waiting: %d in progress, %d held for finance staff, %d awaiting the supplier",
		c[store.CaseNew]+c[store.CaseRouted]+c[store.CaseDepositing]+c[store.CaseDeposited],
		c[store.CaseHeld], c[store.CaseAwaitingSupplier])
	if n := counts.Outbox[store.OutboxFailed]; n > 0 {
		line += fmt.Sprintf("; %d replies failed", n)
	}
	if n := counts.Outbox[store.OutboxUnconfirmed]; n > 0 {
		line += fmt.Sprintf("; %d replies sent, unconfirmed", n)
	}
	n := c[store.CaseDeposited] + c[store.CaseIntegrated] + c[store.CasePaid] + c[store.CaseRejected]
	if s.counted && n > s.deposits {
		s.lastDeposit = time.Now()
	}
	s.deposits, s.counted = n, true
	if s.lastDeposit.IsZero() {
		line += "; no deposit since the start at " + s.started.Format(time.DateTime)
	} else {
		line += "; last deposit at " + s.lastDeposit.Format(time.DateTime)
	}
	s.cases = line
}
