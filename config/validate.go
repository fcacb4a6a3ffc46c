package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"

	"facteur/ident"
)

var (
	casePrefixRE  = regexp.MustCompile(`^[A-Z]{2,8}$`)
	mailboxNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// validate checks a decoded configuration with defaults applied and
// returns every problem found.
func (c *Config) validate() Problems {
	var ps Problems

	in := c.Instance
	if strings.TrimSpace(in.Name) == "" {
		ps.add("instance.name", "required (the name of the public body, used in replies)")
	}
	if !casePrefixRE.MatchString(in.CasePrefix) {
		ps.add("instance.case_prefix", "%q must be 2 to 8 upper-case letters A-Z", in.CasePrefix)
	}
	checkEnum(&ps, "instance.log_level", in.LogLevel, "debug", "info", "warn", "error")
	if !filepath.IsAbs(in.DataDir) {
		ps.add("instance.data_dir", "%q must be an absolute path (e.g. %q)", in.DataDir, DefaultDataDir)
	}

	if l := c.Metrics.Listen; l != "" {
		if host, port, err := net.SplitHostPort(l); err != nil || port == "" {
			ps.add("metrics.listen", "%q must be host:port, e.g. \"127.0.0.1:9464\"", l)
		} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			ps.add("metrics.listen", "port %q must be between 1 and 65535", port)
		} else if host == "" {
			ps.add("metrics.listen", "name the address to listen on (e.g. 127.0.0.1:%s); an empty host would expose the metrics on every interface", port)
		}
	}

	c.validateWeb(&ps)

	if len(c.Mailboxes) == 0 {
		ps.add("mailbox", "at least one [[mailbox]] is required")
	}
	names := map[string]int{}
	for i, m := range c.Mailboxes {
		key := fmt.Sprintf("mailbox[%d]", i)
		switch {
		case m.Name == "":
			ps.add(key+".name", "required")
		case !mailboxNameRE.MatchString(m.Name):
			ps.add(key+".name", "%q must contain only a-z, 0-9, _ and -", m.Name)
		default:
			if j, dup := names[m.Name]; dup {
				ps.add(key+".name", "%q is already the name of mailbox[%d]", m.Name, j)
			} else {
				names[m.Name] = i
			}
		}
		if m.Address == "" {
			ps.add(key+".address", "required")
		} else {
			checkAddrSpec(&ps, key+".address", m.Address)
		}
		checkHost(&ps, key, m.Host, m.Security, "tls", "starttls", "plain")
		checkPort(&ps, key+".port", m.Port)
		checkEnum(&ps, key+".auth", m.Auth, "password", "xoauth2")
		checkSecret(&ps, key+".password", m.Password, m.Auth == "password")
		if o := m.OAuth2; m.Auth == "xoauth2" {
			okey := key + ".oauth2"
			switch {
			case o.TokenURL == "":
				ps.add(okey+".token_url", "required with auth = \"xoauth2\" (e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token)")
			default:
				checkHTTPURL(&ps, okey+".token_url", o.TokenURL)
				if u, err := url.Parse(o.TokenURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
					ps.add(okey+".token_url", "%q must be https (http only towards a loopback host)", o.TokenURL)
				}
			}
			if strings.TrimSpace(o.ClientID) == "" {
				ps.add(okey+".client_id", "required with auth = \"xoauth2\" (the application (client) id)")
			}
			checkSecret(&ps, okey+".client_secret", o.ClientSecret, true)
			if strings.TrimSpace(o.Scope) == "" {
				ps.add(okey+".scope", "must not be blank")
			}
			if m.Password.IsSet() {
				ps.add(key+".password", "not used with auth = \"xoauth2\"; remove it")
			}
		} else if o != (MailboxOAuth2{}) {
			ps.add(key+".oauth2", "only used with auth = \"xoauth2\"")
		}
		if m.TLSInsecureSkipVerify && m.Security == "plain" {
			ps.add(key+".tls_insecure_skip_verify", "meaningless with security = \"plain\" (no TLS)")
		}
		folders := []struct{ key, name string }{
			{"folder", m.Folder},
			{"processed_folder", m.ProcessedFolder},
			{"review_folder", m.ReviewFolder},
			{"ignored_folder", m.IgnoredFolder},
		}
		for a, fa := range folders {
			if strings.TrimSpace(fa.name) == "" {
				ps.add(key+"."+fa.key, "must not be blank")
				continue
			}
			for _, fb := range folders[:a] {
				if strings.EqualFold(fa.name, fb.name) {
					ps.add(key+"."+fa.key, "%q is also %s; each folder must be different", fa.name, fb.key)
				}
			}
		}
		checkCron(&ps, key+".poll", m.Poll)
		if m.MaxMessageSize <= 0 {
			ps.add(key+".max_message_size", "must be positive")
		}
	}

	s := c.SMTP
	checkHost(&ps, "smtp", s.Host, s.Security, "starttls", "tls", "plain")
	checkPort(&ps, "smtp.port", s.Port)
	checkSecret(&ps, "smtp.password", s.Password, s.Username != "")
	if s.From == "" {
		ps.add("smtp.from", "required (the From address of replies)")
	} else {
		checkAddrSpec(&ps, "smtp.from", s.From)
	}
	if strings.ContainsAny(s.FromName, "\r\n") {
		ps.add("smtp.from_name", "must be on one line")
	}
	if s.EnvelopeFrom != "" {
		checkAddrSpec(&ps, "smtp.envelope_from", s.EnvelopeFrom)
	}
	for i, b := range s.Bcc {
		checkAddrSpec(&ps, fmt.Sprintf("smtp.bcc[%d]", i), b)
	}
	if s.Timeout.Duration <= 0 {
		ps.add("smtp.timeout", "must be positive")
	}

	ch := c.Chorus
	checkEnum(&ps, "chorus.environment", ch.Environment, "sandbox", "production", "custom")
	for _, u := range []struct{ key, url string }{{"chorus.api_url", ch.APIURL}, {"chorus.token_url", ch.TokenURL}} {
		switch {
		case u.url != "":
			checkHTTPURL(&ps, u.key, u.url)
		case ch.Environment == "custom":
			ps.add(u.key, "required when chorus.environment is \"custom\"")
		}
	}
	if strings.TrimSpace(ch.ClientID) == "" {
		ps.add("chorus.client_id", "required (the PISTE application's client id)")
	}
	checkSecret(&ps, "chorus.client_secret", ch.ClientSecret, true)
	if strings.TrimSpace(ch.TechnicalLogin) == "" {
		ps.add("chorus.technical_login", "required (the Chorus Pro technical account, e.g. TECH_1_...@cpro.fr)")
	}
	checkSecret(&ps, "chorus.technical_password", ch.TechnicalPassword, true)
	if ch.Timeout.Duration <= 0 {
		ps.add("chorus.timeout", "must be positive")
	}
	checkCron(&ps, "chorus.status_poll", ch.StatusPoll)
	checkCron(&ps, "chorus.lifecycle_poll", ch.LifecyclePoll)
	if ch.PasswordSetOn != "" {
		if _, ok := ch.PasswordSetOnDate(); !ok {
			ps.add("chorus.password_set_on", "%q must be a date written YYYY-MM-DD", ch.PasswordSetOn)
		}
	}
	if ch.StructureRefresh.Duration <= 0 {
		ps.add("chorus.structure_refresh", "must be positive")
	}
	if ch.SupplierID < 0 {
		ps.add("chorus.supplier_id", "must be positive (the supplier's idStructureCPP), or absent")
	}

	if len(c.Budgets) == 0 {
		ps.add("budget", "at least one [[budget]] is required")
	}
	budgetNames := map[string]int{}
	sirets := map[string]int{}
	keywords := map[string]int{}
	for i, b := range c.Budgets {
		key := fmt.Sprintf("budget[%d]", i)
		if strings.TrimSpace(b.Name) == "" {
			ps.add(key+".name", "required")
		} else if j, dup := budgetNames[b.Name]; dup {
			ps.add(key+".name", "%q is already the name of budget[%d]", b.Name, j)
		} else {
			budgetNames[b.Name] = i
		}
		switch {
		case b.SIRET == "":
			ps.add(key+".siret", "required")
		case len(b.SIRET) != 14 || !ident.AllDigits(b.SIRET):
			ps.add(key+".siret", "%q must be 14 digits", b.SIRET)
		case !ident.ValidSIRET(b.SIRET):
			ps.add(key+".siret", "%s is not a valid SIRET (check digit)", b.SIRET)
		default:
			if j, dup := sirets[b.SIRET]; dup {
				ps.add(key+".siret", "%s is already the SIRET of budget[%d]", b.SIRET, j)
			} else {
				sirets[b.SIRET] = i
			}
		}
		for k, w := range b.Keywords {
			kkey := fmt.Sprintf("%s.keywords[%d]", key, k)
			norm := strings.ToLower(strings.Join(strings.Fields(w), " "))
			if norm == "" {
				ps.add(kkey, "must not be blank")
				continue
			}
			if j, dup := keywords[norm]; dup && j != i {
				ps.add(kkey, "%q is also a keyword of budget[%d]", w, j)
			} else if !dup {
				keywords[norm] = i
			}
		}
	}

	if d := c.Routing.DefaultBudget; d != "" {
		if _, ok := budgetNames[d]; !ok {
			ps.add("routing.default_budget", "%q is not the name of a [[budget]]", d)
		}
	}

	l := c.Limits
	for key, v := range map[string]int64{"max_parts": int64(l.MaxParts), "max_depth": int64(l.MaxDepth),
		"max_archive_entries": int64(l.MaxArchiveEntries), "max_decompressed_size": int64(l.MaxDecompressedSize),
		"max_ratio": int64(l.MaxRatio), "max_pdf_size": int64(l.MaxPDFSize), "max_pdf_pages": int64(l.MaxPDFPages),
		"max_pdf_objects": int64(l.MaxPDFObjects), "document_timeout": int64(l.DocumentTimeout.Duration)} {
		if v < 0 {
			ps.add("limits."+key, "must be positive")
		}
	}

	if f := c.Register.File; f != "" && !filepath.IsAbs(f) {
		ps.add("register.file", "must be an absolute path")
	}

	for i, a := range c.Digest.To {
		checkAddrSpec(&ps, fmt.Sprintf("digest.to[%d]", i), a)
	}
	checkCron(&ps, "digest.schedule", c.Digest.Schedule)
	if c.Digest.WaitingDays < 1 {
		ps.add("digest.waiting_days", "must be at least 1")
	}
	if n := c.Replies.PerSenderPerDay; n < 1 || n > MaxRepliesPerSenderPerDay {
		ps.add("replies.per_sender_per_day", "must be between 1 and %d, not %d", MaxRepliesPerSenderPerDay, n)
	}

	if v := c.Routing.CannotDeposit; v != CannotDepositGuide && v != CannotDepositHold {
		ps.add("routing.cannot_deposit", "must be %q or %q, not %q", CannotDepositGuide, CannotDepositHold, v)
	}

	for i, p := range c.Engagement.Patterns {
		key := fmt.Sprintf("engagement.patterns[%d]", i)
		re, err := regexp.Compile(p)
		if err != nil {
			ps.add(key, "invalid regexp: %v", err)
			continue
		}
		if n := re.NumSubexp(); n != 1 {
			ps.add(key, "must have exactly one capture group (the number), has %d; use (?:...) for other groups", n)
		}
	}
	return ps
}

func checkEnum(ps *Problems, key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	ps.add(key, "%q must be one of %s", v, quoteList(allowed))
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func checkPort(ps *Problems, key string, port int) {
	if port < 1 || port > 65535 {
		ps.add(key, "must be between 1 and 65535")
	}
}

// checkHost checks prefix.host and prefix.security, refusing plain text
// towards anything but a loopback host.
func checkHost(ps *Problems, prefix, host, security string, allowed ...string) {
	switch {
	case host == "":
		ps.add(prefix+".host", "required")
	case strings.ContainsAny(host, "/@ \t\r\n") || strings.Contains(host, "://"):
		ps.add(prefix+".host", "%q must be a host name or IP address, without scheme or path", host)
	default:
		if _, _, err := net.SplitHostPort(host); err == nil && !strings.HasPrefix(host, "[") {
			ps.add(prefix+".host", "%q must not include the port; use %s.port", host, prefix)
		}
	}
	checkEnum(ps, prefix+".security", security, allowed...)
	if security == "plain" && host != "" && !isLoopback(host) {
		ps.add(prefix+".security", "\"plain\" is only allowed towards a loopback host (localhost, 127.0.0.0/8, ::1), not %q; use \"tls\" or \"starttls\"", host)
	}
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkAddrSpec requires a bare address "user@example.org" (no display
// name, no angle brackets).
func checkAddrSpec(ps *Problems, key, addr string) {
	a, err := mail.ParseAddress(addr)
	switch {
	case err != nil:
		ps.add(key, "%q is not a valid e-mail address: %v", addr, err)
	case a.Name != "" || a.Address != addr:
		ps.add(key, "%q must be a bare address such as user@example.org (no name, no angle brackets)", addr)
	}
}

func checkHTTPURL(ps *Problems, key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		ps.add(key, "invalid URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		ps.add(key, "%q must be an http:// or https:// URL", raw)
	case u.Host == "":
		ps.add(key, "%q has no host", raw)
	case u.User != nil:
		ps.add(key, "must not contain credentials")
	}
}

func checkCron(ps *Problems, key, spec string) {
	if err := parseCron(spec); err != nil {
		ps.add(key, "invalid schedule %q: %v (use e.g. \"@every 1m\" or \"*/5 * * * *\")", spec, err)
	}
}

// parseCron validates a schedule like the daemon's cron will read it.
func parseCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable: %v", r)
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}
