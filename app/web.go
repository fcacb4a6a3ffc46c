package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"time"

	"facteur/config"
	"facteur/parser"
	"facteur/web"
)

// newWeb builds the finance staff's page of the configuration, nil
// without one ([web] listen empty).
func (a *App) newWeb(cfg *config.Config, patterns []*regexp.Regexp) (*web.Server, error) {
	w := cfg.Web
	if w.Listen == "" {
		return nil, nil
	}
	base := cfg.WebURL()
	o := web.Options{
		Store: a.store, Gateway: a.gateway, Organisation: cfg.Instance.Name, PublicURL: base,
		Parse: func(raw []byte) (*parser.Message, error) { return parser.Parse(raw, ParserOptions(cfg, patterns)) },
		Auth:  w.Auth, Proxies: w.Proxies(), ProxyHeader: w.ProxyUserHeader,
		Session: w.Session.Duration, Idle: w.IdleTimeout.Duration,
		WaitingAfter: time.Duration(cfg.Digest.WaitingDays) * 24 * time.Hour,
		Logger:       a.log.With("component", "web"),
	}
	if w.Auth == config.WebAuthOIDC {
		secret, err := w.OIDC.ClientSecret.Resolve()
		if err != nil {
			return nil, fmt.Errorf("web oidc client_secret: %w", err)
		}
		if o.OIDC, err = web.NewOIDC(web.OIDCOptions{Issuer: w.OIDC.Issuer, ClientID: w.OIDC.ClientID, ClientSecret: secret,
			RedirectURL: base + "connexion/retour", Claim: w.OIDC.UsernameClaim}); err != nil {
			return nil, err
		}
	}
	return web.New(o)
}

// WebHandler is the finance staff's page, nil without one.
func (a *App) WebHandler() http.Handler {
	if a.web == nil {
		return nil
	}
	return a.web.Handler()
}

// WebAddr is the address the page listens on once Run has started it
// ("" before, or without a page): [web] listen, its port chosen by the
// system when it is 0.
func (a *App) WebAddr() string {
	a.webMu.Lock()
	defer a.webMu.Unlock()
	return a.webAddr
}

// serveWeb serves the page on addr until ctx is done.
func (a *App) serveWeb(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	a.webMu.Lock()
	a.webAddr = ln.Addr().String()
	a.webMu.Unlock()
	srv := &http.Server{Handler: a.web.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	a.log.Info("finance staff's page served", "addr", ln.Addr().String(), "url", a.cfg.WebURL(), "auth", a.cfg.Web.Auth)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}
