// Package web is the finance staff's web page, in French: every case with
// its filters and the same search as `facteur cases list --search`, the
// day's counts and the cases waiting for a person as on the digest, a
// case's page (what was read, its documents, its replies, its history),
// and the actions of `facteur cases`, through the same gateway functions.
// Server-rendered html/template, no JavaScript; sessions in the store,
// CSRF tokens on every form, a login rate limit, strict security headers.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"facteur/gateway"
	"facteur/notifier"
	"facteur/parser"
	"facteur/store"
)

// Gateway is what the page asks of the worker: the actions of a person,
// and the digest's summary.
type Gateway interface {
	Release(ctx context.Context, ref, by, flow string) (gateway.Acted, error)
	Reject(ctx context.Context, ref, by, reason string) (gateway.Acted, error)
	RetryReplies(ctx context.Context, ref, by string) (gateway.Acted, error)
	SetEngagement(ctx context.Context, ref, by, number string) (gateway.Acted, error)
	SetBudget(ctx context.Context, ref, by, budget string) (gateway.Acted, error)
	MarkHandled(ctx context.Context, ref, by, how string) (gateway.Acted, error)
	DigestSummary(ctx context.Context, since time.Time) (notifier.Digest, error)
	BudgetNames() []string
}

// The ways people log in (config.Web.Auth).
const (
	AuthLocal = "local"
	AuthOIDC  = "oidc"
	AuthProxy = "proxy"
)

// Options configure the page.
type Options struct {
	Store   *store.Store
	Gateway Gateway
	// Parse reads a raw message as the daemon does (its limits and
	// engagement patterns): the case page shows what was read, and a
	// document is served from the message's bytes.
	Parse func(raw []byte) (*parser.Message, error)
	// Organisation is the public body's name, in the page's header.
	Organisation string
	// PublicURL is the page's address as people reach it, ending with
	// "/"; its path is where the page is served, and https makes the
	// cookies secure.
	PublicURL string
	// Auth is AuthLocal, AuthOIDC or AuthProxy.
	Auth string
	// Proxies are the reverse proxies believed for X-Forwarded-For and
	// the user header (ProxyHeader, with AuthProxy).
	Proxies     []netip.Prefix
	ProxyHeader string
	// OIDC is the identity provider, with AuthOIDC.
	OIDC *OIDC
	// Session is a session's longest life, Idle how long one may go
	// unused.
	Session, Idle time.Duration
	// WaitingAfter is how long a request may stay unanswered before it is
	// listed "à traiter" (the digest's waiting_days).
	WaitingAfter time.Duration
	Logger       *slog.Logger
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the page.
type Server struct {
	o       Options
	log     *slog.Logger
	base    string // the path the page is served under, "/..." ending with "/"
	secure  bool   // https: Secure cookies, HSTS
	pages   map[string]*template.Template
	limiter *limiter
	mux     *http.ServeMux
}

// New builds the page's server.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Gateway == nil || o.Parse == nil {
		return nil, errors.New("web: a store, a gateway and a parser are required")
	}
	switch o.Auth {
	case AuthLocal, AuthProxy:
	case AuthOIDC:
		if o.OIDC == nil {
			return nil, errors.New("web: auth oidc without an identity provider")
		}
	default:
		return nil, fmt.Errorf("web: unknown auth %q", o.Auth)
	}
	if o.Auth == AuthProxy && (len(o.Proxies) == 0 || o.ProxyHeader == "") {
		return nil, errors.New("web: auth proxy needs the proxies' addresses and the user header")
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("web: public URL %q", o.PublicURL)
	}
	if o.Session <= 0 {
		o.Session = 10 * time.Hour
	}
	if o.Idle <= 0 {
		o.Idle = time.Hour
	}
	if o.WaitingAfter <= 0 {
		o.WaitingAfter = 7 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, log: log, secure: u.Scheme == "https", limiter: newLimiter(o.Now)}
	s.base = "/" + strings.Trim(u.Path, "/") + "/"
	if s.base == "//" {
		s.base = "/"
	}
	if s.pages, err = parsePages(s.base); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// parsePages parses each page with the layout.
func parsePages(base string) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"path": func(parts ...string) string {
			var b strings.Builder
			b.WriteString(base)
			for i, p := range parts {
				if i > 0 {
					b.WriteByte('/')
				}
				b.WriteString(url.PathEscape(p))
			}
			return b.String()
		},
		"date":     func(t time.Time) string { return frenchDateTime(t) },
		"day":      func(t time.Time) string { return t.Local().Format("02/01/2006") },
		"isoDate":  func(t time.Time) string { return t.Local().Format(time.DateOnly) },
		"inc":      func(i int) int { return i + 1 },
		"nonEmpty": func(s string) bool { return strings.TrimSpace(s) != "" },
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "list", "case", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

var frenchMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// frenchDateTime is "3 décembre 2026 à 09:05", in local time.
func frenchDateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.Local()
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %d à %s", day, frenchMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

// Handler is the page's HTTP handler, with its security headers.
func (s *Server) Handler() http.Handler {
	return s.secureHeaders(s.mux)
}

// URL is the absolute address of a path of the page (a case's page for
// the digest: CaseURL).
func CaseURL(publicURL, ref string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimSuffix(publicURL, "/") + "/dossiers/" + url.PathEscape(ref)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	p := s.base
	m.Handle("GET "+p+"static/", http.StripPrefix(p+"static/", files))
	m.HandleFunc("GET "+p+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"dossiers", http.StatusSeeOther)
	})
	m.HandleFunc("GET "+p+"connexion", s.loginPage)
	m.HandleFunc("POST "+p+"connexion", s.login)
	m.HandleFunc("GET "+p+"connexion/retour", s.oidcCallback)
	m.HandleFunc("POST "+p+"deconnexion", s.logout)
	m.HandleFunc("GET "+p+"dossiers", s.authed(RoleRead, s.listPage))
	m.HandleFunc("GET "+p+"dossiers/{ref}", s.authed(RoleRead, s.casePage))
	m.HandleFunc("POST "+p+"dossiers/{ref}/{action}", s.authed(RoleManage, s.act))
	m.HandleFunc("GET "+p+"documents/{id}", s.authed(RoleRead, s.document))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusNotFound, "Page introuvable", "Cette adresse ne correspond à aucune page.")
	})
	s.mux = m
}

// page is what every page's template gets.
type page struct {
	Title        string
	Organisation string
	User         *store.User
	CSRF         string
	Base         string
	Data         any
}

// render writes the page name with its data.
func (s *Server) render(w http.ResponseWriter, r *http.Request, ses *store.Session, status int, name, title string, data any) {
	p := page{Title: title, Organisation: s.o.Organisation, Base: s.base, Data: data}
	if ses != nil {
		p.User, p.CSRF = &ses.User, ses.CSRF
	}
	var b strings.Builder
	if err := s.pages[name].Execute(&b, p); err != nil {
		s.log.Error("page not rendered", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Erreur interne : la page n'a pas pu être affichée.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// errorData is the error page's.
type errorData struct {
	Heading, Text string
}

// fail shows an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, ses *store.Session, status int, heading, text string) {
	s.render(w, r, ses, status, "error", heading, errorData{heading, text})
}

// internal logs err and shows that the page could not be built.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, ses *store.Session, what string, err error) {
	s.log.Error("web: "+what, "path", r.URL.Path, "err", err)
	s.fail(w, r, ses, http.StatusInternalServerError, "Erreur technique",
		"La page n'a pas pu être préparée ("+what+"). Réessayez dans un instant ; si l'erreur persiste, prévenez le service informatique.")
}
