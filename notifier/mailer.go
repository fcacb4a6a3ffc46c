package notifier

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DefaultTimeout bounds one SMTP session when MailerOptions.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MailerOptions configures a Mailer.
type MailerOptions struct {
	Addr string // host:port of the submission server
	// Security is "tls" (implicit TLS), "starttls" (the default; the server
	// must offer STARTTLS) or "plain" (no TLS, refused unless the host is a
	// loopback address: localhost, 127.0.0.0/8, ::1).
	Security string
	Username string // AUTH only when set
	Password string
	CAFile   string // PEM roots added to the system pool
	HeloName string // EHLO name; "" → the host name of this machine
	// Timeout bounds one whole session, from dialing to QUIT (and each
	// command within it); 0 → DefaultTimeout.
	Timeout time.Duration
	Logger  *slog.Logger // nil → discard
}

// Mailer sends messages over SMTP, one session per message.
type Mailer struct {
	addr     string
	host     string
	security string
	username string
	password string
	helo     string
	timeout  time.Duration
	tls      *tls.Config
	log      *slog.Logger
}

// NewMailer checks o and returns a Mailer. It does not connect.
func NewMailer(o MailerOptions) (*Mailer, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("notifier: smtp address %q: want host:port", o.Addr)
	}
	m := &Mailer{
		addr:     o.Addr,
		host:     host,
		security: o.Security,
		username: o.Username,
		password: o.Password,
		helo:     o.HeloName,
		timeout:  o.Timeout,
		log:      o.Logger,
	}
	if m.security == "" {
		m.security = "starttls"
	}
	switch m.security {
	case "tls", "starttls":
	case "plain":
		if !isLoopback(host) {
			return nil, fmt.Errorf("notifier: smtp security \"plain\" is allowed only to a loopback address, not %q", host)
		}
	default:
		return nil, fmt.Errorf("notifier: smtp security %q: want \"tls\", \"starttls\" or \"plain\"", o.Security)
	}
	if m.timeout <= 0 {
		m.timeout = DefaultTimeout
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.helo == "" {
		if name, err := os.Hostname(); err == nil && name != "" {
			m.helo = name
		} else {
			m.helo = "localhost"
		}
	}
	if strings.ContainsAny(m.helo, " \t\r\n") {
		return nil, fmt.Errorf("notifier: smtp helo name %q: must be one word", m.helo)
	}
	m.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("notifier: smtp ca file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("notifier: smtp ca file %s: no PEM certificate found", o.CAFile)
		}
		m.tls.RootCAs = pool
	}
	return m, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP literal.
// Names are not resolved.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Phase is how far an SMTP attempt got. The phases come in this order;
// a caller that must not send a message twice records PhaseData durably
// before the body is sent (see SendTracked).
type Phase int

// The phases of one attempt.
const (
	// PhaseConnected: the server greeted us and answered EHLO (and AUTH).
	PhaseConnected Phase = iota + 1
	// PhaseMail: the server accepted MAIL FROM.
	PhaseMail
	// PhaseRcpt: the server accepted every RCPT TO.
	PhaseRcpt
	// PhaseData: the server answered DATA with 354; the body is about to
	// be sent. From here on the message may be accepted.
	PhaseData
)

// String names the phase as the SMTP command that reached it.
func (p Phase) String() string {
	switch p {
	case PhaseConnected:
		return "connected"
	case PhaseMail:
		return "mail"
	case PhaseRcpt:
		return "rcpt"
	case PhaseData:
		return "data"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// Progress is told each phase an attempt reaches, before the next command
// is sent. A non-nil error ends the session there: returned at PhaseData,
// the body is never sent (the server discards the transaction when the
// connection closes without the final dot), so a caller that could not
// record that it reached DATA sends nothing that could be accepted.
type Progress func(Phase) error

// ErrUnconfirmed is the error (tested with errors.Is) of an attempt whose
// whole message was sent but whose answer from the server never came (the
// connection broke, the answer timed out): the server may have accepted
// it. Sending it again could deliver it twice.
var ErrUnconfirmed = errors.New("message sent in full, the server's answer not received")

// Send delivers raw to rcpt in one SMTP session: EHLO, AUTH when a user name
// is set, MAIL FROM envelopeFrom ("" sends the null reverse path <>, as an
// automatic reply should), RCPT TO each recipient (NOTIFY=NEVER when the
// server supports DSN), DATA, QUIT.
//
// The transaction is all or nothing: if any recipient is refused, no message
// is sent and the error says which one. Once the server has accepted the
// message, Send returns nil even if QUIT fails. The session ends when ctx is
// done or the Mailer's timeout has passed, whichever comes first.
func (m *Mailer) Send(ctx context.Context, envelopeFrom string, rcpt []string, raw []byte) error {
	return m.SendTracked(ctx, envelopeFrom, rcpt, raw, nil)
}

// SendTracked is Send, telling progress (when not nil) each phase the
// attempt reaches. It returns nil only when the server accepted the
// message; an error wrapping ErrUnconfirmed when the whole message was
// sent but no answer came; an *smtp.SMTPError (see IsPermanent) when the
// server refused a command, the message's end included.
func (m *Mailer) SendTracked(ctx context.Context, envelopeFrom string, rcpt []string, raw []byte, progress Progress) (err error) {
	if len(rcpt) == 0 {
		return errors.New("notifier: smtp: no recipient")
	}
	if progress == nil {
		progress = func(Phase) error { return nil }
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()

	fail := func(step string, e error) error {
		if ce := ctx.Err(); ce != nil {
			return fmt.Errorf("notifier: smtp %s: %w: %w", step, ce, e)
		}
		return fmt.Errorf("notifier: smtp %s: %w", step, e)
	}
	reached := func(p Phase) error {
		if err := progress(p); err != nil {
			return fmt.Errorf("notifier: smtp attempt stopped at %s: %w", p, err)
		}
		return nil
	}

	conn, err := m.dial(ctx)
	if err != nil {
		return fail("dial "+m.addr, err)
	}
	// Closing the connection is the only way to interrupt a blocked read or
	// write in go-smtp, which sets and clears its own deadlines per command.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	var c *smtp.Client
	if m.security == "starttls" {
		c, err = smtp.NewClientStartTLS(conn, m.tls)
		if err != nil {
			return fail("starttls", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = m.timeout
	c.SubmissionTimeout = m.timeout
	polite := true
	defer func() {
		if !polite || ctx.Err() != nil {
			return
		}
		// Be polite after a refusal; the server may also be gone already.
		_ = c.Quit()
	}()

	if err := c.Hello(m.helo); err != nil {
		return fail("ehlo", err)
	}
	if m.username != "" {
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", m.username, m.password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(m.username, m.password)
		default:
			return fail("auth", errors.New("server offers neither PLAIN nor LOGIN"))
		}
		if err := c.Auth(auth); err != nil {
			return fail("auth", &configError{err})
		}
	}
	if err := reached(PhaseConnected); err != nil {
		return err
	}

	mailOpts := &smtp.MailOptions{Size: int64(len(raw))}
	if !isASCII(envelopeFrom) || !allASCII(rcpt) {
		mailOpts.UTF8 = true
	}
	if err := c.Mail(envelopeFrom, mailOpts); err != nil {
		return fail("mail from <"+envelopeFrom+">", &configError{err})
	}
	if err := reached(PhaseMail); err != nil {
		return err
	}
	rcptOpts := &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}}
	for _, to := range rcpt {
		if err := c.Rcpt(to, rcptOpts); err != nil {
			return fail("rcpt to <"+to+">", err)
		}
	}
	if err := reached(PhaseRcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return fail("data", err)
	}
	if err := reached(PhaseData); err != nil {
		// No QUIT: it would end the body with a dot. The connection is
		// closed in the middle of DATA and the server drops the message.
		polite = false
		return err
	}
	if _, err := w.Write(raw); err != nil {
		// The final dot was not sent: the server cannot have accepted it.
		polite = false
		return fail("data", err)
	}
	if err := w.Close(); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return fail("data", err) // refused: the server answered
		}
		polite = false
		return fail("data", fmt.Errorf("%w: %w", ErrUnconfirmed, err))
	}
	polite = false
	if err := c.Quit(); err != nil {
		m.log.Warn("smtp quit failed after the message was accepted", "addr", m.addr, "err", err)
	}
	m.log.Debug("smtp message sent", "addr", m.addr, "recipients", len(rcpt), "bytes", len(raw))
	return nil
}

func (m *Mailer) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: m.timeout}
	if m.security == "tls" {
		td := &tls.Dialer{NetDialer: d, Config: m.tls}
		return td.DialContext(ctx, "tcp", m.addr)
	}
	return d.DialContext(ctx, "tcp", m.addr)
}

// IsPermanent reports whether err carries a permanent SMTP refusal (a 5xx
// reply): sending the same message again would fail the same way. 4xx replies,
// network errors and timeouts are not permanent.
//
// A refusal of our credentials (AUTH) or of our sender (MAIL FROM) is never
// permanent for the message: it is a problem of the configuration or of the
// server, every reply would meet it, and once fixed the replies must go.
func IsPermanent(err error) bool {
	var ce *configError
	if errors.As(err, &ce) {
		return false
	}
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code >= 500 && se.Code <= 599
}

// configError marks a refusal that concerns the session, not the message.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
