package app

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/sdnotify"
)

// TestExtendStartWhileOpening: while the store opens (a long migration),
// systemd is asked for more start-up time at each tick, and no more once
// the store is open or the bound has passed.
func TestExtendStartWhileOpening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n, err := sdnotify.New(path)
	if err != nil {
		t.Fatal(err)
	}
	// received reads what came within d.
	received := func(d time.Duration) []string {
		var out []string
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(d))
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return out
			}
			out = append(out, string(buf[:k]))
		}
	}
	log := slog.New(slog.DiscardHandler)
	stop := extendStart(n, log, 5*time.Millisecond, time.Minute, time.Hour)
	got := received(100 * time.Millisecond)
	if len(got) == 0 || !strings.Contains(got[0], "EXTEND_TIMEOUT_USEC=60000000\n") || !strings.Contains(got[0], "STATUS=Opening the database") {
		t.Fatalf("while opening: %q", got)
	}
	stop()
	received(20 * time.Millisecond) // one tick may have been under way
	if got := received(50 * time.Millisecond); len(got) != 0 {
		t.Errorf("more start-up time asked once the store is open: %q", got)
	}
	// Bounded: past max, no more extension (systemd's timeout applies).
	stop = extendStart(n, log, 5*time.Millisecond, time.Minute, 20*time.Millisecond)
	defer stop()
	received(100 * time.Millisecond)
	if got := received(50 * time.Millisecond); len(got) != 0 {
		t.Errorf("more start-up time asked past the bound: %q", got)
	}
	// Not under systemd: nothing, and stop returns.
	extendStart(nil, log, time.Millisecond, time.Minute, time.Hour)()
}
