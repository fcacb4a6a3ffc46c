package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"facteur/store"
)

// Who may see and do what: a session (a random token in a cookie, known
// to the store by its SHA-256 only) names a person of the store's users,
// whose role is read again at every request. RoleRead sees, RoleManage
// also acts.

// sessionCookie is the session cookie's name; __Host- (Secure, Path=/, no
// Domain) when the page is served over https at the root.
func (s *Server) sessionCookie() string {
	if s.secure && s.base == "/" {
		return "__Host-facteur_session"
	}
	return "facteur_session"
}

// loginCookie carries the login form's CSRF token (double submit), and,
// with OIDC, the state and nonce of the login under way.
func (s *Server) loginCookie() string {
	if s.secure && s.base == "/" {
		return "__Host-facteur_connexion"
	}
	return "facteur_connexion"
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: s.base, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// session returns the live session of the request, nil when none.
func (s *Server) session(r *http.Request) (*store.Session, error) {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil
	}
	h := tokenHash(c.Value)
	ses, err := s.o.Store.SessionByToken(r.Context(), h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.o.Now()
	if now.Sub(ses.SeenAt) > s.o.Idle {
		s.o.Store.DeleteSession(r.Context(), h)
		return nil, nil
	}
	if now.Sub(ses.SeenAt) > time.Minute {
		if err := s.o.Store.TouchSession(r.Context(), h); err != nil {
			return nil, err
		}
	}
	return &ses, nil
}

// startSession opens a session for the person name and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, name string) (*store.Session, error) {
	token := randomToken()
	h := tokenHash(token)
	if err := s.o.Store.CreateSession(r.Context(), h, name, randomToken(), s.o.Now().Add(s.o.Session)); err != nil {
		return nil, err
	}
	ses, err := s.o.Store.SessionByToken(r.Context(), h)
	if err != nil {
		return nil, err
	}
	s.setCookie(w, s.sessionCookie(), token, s.o.Session)
	if _, err := s.o.Store.PruneSessions(r.Context(), s.o.Now().Add(-s.o.Idle)); err != nil {
		s.log.Warn("web: old sessions not pruned", "err", err)
	}
	return &ses, nil
}

type handler func(w http.ResponseWriter, r *http.Request, ses *store.Session)

// maxForm bounds what a form may post (an action's fields are a few
// hundred bytes).
const maxForm = 64 << 10

// authed runs h for a person with at least the role need; without a
// session, a GET goes to the login page and anything else is refused.
func (s *Server) authed(need string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		ses, err := s.session(r)
		if err != nil {
			s.internal(w, r, nil, "lecture de la session", err)
			return
		}
		if s.o.Auth == AuthProxy {
			if ses, err = s.proxySession(w, r, ses); err != nil {
				s.internal(w, r, nil, "ouverture de la session", err)
				return
			}
		}
		if ses == nil {
			if r.Method == http.MethodGet && s.o.Auth != AuthProxy {
				http.Redirect(w, r, s.base+"connexion", http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, http.StatusUnauthorized, "Connexion nécessaire",
				"Vous n'êtes pas connecté(e), ou votre session a pris fin. Connectez-vous, puis recommencez.")
			return
		}
		if need == RoleManage && ses.User.Role != RoleManage {
			s.log.Warn("web: action refused to a reader", "user", ses.User.Name, "path", r.URL.Path)
			s.fail(w, r, ses, http.StatusForbidden, "Action non autorisée",
				"Votre rôle (« "+ses.User.Role+" ») permet de consulter les dossiers, pas d'agir sur eux. Demandez le rôle « gestion » au service informatique.")
			return
		}
		if !ValidRole(ses.User.Role) {
			s.fail(w, r, ses, http.StatusForbidden, "Accès non autorisé", "Votre compte n'a pas de rôle reconnu. Adressez-vous au service informatique.")
			return
		}
		if r.Method == http.MethodPost && !s.csrfOK(r, ses.CSRF) {
			s.log.Warn("web: form refused: bad CSRF token", "user", ses.User.Name, "path", r.URL.Path)
			s.fail(w, r, ses, http.StatusForbidden, "Formulaire refusé",
				"Ce formulaire n'a pas été reconnu (il vient d'une autre page, ou d'une session terminée). Rechargez la page du dossier, puis recommencez.")
			return
		}
		h(w, r, ses)
	}
}

// csrfOK reports whether the form carries the session's token and the
// browser does not say it comes from another site.
func (s *Server) csrfOK(r *http.Request, want string) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get("jeton")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// proxySession is the session of the person the reverse proxy names: the
// header is believed only from a configured proxy, and only for a person
// of the store; a session of someone else is ended.
func (s *Server) proxySession(w http.ResponseWriter, r *http.Request, ses *store.Session) (*store.Session, error) {
	peer, ok := remoteAddr(r)
	name := strings.TrimSpace(r.Header.Get(s.o.ProxyHeader))
	if !ok || !s.trusted(peer) || name == "" {
		if name != "" {
			s.log.Warn("web: user header from an untrusted address ignored", "addr", peer.String())
		}
		return nil, nil
	}
	if ses != nil && ses.User.Name == name {
		return ses, nil
	}
	if ses != nil {
		s.o.Store.DeleteSession(r.Context(), ses.TokenHash)
	}
	if _, err := s.o.Store.User(r.Context(), name); errors.Is(err, store.ErrNotFound) {
		s.log.Warn("web: person named by the proxy unknown", "user", name)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s.log.Info("web: session opened (proxy)", "user", name)
	return s.startSession(w, r, name)
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.o.Proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}

// clientAddr is the address of the person's browser: the peer, or, from a
// trusted proxy, the last address of X-Forwarded-For that is not one.
func (s *Server) clientAddr(r *http.Request) string {
	peer, ok := remoteAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if a = a.Unmap(); !s.trusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

// loginData is the login page's.
type loginData struct {
	Name, Error string
	LoginCSRF   string
	OIDC        bool
	Proxy       bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	ses, err := s.session(r)
	if err != nil {
		s.internal(w, r, nil, "lecture de la session", err)
		return
	}
	if ses != nil {
		http.Redirect(w, r, s.base+"dossiers", http.StatusSeeOther)
		return
	}
	switch s.o.Auth {
	case AuthOIDC:
		s.oidcStart(w, r)
		return
	case AuthProxy:
		s.render(w, r, nil, http.StatusUnauthorized, "login", "Connexion", loginData{Proxy: true})
		return
	}
	token := randomToken()
	s.setCookie(w, s.loginCookie(), token, 30*time.Minute)
	s.render(w, r, nil, http.StatusOK, "login", "Connexion", loginData{LoginCSRF: token})
}

// login checks a local account's password, rate-limited by person and by
// address.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Auth != AuthLocal {
		s.fail(w, r, nil, http.StatusNotFound, "Page introuvable", "La connexion se fait par le fournisseur d'identité de votre organisme.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, "Formulaire illisible", "Le formulaire de connexion n'a pas pu être lu. Rechargez la page, puis recommencez.")
		return
	}
	name, password := strings.TrimSpace(r.PostForm.Get("nom")), r.PostForm.Get("mot_de_passe")
	again := func(status int, msg string) {
		token := randomToken()
		s.setCookie(w, s.loginCookie(), token, 30*time.Minute)
		s.render(w, r, nil, status, "login", "Connexion", loginData{Name: name, Error: msg, LoginCSRF: token})
	}
	c, err := r.Cookie(s.loginCookie())
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("jeton"))) != 1 ||
		(r.Header.Get("Sec-Fetch-Site") != "" && r.Header.Get("Sec-Fetch-Site") != "same-origin") {
		s.log.Warn("web: login form refused: bad CSRF token", "addr", s.clientAddr(r))
		again(http.StatusForbidden, "Le formulaire a expiré ou ne vient pas de cette page. Saisissez à nouveau votre nom et votre mot de passe.")
		return
	}
	addr := s.clientAddr(r)
	if wait := s.limiter.blocked(addr, name); wait > 0 {
		s.log.Warn("web: login refused: too many attempts", "addr", addr, "user", name)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		again(http.StatusTooManyRequests, "Trop de tentatives de connexion. Réessayez dans "+minutes(wait)+".")
		return
	}
	u, err := s.o.Store.User(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(w, r, nil, "lecture du compte", err)
		return
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash // the same work, whether the account exists or not
	}
	if !checkPassword(hash, password) || u.PasswordHash == "" {
		s.limiter.failed(addr, name)
		s.log.Warn("web: login failed", "addr", addr, "user", name)
		again(http.StatusUnauthorized, "Nom ou mot de passe incorrect.")
		return
	}
	s.limiter.succeeded(name)
	s.setCookie(w, s.loginCookie(), "", 0)
	if _, err := s.startSession(w, r, u.Name); err != nil {
		s.internal(w, r, nil, "ouverture de la session", err)
		return
	}
	s.log.Info("web: logged in", "user", u.Name, "addr", addr)
	http.Redirect(w, r, s.base+"dossiers", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ses, err := s.session(r)
	if err != nil {
		s.internal(w, r, nil, "lecture de la session", err)
		return
	}
	if ses != nil {
		if !s.csrfOK(r, ses.CSRF) {
			s.fail(w, r, ses, http.StatusForbidden, "Formulaire refusé", "Ce formulaire n'a pas été reconnu. Rechargez la page, puis recommencez.")
			return
		}
		if err := s.o.Store.DeleteSession(r.Context(), ses.TokenHash); err != nil {
			s.internal(w, r, ses, "fin de la session", err)
			return
		}
		s.log.Info("web: logged out", "user", ses.User.Name)
	}
	s.setCookie(w, s.sessionCookie(), "", 0)
	s.render(w, r, nil, http.StatusOK, "login", "Déconnexion", loginData{Error: "", OIDC: s.o.Auth == AuthOIDC, Proxy: s.o.Auth == AuthProxy, LoginCSRF: s.freshLoginToken(w)})
}

// freshLoginToken sets a new login form token (local accounts only).
func (s *Server) freshLoginToken(w http.ResponseWriter) string {
	if s.o.Auth != AuthLocal {
		return ""
	}
	token := randomToken()
	s.setCookie(w, s.loginCookie(), token, 30*time.Minute)
	return token
}

// limiter counts failed logins in a sliding window, by address and by
// name: beyond perName failures for a name, or perAddr from an address,
// within window, logins are refused until the oldest failure leaves it.
// It keeps at most maxKeys keys (the oldest are forgotten first).
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	hits map[string][]time.Time
}

const (
	loginWindow  = 15 * time.Minute
	loginPerName = 5
	loginPerAddr = 20
	maxKeys      = 10000
)

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, hits: map[string][]time.Time{}}
}

func (l *limiter) recent(key string) []time.Time {
	cut := l.now().Add(-loginWindow)
	hs := l.hits[key]
	i := 0
	for i < len(hs) && !hs[i].After(cut) {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(l.hits, key)
	} else {
		l.hits[key] = hs
	}
	return hs
}

// blocked returns how long logins from addr for name are refused, 0 when
// they are not.
func (l *limiter) blocked(addr, name string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for key, limit := range map[string]int{"a:" + addr: loginPerAddr, "n:" + strings.ToLower(name): loginPerName} {
		if hs := l.recent(key); len(hs) >= limit {
			wait = max(wait, hs[len(hs)-limit].Add(loginWindow).Sub(l.now()))
		}
	}
	return wait
}

func (l *limiter) failed(addr, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) >= maxKeys {
		for k := range l.hits {
			if len(l.recent(k)) == 0 || len(l.hits) >= maxKeys {
				delete(l.hits, k)
			}
			if len(l.hits) < maxKeys/2 {
				break
			}
		}
	}
	now := l.now()
	for _, key := range []string{"a:" + addr, "n:" + strings.ToLower(name)} {
		hs := append(l.hits[key], now)
		if len(hs) > loginPerAddr {
			hs = hs[len(hs)-loginPerAddr:]
		}
		l.hits[key] = hs
	}
}

// succeeded forgets the failures for name (the address keeps its own).
func (l *limiter) succeeded(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, "n:"+strings.ToLower(name))
}

func minutes(d time.Duration) string {
	m := int(d/time.Minute) + 1
	if m <= 1 {
		return "une minute"
	}
	return strconv.Itoa(m) + " minutes"
}
