package notifier

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"facteur/internal/testcert"
)

// delivery is one accepted SMTP transaction, as the test server saw it.
type delivery struct {
	From     string
	Rcpt     []string
	Notify   [][]smtp.DSNNotify
	Data     []byte
	AuthUser string
	TLS      bool
}

// backend is a small recording go-smtp backend.
type backend struct {
	user, pass string // AUTH required when user is set
	loginOnly  bool   // offer LOGIN instead of PLAIN
	rcptErr    map[string]*smtp.SMTPError

	mu  sync.Mutex
	got []delivery
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, conn: c}, nil
}

func (b *backend) deliveries() []delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]delivery(nil), b.got...)
}

type session struct {
	b        *backend
	conn     *smtp.Conn
	authUser string
	cur      delivery
}

func (s *session) AuthMechanisms() []string {
	switch {
	case s.b.user == "":
		return nil
	case s.b.loginOnly:
		return []string{sasl.Login}
	default:
		return []string{sasl.Plain}
	}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.authUser = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.cur = delivery{From: from, AuthUser: s.authUser, TLS: isTLS}
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if e := s.b.rcptErr[to]; e != nil {
		return e
	}
	s.cur.Rcpt = append(s.cur.Rcpt, to)
	var notify []smtp.DSNNotify
	if opts != nil {
		notify = opts.Notify
	}
	s.cur.Notify = append(s.cur.Notify, notify)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = delivery{} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of SASL LOGIN (go-sasl has only the client).
type loginServer struct {
	check func(user, pass string) error
	user  *string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case l.user == nil && response == nil:
		return []byte("Username:"), false, nil
	case l.user == nil:
		u := string(response)
		l.user = &u
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(*l.user, string(response))
	}
}

type serverOpts struct {
	tlsConfig   *tls.Config // offered with STARTTLS
	implicitTLS bool        // the listener speaks TLS from the start
	insecure    bool        // AllowInsecureAuth
	dsn         bool
}

// startServer runs a go-smtp server on 127.0.0.1:0 and returns its address.
func startServer(t *testing.T, be *backend, o serverOpts) string {
	t.Helper()
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.AllowInsecureAuth = o.insecure
	s.EnableDSN = o.dsn
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS {
		ln = tls.NewListener(ln, o.tlsConfig)
	} else {
		s.TLSConfig = o.tlsConfig
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return ln.Addr().String()
}

// selfSigned returns a server TLS configuration for 127.0.0.1, ::1 and
// localhost and the PEM file of its self-signed certificate.
func selfSigned(t *testing.T) (*tls.Config, string) {
	c := testcert.New(t)
	return c.Server, c.CAFile
}

func composedReply(t *testing.T) (Reply, []byte) {
	t.Helper()
	r := sampleReply(KindConfirmation)
	raw, _, err := Compose(r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r, raw
}

func newMailer(t *testing.T, o MailerOptions) *Mailer {
	t.Helper()
	if o.HeloName == "" {
		o.HeloName = "facteur.test"
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	m, err := NewMailer(o)
	if err != nil {
		t.Fatalf("NewMailer: %v", err)
	}
	return m
}

func TestSendPlainWithAuthAndDSN(t *testing.T) {
	be := &backend{user: "facteur", pass: "s3cret"}
	addr := startServer(t, be, serverOpts{insecure: true, dsn: true})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "plain", Username: "facteur", Password: "s3cret"})

	r, raw := composedReply(t)
	if err := m.Send(context.Background(), "", r.Recipients(), raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := be.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.From != "" {
		t.Errorf("MAIL FROM = %q, want the null path", d.From)
	}
	if want := []string{"compta@dupont-fils.example", "finances@casq.fr"}; !reflect.DeepEqual(d.Rcpt, want) {
		t.Errorf("RCPT = %q, want %q", d.Rcpt, want)
	}
	for i, n := range d.Notify {
		if !reflect.DeepEqual(n, []smtp.DSNNotify{smtp.DSNNotifyNever}) {
			t.Errorf("RCPT %d NOTIFY = %v, want NEVER", i, n)
		}
	}
	if d.AuthUser != "facteur" || d.TLS {
		t.Errorf("auth user %q, tls %v", d.AuthUser, d.TLS)
	}
	if !bytes.Equal(d.Data, raw) {
		t.Errorf("message altered in transit:\n got %q\nwant %q", d.Data, raw)
	}
	// The Bcc address travels in the envelope only.
	if bytes.Contains(d.Data, []byte("finances@casq.fr")) {
		t.Errorf("Bcc address in the message")
	}
}

func TestSendWithoutDSNOrAuth(t *testing.T) {
	be := &backend{}
	addr := startServer(t, be, serverOpts{})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "plain"})
	if err := m.Send(context.Background(), "bounces@casq.fr", []string{"a@example.org"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	d := be.deliveries()[0]
	if d.From != "bounces@casq.fr" || d.AuthUser != "" || len(d.Notify) != 1 || d.Notify[0] != nil {
		t.Errorf("delivery = %+v", d)
	}
}

func TestSendStartTLS(t *testing.T) {
	tlsCfg, caFile := selfSigned(t)
	be := &backend{user: "facteur", pass: "s3cret"}
	addr := startServer(t, be, serverOpts{tlsConfig: tlsCfg, dsn: true})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "starttls", Username: "facteur", Password: "s3cret", CAFile: caFile})

	r, raw := composedReply(t)
	if err := m.Send(context.Background(), "", r.Recipients(), raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := be.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	d := got[0]
	if !d.TLS || d.AuthUser != "facteur" || d.From != "" || len(d.Rcpt) != 2 || !bytes.Equal(d.Data, raw) {
		t.Errorf("delivery: tls %v, auth %q, from %q, rcpt %q, data intact %v",
			d.TLS, d.AuthUser, d.From, d.Rcpt, bytes.Equal(d.Data, raw))
	}

	// Without the CA file the self-signed certificate is refused.
	m2 := newMailer(t, MailerOptions{Addr: addr, Security: "starttls", Username: "facteur", Password: "s3cret"})
	err := m2.Send(context.Background(), "", r.Recipients(), raw)
	var unknownCA x509.UnknownAuthorityError
	if !errors.As(err, &unknownCA) {
		t.Errorf("Send without CA file: %v, want an unknown authority error", err)
	}
	if len(be.deliveries()) != 1 {
		t.Errorf("message delivered over an unverified connection")
	}
}

func TestSendWrongPassword(t *testing.T) {
	tlsCfg, caFile := selfSigned(t)
	be := &backend{user: "facteur", pass: "s3cret"}
	addr := startServer(t, be, serverOpts{tlsConfig: tlsCfg})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "starttls", Username: "facteur", Password: "wrong", CAFile: caFile})
	err := m.Send(context.Background(), "", []string{"a@example.org"}, []byte("x\r\n"))
	// A refused password is the configuration's fault, not the message's:
	// the reply must be sent once the password is fixed.
	var se *smtp.SMTPError
	if err == nil || !strings.Contains(err.Error(), "notifier: smtp auth") || !errors.As(err, &se) || se.Code != 535 || IsPermanent(err) {
		t.Errorf("Send = %v; want a 535 auth error, not permanent for the message", err)
	}
}

func TestSendStartTLSNotOffered(t *testing.T) {
	be := &backend{}
	addr := startServer(t, be, serverOpts{})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "starttls"})
	err := m.Send(context.Background(), "", []string{"a@example.org"}, []byte("x\r\n"))
	if err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("Send = %v, want a STARTTLS error", err)
	}
	if len(be.deliveries()) != 0 {
		t.Errorf("message sent in clear")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	tlsCfg, caFile := selfSigned(t)
	be := &backend{user: "facteur", pass: "s3cret"}
	addr := startServer(t, be, serverOpts{tlsConfig: tlsCfg, implicitTLS: true})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "tls", Username: "facteur", Password: "s3cret", CAFile: caFile})
	_, raw := composedReply(t)
	if err := m.Send(context.Background(), "", []string{"a@example.org"}, raw); err != nil {
		t.Fatal(err)
	}
	if d := be.deliveries(); len(d) != 1 || !d[0].TLS || !bytes.Equal(d[0].Data, raw) {
		t.Errorf("deliveries = %+v", d)
	}
}

func TestSendLoginFallback(t *testing.T) {
	be := &backend{user: "facteur", pass: "s3cret", loginOnly: true}
	addr := startServer(t, be, serverOpts{insecure: true})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "plain", Username: "facteur", Password: "s3cret"})
	if err := m.Send(context.Background(), "", []string{"a@example.org"}, []byte("x\r\n")); err != nil {
		t.Fatal(err)
	}
	if d := be.deliveries(); len(d) != 1 || d[0].AuthUser != "facteur" {
		t.Errorf("deliveries = %+v", d)
	}
}

func TestSendRecipientRefused(t *testing.T) {
	for _, c := range []struct {
		code      int
		permanent bool
	}{
		{550, true},
		{451, false},
	} {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			be := &backend{rcptErr: map[string]*smtp.SMTPError{
				"finances@casq.fr": {Code: c.code, EnhancedCode: smtp.EnhancedCode{c.code / 100, 1, 1}, Message: "no such user"},
			}}
			addr := startServer(t, be, serverOpts{})
			m := newMailer(t, MailerOptions{Addr: addr, Security: "plain"})
			r, raw := composedReply(t)
			err := m.Send(context.Background(), "", r.Recipients(), raw)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if IsPermanent(err) != c.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !c.permanent, c.permanent)
			}
			if !strings.Contains(err.Error(), "rcpt to <finances@casq.fr>") {
				t.Errorf("error does not name the recipient: %v", err)
			}
			if len(be.deliveries()) != 0 {
				t.Errorf("partial delivery")
			}
		})
	}
}

// A server that accepts the connection and never greets: Send gives up when
// the context ends, and when the Mailer's own timeout passes.
func TestSendHonoursContextAndTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	m := newMailer(t, MailerOptions{Addr: ln.Addr().String(), Security: "plain", Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = m.Send(ctx, "", []string{"a@example.org"}, []byte("x\r\n"))
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Errorf("Send = %v, want a deadline error, not permanent", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Send took %v", el)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	if err := m.Send(ctx2, "", []string{"a@example.org"}, []byte("x\r\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("Send after cancel = %v", err)
	}

	m2 := newMailer(t, MailerOptions{Addr: ln.Addr().String(), Security: "plain", Timeout: 200 * time.Millisecond})
	start = time.Now()
	if err := m2.Send(context.Background(), "", []string{"a@example.org"}, []byte("x\r\n")); err == nil {
		t.Error("Send succeeded against a silent server")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Send with 200ms timeout took %v", el)
	}
}

func TestSendNoRecipient(t *testing.T) {
	m := newMailer(t, MailerOptions{Addr: "127.0.0.1:1", Security: "plain"})
	if err := m.Send(context.Background(), "", nil, []byte("x\r\n")); err == nil {
		t.Error("Send without recipients succeeded")
	}
}

func TestNewMailerOptions(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:25", "127.8.9.10:2525", "localhost:25", "LOCALHOST:25", "[::1]:25"} {
		if _, err := NewMailer(MailerOptions{Addr: addr, Security: "plain"}); err != nil {
			t.Errorf("plain to %s refused: %v", addr, err)
		}
	}
	// Refused before any dialing: these hosts are never contacted.
	for _, addr := range []string{"192.0.2.1:25", "smtp.example.org:25", "localhost.example.org:25", "[2001:db8::1]:25", "0.0.0.0:25"} {
		if _, err := NewMailer(MailerOptions{Addr: addr, Security: "plain"}); err == nil {
			t.Errorf("plain to %s accepted", addr)
		}
	}
	bad := []MailerOptions{
		{Addr: "smtp.example.org", Security: "tls"},
		{Addr: ":587"},
		{Addr: "smtp.example.org:587", Security: "ssl"},
		{Addr: "smtp.example.org:587", CAFile: filepath.Join(t.TempDir(), "missing.pem")},
		{Addr: "smtp.example.org:587", HeloName: "two words"},
	}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad = append(bad, MailerOptions{Addr: "smtp.example.org:587", CAFile: notPEM})
	for _, o := range bad {
		if _, err := NewMailer(o); err == nil {
			t.Errorf("NewMailer(%+v) succeeded", o)
		}
	}
	m, err := NewMailer(MailerOptions{Addr: "smtp.example.org:587"})
	if err != nil || m.security != "starttls" || m.timeout != DefaultTimeout || m.helo == "" {
		t.Errorf("defaults: %+v, %v", m, err)
	}
}

func TestIsPermanent(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&smtp.SMTPError{Code: 550}, true},
		{&smtp.SMTPError{Code: 554}, true},
		{fmt.Errorf("notifier: smtp data: %w", &smtp.SMTPError{Code: 552}), true},
		{&smtp.SMTPError{Code: 451}, false},
		{&smtp.SMTPError{Code: 421}, false},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
		{context.DeadlineExceeded, false},
		{errors.New("smtp: server doesn't support STARTTLS"), false},
		{nil, false},
	} {
		if got := IsPermanent(c.err); got != c.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestSendTrackedPhases: the phases come in order, each after the server
// answered its command; a refusal at PhaseData sends no body, and the
// server delivers nothing.
func TestSendTrackedPhases(t *testing.T) {
	be := &backend{}
	addr := startServer(t, be, serverOpts{})
	m := newMailer(t, MailerOptions{Addr: addr, Security: "plain"})
	raw := []byte("Subject: x\r\n\r\nx\r\n")
	var seen []Phase
	err := m.SendTracked(context.Background(), "", []string{"a@example.org"}, raw, func(p Phase) error {
		seen = append(seen, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Phase{PhaseConnected, PhaseMail, PhaseRcpt, PhaseData}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("phases %v, want %v", seen, want)
	}
	if n := len(be.deliveries()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}

	stop := errors.New("store unavailable")
	err = m.SendTracked(context.Background(), "", []string{"a@example.org"}, raw, func(p Phase) error {
		if p == PhaseData {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || errors.Is(err, ErrUnconfirmed) || IsPermanent(err) {
		t.Fatalf("err = %v; want the progress error, neither unconfirmed nor permanent", err)
	}
	// The server sees the connection close in the middle of DATA.
	if n := len(be.deliveries()); n != 1 {
		t.Fatalf("%d deliveries after an attempt stopped before the body, want still 1", n)
	}
}
