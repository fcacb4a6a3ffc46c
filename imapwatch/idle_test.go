package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// appendOver delivers raw over a separate IMAP connection, so that idling
// sessions are told (EXISTS).
func (ts *testServer) appendOver(t *testing.T, raw []byte) {
	t.Helper()
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	cmd.Write(raw)
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// runWatcher runs w.Run until the test ends.
func runWatcher(t *testing.T, w *Watcher) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestRunIdlePicksUpNewMail(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	ingested := make(chan struct{}, 10)
	w := newTestWatcher(t, ts, st, func(o *Options) {
		o.LivenessInterval = 50 * time.Millisecond // several checks between messages
		o.OnIngest = func() { ingested <- struct{}{} }
	})
	runWatcher(t, w)
	for i := 1; i <= 3; i++ {
		time.Sleep(120 * time.Millisecond)
		ts.appendOver(t, sampleMsg(i))
		select {
		case <-ingested:
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d not picked up in IDLE (schedule is hourly)", i)
		}
	}
	if n := len(st.snapshot()); n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
	if !bytes.Contains(ts.wire.Bytes(), []byte("IDLE\r\n")) || bytes.Count(ts.wire.Bytes(), []byte("NOOP\r\n")) < 2 {
		t.Error("no IDLE, or no liveness NOOP, on the wire")
	}
}

func TestCycleInterruptsIdle(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	runWatcher(t, w)
	time.Sleep(100 * time.Millisecond)     // Run idles now (liveness: 30 s)
	ts.appendMsg(t, "INBOX", sampleMsg(1)) // no EXISTS: appended behind the server's back
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	stats, err := w.Cycle(ctx)
	if err != nil {
		t.Fatalf("Cycle while Run idles: %v", err)
	}
	if n := len(st.snapshot()); n != 1 || stats.Fetched+stats.Ingested > 2 {
		t.Fatalf("%d messages ingested (stats %+v), want 1", n, stats)
	}
	if m := st.maxInflight.Load(); m != 1 {
		t.Errorf("store saw %d concurrent calls", m)
	}
}

func TestLivenessDetectsDeadConnection(t *testing.T) {
	ts := newTestServer(t, revCaps)
	proxy := newTCPProxy(t, ts.addr, nil)
	st := newMemStore()
	ingested := make(chan struct{}, 10)
	var logs lockedBuffer
	w := newTestWatcher(t, ts, st, func(o *Options) {
		o.Addr = proxy.addr
		o.LivenessInterval = 100 * time.Millisecond
		o.LivenessTimeout = 100 * time.Millisecond
		o.ReconnectMin = 10 * time.Millisecond
		o.OnIngest = func() { ingested <- struct{}{} }
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	runWatcher(t, w)
	time.Sleep(100 * time.Millisecond)
	proxy.blackhole()
	start := time.Now()
	ts.appendMsg(t, "INBOX", sampleMsg(1)) // seen only by a new connection's cycle
	select {
	case <-ingested:
	case <-time.After(5 * time.Second):
		t.Fatalf("dead connection not replaced:\n%s", logs.Bytes())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to notice a dead connection", d)
	}
	if c := bytes.Count(logs.Bytes(), []byte("imap connection lost")); c != 1 {
		t.Errorf("loss logged %d times:\n%s", c, logs.Bytes())
	}
}

func TestPollingWithoutIdle(t *testing.T) {
	// imapserver always offers IDLE: DisableIdle stands for a server
	// without it. Run polls on the schedule.
	ts := newTestServer(t, imap.CapSet{imap.CapIMAP4rev1: {}})
	st := newMemStore()
	ingested := make(chan struct{}, 10)
	w := newTestWatcher(t, ts, st, func(o *Options) {
		o.Schedule = "@every 1s"
		o.DisableIdle = true
		o.OnIngest = func() { ingested <- struct{}{} }
	})
	runWatcher(t, w)
	time.Sleep(50 * time.Millisecond)
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	select {
	case <-ingested:
	case <-time.After(5 * time.Second):
		t.Fatal("not polled")
	}
	if bytes.Contains(ts.wire.Bytes(), []byte(" IDLE\r\n")) {
		t.Error("IDLE sent to a server without IDLE")
	}
}

func TestOutageBackoffAndLogging(t *testing.T) {
	var logs lockedBuffer
	w, err := New(Options{Name: "compta", Addr: "127.0.0.1:1", Security: "plain",
		ReconnectMin: 100 * time.Millisecond, ReconnectMax: 1600 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	var o outage
	boom := errors.New("connection refused")
	for i, max := range []time.Duration{100, 200, 400, 800, 1600, 1600, 1600} {
		max *= time.Millisecond
		d := o.failed(w, boom, CycleStats{})
		if d < max/2 || d > max {
			t.Errorf("attempt %d: delay %v, want in [%v, %v]", i+1, d, max/2, max)
		}
	}
	o.recovered(w)
	out := string(logs.Bytes())
	for frag, n := range map[string]int{
		"level=WARN msg=\"imap cycle failed\"":                                       1,
		"level=ERROR msg=\"imap cycle failed: mailbox unreachable, still retrying\"": 1,
		"level=DEBUG msg=\"imap cycle failed again\"":                                5,
		"level=INFO msg=\"imap mailbox reachable again\"":                            1,
	} {
		if c := strings.Count(out, frag); c != n {
			t.Errorf("%d lines %s, want %d:\n%s", c, frag, n, out)
		}
	}
	logs = lockedBuffer{}
	o.failed(w, errors.Join(ErrAuth, boom), CycleStats{})
	if !strings.Contains(string(logs.Bytes()), "level=ERROR msg=\"imap cycle failed: authentication refused\"") {
		t.Errorf("authentication failure not an error:\n%s", logs.Bytes())
	}
}

func TestInsecureSkipVerifyWarnsAtEachConnection(t *testing.T) {
	serverTLS, _ := selfSignedCA(t)
	ts := newTestServer(t, revCaps)
	ts.srv.Close()
	ts.start(t, "127.0.0.1:0", serverTLS)
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	var logs lockedBuffer
	w := newTestWatcher(t, ts, newMemStore(), func(o *Options) {
		o.Security = "tls"
		o.TLSInsecureSkipVerify = true
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	w.mu.Lock()
	w.sess.close()
	w.mu.Unlock()
	mustCycle(t, w, CycleStats{})
	if c := bytes.Count(logs.Bytes(), []byte("level=WARN msg=\"TLS CERTIFICATE VERIFICATION DISABLED")); c != 2 {
		t.Errorf("%d warnings for 2 connections:\n%s", c, logs.Bytes())
	}
}

func TestPartFilename(t *testing.T) {
	for _, tc := range []struct {
		disp, params map[string]string
		want         string
	}{
		{map[string]string{"filename*": "UTF-8''facture_%C3%A9t%C3%A9.pdf"}, map[string]string{"name": "facture_42.pdf"}, "facture_été.pdf"},
		{map[string]string{"filename*0*": "UTF-8''Facture%20n%C2%B0%2042", "filename*1*": "%20%C3%A9t%C3%A9.pdf"}, nil, "Facture n° 42 été.pdf"},
		{map[string]string{"filename*0": "tres-long-", "filename*1": "nom.pdf"}, nil, "tres-long-nom.pdf"},
		{map[string]string{"filename*": "iso-8859-1''r%E9sum%E9.pdf"}, nil, "résumé.pdf"},
		{nil, map[string]string{"name": "=?utf-8?q?Facture_=C3=A9t=C3=A9.pdf?="}, "Facture été.pdf"},
		{map[string]string{"filename": `a "quoted" \ name.pdf`}, nil, `a "quoted" \ name.pdf`},
		{map[string]string{"filename*": "UTF-8''%ZZbroken"}, map[string]string{"name": "fallback.pdf"}, "fallback.pdf"},
		{nil, nil, ""},
	} {
		sp := &imap.BodyStructureSinglePart{Type: "application", Subtype: "pdf", Params: tc.params}
		if tc.disp != nil {
			sp.Extended = &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: "attachment", Params: tc.disp}}
		}
		if got := partFilename(sp); got != tc.want {
			t.Errorf("partFilename(%v, %v) = %q, want %q", tc.disp, tc.params, got, tc.want)
		}
	}
}
