package app_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/app"
	"facteur/chorus/sandbox"
	"facteur/config"
	"facteur/demo"
	"facteur/store"
)

// The systemd tests run the daemon's code (App.Run) against the demo's
// peers with $NOTIFY_SOCKET naming a datagram socket of the test, as
// systemd's is, and a watchdog of one second: checks every half second,
// a loop stuck after one second without progress.
const (
	testWatchdog   = time.Second
	testStuckAfter = time.Second
)

// notifySocket receives what the daemon tells systemd.
type notifySocket struct {
	msgs chan string
}

// listenNotify opens the notification socket and points $NOTIFY_SOCKET,
// $WATCHDOG_USEC and $WATCHDOG_PID at it and this process.
func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt(testWatchdog.Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	s := &notifySocket{msgs: make(chan string, 10000)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

// waitFor returns the first message for which ok holds, failing the test
// when none comes within a generous delay.
func (s *notifySocket) waitFor(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	var others []string // the latest notifications that did not match
	for {
		select {
		case m := <-s.msgs:
			if ok(m) {
				return m
			}
			if !isWatchdog(m) {
				others = append(others[max(0, len(others)-4):], m)
			}
		case <-timeout:
			t.Fatalf("no notification %s; the latest others: %q", what, others)
		}
	}
}

// silent checks that no WATCHDOG=1 comes for d (systemd, with this
// watchdog, would have killed the daemon), and returns the statuses sent
// meanwhile.
func (s *notifySocket) silent(t *testing.T, d time.Duration) []string {
	t.Helper()
	var statuses []string
	end := time.After(d)
	for {
		select {
		case m := <-s.msgs:
			if isWatchdog(m) {
				t.Fatalf("WATCHDOG=1 sent while a loop is stuck (statuses meanwhile: %q)", statuses)
			}
			statuses = append(statuses, m)
		case <-end:
			return statuses
		}
	}
}

func isWatchdog(m string) bool { return m == "WATCHDOG=1\n" }

func hasStatus(parts ...string) func(string) bool {
	return func(m string) bool {
		if !strings.Contains(m, "STATUS=") {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(m, p) {
				return false
			}
		}
		return true
	}
}

// running is an App in its Run.
type running struct {
	*app.App
	cancel context.CancelFunc
	done   chan error
}

func runApp(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	a, err := app.New(context.Background(), cfg, app.Options{Logger: testLogger(t), GatewayPoll: 100 * time.Millisecond,
		Systemd: app.SystemdOptions{StuckAfter: testStuckAfter, StatusEvery: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{App: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		r.stop(t)
		a.Close()
	})
	return r
}

// stop ends Run (once) and checks it returned cleanly.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

// The whole protocol on a healthy daemon: READY=1 once running, status
// lines an operator can read, watchdog pings, STOPPING=1 at the end.
func TestSystemdNotifications(t *testing.T) {
	sock := listenNotify(t)
	env, sams := startEnv(t)
	r := runApp(t, env.Config)

	ready := sock.waitFor(t, "READY=1", func(m string) bool { return strings.HasPrefix(m, "READY=1\n") })
	for _, want := range []string{"STATUS=", "/1 mailboxes connected", "cases waiting: 0 in progress", "no deposit since the start"} {
		if !strings.Contains(ready, want) {
			t.Errorf("READY notification %q lacks %q", ready, want)
		}
	}
	for i := 0; i < 3; i++ {
		sock.waitFor(t, "WATCHDOG=1 while healthy", isWatchdog)
	}
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := demo.WaitSettled(context.Background(), r.Store(), env, len(sams)); err != nil {
		t.Fatal(err)
	}
	// One sample waits for its supplier's engagement number.
	status := sock.waitFor(t, "STATUS with the deposits", hasStatus("1/1 mailboxes connected",
		"cases waiting: 0 in progress, 0 held for finance staff, 1 awaiting the supplier", "last deposit at "))
	if strings.Count(status, "\n") != 1 {
		t.Errorf("status %q: want one line", status)
	}
	sock.waitFor(t, "WATCHDOG=1 after the work", isWatchdog)

	r.stop(t)
	sock.waitFor(t, "STOPPING=1", func(m string) bool { return strings.HasPrefix(m, "STOPPING=1\n") })
}

// A watchdog set for another process ($WATCHDOG_PID) is not pinged; the
// status is kept all the same.
func TestSystemdWatchdogOfAnotherProcess(t *testing.T) {
	sock := listenNotify(t)
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getppid()))
	env, _ := startEnv(t)
	runApp(t, env.Config)
	sock.waitFor(t, "READY=1", func(m string) bool { return strings.HasPrefix(m, "READY=1\n") })
	for i := 0; i < 5; i++ {
		if m := sock.waitFor(t, "STATUS", func(m string) bool { return isWatchdog(m) || strings.HasPrefix(m, "STATUS=") }); isWatchdog(m) {
			t.Fatal("WATCHDOG=1 sent for another process's watchdog")
		}
	}
}

// A gateway pass that does not end (Chorus Pro keeps the deposit's
// connection open without answering, and the client's timeout is long)
// stops the pings; STOPPING=1 is still sent when the daemon is stopped.
func TestSystemdWatchdogGatewayStuck(t *testing.T) {
	sock := listenNotify(t)
	env, sams := startEnv(t)
	cfg := *env.Config
	cfg.Chorus.Timeout.Duration = 10 * time.Minute
	if err := env.Sandbox.Inject(sandbox.Fault{Path: "/cpro/factures/v1/deposer/flux", Kind: sandbox.FaultHang,
		Delay: 10 * time.Minute, Count: 1}); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, &cfg)
	sock.waitFor(t, "WATCHDOG=1 while healthy", isWatchdog)

	if err := env.Deliver(sams[0].Mail.Bytes()); err != nil { // a complete Factur-X invoice: deposited
		t.Fatal(err)
	}
	sock.waitFor(t, "STATUS saying the gateway is stuck", hasStatus("NOT PROGRESSING: gateway pass running since"))
	sock.silent(t, 3*testWatchdog)

	r.stop(t)
	sock.waitFor(t, "STOPPING=1", func(m string) bool { return strings.HasPrefix(m, "STOPPING=1\n") })
	// The deposit interrupted is left for a search on Chorus Pro.
	cases, err := r.Store().Cases(context.Background(), store.CaseFilter{States: []store.CaseState{store.CaseDepositing}})
	if err != nil || len(cases) != 1 {
		t.Errorf("cases depositing after the stop: %v, %v", cases, err)
	}
}

// A store that no longer answers stops the pings: a long write
// transaction holds SQLite's write lock, the writers that queue behind it
// take every connection of the pool, and the store's Ping waits in vain.
// Once the transaction ends, the pings resume.
func TestSystemdWatchdogStoreStuck(t *testing.T) {
	sock := listenNotify(t)
	env, _ := startEnv(t)
	r := runApp(t, env.Config)
	sock.waitFor(t, "WATCHDOG=1 while healthy", isWatchdog)

	release := make(chan struct{})
	var wg sync.WaitGroup
	ctx := context.Background()
	held := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.Store().Update(ctx, func(*store.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Store().Update(ctx, func(*store.Tx) error { return nil }) // waits for the lock, holding a connection
		}()
	}
	sock.waitFor(t, "STATUS saying the database does not answer", hasStatus("NOT PROGRESSING:", "database: no answer within"))
	sock.silent(t, 2*testWatchdog)

	close(release)
	wg.Wait()
	sock.waitFor(t, "WATCHDOG=1 once the transaction ended", isWatchdog)
}

// An IMAP cycle that does not end (the server stops answering, its
// connections open) stops the pings.
func TestSystemdWatchdogIMAPStuck(t *testing.T) {
	sock := listenNotify(t)
	env, _ := startEnv(t)
	cfg := *env.Config
	mb := cfg.Mailboxes[0]
	p := startFreezingProxy(t, net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port)))
	host, port, _ := net.SplitHostPort(p.ln.Addr().String())
	mb.Host, mb.Port = host, atoi(t, port)
	cfg.Mailboxes = []config.Mailbox{mb}
	r := runApp(t, &cfg)
	sock.waitFor(t, "STATUS with the mailbox connected", hasStatus("1/1 mailboxes connected"))
	sock.waitFor(t, "WATCHDOG=1 while healthy", isWatchdog)

	// The connection in IDLE is cut; the new one gets no greeting.
	p.freeze()
	sock.waitFor(t, "STATUS saying the IMAP cycle is stuck", hasStatus("NOT PROGRESSING: mailbox comptabilite: IMAP cycle without progress since"))
	sock.silent(t, 2*testWatchdog)
	r.stop(t)
	sock.waitFor(t, "STOPPING=1", func(m string) bool { return strings.HasPrefix(m, "STOPPING=1\n") })
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// freezingProxy forwards TCP connections to an IMAP server until frozen;
// then it cuts them, and accepts new ones without a word.
type freezingProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	frozen   bool
	conns    []net.Conn
}

func startFreezingProxy(t *testing.T, upstream string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln, upstream: upstream}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *freezingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		frozen := p.frozen
		p.mu.Unlock()
		if frozen {
			continue // held open, never answered
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *freezingProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
