package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"facteur/store"
)

// OIDC is the public body's identity provider (OpenID Connect, the
// authorization code flow with PKCE, a nonce and a state): the person it
// names by its claim must be one of the store's users (added with
// `facteur users add NAME --externe`), who gives the role. Its discovery
// document is fetched at the first login, and again until it succeeds,
// so that the daemon starts while the provider is unreachable.
type OIDC struct {
	issuer, clientID, secret, redirect, claim string
	client                                    *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// OIDCOptions configure the identity provider.
type OIDCOptions struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is PUBLIC_URL/connexion/retour, registered with the
	// provider.
	RedirectURL string
	// Claim names the person in the ID token ("email", "preferred_username"...).
	Claim string
	// Client reaches the provider (nil: a client with a 15 s timeout).
	Client *http.Client
}

// NewOIDC describes the identity provider; nothing is fetched yet.
func NewOIDC(o OIDCOptions) (*OIDC, error) {
	if o.Issuer == "" || o.ClientID == "" || o.RedirectURL == "" {
		return nil, errors.New("web: oidc: issuer, client id and redirect URL are required")
	}
	if o.Claim == "" {
		o.Claim = "email"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	return &OIDC{issuer: o.Issuer, clientID: o.ClientID, secret: o.ClientSecret, redirect: o.RedirectURL, claim: o.Claim, client: o.Client}, nil
}

func (p *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	pr, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.issuer)
	if err != nil {
		return nil, fmt.Errorf("web: oidc discovery of %s: %w", p.issuer, err)
	}
	p.provider = pr
	return pr, nil
}

func (p *OIDC) config(pr *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: p.clientID, ClientSecret: p.secret, RedirectURL: p.redirect,
		Endpoint: pr.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// oidcStart sends the browser to the provider, keeping the login's state,
// nonce and PKCE verifier in a short-lived cookie.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	pr, err := s.o.OIDC.discover(r.Context())
	if err != nil {
		s.log.Error("web: identity provider unreachable", "err", err)
		s.fail(w, r, nil, http.StatusBadGateway, "Connexion impossible pour le moment",
			"Le fournisseur d'identité de votre organisme ne répond pas. Réessayez dans quelques minutes ; si cela dure, prévenez le service informatique.")
		return
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	s.setCookie(w, s.loginCookie(), state+"."+nonce+"."+verifier, 10*time.Minute)
	cfg := s.o.OIDC.config(pr)
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcCallback ends a login at the provider: the state must be the
// cookie's, the code is exchanged (with the PKCE verifier), the ID token
// verified (signature, issuer, audience, expiry, nonce), and the person
// it names must be known.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.o.Auth != AuthOIDC {
		s.fail(w, r, nil, http.StatusNotFound, "Page introuvable", "Cette adresse ne correspond à aucune page.")
		return
	}
	refuse := func(why string, err error) {
		s.log.Warn("web: oidc login refused", "why", why, "err", err, "addr", s.clientAddr(r))
		s.setCookie(w, s.loginCookie(), "", 0)
		s.fail(w, r, nil, http.StatusUnauthorized, "Connexion refusée",
			"La connexion n'a pas abouti ("+why+"). Recommencez depuis la page de connexion : "+s.base+"connexion")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		refuse("le fournisseur d'identité a refusé la connexion", errors.New(clip(e+": "+q.Get("error_description"), 300)))
		return
	}
	c, err := r.Cookie(s.loginCookie())
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		refuse("demande de connexion inconnue ou expirée", err)
		return
	}
	nonce, verifier := parts[1], parts[2]
	pr, err := s.o.OIDC.discover(r.Context())
	if err != nil {
		refuse("fournisseur d'identité injoignable", err)
		return
	}
	ctx := oidc.ClientContext(r.Context(), s.o.OIDC.client)
	cfg := s.o.OIDC.config(pr)
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		refuse("code de connexion refusé", err)
		return
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		refuse("pas de jeton d'identité", nil)
		return
	}
	id, err := pr.Verifier(&oidc.Config{ClientID: s.o.OIDC.clientID, Now: s.o.Now}).Verify(ctx, rawID)
	if err != nil {
		refuse("jeton d'identité invalide", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		refuse("jeton d'identité rejoué", nil)
		return
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		refuse("jeton d'identité illisible", err)
		return
	}
	name, _ := claims[s.o.OIDC.claim].(string)
	if s.o.OIDC.claim == "email" {
		if v, ok := claims["email_verified"].(bool); ok && !v {
			refuse("adresse non vérifiée par le fournisseur d'identité", nil)
			return
		}
	}
	if name == "" || !ValidUserName(name) {
		refuse("le jeton ne nomme personne ("+s.o.OIDC.claim+")", nil)
		return
	}
	if _, err := s.o.Store.User(r.Context(), name); errors.Is(err, store.ErrNotFound) {
		s.log.Warn("web: oidc login of a person not added", "user", name)
		s.setCookie(w, s.loginCookie(), "", 0)
		s.fail(w, r, nil, http.StatusForbidden, "Accès non ouvert",
			"Votre compte ("+name+") n'a pas encore accès aux dossiers de Facteur. Demandez au service informatique de vous l'ouvrir.")
		return
	} else if err != nil {
		s.internal(w, r, nil, "lecture du compte", err)
		return
	}
	s.setCookie(w, s.loginCookie(), "", 0)
	if _, err := s.startSession(w, r, name); err != nil {
		s.internal(w, r, nil, "ouverture de la session", err)
		return
	}
	s.log.Info("web: logged in (oidc)", "user", name, "addr", s.clientAddr(r))
	http.Redirect(w, r, s.base+"dossiers", http.StatusSeeOther)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
