package config

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Web is the finance staff's web page, served by the daemon on its own
// listener (see package web).
type Web struct {
	// Listen is a host:port, e.g. "127.0.0.1:8470" (port 0: chosen by the system; a loopback address,
	// behind the public body's reverse proxy); empty: no page.
	Listen string `toml:"listen"`
	// PublicURL is the page's address as finance staff reach it, e.g.
	// "https://facteur.casq.fr/": the digest links each case to its page,
	// the identity provider sends people back there, and with https the
	// session cookie is sent over https only. Empty: http://LISTEN/.
	PublicURL string `toml:"public_url"`
	// Auth is how people log in: "local" (default; accounts made with
	// `facteur users add`), "oidc" (the body's identity provider) or
	// "proxy" (the reverse proxy authenticates and names the person in a
	// header).
	Auth string `toml:"auth"`
	// TrustedProxies are the addresses or networks (CIDR) of the reverse
	// proxies: only from them are X-Forwarded-For (for the login rate
	// limit and the logs) and, with auth = "proxy", the user header
	// believed.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ProxyUserHeader is the header naming the person (auth = "proxy"),
	// default "X-Remote-User".
	ProxyUserHeader string `toml:"proxy_user_header"`
	// OIDC is the identity provider (auth = "oidc").
	OIDC WebOIDC `toml:"oidc"`
	// Session is how long a session lasts at most (default 10h);
	// IdleTimeout ends one unused for longer (default 1h).
	Session     Duration `toml:"session"`
	IdleTimeout Duration `toml:"idle_timeout"`
}

// WebOIDC is an OpenID Connect identity provider (Microsoft Entra ID,
// Keycloak...). The person it names (by UsernameClaim) must have been
// added with `facteur users add NAME --externe`, which gives the role.
type WebOIDC struct {
	Issuer       string `toml:"issuer"` // e.g. "https://login.microsoftonline.com/TENANT/v2.0"
	ClientID     string `toml:"client_id"`
	ClientSecret Secret `toml:"client_secret"`
	// UsernameClaim is the ID token claim naming the person: "email"
	// (default), "preferred_username", "upn", "sub"...
	UsernameClaim string `toml:"username_claim"`
}

// Defaults of the web page.
const (
	WebAuthLocal           = "local"
	WebAuthOIDC            = "oidc"
	WebAuthProxy           = "proxy"
	DefaultProxyUserHeader = "X-Remote-User"
	DefaultUsernameClaim   = "email"
	DefaultWebSession      = 10 * time.Hour
	DefaultWebIdleTimeout  = time.Hour
)

func (w *Web) applyDefaults() {
	setDefault(&w.Auth, WebAuthLocal)
	if w.Auth == WebAuthProxy {
		setDefault(&w.ProxyUserHeader, DefaultProxyUserHeader)
	}
	if w.Auth == WebAuthOIDC {
		setDefault(&w.OIDC.UsernameClaim, DefaultUsernameClaim)
	}
	if w.Session.Duration == 0 {
		w.Session.Duration = DefaultWebSession
	}
	if w.IdleTimeout.Duration == 0 {
		w.IdleTimeout.Duration = DefaultWebIdleTimeout
	}
}

// Proxies parses TrustedProxies (checked by the validation).
func (w Web) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range w.TrustedProxies {
		if pr, ok := parseProxy(p); ok {
			out = append(out, pr)
		}
	}
	return out
}

func parseProxy(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
}

// validateWeb checks the [web] section.
func (c *Config) validateWeb(ps *Problems) {
	w := c.Web
	if w.Listen == "" {
		return
	}
	host, port, err := net.SplitHostPort(w.Listen)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		ps.add("web.listen", "%q must be host:port with a port between 1 and 65535 (0: chosen by the system), e.g. \"127.0.0.1:8470\"", w.Listen)
	} else if host == "" {
		ps.add("web.listen", "name the address to listen on (e.g. 127.0.0.1:%s, behind the reverse proxy); an empty host would serve the page on every interface", port)
	}
	if w.PublicURL != "" {
		before := len(*ps)
		checkHTTPURL(ps, "web.public_url", w.PublicURL)
		if len(*ps) == before {
			u, _ := url.Parse(w.PublicURL)
			switch {
			case u.Scheme == "http" && !isLoopback(u.Hostname()):
				ps.add("web.public_url", "%q must be https:// (passwords and session cookies must not cross the network in clear); http only for a loopback address", w.PublicURL)
			case u.RawQuery != "" || u.Fragment != "":
				ps.add("web.public_url", "%q must not have a query or a fragment", w.PublicURL)
			}
		}
	}
	for i, p := range w.TrustedProxies {
		if _, ok := parseProxy(p); !ok {
			ps.add("web.trusted_proxies["+strconv.Itoa(i)+"]", "%q is not an IP address or a network such as 10.0.0.0/24", p)
		}
	}
	switch w.Auth {
	case WebAuthLocal:
	case WebAuthProxy:
		if len(w.TrustedProxies) == 0 {
			ps.add("web.trusted_proxies", "required with auth = \"proxy\": the addresses of the reverse proxies, the only ones whose %s header is believed", w.ProxyUserHeader)
		}
		if strings.ContainsAny(w.ProxyUserHeader, " :\r\n") {
			ps.add("web.proxy_user_header", "%q is not a header name", w.ProxyUserHeader)
		}
	case WebAuthOIDC:
		o := w.OIDC
		if o.Issuer == "" {
			ps.add("web.oidc.issuer", "required with auth = \"oidc\" (e.g. \"https://login.microsoftonline.com/TENANT/v2.0\")")
		} else {
			before := len(*ps)
			checkHTTPURL(ps, "web.oidc.issuer", o.Issuer)
			if u, err := url.Parse(o.Issuer); len(*ps) == before && err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
				ps.add("web.oidc.issuer", "%q must be https:// (http only for a loopback address)", o.Issuer)
			}
		}
		if o.ClientID == "" {
			ps.add("web.oidc.client_id", "required with auth = \"oidc\"")
		}
		if !o.ClientSecret.IsSet() {
			ps.add("web.oidc.client_secret", "required with auth = \"oidc\": set one of file, env, credential or value")
		}
		if w.PublicURL == "" {
			ps.add("web.public_url", "required with auth = \"oidc\": the identity provider sends people back to PUBLIC_URL/connexion/retour")
		}
	default:
		ps.add("web.auth", "must be %q, %q or %q, not %q", WebAuthLocal, WebAuthOIDC, WebAuthProxy, w.Auth)
	}
	if w.Session.Duration < time.Minute || w.Session.Duration > 7*24*time.Hour {
		ps.add("web.session", "must be between 1m and 168h")
	}
	if w.IdleTimeout.Duration < time.Minute || w.IdleTimeout.Duration > w.Session.Duration {
		ps.add("web.idle_timeout", "must be at least 1m and at most web.session")
	}
}

// WebURL is the page's address: public_url, or http://LISTEN/ without
// one; "" without a page. It ends with "/".
func (c *Config) WebURL() string {
	w := c.Web
	if w.Listen == "" {
		return ""
	}
	u := w.PublicURL
	if u == "" {
		u = "http://" + w.Listen + "/"
	}
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}
