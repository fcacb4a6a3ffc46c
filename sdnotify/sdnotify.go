// Package sdnotify speaks the systemd notification protocol (sd_notify(3))
// for a service of Type=notify: READY=1 when it is ready, STATUS= lines that
// `systemctl status` shows, STOPPING=1 when it shuts down, WATCHDOG=1 to
// tell the service manager that it is still alive.
//
// The protocol is one datagram of newline-separated VAR=value assignments
// sent to the AF_UNIX socket named by $NOTIFY_SOCKET: a path, or, when the
// name starts with '@', a socket of Linux's abstract namespace (Go's net
// package maps that leading '@' to the abstract namespace's NUL byte). The
// watchdog's interval is $WATCHDOG_USEC, for the process $WATCHDOG_PID when
// that is set.
//
// It is written by hand, as maddy and chasquid do, rather than imported from
// github.com/coreos/go-systemd/v22/daemon: the whole protocol Facteur needs
// is these few dozen lines, not worth a dependency to audit and keep up to
// date for years. The package imports nothing of Facteur's.
//
// Every method of a nil *Notifier does nothing, so that callers need not
// care whether they run under systemd.
package sdnotify

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends notifications to the service manager's socket.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET, or nil when that is unset
// (not started by systemd, or not as Type=notify).
func FromEnv() (*Notifier, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil, nil
	}
	return New(name)
}

// New returns a Notifier for the socket name: an absolute path, or an
// abstract socket name starting with '@'.
func New(name string) (*Notifier, error) {
	if !strings.HasPrefix(name, "/") && !strings.HasPrefix(name, "@") {
		// systemd 254 and later may also name an AF_VSOCK address
		// ("vsock:CID:PORT"), only for virtual machines.
		return nil, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q: want an absolute path or an abstract socket name (@...)", name)
	}
	return &Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}, nil
}

// Socket is the name of the socket notifications go to, "" for nil.
func (n *Notifier) Socket() string {
	if n == nil {
		return ""
	}
	return n.addr.Name
}

// Notify sends the assignments ("READY=1", "STATUS=...") in one datagram.
// A new socket is used for each call, as sd_notify(3) does: the service
// manager may have re-created its socket since the last one.
func (n *Notifier) Notify(assignments ...string) error {
	if n == nil || len(assignments) == 0 {
		return nil
	}
	for _, a := range assignments {
		if !strings.Contains(a, "=") || strings.Contains(a, "\n") {
			return fmt.Errorf("sdnotify: %q: want one VAR=value line", a)
		}
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	msg := strings.Join(assignments, "\n") + "\n"
	// The socket is local: a full queue on the receiver's side must not
	// block the caller for long.
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready says the service is ready, with a status line ("" for none).
func (n *Notifier) Ready(status string) error {
	return n.Notify(withStatus("READY=1", status)...)
}

// Status sets the status line `systemctl status` shows.
func (n *Notifier) Status(status string) error {
	return n.Notify(statusLine(status))
}

// Stopping says the service is shutting down, with a status line ("" for
// none).
func (n *Notifier) Stopping(status string) error {
	return n.Notify(withStatus("STOPPING=1", status)...)
}

// Watchdog tells the service manager the service is alive.
func (n *Notifier) Watchdog() error {
	return n.Notify("WATCHDOG=1")
}

func withStatus(a, status string) []string {
	if status == "" {
		return []string{a}
	}
	return []string{a, statusLine(status)}
}

// statusLine is STATUS= with status on one line.
func statusLine(status string) string {
	return "STATUS=" + strings.Join(strings.Fields(status), " ")
}

// ErrWatchdogPID is returned by WatchdogInterval when the watchdog is set for
// another process ($WATCHDOG_PID is not ours).
var ErrWatchdogPID = errors.New("sdnotify: WATCHDOG_PID names another process")

// WatchdogInterval returns the service's watchdog interval ($WATCHDOG_USEC,
// WatchdogSec= in the unit): the service must send WATCHDOG=1 more often
// than that, or be killed; sending at half of it is the usual rhythm. It is
// 0 when no watchdog is set, with ErrWatchdogPID when it is set for another
// process, with an error when the variables cannot be read.
func WatchdogInterval() (time.Duration, error) {
	usec := os.Getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("sdnotify: WATCHDOG_PID %q: %w", pid, err)
		}
		if p != os.Getpid() {
			return 0, ErrWatchdogPID
		}
	}
	us, err := strconv.ParseUint(usec, 10, 64)
	if err != nil || us == 0 || us > math.MaxInt64/uint64(time.Microsecond) {
		return 0, fmt.Errorf("sdnotify: WATCHDOG_USEC %q: want a positive number of microseconds", usec)
	}
	return time.Duration(us) * time.Microsecond, nil
}
