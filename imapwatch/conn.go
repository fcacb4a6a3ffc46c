package imapwatch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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
	exists  map[string]bool // destination folders known to exist (server names)
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
// certificates of CAFile.
func (w *Watcher) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
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
	copts := &imapclient.Options{Dialer: dialer}

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
	s, err := w.setup(c)
	if !stop() {
		err = errors.Join(err, dctx.Err())
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("imapwatch: mailbox %s: %w", w.opts.Name, err)
	}
	w.log.Info("imap connected", "addr", w.opts.Addr, "security", w.opts.Security,
		"move", s.move, "uidplus", s.uidplus)
	return s, nil
}

// setup waits for the greeting, authenticates and reads the capabilities
// and the hierarchy delimiter.
func (w *Watcher) setup(c *imapclient.Client) (*session, error) {
	if err := c.WaitGreeting(); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if err := w.authenticate(c); err != nil {
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
		exists:  make(map[string]bool),
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

// authenticate logs in: SASL PLAIN when the server advertises it, else
// LOGIN. (OAuth2 / XOAUTH2 will be one more case here.)
func (w *Watcher) authenticate(c *imapclient.Client) error {
	caps := c.Caps()
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		if err := c.Authenticate(sasl.NewPlainClient("", w.opts.Username, w.opts.Password)); err != nil {
			return fmt.Errorf("authenticate PLAIN as %q: %w", w.opts.Username, err)
		}
		return nil
	}
	if caps.Has(imap.CapLoginDisabled) {
		return errors.New("login: server advertises LOGINDISABLED and no AUTH=PLAIN")
	}
	if err := c.Login(w.opts.Username, w.opts.Password).Wait(); err != nil {
		return fmt.Errorf("login as %q: %w", w.opts.Username, err)
	}
	return nil
}
