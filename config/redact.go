package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// secretRef is one secret of a configuration with its key path.
type secretRef struct {
	key      string
	secret   Secret
	required bool
}

func (c *Config) secrets() []secretRef {
	var refs []secretRef
	for i, m := range c.Mailboxes {
		refs = append(refs, secretRef{fmt.Sprintf("mailbox[%d].password", i), m.Password, m.Auth != "xoauth2"})
		if m.Auth == "xoauth2" {
			refs = append(refs, secretRef{fmt.Sprintf("mailbox[%d].oauth2.client_secret", i), m.OAuth2.ClientSecret, true})
		}
	}
	refs = append(refs,
		secretRef{"smtp.password", c.SMTP.Password, c.SMTP.Username != ""},
		secretRef{"chorus.client_secret", c.Chorus.ClientSecret, true},
		secretRef{"chorus.technical_password", c.Chorus.TechnicalPassword, true},
	)
	if c.Web.Listen != "" && c.Web.Auth == WebAuthOIDC {
		refs = append(refs, secretRef{"web.oidc.client_secret", c.Web.OIDC.ClientSecret, true})
	}
	return refs
}

// Warnings lists what is allowed but unwise: inline secrets, an SMTP
// password without a username.
func (c *Config) Warnings() []string {
	var w []string
	for _, r := range c.secrets() {
		if r.secret.Value != "" {
			w = append(w, r.key+": secret written inline in the configuration file; prefer file, env or credential")
		}
	}
	if c.SMTP.Username == "" && c.SMTP.Password.IsSet() {
		w = append(w, "smtp.password: set but smtp.username is empty, so it is not used")
	}
	return w
}

// CheckSecrets resolves every secret that is set (files exist and are
// readable, environment variables and systemd credentials present, none
// empty), reports required secrets that are not set, and checks that the
// CA files named by ca_file are readable. It is strict, as the service is:
// a credential is a problem when $CREDENTIALS_DIRECTORY is not set. [Check]
// runs it for check-config, with every other check.
func (c *Config) CheckSecrets() Problems {
	var ps Problems
	for _, r := range c.secrets() {
		if !r.secret.IsSet() {
			if r.required {
				ps.add(r.key, "required: set one of file, env, credential or value")
			}
			continue
		}
		if _, err := r.secret.resolve(); err != nil {
			ps.add(r.key, "%v", err)
		}
	}
	return append(ps, c.checkCAFiles()...)
}

// Redacted returns the effective configuration (defaults applied) as TOML,
// with every secret shown as its source only: an inline value is replaced
// by "(redacted)".
func (c *Config) Redacted() string {
	var b strings.Builder
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name := tomlName(f)
		switch f.Type.Kind() {
		case reflect.Struct:
			fmt.Fprintf(&b, "[%s]\n", name)
			writeTable(&b, fv)
			b.WriteString("\n")
		case reflect.Slice:
			for j := range fv.Len() {
				fmt.Fprintf(&b, "[[%s]]\n", name)
				writeTable(&b, fv.Index(j))
				b.WriteString("\n")
			}
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeTable(b *strings.Builder, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		name := tomlName(t.Field(i))
		if name == "" {
			continue
		}
		fmt.Fprintf(b, "%s = %s\n", name, tomlValue(v.Field(i)))
	}
}

func tomlValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Secret:
		var parts []string
		for _, kv := range [][2]string{{"file", x.File}, {"env", x.Env}, {"credential", x.Credential}, {"value", x.Value}} {
			if kv[1] == "" {
				continue
			}
			val := kv[1]
			if kv[0] == "value" {
				val = redacted
			}
			parts = append(parts, kv[0]+" = "+tomlString(val))
		}
		if len(parts) == 0 {
			return "{}"
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case Duration:
		return tomlString(x.Duration.String())
	case ByteSize:
		return tomlString(x.String())
	case string:
		return tomlString(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case *bool:
		if x == nil {
			return "false"
		}
		return strconv.FormatBool(*x)
	case MailboxOAuth2, WebOIDC:
		// An inline table; its secret shown as its source only.
		var parts []string
		t := v.Type()
		for i := range t.NumField() {
			if name := tomlName(t.Field(i)); name != "" {
				parts = append(parts, name+" = "+tomlValue(v.Field(i)))
			}
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = tomlString(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return tomlString(fmt.Sprint(v.Interface()))
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
