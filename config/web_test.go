package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestWebDefaults(t *testing.T) {
	c := mustParse(t, minimal)
	if c.Web.Listen != "" || c.WebURL() != "" {
		t.Errorf("no [web]: listen %q url %q, want no page", c.Web.Listen, c.WebURL())
	}
	c = mustParse(t, minimal+"\n[web]\nlisten = \"127.0.0.1:8470\"\n")
	w := c.Web
	if w.Auth != WebAuthLocal || w.Session.Duration != 10*time.Hour || w.IdleTimeout.Duration != time.Hour || c.WebURL() != "http://127.0.0.1:8470/" {
		t.Errorf("defaults: %+v url %q", w, c.WebURL())
	}
	c = mustParse(t, minimal+"\n[web]\nlisten = \"127.0.0.1:8470\"\npublic_url = \"https://facteur.casq.fr/finances\"\nauth = \"proxy\"\ntrusted_proxies = [\"10.0.0.0/24\", \"::1\", \"192.168.1.7\"]\n")
	if c.WebURL() != "https://facteur.casq.fr/finances/" || c.Web.ProxyUserHeader != "X-Remote-User" {
		t.Errorf("url %q header %q", c.WebURL(), c.Web.ProxyUserHeader)
	}
	got := c.Web.Proxies()
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.7/32")}
	if len(got) != len(want) {
		t.Fatalf("proxies %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("proxy %d: %v, want %v", i, got[i], want[i])
		}
	}
	c = mustParse(t, minimal+"\n[web]\nlisten = \"127.0.0.1:8470\"\npublic_url = \"https://facteur.casq.fr/\"\nauth = \"oidc\"\n"+
		"[web.oidc]\nissuer = \"https://login.example.org/tenant/v2.0\"\nclient_id = \"facteur\"\nclient_secret = { value = \"s\" }\n")
	if c.Web.OIDC.UsernameClaim != "email" {
		t.Errorf("username claim %q", c.Web.OIDC.UsernameClaim)
	}
}

func TestWebProblems(t *testing.T) {
	web := func(body string) string { return minimal + "\n[web]\n" + body + "\n" }
	for _, tc := range []struct {
		src  string
		want map[string]string
	}{
		{web(`listen = ":8470"`), map[string]string{"web.listen": "every interface"}},
		{web(`listen = "127.0.0.1"`), map[string]string{"web.listen": "host:port"}},
		{web(`listen = "127.0.0.1:99999"`), map[string]string{"web.listen": "between 1 and 65535"}},
		{web("listen = \"127.0.0.1:8470\"\npublic_url = \"http://facteur.casq.fr/\""), map[string]string{"web.public_url": "https://"}},
		{web("listen = \"127.0.0.1:8470\"\npublic_url = \"https://facteur.casq.fr/?a=b\""), map[string]string{"web.public_url": "query"}},
		{web("listen = \"127.0.0.1:8470\"\nauth = \"ldap\""), map[string]string{"web.auth": `"ldap"`}},
		{web("listen = \"127.0.0.1:8470\"\nauth = \"proxy\""), map[string]string{"web.trusted_proxies": "required"}},
		{web("listen = \"127.0.0.1:8470\"\nauth = \"proxy\"\ntrusted_proxies = [\"proxy.casq.fr\"]"), map[string]string{"web.trusted_proxies[0]": "not an IP address"}},
		{web("listen = \"127.0.0.1:8470\"\nauth = \"oidc\""), map[string]string{"web.oidc.issuer": "required", "web.oidc.client_id": "required",
			"web.public_url": "required", "web.oidc.client_secret": "required"}},
		{web("listen = \"127.0.0.1:8470\"\npublic_url = \"https://f.casq.fr/\"\nauth = \"oidc\"\n[web.oidc]\nissuer = \"http://idp.casq.fr/\"\nclient_id = \"f\"\nclient_secret = { value = \"s\" }"),
			map[string]string{"web.oidc.issuer": "https://"}},
		{web("listen = \"127.0.0.1:8470\"\nsession = \"30s\"\nidle_timeout = \"2h\""), map[string]string{"web.session": "between", "web.idle_timeout": "at most"}},
	} {
		ps := problems(t, tc.src)
		wantKeys(t, ps, tc.want)
	}
	// A [web] without listen is no page: nothing else is checked.
	mustParse(t, web(`auth = "oidc"`))
}

func TestWebSecretRedacted(t *testing.T) {
	c := mustParse(t, minimal+"\n[web]\nlisten = \"127.0.0.1:8470\"\npublic_url = \"https://facteur.casq.fr/\"\nauth = \"oidc\"\n"+
		"[web.oidc]\nissuer = \"https://login.example.org/tenant/v2.0\"\nclient_id = \"facteur\"\nclient_secret = { value = \"oidc-s3cret\" }\n")
	if out := c.Redacted(); strings.Contains(out, "oidc-s3cret") || !strings.Contains(out, `issuer = "https://login.example.org/tenant/v2.0"`) {
		t.Errorf("redacted:\n%s", out)
	}
	found := false
	for _, w := range c.Warnings() {
		found = found || strings.Contains(w, "web.oidc.client_secret")
	}
	if !found {
		t.Errorf("no warning about the inline OIDC secret: %q", c.Warnings())
	}
}
