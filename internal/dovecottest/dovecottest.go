// Package dovecottest starts a real Dovecot (Debian's dovecot-imapd) for
// tests, with a throwaway configuration under the test's temporary
// directory, on free loopback ports: see
// ../shared/reference/mail-ingestion.md §4.1 and §4.3.
package dovecottest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"facteur/internal/testcert"
)

// The one user of the server, and its password.
const (
	User     = "compta@example.test"
	Password = "s3cret-dovecot"
)

// Options selects a variant of the throwaway server.
type Options struct {
	// OAuth2Key, when set, replaces the password database by Dovecot's
	// oauth2 passdb validating HS256 JWTs locally with this key (§4.3).
	OAuth2Key []byte
}

// Server is one running throwaway Dovecot.
type Server struct {
	t        testing.TB
	Dir      string
	Conf     string
	IMAPAddr string // plain text and STARTTLS
	TLSAddr  string // implicit TLS
	CAFile   string
	Maildir  string // the user's maildir root (INBOX)
	cmd      *exec.Cmd
	exited   chan struct{}
	uid, gid int
	seq      atomic.Int64
}

// Need skips the test when Dovecot is not installed, except on CI
// (CI set), where the integration tests must run.
func Need(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"dovecot", "doveadm"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not installed, and CI is set: install dovecot-imapd dovecot-core", bin)
			}
			t.Skipf("%s not installed (apt-get install dovecot-imapd dovecot-core)", bin)
		}
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the Dovecot tests run as root (Dovecot switches to the nobody user), and CI is set")
		}
		t.Skip("the Dovecot tests need root (Dovecot switches to the nobody user)")
	}
}

// Start writes a configuration, a self-signed certificate and a
// password file under a temporary directory, starts `dovecot -F` on free
// loopback ports, waits until it accepts connections, and stops it when
// the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	Need(t)
	dir := t.TempDir()
	// t.TempDir() is 0700, as is its parent: Dovecot's unprivileged
	// processes (dovecot, dovenull, nobody) must traverse them.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	d := &Server{t: t, Dir: dir, Conf: filepath.Join(dir, "dovecot.conf"), uid: uid, gid: gid,
		Maildir: filepath.Join(dir, "mail", "compta")}
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "mail"), uid, gid); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := dovecotCert(t)
	d.CAFile = filepath.Join(dir, "cert.pem")
	writeFile(t, d.CAFile, certPEM, 0o644)
	writeFile(t, filepath.Join(dir, "key.pem"), keyPEM, 0o600)

	imapPort, tlsPort := freePort(t), freePort(t)
	d.IMAPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(imapPort))
	d.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))

	auth := fmt.Sprintf(`auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %s/passwd
}`, dir)
	writeFile(t, filepath.Join(dir, "passwd"), []byte(User+":{PLAIN}"+Password+"\n"), 0o644)
	if o.OAuth2Key != nil {
		keyDir := filepath.Join(dir, "keys", "default", "HS256")
		if err := os.MkdirAll(keyDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(keyDir, "default"), []byte(b64(o.OAuth2Key)), 0o644)
		writeFile(t, filepath.Join(dir, "oauth2.conf.ext"), fmt.Appendf(nil,
			"introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=%s/keys/\nusername_attribute = email\n", dir), 0o644)
		auth = fmt.Sprintf(`auth_mechanisms = xoauth2 oauthbearer
passdb {
  driver = oauth2
  args = %s/oauth2.conf.ext
}`, dir)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = facteur-test-%[2]d
protocols = imap
listen = 127.0.0.1
log_path = %[1]s/dovecot.log
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
%[3]s
mail_location = maildir:%[1]s/mail/%%n
mail_uid = %[4]d
mail_gid = %[5]d
first_valid_uid = 1
mail_max_userip_connections = 50
userdb {
  driver = static
  args = home=%[1]s/mail/%%n allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[6]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[7]d
    ssl = yes
  }
}
`, dir, imapPort, auth, uid, gid, imapPort, tlsPort)
	writeFile(t, d.Conf, []byte(conf), 0o644)
	if out, err := exec.Command("dovecot", "-c", d.Conf, "-n").CombinedOutput(); err != nil {
		t.Fatalf("dovecot -n: %v\n%s", err, out)
	}
	d.Start()
	t.Cleanup(d.Stop)
	return d
}

// Start runs `dovecot -F` in its own process group and waits for both
// ports.
func (d *Server) Start() {
	t := d.t
	t.Helper()
	out, err := os.OpenFile(filepath.Join(d.Dir, "fg.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dovecot", "-F", "-c", d.Conf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start dovecot: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(exited) }()
	d.cmd, d.exited = cmd, exited
	for _, addr := range []string{d.IMAPAddr, d.TLSAddr} {
		deadline := time.Now().Add(15 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("dovecot exited at start:\n%s", d.Logs())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("dovecot not listening on %s: %v\n%s", addr, err, d.Logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Stop ends Dovecot (SIGTERM to its process group, SIGKILL after 10 s).
func (d *Server) Stop() {
	d.Signal(syscall.SIGTERM, 10*time.Second)
}

// Crash kills Dovecot and all its processes at once (SIGKILL to the group),
// as a crash or an OOM kill would.
func (d *Server) Crash() {
	d.Signal(syscall.SIGKILL, 10*time.Second)
}

func (d *Server) Signal(sig syscall.Signal, grace time.Duration) {
	if d.cmd == nil {
		return
	}
	pgid := d.cmd.Process.Pid
	syscall.Kill(-pgid, sig)
	select {
	case <-d.exited:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.exited
	}
	// Children (imap, auth, login) share the group: wait until none is
	// left, so that the ports are free for a restart.
	for deadline := time.Now().Add(grace); time.Now().Before(deadline); {
		if err := syscall.Kill(-pgid, 0); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.cmd = nil
}

// Restart starts Dovecot again on the same ports and data.
func (d *Server) Restart() {
	d.t.Helper()
	d.Start()
}

func (d *Server) Logs() string {
	a, _ := os.ReadFile(filepath.Join(d.Dir, "dovecot.log"))
	b, _ := os.ReadFile(filepath.Join(d.Dir, "fg.out"))
	return string(a) + string(b)
}

// Doveadm runs doveadm with this instance's configuration.
func (d *Server) Doveadm(stdin []byte, args ...string) []byte {
	d.t.Helper()
	cmd := exec.Command("doveadm", append([]string{"-c", d.Conf}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Save delivers one message with `doveadm save`, as an MDA would.
func (d *Server) Save(folder string, raw []byte) {
	d.t.Helper()
	d.Doveadm(raw, "save", "-u", User, "-m", folder)
}

// DeliverMaildir delivers many messages fast: each is written to the
// maildir's tmp/ and renamed into new/, as dovecot-lda does; Dovecot
// assigns their UIDs (in name order) at its next sync. folder is "INBOX"
// or a top-level folder that already exists.
func (d *Server) DeliverMaildir(folder string, msgs [][]byte) {
	d.t.Helper()
	root := d.Maildir
	if folder != "INBOX" {
		root = filepath.Join(d.Maildir, "."+folder)
	}
	for _, sub := range []string{"", "new", "cur", "tmp"} {
		p := filepath.Join(root, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			d.t.Fatal(err)
		}
		os.Chown(p, d.uid, d.gid)
	}
	os.Chown(d.Maildir, d.uid, d.gid)
	for _, raw := range msgs {
		n := d.seq.Add(1)
		name := fmt.Sprintf("%d.M%06dP%d.facteur-test,S=%d", 1_700_000_000+n, n, os.Getpid(), len(raw))
		tmp := filepath.Join(root, "tmp", name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			d.t.Fatal(err)
		}
		if err := os.Chown(tmp, d.uid, d.gid); err != nil {
			d.t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(root, "new", name)); err != nil {
			d.t.Fatal(err)
		}
	}
}

// Status returns a STATUS field of folder (messages, uidvalidity, uidnext...).
func (d *Server) Status(folder, field string) uint32 {
	d.t.Helper()
	out := strings.TrimSpace(string(d.Doveadm(nil, "-f", "flow", "mailbox", "status", "-u", User, field, folder)))
	_, v, ok := strings.Cut(out, "=")
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if !ok || err != nil {
		d.t.Fatalf("doveadm mailbox status %s %s: %q", field, folder, out)
	}
	return uint32(n)
}

// UIDs lists the UIDs of folder, in order (doveadm fetch).
func (d *Server) UIDs(folder string) []uint32 {
	d.t.Helper()
	out := d.Doveadm(nil, "-f", "flow", "fetch", "-u", User, "uid", "mailbox", folder)
	var uids []uint32
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		_, v, ok := strings.Cut(line, "uid=")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			d.t.Fatalf("doveadm fetch: %q", line)
		}
		uids = append(uids, uint32(n))
	}
	return uids
}

// dovecotCert returns a self-signed certificate for 127.0.0.1 and
// localhost, and its key, in PEM.
func dovecotCert(t testing.TB) (certPEM, keyPEM []byte) {
	c := testcert.New(t)
	return c.CertPEM, c.KeyPEM
}

// freePort returns a TCP port free on 127.0.0.1 at the time of the call.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func writeFile(t testing.TB, name string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, data, perm); err != nil {
		t.Fatal(err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
