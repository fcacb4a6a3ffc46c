package sdnotify_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"facteur/sdnotify"
)

// listen opens a datagram socket as systemd's notification socket is.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func receive(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c := listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	n, err := sdnotify.FromEnv()
	if err != nil || n == nil {
		t.Fatalf("FromEnv: %v, %v", n, err)
	}
	if n.Socket() != sock {
		t.Errorf("socket %q", n.Socket())
	}
	for _, tc := range []struct {
		send func() error
		want string
	}{
		{func() error { return n.Ready("1/1 mailbox\nconnected") }, "READY=1\nSTATUS=1/1 mailbox connected\n"},
		{func() error { return n.Status("3 cases waiting") }, "STATUS=3 cases waiting\n"},
		{n.Watchdog, "WATCHDOG=1\n"},
		{func() error { return n.Stopping("") }, "STOPPING=1\n"},
	} {
		if err := tc.send(); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, c); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if err := n.Notify("READY=1\nWATCHDOG=1"); err == nil {
		t.Error("an assignment with a newline was sent")
	}
}

// An abstract socket name starts with '@' in NOTIFY_SOCKET.
func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@facteur-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	c := listen(t, name)
	n, err := sdnotify.New(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(""); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, c); got != "READY=1\n" {
		t.Errorf("got %q", got)
	}
}

func TestNoSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n, err := sdnotify.FromEnv()
	if n != nil || err != nil {
		t.Fatalf("FromEnv without NOTIFY_SOCKET: %v, %v", n, err)
	}
	// A nil notifier does nothing.
	if err := n.Ready("x"); err != nil {
		t.Error(err)
	}
	if _, err := sdnotify.New("relative/path"); err == nil {
		t.Error("a relative socket path was accepted")
	}
	// A socket nobody listens on is an error, not a hang.
	n, _ = sdnotify.New(filepath.Join(t.TempDir(), "gone"))
	if err := n.Watchdog(); err == nil {
		t.Error("no error sending to a missing socket")
	}
}

func TestWatchdogInterval(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		err       bool
		other     bool
	}{
		{"", "", 0, false, false},
		{"120000000", "", 2 * time.Minute, false, false},
		{"120000000", pid, 2 * time.Minute, false, false},
		{"120000000", "1", 0, true, true},
		{"soon", "", 0, true, false},
		{"0", "", 0, true, false},
		{"99999999999999999999", "", 0, true, false},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		got, err := sdnotify.WatchdogInterval()
		if got != tc.want || (err != nil) != tc.err || errors.Is(err, sdnotify.ErrWatchdogPID) != tc.other {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v", tc.usec, tc.pid, got, err)
		}
	}
}
