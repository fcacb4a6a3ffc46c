// Package chorus is a client for the Chorus Pro API reached through the PISTE
// gateway: OAuth2 client-credentials tokens, the cpro-account technical-account
// header, deposit of invoice flows (deposerFluxFacture) and their integration
// report (consulterCRDetaille).
//
// Every method takes a context and applies Config.Timeout to each HTTP
// exchange. Errors are *Error values that say whether retrying makes sense
// (IsTransient). The client never retries on its own, except once after an
// HTTP 401, with a fresh token.
//
// Reference: shared/reference/chorus-pro-api.md (§1 authentication and headers,
// §2.1 deposerFluxFacture, §2.2 consulterCRDetaille, §3 errors and limits).
package chorus

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Version is sent in the User-Agent header ("facteur/<Version>"); the build
// sets it with -ldflags "-X facteur/chorus.Version=...".
var Version = "dev"

// Values of syntaxeFlux used by Facteur (reference §2.1).
const (
	SyntaxFacturX = "IN_DP_E2_CII_FACTURX" // Factur-X PDF/A-3 with embedded CII
	SyntaxCII     = "IN_DP_E1_CII_16B"     // CII D16B XML
	SyntaxUBL     = "IN_DP_E1_UBL_INVOICE" // UBL 2.1 Invoice XML
)

// knownSyntaxes is the input enum of deposerFluxFacture as far as it is known
// (11 of the 13 values the Swagger reportedly has; reference §2.1). Values
// that are pure XML flows are marked true.
var knownSyntaxes = map[string]bool{
	SyntaxFacturX:              false,
	SyntaxCII:                  true,
	SyntaxUBL:                  true,
	"IN_DP_E2_UBL_INVOICE_MIN": true,
	"IN_DP_E2_CII_MIN_16B":     true,
	"IN_DP_E2_CII_MIN":         true,
	"IN_DP_E2_CPP_FACTURE_MIN": true,
	"IN_DP_E1_CII":             true,
	"IN_DP_E1_XCBL":            true,
	"IN_DP_E1_PES_FACTURE":     true,
	"IN_DP_E2_PES_FACTURE_MIN": true,
}

// DefaultMaxFileSize is the largest flow file the client agrees to send:
// 10 MiB. The limit for deposerFluxFacture is UNCONFIRMED (one third-party
// reading of the API annex: 10 MB per file); see Config.MaxFileSize.
const DefaultMaxFileSize = 10 << 20

// DefaultTimeout bounds each HTTP exchange when Config.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Operation names used in Error.Op.
const (
	opToken    = "token"
	opDeposer  = "deposer/flux"
	opConsulte = "consulterCRDetaille"
)

// API paths under Config.APIURL.
const (
	pathDeposerFlux = "/cpro/factures/v1/deposer/flux"
	pathCRDetaille  = "/cpro/transverses/v1/consulterCRDetaille"
)

const (
	cproAccountHeader = "cpro-account"
	jsonContentType   = "application/json;charset=utf-8"
	maxErrorBody      = 64 << 10 // error bodies are read up to 64 KiB
	maxSuccessBody    = 16 << 20 // successful answers up to 16 MiB
	tokenMargin       = 60 * time.Second
	// defaultTokenLifetime is assumed when the token answer has no usable
	// expires_in (3600 s is what PISTE is observed to send).
	defaultTokenLifetime = 10 * time.Minute
)

// Config configures a Client.
type Config struct {
	APIURL   string // e.g. https://sandbox-api.piste.gouv.fr
	TokenURL string // e.g. https://sandbox-oauth.piste.gouv.fr/api/oauth/token

	ClientID, ClientSecret string // PISTE application credentials
	Login, Password        string // Chorus Pro technical account → cpro-account header

	Timeout     time.Duration // per HTTP exchange; default 60s
	MaxFileSize int64         // largest file DeposerFlux sends; default DefaultMaxFileSize
	HTTPClient  *http.Client  // optional; never http.DefaultClient
	Logger      *slog.Logger  // nil → discard
}

// Environment returns the PISTE endpoints of a named environment: "sandbox"
// (Chorus Pro qualification) or "production" (reference §1.1).
func Environment(name string) (apiURL, tokenURL string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "sandbox":
		return "https://sandbox-api.piste.gouv.fr", "https://sandbox-oauth.piste.gouv.fr/api/oauth/token", true
	case "production":
		return "https://api.piste.gouv.fr", "https://oauth.piste.gouv.fr/api/oauth/token", true
	}
	return "", "", false
}

// Client talks to Chorus Pro. It is safe for concurrent use.
type Client struct {
	apiURL      string
	tokenURL    string
	clientID    string
	secret      string
	account     string // base64(login:password); never logged
	timeout     time.Duration
	maxFileSize int64
	hc          *http.Client
	log         *slog.Logger
	now         func() time.Time

	refresh chan struct{} // one token refresh at a time (a lock that honours ctx)
	mu      sync.Mutex    // guards token and expiry
	token   string
	expiry  time.Time
}

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	var problems []string
	apiURL, err := checkURL(cfg.APIURL)
	if err != nil {
		problems = append(problems, "api url: "+err.Error())
	}
	tokenURL, err := checkURL(cfg.TokenURL)
	if err != nil {
		problems = append(problems, "token url: "+err.Error())
	}
	if cfg.ClientID == "" {
		problems = append(problems, "client id is empty")
	}
	if cfg.ClientSecret == "" {
		problems = append(problems, "client secret is empty")
	}
	if cfg.Login == "" {
		problems = append(problems, "technical login is empty")
	}
	if cfg.Password == "" {
		problems = append(problems, "technical password is empty")
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "timeout is negative")
	}
	if cfg.MaxFileSize < 0 {
		problems = append(problems, "max file size is negative")
	}
	if cfg.HTTPClient != nil && cfg.HTTPClient == http.DefaultClient {
		problems = append(problems, "http.DefaultClient is not allowed (no timeouts)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("chorus: config: %s", strings.Join(problems, "; "))
	}

	c := &Client{
		apiURL:      strings.TrimRight(apiURL, "/"),
		tokenURL:    tokenURL,
		clientID:    cfg.ClientID,
		secret:      cfg.ClientSecret,
		account:     base64.StdEncoding.EncodeToString([]byte(cfg.Login + ":" + cfg.Password)),
		timeout:     cfg.Timeout,
		maxFileSize: cfg.MaxFileSize,
		hc:          cfg.HTTPClient,
		log:         cfg.Logger,
		now:         time.Now,
		refresh:     make(chan struct{}, 1),
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxFileSize == 0 {
		c.maxFileSize = DefaultMaxFileSize
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.hc == nil {
		c.hc = newHTTPClient(c.timeout)
	}
	return c, nil
}

// checkURL accepts https URLs, and plain http only towards a loopback host
// (the in-process sandbox): credentials never travel in clear on a network.
func checkURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("%q: plain http is only allowed towards a loopback host", raw)
		}
	default:
		return "", fmt.Errorf("%q: scheme must be https", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: query and fragment are not allowed", raw)
	}
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newHTTPClient builds a client with bounded dial, TLS and header waits; the
// overall deadline of each exchange comes from the request context.
func newHTTPClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		// The API never redirects; following a redirect with a POST body and
		// credentials is not something to do silently.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (c *Client) userAgent() string { return "facteur/" + Version }

// tokenResponse is the OAuth2 token answer (reference §1.2). Only
// access_token is needed: the other fields never make the answer unreadable.
type tokenResponse struct {
	AccessToken      flexString     `json:"access_token"`
	TokenType        flexString     `json:"token_type"`
	ExpiresIn        lenientSeconds `json:"expires_in"` // 3600; tolerated as a string, a decimal, or junk (default lifetime)
	Scope            any            `json:"scope"`      // "openid"; unused
	Error            flexString     `json:"error"`
	ErrorDescription flexString     `json:"error_description"`
}

// lenientSeconds decodes a duration in seconds from a JSON number or a string
// holding one, rounding down; anything else decodes as 0 (unknown).
type lenientSeconds int64

func (n *lenientSeconds) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 1<<31 {
		*n = 0
		return nil
	}
	*n = lenientSeconds(f)
	return nil
}

// validToken returns the cached token when it has more than tokenMargin left.
func (c *Client) validToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expiry.Add(-tokenMargin)) {
		return c.token
	}
	return ""
}

// dropToken forgets tok if it is still the cached token.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
		c.expiry = time.Time{}
	}
}

// getToken returns a usable access token, fetching one when needed. Only one
// fetch runs at a time; other callers wait for it (or for their ctx).
func (c *Client) getToken(ctx context.Context) (string, error) {
	if tok := c.validToken(); tok != "" {
		return tok, nil
	}
	select {
	case c.refresh <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{Op: opToken, Transient: true, Err: ctx.Err()}
	}
	defer func() { <-c.refresh }()
	// Another caller may have refreshed while we waited.
	if tok := c.validToken(); tok != "" {
		return tok, nil
	}
	tok, lifetime, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token = tok
	c.expiry = c.now().Add(lifetime)
	c.mu.Unlock()
	return tok, nil
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.clientID},
		"client_secret": {c.secret},
		"scope":         {"openid"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &Error{Op: opToken, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent())

	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.Warn("chorus token request failed", "err", err)
		return "", 0, &Error{Op: opToken, Transient: true, Err: err}
	}
	defer drainClose(resp.Body)
	c.log.Debug("chorus token request", "status", resp.StatusCode, "duration", c.now().Sub(start))

	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := &Error{Op: opToken, HTTPStatus: resp.StatusCode, Transient: transientStatus(resp.StatusCode)}
		var tr tokenResponse
		if json.Unmarshal(trimBOM(body), &tr) == nil && tr.Error != "" {
			e.Label = string(tr.Error)
			if tr.ErrorDescription != "" {
				e.Label += ": " + string(tr.ErrorDescription)
			}
		} else {
			e.Label = snippet(body)
		}
		if tr.Error == "invalid_client" {
			e.Label += " (check the PISTE client id and secret, and sandbox vs production)"
		}
		return "", 0, e
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return "", 0, &Error{Op: opToken, HTTPStatus: resp.StatusCode, Transient: true, Err: err}
	}
	var tr tokenResponse
	if err := json.Unmarshal(trimBOM(body), &tr); err != nil {
		return "", 0, &Error{Op: opToken, HTTPStatus: resp.StatusCode, Transient: true,
			Label: "token answer is not JSON", Err: err}
	}
	if tr.AccessToken == "" {
		return "", 0, &Error{Op: opToken, HTTPStatus: resp.StatusCode, Transient: true,
			Label: "token answer has no access_token"}
	}
	if tr.TokenType != "" && !strings.EqualFold(string(tr.TokenType), "bearer") {
		c.log.Warn("chorus token of unexpected type", "token_type", string(tr.TokenType))
	}
	lifetime := time.Duration(tr.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	return string(tr.AccessToken), lifetime, nil
}

// call POSTs in as JSON to path and decodes a successful answer into out.
// A 401 drops the token and retries once with a new one.
func (c *Client) call(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.getToken(ctx)
		if err != nil {
			return err
		}
		status, hdr, data, err := c.post(ctx, op, path, tok, body)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			c.log.Info("chorus answered 401, renewing the token", "op", op)
			c.dropToken(tok)
			continue
		}
		return decodeAnswer(op, status, hdr, data, out)
	}
}

// post performs one HTTP exchange. It returns an error only when no HTTP
// answer was read.
func (c *Client) post(ctx context.Context, op, path, tok string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, &Error{Op: op, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	// Set directly, not with Header.Set, which would canonicalize the name to
	// "Cpro-Account": the reference spells it in lower case (§1.3), and a
	// server comparing names case-sensitively must find it.
	req.Header[cproAccountHeader] = []string{c.account}
	req.Header.Set("Content-Type", jsonContentType)
	req.Header.Set("Accept", jsonContentType)
	req.Header.Set("User-Agent", c.userAgent())

	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.Warn("chorus call failed", "op", op, "err", err)
		return 0, nil, nil, &Error{Op: op, Transient: true, Err: err}
	}
	defer drainClose(resp.Body)
	limit := int64(maxErrorBody)
	if resp.StatusCode/100 == 2 {
		limit = maxSuccessBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	c.log.Debug("chorus call", "op", op, "status", resp.StatusCode, "bytes", len(data), "duration", c.now().Sub(start))
	if err != nil {
		return 0, nil, nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Transient: true, Err: err}
	}
	return resp.StatusCode, resp.Header, data, nil
}

// envelope holds the fields every Chorus Pro answer carries (reference §3.2).
type envelope struct {
	CodeRetour *flexInt   `json:"codeRetour"`
	Libelle    flexString `json:"libelle"`
}

// decodeAnswer turns an HTTP answer into either out or an *Error.
func decodeAnswer(op string, status int, hdr http.Header, data []byte, out any) error {
	data = trimBOM(data)
	if status/100 != 2 {
		e := &Error{Op: op, HTTPStatus: status, Transient: transientStatus(status)}
		var env envelope
		if json.Unmarshal(data, &env) == nil && env.CodeRetour != nil {
			e.Code = int(*env.CodeRetour)
			e.Label = string(env.Libelle)
		}
		switch status {
		case http.StatusUnauthorized:
			// Still 401 with a fresh token: the PISTE token is refused, or
			// (most often) the technical account of the cpro-account header.
			desc := wwwAuthDescription(hdr.Get("WWW-Authenticate"))
			if desc == "" {
				desc = "no description"
			}
			e.Label = "authentication refused even with a fresh token: check the technical login/password " +
				"sent in the cpro-account header (they expire every 424 days) (" + desc + ")"
		case http.StatusForbidden:
			if e.Label == "" {
				e.Label = "forbidden: is the PISTE application subscribed to this API in this environment?"
			}
		case http.StatusNotFound:
			if e.Label == "" {
				e.Label = "route not found"
			}
		}
		if e.Label == "" {
			e.Label = snippet(data)
		}
		return e
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		// An HTML page or truncated answer behind a 200: a gateway problem,
		// worth retrying later (reference §3.4).
		return &Error{Op: op, HTTPStatus: status, Transient: true, Label: "answer is not JSON: " + snippet(data), Err: err}
	}
	if env.CodeRetour != nil && *env.CodeRetour != 0 {
		return &Error{Op: op, HTTPStatus: status, Code: int(*env.CodeRetour), Label: string(env.Libelle)}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Op: op, HTTPStatus: status, Transient: true, Label: "unexpected answer", Err: err}
	}
	return nil
}

// trimBOM drops a UTF-8 byte order mark, which is not JSON but which some
// servers put before their answers.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

// transientStatus classifies HTTP statuses: 408, 425, 429 and 5xx may succeed later.
func transientStatus(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests:
		return true
	case status >= 500:
		return true
	}
	return false
}

// wwwAuthDescription extracts error_description (or error) from a
// WWW-Authenticate header such as
// Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects".
func wwwAuthDescription(h string) string {
	get := func(key string) string {
		i := strings.Index(h, key+`="`)
		if i < 0 {
			return ""
		}
		rest := h[i+len(key)+2:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
		return ""
	}
	if d := get("error_description"); d != "" {
		return d
	}
	return get("error")
}

// snippet returns a short printable excerpt of an answer body for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	const max = 200
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	if s == "" {
		return "empty body"
	}
	return s
}

func drainClose(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, maxErrorBody))
	_ = rc.Close()
}
