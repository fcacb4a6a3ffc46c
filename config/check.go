package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Check reads the configuration file at path and reports every problem at
// once, as `facteur check-config` prints them: the file's TOML syntax and
// shape, its values, and what it names on this host (secret files,
// environment variables and credentials, CA files, the data directory).
// A missing secret file is reported alongside a wrong port, not only once
// the file is otherwise right.
//
// cfg is what could be read of the file, defaults applied: nil when the
// file cannot be read or is not TOML; to be used only when ps is empty
// (check-config looks at the register file it names either way). warnings
// lists what is allowed but worth a look (see [Config.Warnings]), including
// what cannot be checked from here: a systemd credential is only visible to
// the service, so outside it ($CREDENTIALS_DIRECTORY unset) it is a
// warning, not a problem.
func Check(path string) (cfg *Config, ps Problems, warnings []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{Message: err.Error()}}, nil
	}
	c, ps := parse(data)
	if c == nil {
		return nil, ps, nil
	}
	host, warnings := c.checkHost()
	for _, p := range host {
		if !related(p.Key, ps) {
			ps = append(ps, p)
		}
	}
	return c, ps, append(c.Warnings(), warnings...)
}

// related reports whether key is, contains or is inside the key of one of
// ps: a problem already said about the same value.
func related(key string, ps Problems) bool {
	for _, p := range ps {
		if underAny(key, Problems{p}) || underAny(p.Key, Problems{{Key: key}}) {
			return true
		}
	}
	return false
}

// checkHost checks what the configuration names on this host: secrets,
// CA files and the data directory.
func (c *Config) checkHost() (Problems, []string) {
	var (
		ps       Problems
		warnings []string
	)
	credDir := os.Getenv("CREDENTIALS_DIRECTORY")
	for _, r := range c.secrets() {
		s := r.secret
		switch {
		case !s.IsSet():
			if r.required {
				ps.add(r.key, "required: set one of file, env, credential or value")
			}
			continue
		case s.Credential != "" && credDir == "" && len(s.sources()) == 1:
			warnings = append(warnings, fmt.Sprintf("%s: systemd credential %q not checked: only the service sees it "+
				"($CREDENTIALS_DIRECTORY is not set here); the unit must have LoadCredential=%s:FILE", r.key, s.Credential, s.Credential))
			continue
		}
		if _, err := s.resolve(); err != nil {
			ps.add(r.key, "%v", err)
		}
	}
	ps = append(ps, c.checkCAFiles()...)
	dp, dw := checkDataDir(c.Instance.DataDir)
	return append(ps, dp...), append(warnings, dw...)
}

// checkCAFiles checks that the CA files named by ca_file are readable.
func (c *Config) checkCAFiles() Problems {
	var ps Problems
	cas := []struct{ key, path string }{{"smtp.ca_file", c.SMTP.CAFile}}
	for i, m := range c.Mailboxes {
		cas = append(cas, struct{ key, path string }{fmt.Sprintf("mailbox[%d].ca_file", i), m.CAFile})
	}
	for _, ca := range cas {
		if ca.path == "" {
			continue
		}
		if _, err := os.ReadFile(ca.path); err != nil {
			ps.add(ca.key, "%v", err)
		}
	}
	return ps
}

// Access modes of access(2).
const (
	accessW = 0x2
	accessX = 0x1
)

// checkDataDir checks that dir, the data directory, is a directory this
// user may write (its database and spool are created there), or, when it
// does not exist yet, that this user may create it as `facteur run` would.
// It checks for the user running check-config: run it as the service's
// user (sudo -u facteur) to check for the service.
func checkDataDir(dir string) (Problems, []string) {
	var ps Problems
	const key = "instance.data_dir"
	if !filepath.IsAbs(dir) {
		return nil, nil // reported by validate
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(dir)
		for {
			if _, err := os.Stat(parent); err == nil || parent == filepath.Dir(parent) {
				break
			}
			parent = filepath.Dir(parent)
		}
		if syscall.Access(parent, accessW|accessX) != nil {
			ps.add(key, "%s does not exist, and %s may not create it in %s; create it for the service's user "+
				"(install -d -m 0750 -o facteur -g facteur %s)", dir, whoAmI(), parent, dir)
			return ps, nil
		}
		return nil, []string{fmt.Sprintf("%s: %s does not exist yet; facteur run will create it", key, dir)}
	case err != nil:
		ps.add(key, "%v", err)
		return ps, nil
	case !fi.IsDir():
		ps.add(key, "%s is not a directory", dir)
		return ps, nil
	}
	if syscall.Access(dir, accessW|accessX) != nil {
		ps.add(key, "%s is not writable by %s; the service writes its database and spool there "+
			"(check as the service's user: sudo -u facteur facteur check-config FILE)", dir, whoAmI())
		return ps, nil
	}
	for _, name := range []string{"facteur.db", "spool"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil && syscall.Access(p, accessW) != nil {
			ps.add(key, "%s is not writable by %s", p, whoAmI())
		}
	}
	return ps, nil
}

// whoAmI names the user running this process, for messages.
func whoAmI() string {
	uid := os.Geteuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return "user " + u.Username
	}
	return "uid " + strconv.Itoa(uid)
}
