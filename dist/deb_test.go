package dist

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDebianPackage builds the package with build-deb.sh, checks it with
// lintian (no error), installs it on this machine with dpkg, runs the
// installed facteur (--version, check-config on the installed
// configuration, as root and as the service's user), upgrades it with a
// changed conffile over a locally changed one (the local one stays),
// removes it (the data and the configuration stay) and purges it (both
// go). It needs root, dpkg and lintian: without them it is skipped, except
// when CI is set, where it fails. It refuses to run on a machine where
// Facteur is installed or has left data.
func TestDebianPackage(t *testing.T) {
	ci := os.Getenv("CI") != ""
	require := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			if ci {
				t.Fatalf("CI is set: "+format, args...)
			}
			t.Skipf(format, args...)
		}
	}
	require(os.Geteuid() == 0, "not root: the package is not installed")
	for _, tool := range []string{"dpkg", "dpkg-deb", "lintian", "go", "bash", "runuser"} {
		_, err := exec.LookPath(tool)
		require(err == nil, "%s is not installed", tool)
	}
	// One run at a time on a machine: another one (another checkout's
	// go test) would remove the package, the user or the data under this
	// one's feet. The lock goes with the process.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "facteur-deb-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() }) // registered first: released after the other cleanups
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Log("another run of this test holds the machine; waiting for it")
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
	}
	require(!debInstalled(), "the package facteur is installed on this machine")
	for _, p := range []string{"/var/lib/facteur", "/etc/facteur", "/usr/bin/facteur"} {
		_, err := os.Lstat(p)
		require(os.IsNotExist(err), "%s exists on this machine: the test would delete it", p)
	}
	_, err = user.Lookup("facteur")
	userBefore := err == nil

	sh := func(name string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(name, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Stdin = nil
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8")
		err := cmd.Run()
		return out.String(), err
	}
	must := func(name string, args ...string) string {
		t.Helper()
		out, err := sh(name, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}
	var created []string // files the test made outside its directory
	t.Cleanup(func() {
		if debInstalled() {
			sh("dpkg", "--purge", "facteur")
		}
		for _, f := range created {
			os.Remove(f)
		}
		os.Remove("/etc/facteur")
		if !userBefore {
			sh("deluser", "--system", "--quiet", "facteur")
			sh("delgroup", "--system", "--quiet", "facteur")
		}
	})

	// Build.
	start := time.Now()
	out := t.TempDir()
	build := exec.Command("bash", "build-deb.sh", out)
	build.Env = append(os.Environ(), "VERSION=0.0.1~test")
	var stderr bytes.Buffer
	build.Stderr = &stderr
	stdout, err := build.Output()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	deb := lines[len(lines)-1]
	if filepath.Base(deb) != "facteur_0.0.1~test_"+strings.TrimSpace(must("dpkg", "--print-architecture"))+".deb" {
		t.Fatalf("built %s", deb)
	}
	t.Logf("built %s in %s", filepath.Base(deb), time.Since(start).Round(time.Second))

	// Lint: no error; warnings are logged.
	lint, err := sh("lintian", "--pedantic", deb)
	for _, l := range strings.Split(lint, "\n") {
		switch {
		case strings.HasPrefix(l, "E:"):
			t.Errorf("lintian: %s", l)
		case strings.HasPrefix(l, "W:"):
			t.Logf("lintian: %s", l)
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("lintian: %v\n%s", err, lint)
	}

	// Contents: what the package must hold, and the unit when there is one.
	contents := must("dpkg-deb", "--contents", deb)
	want := []string{"-rwxr-xr-x root/root .* ./usr/bin/facteur\n", "-rw-r----- root/root .* ./etc/facteur/facteur.toml\n",
		"./usr/share/man/man1/facteur.1.gz\n", "./usr/share/doc/facteur/guide-services-financiers.md\n",
		"./usr/share/doc/facteur/copyright\n", "./usr/share/doc/facteur/changelog.gz\n"}
	unit, err := os.ReadFile("facteur.service")
	if err == nil {
		want = append(want, "-rw-r--r-- root/root .* ./lib/systemd/system/facteur.service\n")
		execStart := regexp.MustCompile(`(?m)^ExecStart=(\S+)`).FindStringSubmatch(string(unit))
		if execStart == nil || execStart[1] != "/usr/bin/facteur" {
			t.Errorf("the unit's ExecStart runs %v, not the packaged /usr/bin/facteur", execStart)
		}
	} else {
		t.Log("dist/facteur.service does not exist: the package has no unit")
	}
	for _, w := range want {
		if !regexp.MustCompile(w).MatchString(contents) {
			t.Errorf("the package lacks %q:\n%s", strings.TrimSpace(w), contents)
		}
	}
	if cf := must("dpkg-deb", "--info", deb, "conffiles"); strings.TrimSpace(cf) != "/etc/facteur/facteur.toml" {
		t.Errorf("conffiles: %q", cf)
	}

	// Install.
	must("dpkg", "--install", deb)
	u, err := user.Lookup("facteur")
	if err != nil || u.HomeDir != "/var/lib/facteur" {
		t.Fatalf("system user facteur: %+v %v", u, err)
	}
	if pw := must("getent", "passwd", "facteur"); !strings.HasSuffix(strings.TrimSpace(pw), ":/usr/sbin/nologin") {
		t.Errorf("facteur's shell: %s", pw)
	}
	checkMode := func(path string, mode os.FileMode, owner, group string) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return
		}
		st := fi.Sys().(*syscall.Stat_t)
		o, _ := user.LookupId(strconv.Itoa(int(st.Uid)))
		g, _ := user.LookupGroupId(strconv.Itoa(int(st.Gid)))
		if fi.Mode().Perm() != mode || o == nil || o.Username != owner || g == nil || g.Name != group {
			t.Errorf("%s: %v %v:%v, want %v %s:%s", path, fi.Mode().Perm(), o, g, mode, owner, group)
		}
	}
	checkMode("/var/lib/facteur", 0o750, "facteur", "facteur")
	checkMode("/etc/facteur/facteur.toml", 0o640, "root", "facteur")
	checkMode("/usr/bin/facteur", 0o755, "root", "root")

	if v := must("facteur", "--version"); !strings.HasPrefix(v, "facteur 0.0.1~test\nschema version ") {
		t.Errorf("facteur --version:\n%s", v)
	}
	if man, err := sh("man", "-w", "facteur"); err == nil && !strings.Contains(man, "/usr/share/man/man1/facteur.1.gz") {
		t.Errorf("man -w facteur: %s", man)
	}

	// check-config on the configuration as installed. Whatever it reports
	// must be a secret file the operator has to write (the example names
	// /etc/facteur/...); once they exist it passes, as root and as facteur.
	const cfg = "/etc/facteur/facteur.toml"
	report, err := sh("facteur", "check-config", cfg)
	if err != nil {
		t.Logf("check-config as installed (the operator writes the secrets next):\n%s", report)
		missing := regexp.MustCompile(`(?m)^  ([a-z_.\[\]0-9]+): open (/etc/facteur/[^:]+): no such file or directory$`).FindAllStringSubmatch(report, -1)
		problems := regexp.MustCompile(`(?m)^(\S+): (\d+) problem\(s\):$`).FindStringSubmatch(report)
		if problems == nil || problems[2] != strconv.Itoa(len(missing)) || len(missing) == 0 {
			t.Fatalf("check-config on the installed configuration reports more than missing secret files:\n%s", report)
		}
		for _, m := range missing {
			f := m[2]
			if err := os.WriteFile(f, []byte("test-secret-of-"+m[1]+"\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			created = append(created, f)
			must("chgrp", "facteur", f)
		}
	}
	if report, err := sh("facteur", "check-config", cfg); err != nil || !strings.Contains(report, cfg+": OK") {
		t.Errorf("check-config as root: %v\n%s", err, report)
	}
	if report, err := sh("runuser", "-u", "facteur", "--", "facteur", "check-config", cfg); err != nil || !strings.Contains(report, cfg+": OK") {
		t.Errorf("check-config as facteur: %v\n%s", err, report)
	}

	// A local change of the configuration survives an upgrade whose
	// package changes it too: dpkg keeps it (--force-confold answers its
	// question) and puts the new one aside; the rights stay.
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "# changed here")
	f.Close()
	tree := filepath.Join(t.TempDir(), "pkg")
	must("dpkg-deb", "--raw-extract", deb, tree)
	pf, err := os.OpenFile(filepath.Join(tree, "etc/facteur/facteur.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(pf, "# changed by the package")
	pf.Close()
	control := filepath.Join(tree, "DEBIAN/control")
	c, _ := os.ReadFile(control)
	os.WriteFile(control, bytes.Replace(c, []byte("Version: 0.0.1~test"), []byte("Version: 0.0.2~test"), 1), 0o644)
	sums := must("bash", "-c", "cd "+tree+" && find etc usr lib -type f 2>/dev/null | sort | xargs md5sum")
	os.WriteFile(filepath.Join(tree, "DEBIAN/md5sums"), []byte(sums), 0o644)
	deb2 := filepath.Join(out, "facteur_0.0.2~test.deb")
	must("dpkg-deb", "--root-owner-group", "--build", tree, deb2)
	must("dpkg", "--force-confold", "--install", deb2)
	if got, _ := os.ReadFile(cfg); !bytes.Contains(got, []byte("# changed here")) || bytes.Contains(got, []byte("# changed by the package")) {
		t.Errorf("the upgrade replaced the changed configuration")
	}
	if got, err := os.ReadFile(cfg + ".dpkg-dist"); err != nil || !bytes.Contains(got, []byte("# changed by the package")) {
		t.Errorf("the new configuration was not put aside: %v", err)
	}
	checkMode(cfg, 0o640, "root", "facteur")

	// Remove: the binary goes; the data, the configuration and the user stay.
	data := "/var/lib/facteur/facteur.db"
	if err := os.WriteFile(data, []byte("the cases"), 0o600); err != nil {
		t.Fatal(err)
	}
	must("dpkg", "--remove", "facteur")
	if _, err := os.Stat("/usr/bin/facteur"); !os.IsNotExist(err) {
		t.Errorf("/usr/bin/facteur after remove: %v", err)
	}
	for _, p := range []string{data, cfg} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s after remove: %v", p, err)
		}
	}
	if _, err := user.Lookup("facteur"); err != nil {
		t.Errorf("the user facteur after remove: %v", err)
	}

	// Purge: the data directory and the configuration go.
	for _, f := range created {
		os.Remove(f)
	}
	created = nil
	must("dpkg", "--purge", "facteur")
	for _, p := range []string{"/var/lib/facteur", cfg, cfg + ".dpkg-dist", "/etc/facteur"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s after purge: %v", p, err)
		}
	}
	t.Logf("build, lint, install, upgrade, remove, purge: %s", time.Since(start).Round(time.Second))
}

// debInstalled reports whether dpkg knows facteur as installed, or removed
// with its configuration left.
func debInstalled() bool {
	out, err := exec.Command("dpkg-query", "--show", "--showformat=${db:Status-Status}", "facteur").Output()
	return err == nil && string(out) != "not-installed" && len(out) > 0
}
