package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Secret says where a secret comes from. Exactly one source may be set.
// The value itself is only read by [Secret.Resolve].
type Secret struct {
	File       string `toml:"file"`       // path; content trimmed of trailing newline
	Env        string `toml:"env"`        // environment variable name
	Credential string `toml:"credential"` // systemd credential name: $CREDENTIALS_DIRECTORY/<name>
	Value      string `toml:"value"`      // inline; allowed (tests, demo) but check-config warns
}

// maxSecretSize bounds what Resolve reads from a file or credential.
const maxSecretSize = 64 << 10

var (
	envNameRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	credentialNameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
)

// IsSet reports whether any source is set.
func (s Secret) IsSet() bool {
	return s.File != "" || s.Env != "" || s.Credential != "" || s.Value != ""
}

// sources lists the names of the sources that are set.
func (s Secret) sources() []string {
	var src []string
	if s.File != "" {
		src = append(src, "file")
	}
	if s.Env != "" {
		src = append(src, "env")
	}
	if s.Credential != "" {
		src = append(src, "credential")
	}
	if s.Value != "" {
		src = append(src, "value")
	}
	return src
}

// Resolve reads the secret from its source: a file (trailing newlines and
// carriage returns removed), an environment variable, a systemd credential
// in $CREDENTIALS_DIRECTORY (trimmed the same way), or the inline value.
// An empty secret is an error.
func (s Secret) Resolve() (string, error) {
	v, err := s.resolve()
	if err != nil {
		return "", fmt.Errorf("config: secret: %w", err)
	}
	return v, nil
}

func (s Secret) resolve() (string, error) {
	switch src := s.sources(); len(src) {
	case 0:
		return "", errors.New("no source set (file, env, credential or value)")
	case 1:
	default:
		return "", fmt.Errorf("several sources set (%s), exactly one is allowed", strings.Join(src, ", "))
	}
	switch {
	case s.File != "":
		return readSecretFile(s.File)
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", s.Env)
		}
		return v, nil
	case s.Credential != "":
		if !credentialNameRE.MatchString(s.Credential) || s.Credential == "." || s.Credential == ".." {
			return "", fmt.Errorf("invalid credential name %q", s.Credential)
		}
		dir := os.Getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return "", fmt.Errorf("credential %q: $CREDENTIALS_DIRECTORY is not set (is the service started by systemd with LoadCredential=?)", s.Credential)
		}
		v, err := readSecretFile(filepath.Join(dir, s.Credential))
		if err != nil {
			return "", fmt.Errorf("credential %q: %w", s.Credential, err)
		}
		return v, nil
	default:
		return s.Value, nil
	}
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretSize {
		return "", fmt.Errorf("%s: larger than %d bytes, not a secret", path, maxSecretSize)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s: empty", path)
	}
	return v, nil
}

// String describes the source of the secret, never its value.
func (s Secret) String() string {
	var parts []string
	if s.File != "" {
		parts = append(parts, "file:"+s.File)
	}
	if s.Env != "" {
		parts = append(parts, "env:"+s.Env)
	}
	if s.Credential != "" {
		parts = append(parts, "credential:"+s.Credential)
	}
	if s.Value != "" {
		parts = append(parts, "value:"+redacted)
	}
	if len(parts) == 0 {
		return "(unset)"
	}
	return strings.Join(parts, ",")
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// MarshalText keeps encoders (JSON, TOML) from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps log/slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

const redacted = "(redacted)"

// checkSecret validates the sources of a secret at key; required says
// whether it must be set.
func checkSecret(ps *Problems, key string, s Secret, required bool) {
	src := s.sources()
	switch {
	case len(src) == 0:
		if required {
			ps.add(key, "required: set one of file, env, credential or value (e.g. %s = { credential = \"name\" })", key[strings.LastIndex(key, ".")+1:])
		}
		return
	case len(src) > 1:
		ps.add(key, "several sources set (%s), exactly one is allowed", strings.Join(src, ", "))
		return
	}
	switch {
	case s.Env != "" && !envNameRE.MatchString(s.Env):
		ps.add(key+".env", "%q is not a valid environment variable name", s.Env)
	case s.Credential != "" && (!credentialNameRE.MatchString(s.Credential) || s.Credential == "." || s.Credential == ".."):
		ps.add(key+".credential", "%q is not a valid credential name", s.Credential)
	}
}
