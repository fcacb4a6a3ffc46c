package imapwatch

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

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// logoutTimeout bounds a polite LOGOUT before the connection is cut.
const logoutTimeout = 5 * time.Second

// session is one authenticated IMAP connection and what was learnt about
// the server on it.
type session struct {
	c       *imapclient.Client
	delim   rune            // hierarchy delimiter, 0 when flat
	move    bool            // MOVE advertised
	uidplus bool            // UIDPLUS advertised (UID EXPUNGE)
	idle    bool            // IDLE advertised (or IMAP4rev2)
	exists  map[string]bool // destination folders known to exist (server names)

	// updates receives a value when the server announces EXISTS outside a
	// SELECT (new mail, mostly while idling). Buffered(1), never blocks
	// the client's reader.
	updates chan struct{}
	// renewAt is when an OAuth2 session should be replaced by one with a
	// fresh token (zero: never). Some servers (Exchange Online) end a
	// session once its token expires.
	renewAt time.Time
	// justChecked: the connection has just proved alive (IDLE ended
	// with OK), so the next cycle skips its NOOP.
	justChecked bool
}

// alive reports whether the connection still answers (NOOP).
func (s *session) alive(ctx context.Context) bool {
	select {
	case <-s.c.Closed():
		return false
	default:
	}
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer stop()
	return s.c.Noop().Wait() == nil
}

// close cuts the connection.
func (s *session) close() { s.c.Close() }

// logout says LOGOUT, waiting at most logoutTimeout, then closes.
func (s *session) logout() {
	t := time.AfterFunc(logoutTimeout, func() { s.c.Close() })
	defer t.Stop()
	s.c.Logout().Wait()
	s.c.Close()
}

// serverName translates a folder name written with "/" as the hierarchy
// separator into the server's own separator.
func (s *session) serverName(name string) string {
	if s.delim == 0 || s.delim == '/' || strings.EqualFold(name, "INBOX") {
		return name
	}
	return strings.ReplaceAll(name, "/", string(s.delim))
}

// isLoopbackHost reports whether host (a name or an IP literal, without
// port) is localhost, in 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// tlsConfig returns the TLS configuration for host: system roots plus the
// certificates of CAFile; no verification at all with
// TLSInsecureSkipVerify (logged as a warning at every connection).
func (w *Watcher) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if w.opts.TLSInsecureSkipVerify {
		w.log.Warn("TLS CERTIFICATE VERIFICATION DISABLED (tls_insecure_skip_verify): the connection can be intercepted; use ca_file instead",
			"addr", w.opts.Addr)
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	if w.opts.CAFile == "" {
		return cfg, nil // nil RootCAs: system roots
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(w.opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("imapwatch: mailbox %s: ca file: %w", w.opts.Name, err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("imapwatch: mailbox %s: ca file %s: no PEM certificate found", w.opts.Name, w.opts.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// connect dials, secures, authenticates and learns the server's
// capabilities and hierarchy delimiter.
//
// The imapclient Dial* helpers take no context, so the connection is dialled
// here with the context and handed to imapclient.New / NewStartTLS, which is
// what those helpers do.
func (w *Watcher) connect(ctx context.Context) (*session, error) {
	host, _, _ := net.SplitHostPort(w.opts.Addr) // checked by New
	dctx, cancel := context.WithTimeout(ctx, w.opts.DialTimeout)
	defer cancel()
	dialer := &net.Dialer{Timeout: w.opts.DialTimeout, KeepAlive: 30 * time.Second}
	updates := make(chan struct{}, 1)
	copts := &imapclient.Options{
		Dialer: dialer,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Called by the client's reader: never call the client here.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					if w.onNews != nil {
						w.onNews(time.Now())
					}
					select {
					case updates <- struct{}{}:
					default:
					}
				}
			},
		},
	}

	var c *imapclient.Client
	switch w.opts.Security {
	case "tls":
		cfg, err := w.tlsConfig(host)
		if err != nil {
			return nil, err
		}
		cfg.NextProtos = []string{"imap"}
		conn, err := (&tls.Dialer{NetDialer: dialer, Config: cfg}).DialContext(dctx, "tcp", w.opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("imapwatch: mailbox %s: dial %s (tls): %w", w.opts.Name, w.opts.Addr, err)
		}
		c = imapclient.New(conn, copts)
	case "starttls":
		cfg, err := w.tlsConfig(host)
		if err != nil {
			return nil, err
		}
		conn, err := dialer.DialContext(dctx, "tcp", w.opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("imapwatch: mailbox %s: dial %s: %w", w.opts.Name, w.opts.Addr, err)
		}
		copts.TLSConfig = cfg
		stop := context.AfterFunc(dctx, func() { conn.Close() })
		c, err = imapclient.NewStartTLS(conn, copts)
		if !stop() {
			err = errors.Join(err, dctx.Err())
		}
		if err != nil {
			if c != nil {
				c.Close()
			}
			return nil, fmt.Errorf("imapwatch: mailbox %s: starttls %s: %w", w.opts.Name, w.opts.Addr, err)
		}
	case "plain":
		conn, err := dialer.DialContext(dctx, "tcp", w.opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("imapwatch: mailbox %s: dial %s: %w", w.opts.Name, w.opts.Addr, err)
		}
		// The name was checked by New; check where it actually led too
		// ("localhost" could resolve elsewhere).
		if ta, ok := conn.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
			conn.Close()
			return nil, fmt.Errorf("imapwatch: mailbox %s: security \"plain\" refused: %s is not a loopback address", w.opts.Name, conn.RemoteAddr())
		}
		c = imapclient.New(conn, copts)
	default:
		return nil, fmt.Errorf("imapwatch: mailbox %s: unknown security %q", w.opts.Name, w.opts.Security)
	}

	stop := context.AfterFunc(dctx, func() { c.Close() })
	s, err := w.setup(dctx, c)
	if !stop() {
		err = errors.Join(err, dctx.Err())
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("imapwatch: mailbox %s: %w", w.opts.Name, err)
	}
	s.updates = updates
	s.justChecked = true
	w.mu.Lock()
	w.connects++
	first := w.connects == 1
	w.mu.Unlock()
	level := slog.LevelDebug // a reconnection is logged by Run, once
	if first {
		level = slog.LevelInfo
	}
	w.log.Log(ctx, level, "imap connected", "addr", w.opts.Addr, "security", w.opts.Security, "auth", w.opts.Auth,
		"move", s.move, "uidplus", s.uidplus, "idle", s.idle)
	return s, nil
}

// setup waits for the greeting, authenticates and reads the capabilities
// and the hierarchy delimiter.
func (w *Watcher) setup(ctx context.Context, c *imapclient.Client) (*session, error) {
	if err := c.WaitGreeting(); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	renewAt, err := w.authenticate(ctx, c)
	if err != nil {
		return nil, err
	}
	caps := c.Caps()
	if caps == nil {
		return nil, errors.New("capability: no answer")
	}
	s := &session{
		c:       c,
		move:    caps.Has(imap.CapMove),
		uidplus: caps.Has(imap.CapUIDPlus),
		idle:    caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2),
		exists:  make(map[string]bool),
		renewAt: renewAt,
	}
	// LIST "" "" gives the hierarchy delimiter.
	list, err := c.List("", "", nil).Collect()
	if err != nil {
		return nil, fmt.Errorf("list delimiter: %w", err)
	}
	for _, l := range list {
		s.delim = l.Delim
	}
	return s, nil
}

// authenticate logs in, with SASL XOAUTH2 and a client-credentials token
// (Auth "xoauth2"), else SASL PLAIN when the server advertises it, else
// LOGIN. For XOAUTH2 it returns when the session should be renewed.
func (w *Watcher) authenticate(ctx context.Context, c *imapclient.Client) (time.Time, error) {
	caps := c.Caps()
	if w.opts.Auth == AuthXOAUTH2 {
		tok, err := w.tokens.token(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if !caps.Has(imap.AuthCap(xoauth2Mech)) {
			w.log.Warn("server does not advertise AUTH=XOAUTH2; trying it anyway")
		}
		if err := c.Authenticate(newXOAUTH2Client(w.opts.Username, tok.value, w.log)); err != nil {
			// The token may have been revoked: fetch a new one next time.
			w.tokens.invalidate(tok.value)
			return time.Time{}, authError(err, "authenticate XOAUTH2 as %q", w.opts.Username)
		}
		return tok.renewAt, nil
	}
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		if err := c.Authenticate(sasl.NewPlainClient("", w.opts.Username, w.opts.Password)); err != nil {
			return time.Time{}, authError(err, "authenticate PLAIN as %q", w.opts.Username)
		}
		return time.Time{}, nil
	}
	if caps.Has(imap.CapLoginDisabled) {
		return time.Time{}, errors.New("login: server advertises LOGINDISABLED and no AUTH=PLAIN")
	}
	if err := c.Login(w.opts.Username, w.opts.Password).Wait(); err != nil {
		return time.Time{}, authError(err, "login as %q", w.opts.Username)
	}
	return time.Time{}, nil
}

// authError wraps err with what was tried, and with ErrAuth when the server
// refused (rather than the connection failing).
func authError(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		return fmt.Errorf("%w: %s: %w", ErrAuth, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
