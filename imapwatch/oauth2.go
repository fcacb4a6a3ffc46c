package imapwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
)

// DefaultOAuth2Scope is the scope of Microsoft 365 app-only IMAP access
// (application permission IMAP.AccessAsApp).
const DefaultOAuth2Scope = "https://outlook.office365.com/.default"

const (
	// tokenTimeout bounds one token request when OAuth2.HTTPClient is nil.
	tokenTimeout = 30 * time.Second
	// tokenRenewMargin: a token is renewed this long before it expires,
	// or at half its lifetime when that is shorter.
	tokenRenewMargin = 5 * time.Minute
	// maxTokenResponse bounds what is read from the token endpoint.
	maxTokenResponse = 1 << 20
)

// xoauth2Mech is the SASL mechanism name used by Microsoft and Google.
const xoauth2Mech = "XOAUTH2"

// OAuth2 configures the client-credentials grant (RFC 6749 §4.4) used with
// Auth "xoauth2": Microsoft 365 app-only access, for instance.
type OAuth2 struct {
	TokenURL     string // e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
	ClientID     string
	ClientSecret string
	Scope        string       // default DefaultOAuth2Scope
	HTTPClient   *http.Client // default: a client with a 30 s timeout
}

// xoauth2Client is the client side of SASL XOAUTH2, which go-sasl does not
// provide (it is not standard; OAUTHBEARER, RFC 7628, superseded it, but
// Exchange Online only offers XOAUTH2).
type xoauth2Client struct {
	user, token string
	log         *slog.Logger
}

var _ sasl.Client = (*xoauth2Client)(nil)

func newXOAUTH2Client(user, token string, log *slog.Logger) *xoauth2Client {
	return &xoauth2Client{user: user, token: token, log: log}
}

// Start sends the initial response: user=U ^A auth=Bearer T ^A ^A.
func (c *xoauth2Client) Start() (string, []byte, error) {
	return xoauth2Mech, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's only possible challenge, a JSON error report,
// with an empty response, after which the server fails the exchange.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	c.log.Warn("XOAUTH2 rejected by the server", "challenge", string(challenge))
	return []byte{}, nil
}

// accessToken is a bearer token and when to stop using it.
type accessToken struct {
	value   string
	renewAt time.Time
}

// tokenSource fetches client-credentials tokens and caches the current one
// until shortly before it expires. Safe for concurrent use.
type tokenSource struct {
	cfg OAuth2
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	cur     accessToken
	fetches int // tokens fetched so far (tests)
}

func newTokenSource(cfg OAuth2, log *slog.Logger) *tokenSource {
	if cfg.Scope == "" {
		cfg.Scope = DefaultOAuth2Scope
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: tokenTimeout}
	}
	return &tokenSource{cfg: cfg, log: log, now: time.Now}
}

// token returns the cached token, or a new one when none is cached or the
// cached one is due for renewal.
func (ts *tokenSource) token(ctx context.Context) (accessToken, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur.value != "" && ts.now().Before(ts.cur.renewAt) {
		return ts.cur, nil
	}
	tok, lifetime, err := ts.fetch(ctx)
	if err != nil {
		return accessToken{}, err
	}
	ts.fetches++
	obtained := ts.now()
	ts.cur = accessToken{value: tok, renewAt: obtained.Add(lifetime - min(tokenRenewMargin, lifetime/2))}
	ts.log.Info("oauth2 token obtained", "expires_in", lifetime, "renew_at", ts.cur.renewAt.Format(time.RFC3339))
	return ts.cur, nil
}

// invalidate forgets tok if it is the cached token.
func (ts *tokenSource) invalidate(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur.value == tok {
		ts.cur = accessToken{}
	}
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1, §5.2).
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"` // a number; some servers send a string
	Error       string          `json:"error"`
	Description string          `json:"error_description"`
}

// fetch performs one client-credentials request.
func (ts *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {ts.cfg.ClientID},
		"client_secret": {ts.cfg.ClientSecret},
		"scope":         {ts.cfg.Scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ts.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: read response: %w", err)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("oauth2 token: %s", resp.Status)
		if jsonErr == nil && tr.Error != "" {
			err = fmt.Errorf("oauth2 token: %s: %s: %s", resp.Status, tr.Error, firstLine(tr.Description))
		}
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
			// invalid_client, unauthorized_client, invalid_scope...
			err = fmt.Errorf("%w: %w", ErrAuth, err)
		}
		return "", 0, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" || jsonErr != nil {
		return "", 0, errors.Join(fmt.Errorf("oauth2 token: response is not JSON (%q)", mt), jsonErr)
	}
	if tr.AccessToken == "" {
		return "", 0, errors.New("oauth2 token: response has no access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("oauth2 token: token_type %q, want Bearer", tr.TokenType)
	}
	secs, err := parseExpiresIn(tr.ExpiresIn)
	if err != nil {
		return "", 0, err
	}
	return tr.AccessToken, time.Duration(secs) * time.Second, nil
}

// parseExpiresIn reads expires_in, a number of seconds (sometimes written
// as a string). Absent, it defaults to one hour (Microsoft's usual value).
func parseExpiresIn(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 3600, nil
	}
	var n json.Number
	s := strings.Trim(string(raw), `"`)
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return 0, fmt.Errorf("oauth2 token: expires_in %s is not a number", raw)
	}
	secs, err := n.Int64()
	if err != nil || secs <= 0 {
		return 0, fmt.Errorf("oauth2 token: expires_in %s is not a positive number of seconds", raw)
	}
	return secs, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
