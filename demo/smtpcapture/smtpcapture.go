// Package smtpcapture is a small SMTP server (go-smtp) on a loopback port
// that keeps every message it accepts. `facteur demo` uses it to show the
// replies Facteur sends; tests use it as a real SMTP peer.
package smtpcapture

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string   // envelope MAIL FROM ("" for the null sender)
	To   []string // envelope RCPT TO
	Data []byte
	At   time.Time
}

// Server accepts mail on 127.0.0.1 and keeps it in memory.
type Server struct {
	srv    *smtp.Server
	ln     net.Listener
	mu     sync.Mutex
	msgs   []Message
	reject map[string]int // recipient → SMTP reply code
}

// Start listens on an ephemeral loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtpcapture: listen: %w", err)
	}
	s := &Server{ln: ln}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "capture.localhost"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 32 << 20
	s.srv.MaxRecipients = 50
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the host:port to send to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Reject makes the server refuse a recipient with an SMTP reply code (e.g.
// 550 permanent, 451 temporary); code 0 accepts it again.
func (s *Server) Reject(rcpt string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject == nil {
		s.reject = map[string]int{}
	}
	s.reject[strings.ToLower(rcpt)] = code
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !strings.Contains(to, "@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "bad recipient address"}
	}
	x.s.mu.Lock()
	code := x.s.reject[strings.ToLower(to)]
	x.s.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "recipient refused"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: append([]string(nil), x.to...), Data: buf.Bytes(), At: time.Now()})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
