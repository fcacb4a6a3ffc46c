package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"facteur/chorus/sandbox"
	"facteur/gateway"
	"facteur/notifier"
	"facteur/samples"
	"facteur/store"
)

// A reply is sent once across crashes. The tests below stop a sending
// gateway at each point of an SMTP session: a child process (this test
// binary run again, see sendChild) is killed with SIGKILL while a real
// SMTP server on loopback holds the session at that point; then a new
// gateway on the same store recovers, and the replies the servers accepted
// are counted.

// The environment of the child process.
const (
	envSendChild = "FACTEUR_TEST_SEND_CHILD" // the store's directory
	envSendSMTP  = "FACTEUR_TEST_SEND_SMTP"  // host:port of the SMTP server
	// envSendHold, when set, makes the child stop right after the SMTP
	// server accepted the reply, before the gateway records it (the
	// Sender the child gives its gateway blocks there until killed).
	envSendHold = "FACTEUR_TEST_SEND_HOLD"
)

func init() {
	if dir := os.Getenv(envSendChild); dir != "" {
		os.Exit(sendChild(dir, os.Getenv(envSendSMTP), os.Getenv(envSendHold) != ""))
	}
}

// sendChild is the child process: the daemon's gateway over the store in
// dir, sending through the SMTP server at addr, until it is killed.
func sendChild(dir, addr string, hold bool) int {
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	m, err := notifier.NewMailer(notifier.MailerOptions{Addr: addr, Security: "plain", Timeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var sender gateway.Sender = m
	if hold {
		sender = holdAfterSend{m}
	}
	g := gateway.New(gateway.Options{
		Store: st, Mailer: sender, Rules: casqRules(), CasePrefix: "FAC",
		From:         mail.Address{Address: samples.CASQMailbox},
		OwnAddresses: []string{samples.CASQMailbox},
	})
	fmt.Println("running")
	if err := g.Run(ctx, 20*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	return 0
}

// holdAfterSend stops the process between an accepted reply and its
// record: it says "accepted" on stdout and waits to be killed.
type holdAfterSend struct{ m *notifier.Mailer }

func (h holdAfterSend) SendTracked(ctx context.Context, from string, rcpt []string, raw []byte, p notifier.Progress) error {
	if err := h.m.SendTracked(ctx, from, rcpt, raw, p); err != nil {
		return err
	}
	fmt.Println("accepted")
	select {}
}

// stallAt says where the staged SMTP server holds a session.
type stallAt string

const (
	stallNone      stallAt = ""
	stallGreeting  stallAt = "greeting"   // connection accepted, no greeting
	stallMail      stallAt = "mail"       // MAIL FROM received, no answer
	stallRcpt      stallAt = "rcpt"       // RCPT TO received, no answer
	stallBody      stallAt = "body"       // DATA answered 354, first bytes of the body read
	stallDataEnd   stallAt = "data-end"   // the whole body read, no answer
	dropDataEnd    stallAt = "drop"       // the whole body read, the connection closed without answer
	refuseDataEnd  stallAt = "refuse-451" // the whole body read, 451 answered
	acceptThenHold stallAt = "accepted"   // accepted (the child holds itself, see holdAfterSend)
)

// stagedSMTP is a go-smtp server on loopback that holds (or drops, or
// refuses) its sessions at one point, says when one got there, and keeps
// the messages it accepted.
type stagedSMTP struct {
	ln      net.Listener
	srv     *smtp.Server
	at      stallAt
	reached chan struct{} // one value each time a session reaches at
	release chan struct{} // closed at the end: held sessions return
	mu      sync.Mutex
	got     [][]byte
}

func startStaged(t *testing.T, at stallAt) *stagedSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stagedSMTP{ln: ln, at: at, reached: make(chan struct{}, 16), release: make(chan struct{})}
	s.srv = smtp.NewServer(stagedBackend{s})
	s.srv.Domain = "staged.localhost"
	go s.srv.Serve(stagedListener{ln, s})
	t.Cleanup(func() {
		close(s.release)
		s.srv.Close()
	})
	return s
}

func (s *stagedSMTP) Addr() string { return s.ln.Addr().String() }

// hold signals that a session got to p and, when the server holds there,
// blocks until the test ends.
func (s *stagedSMTP) hold(p stallAt) {
	if s.at != p {
		return
	}
	s.reached <- struct{}{}
	<-s.release
}

func (s *stagedSMTP) accepted() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// stagedListener holds a new connection before go-smtp greets it.
type stagedListener struct {
	net.Listener
	s *stagedSMTP
}

func (l stagedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.s.at != stallGreeting {
			return c, err
		}
		go func() {
			l.s.hold(stallGreeting)
			c.Close()
		}()
	}
}

type stagedBackend struct{ s *stagedSMTP }

func (b stagedBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &stagedSession{s: b.s, conn: c.Conn()}, nil
}

type stagedSession struct {
	s    *stagedSMTP
	conn net.Conn
}

func (x *stagedSession) Mail(string, *smtp.MailOptions) error {
	x.s.hold(stallMail)
	return nil
}

func (x *stagedSession) Rcpt(string, *smtp.RcptOptions) error {
	x.s.hold(stallRcpt)
	return nil
}

func (x *stagedSession) Data(r io.Reader) error {
	first := make([]byte, 1)
	if _, err := io.ReadFull(r, first); err != nil {
		return err
	}
	x.s.hold(stallBody)
	rest, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.hold(stallDataEnd)
	switch x.s.at {
	case dropDataEnd:
		// The connection breaks before the answer.
		x.conn.Close()
		x.s.reached <- struct{}{}
		return errors.New("staged: connection dropped")
	case refuseDataEnd:
		x.s.reached <- struct{}{}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.s.mu.Lock()
	x.s.got = append(x.s.got, append(first, rest...))
	x.s.mu.Unlock()
	return nil
}

func (x *stagedSession) Reset()        {}
func (x *stagedSession) Logout() error { return nil }

// queuedReply delivers an invoice without an engagement number, whose reply
// (a request for the number) is refused once with a 451: the case awaits the
// supplier and its reply waits in the queue, one attempt failed.
func queuedReply(t *testing.T, h *harness) store.OutboxItem {
	t.Helper()
	s := samples.DemoSuppliers()[1]
	h.smtp.Reject(s.Email, 451)
	h.deliver(invoiceMail(t, "T-ONCE", samples.CASQBudgetPrincipal, "", "", "Facture T-ONCE", ""))
	h.run()
	h.smtp.Reject(s.Email, 0)
	c := h.onlyCase()
	items, err := h.st.OutboxOfCase(h.ctx, c.ID)
	if err != nil || len(items) != 1 || items[0].State != store.OutboxQueued || items[0].SendAttempts != 1 {
		t.Fatalf("case %s, outbox %+v, %v; want one reply queued after one attempt", c.State, items, err)
	}
	return items[0]
}

// startChild runs the sending gateway in a child process over the
// harness's store and returns it with its standard output's lines.
func startChild(t *testing.T, h *harness, smtpAddr string, hold bool) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envSendChild+"="+h.dir, envSendSMTP+"="+smtpAddr)
	if hold {
		cmd.Env = append(cmd.Env, envSendHold+"=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child's stderr:\n%s", stderr.String())
		}
	})
	return cmd, lines
}

// kill stops the child with SIGKILL, as a power cut or the OOM killer would.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func waitFor(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(time.Minute):
		t.Fatalf("the child never got to %s", what)
	}
}

func waitLine(t *testing.T, want string, lines <-chan string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the child ended before saying %q", want)
			}
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("the child never said %q", want)
		}
	}
}

// messageIDOf returns the Message-ID field of a message.
func messageIDOf(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.Header.Get("Message-Id")
}

func TestReplySentOnceAcrossKills(t *testing.T) {
	for _, tc := range []struct {
		at stallAt
		// unconfirmed: the attempt reached DATA, the reply is marked
		// sent, unconfirmed, never sent again; else it is sent again.
		unconfirmed bool
		// staged is how many replies the killed child's server accepted.
		staged int
	}{
		{at: stallGreeting},
		{at: stallMail},
		{at: stallRcpt},
		{at: stallBody, unconfirmed: true},
		{at: stallDataEnd, unconfirmed: true},
		{at: acceptThenHold, unconfirmed: true, staged: 1},
	} {
		t.Run(string(tc.at), func(t *testing.T) {
			h := newHarness(t, sandbox.Options{})
			want := queuedReply(t, h)
			staged := startStaged(t, tc.at)
			cmd, lines := startChild(t, h, staged.Addr(), tc.at == acceptThenHold)
			waitLine(t, "running", lines)
			if tc.at == acceptThenHold {
				waitLine(t, "accepted", lines)
			} else {
				waitFor(t, string(tc.at), staged.reached)
			}
			kill(t, cmd)

			it := outboxItem(t, h, want.ID)
			if it.State != store.OutboxSending || it.SendAttempts != 2 {
				t.Fatalf("after the kill: reply %s after %d attempts; want sending, the 2nd attempt", it.State, it.SendAttempts)
			}
			if got := it.AttemptPhase == store.SendPhaseData; got != tc.unconfirmed {
				t.Fatalf("phase recorded %q; reached DATA: %v", it.AttemptPhase, tc.unconfirmed)
			}

			h.restart() // a new process on the same store: Recover
			h.run()
			it = outboxItem(t, h, want.ID)
			resent := h.smtp.Messages()
			total := len(staged.accepted()) + len(resent)
			if len(staged.accepted()) != tc.staged {
				t.Fatalf("the staged server accepted %d replies, want %d", len(staged.accepted()), tc.staged)
			}
			if tc.unconfirmed {
				if it.State != store.OutboxUnconfirmed || len(resent) != 0 {
					t.Fatalf("reply %s, sent again %d times; want sent, unconfirmed, never sent again", it.State, len(resent))
				}
				checkUnconfirmedShown(t, h, it)
				return
			}
			if it.State != store.OutboxSent || total != 1 || it.SendAttempts != 3 {
				t.Fatalf("reply %s after %d attempts, accepted %d times in all; want sent once", it.State, it.SendAttempts, total)
			}
			if got, orig := messageIDOf(t, resent[0].Data), messageIDOf(t, want.Raw); got != orig || got == "" {
				t.Errorf("sent again as %q, want the same Message-ID %q", got, orig)
			}
		})
	}
}

// TestReplyUnansweredAfterDATAIsNotSentAgain: without a crash, an SMTP
// server that took the whole message and never answered (the connection
// broke) may have accepted it: sent, unconfirmed. One that answered 451 to
// the end of the message did not: the reply is tried again, once.
func TestReplyUnansweredAfterDATAIsNotSentAgain(t *testing.T) {
	t.Run("dropped", func(t *testing.T) {
		h := newHarness(t, sandbox.Options{})
		want := queuedReply(t, h)
		staged := startStaged(t, dropDataEnd)
		h.tune(func(o *gateway.Options) { o.Mailer = mailerTo(t, staged.Addr()) })
		h.restart()
		forceDue(t, h)
		h.run()
		waitFor(t, "the end of DATA", staged.reached)
		it := outboxItem(t, h, want.ID)
		if it.State != store.OutboxUnconfirmed || !strings.Contains(it.LastError, "sans réponse du serveur") {
			t.Fatalf("reply %s %q; want sent, unconfirmed", it.State, it.LastError)
		}
		forceDue(t, h)
		h.run()
		if n := len(h.smtp.Messages()) + len(staged.accepted()); n != 0 {
			t.Fatalf("sent again %d times", n)
		}
		checkUnconfirmedShown(t, h, it)
	})
	t.Run("refused with 451", func(t *testing.T) {
		h := newHarness(t, sandbox.Options{})
		want := queuedReply(t, h)
		staged := startStaged(t, refuseDataEnd)
		h.tune(func(o *gateway.Options) { o.Mailer = mailerTo(t, staged.Addr()) })
		h.restart()
		forceDue(t, h)
		h.run()
		it := outboxItem(t, h, want.ID)
		if it.State != store.OutboxQueued || it.Attempts != 2 {
			t.Fatalf("reply %s, %d failed attempts; want queued again", it.State, it.Attempts)
		}
		h.tuning = nil
		h.restart()
		forceDue(t, h)
		h.run()
		if it := outboxItem(t, h, want.ID); it.State != store.OutboxSent || len(h.smtp.Messages()) != 1 {
			t.Fatalf("reply %s, %d accepted; want sent once", it.State, len(h.smtp.Messages()))
		}
	})
}

// checkUnconfirmedShown checks that the case's history says, in French, that
// the reply went without confirmation, and that the metric's count has it.
func checkUnconfirmedShown(t *testing.T, h *harness, it store.OutboxItem) {
	t.Helper()
	l, err := h.st.Ledger(h.ctx, store.EntityCase, it.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	var noted bool
	for _, e := range l {
		noted = noted || strings.Contains(e.Note, "envoyée sans confirmation du serveur de messagerie")
	}
	if !noted {
		t.Errorf("the case's history does not say the reply went unconfirmed: %+v", l)
	}
	if n, err := h.st.UnconfirmedSends(h.ctx); err != nil || n != 1 {
		t.Errorf("unconfirmed sends counted %d, %v; want 1", n, err)
	}
}

func outboxItem(t *testing.T, h *harness, id int64) store.OutboxItem {
	t.Helper()
	items, err := h.st.OutboxOfCase(h.ctx, h.onlyCase().ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("outbox item %d not found in %+v", id, items)
	return store.OutboxItem{}
}

func mailerTo(t *testing.T, addr string) *notifier.Mailer {
	t.Helper()
	m, err := notifier.NewMailer(notifier.MailerOptions{Addr: addr, Security: "plain", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
