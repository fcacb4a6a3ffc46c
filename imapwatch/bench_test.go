package imapwatch

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"facteur/store"
)

// TestBenchDrainAndIdleLatency measures what issue 3 asks (figures in
// BENCHMARKS.md), against a real Dovecot and the real store:
//
//  1. the time and peak RSS of draining a backlog of N invoice-sized
//     messages (fetch + spool + commit), against a bare
//     UID FETCH 1:* BODY.PEEK[] of the same mailbox with the same library;
//  2. the latency from `doveadm save` to committed ingestion under IDLE.
//
// It runs only with FACTEUR_BENCH=1 (it takes minutes and gigabytes):
//
//	FACTEUR_BENCH=1 FACTEUR_BENCH_N=10000 go test -run TestBenchDrainAndIdleLatency -v -timeout 60m ./imapwatch
//
// Run it without -race. FACTEUR_BENCH_SIZE sets the message size (default
// 150 KB), FACTEUR_BENCH_IDLE the number of IDLE deliveries (default 200).
func TestBenchDrainAndIdleLatency(t *testing.T) {
	if os.Getenv("FACTEUR_BENCH") == "" {
		t.Skip("set FACTEUR_BENCH=1 to run the benchmark")
	}
	n := envInt("FACTEUR_BENCH_N", 10000)
	size := envInt("FACTEUR_BENCH_SIZE", 150_000)
	idleN := envInt("FACTEUR_BENCH_IDLE", 200)
	d := startDovecot(t, dovecotOptions{})
	report := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		t.Log(line)
		fmt.Println("BENCH " + line)
	}
	report("machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())

	// The backlog: invoices whose PDF makes the message ~size bytes.
	start := time.Now()
	pdfSize := (size - 1200) * 3 / 4 * 76 / 78
	var total int64
	for lo := 0; lo < n; lo += 500 {
		batch := make([][]byte, 0, 500)
		for i := lo; i < min(lo+500, n); i++ {
			m := invoiceMsg(i+1, pdfSize, fmt.Sprintf(`filename="facture_%d.pdf"`, i+1))
			total += int64(len(m))
			batch = append(batch, m)
		}
		d.deliverMaildir("INBOX", batch)
	}
	// Let Dovecot assign the UIDs and build its index before timing.
	if got := d.status("INBOX", "messages"); got != uint32(n) {
		t.Fatalf("INBOX holds %d messages, want %d", got, n)
	}
	report("backlog: %d messages, %.1f MB in total (mean %d bytes), delivered and indexed in %v",
		n, float64(total)/1e6, total/int64(n), time.Since(start).Round(time.Millisecond))

	// 1a. The limit: one bare UID FETCH 1:* BODY.PEEK[], bodies discarded.
	bare := func(label string) time.Duration {
		runtime.GC()
		debug.FreeOSMemory()
		base := currentRSS(t)
		resetPeakRSS(t)
		start := time.Now()
		got, bytes := bareFetch(t, d)
		el := time.Since(start)
		report("%s: bare UID FETCH 1:* BODY.PEEK[]: %d messages, %.1f MB in %v (%.1f MB/s), peak RSS %.1f MB (RSS before: %.1f MB)",
			label, got, float64(bytes)/1e6, el.Round(time.Millisecond), float64(bytes)/1e6/el.Seconds(), peakRSS(t), base)
		return el
	}
	limit1 := bare("1")

	// 1b. Ingestion: the watcher's cycle into the real store.
	dir := t.TempDir()
	st, err := store.Open(t.Context(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &latencyStore{Store: st, at: make(map[uint32]time.Time)}
	opts := d.watcherOptions(t)
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := New(opts, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	runtime.GC()
	debug.FreeOSMemory()
	base := currentRSS(t)
	resetPeakRSS(t)
	start = time.Now()
	stats, err := w.Cycle(t.Context())
	el := time.Since(start)
	if err != nil || stats.Ingested != n {
		t.Fatalf("Cycle: %+v, %v", stats, err)
	}
	report("ingestion (cheap-first fetch in batches of %d + BODY.PEEK[] per group of ≤ %d messages / %d MiB + IngestBatch: spool fsyncs + one directory fsync + one SQLite commit per group): %d messages in %v (%.1f msg/s, %.1f MB/s), peak RSS %.1f MB (RSS before: %.1f MB)",
		batchSize, groupMessages, groupBytes>>20, stats.Ingested, el.Round(time.Millisecond), float64(n)/el.Seconds(), float64(total)/1e6/el.Seconds(), peakRSS(t), base)
	// 1c. The same drain into an in-memory store: the fetch path alone,
	// without the store's fsyncs and commits.
	{
		o := d.watcherOptions(t)
		o.Logger = opts.Logger
		wm, err := New(o, newMemStore())
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		start := time.Now()
		st, err := wm.Cycle(t.Context())
		el := time.Since(start)
		wm.Close()
		if err != nil || st.Ingested != n {
			t.Fatalf("Cycle (memory store): %+v, %v", st, err)
		}
		report("same drain into an in-memory store (fetch path only, no fsync): %v (%.1f msg/s)", el.Round(time.Millisecond), float64(n)/el.Seconds())
	}
	limit2 := bare("2")
	limit := min(limit1, limit2)
	report("ingestion / bare fetch = %.2f× (target ≤ 2×)", el.Seconds()/limit.Seconds())

	// 2. IDLE latency: doveadm save → Store.Ingest returned (committed).
	// The time at which the server announced EXISTS splits it into the
	// server's part and the watcher's.
	var newsMu sync.Mutex
	var lastNews time.Time
	w.onNews = func(at time.Time) { newsMu.Lock(); lastNews = at; newsMu.Unlock() }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	var lats, saves, serverPart, ownPart []time.Duration
	for i := range idleN {
		m := invoiceMsg(n+1+i, pdfSize, fmt.Sprintf(`filename="facture_%d.pdf"`, n+1+i))
		before := time.Now()
		d.save("INBOX", m)
		saves = append(saves, time.Since(before))
		uid := uint32(n + 1 + i)
		deadline := time.Now().Add(10 * time.Second)
		var at time.Time
		for {
			if at = rec.when(uid); !at.IsZero() || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if at.IsZero() {
			t.Fatalf("message uid %d not ingested within 10 s", uid)
		}
		lats = append(lats, at.Sub(before))
		newsMu.Lock()
		if lastNews.After(before) {
			serverPart = append(serverPart, lastNews.Sub(before))
			ownPart = append(ownPart, at.Sub(lastNews))
		}
		newsMu.Unlock()
		time.Sleep(time.Duration(20+i%7*10) * time.Millisecond)
	}
	cancel()
	<-done
	report("IDLE latency, doveadm save → committed ingestion, %d messages: p50 %v, p90 %v, p99 %v, max %v (doveadm save alone: p50 %v)",
		idleN, pct(lats, 50), pct(lats, 90), pct(lats, 99), pct(lats, 100), pct(saves, 50))
	if len(ownPart) > 0 {
		report("  of which doveadm save → EXISTS received (%d of %d announced in IDLE): p50 %v, p99 %v; EXISTS → committed (the watcher's part): p50 %v, p90 %v, p99 %v, max %v",
			len(ownPart), idleN, pct(serverPart, 50), pct(serverPart, 99), pct(ownPart, 50), pct(ownPart, 90), pct(ownPart, 99), pct(ownPart, 100))
	}
}

// latencyStore records when each message was committed.
type latencyStore struct {
	Store
	mu sync.Mutex
	at map[uint32]time.Time
}

func (l *latencyStore) Ingest(ctx context.Context, in store.Incoming) (int64, bool, error) {
	id, created, err := l.Store.Ingest(ctx, in)
	if err == nil {
		l.mu.Lock()
		l.at[in.UID] = time.Now()
		l.mu.Unlock()
	}
	return id, created, err
}

func (l *latencyStore) IngestBatch(ctx context.Context, ins []store.Incoming) ([]store.Ingested, error) {
	out, err := l.Store.IngestBatch(ctx, ins)
	if err == nil {
		now := time.Now()
		l.mu.Lock()
		for _, in := range ins {
			l.at[in.UID] = now
		}
		l.mu.Unlock()
	}
	return out, err
}

func (l *latencyStore) when(uid uint32) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.at[uid]
}

// bareFetch is the limit: one UID FETCH 1:* BODY.PEEK[] over the same
// kind of connection as the watcher (STARTTLS), bodies read and discarded.
func bareFetch(t *testing.T, d *dovecot) (msgs int, n int64) {
	t.Helper()
	pem, err := os.ReadFile(d.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialStartTLS(d.imapAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(dovecotUser, dovecotPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	cmd := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		for item := m.Next(); item != nil; item = m.Next() {
			if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				k, err := io.Copy(io.Discard, b.Literal)
				if err != nil {
					t.Fatal(err)
				}
				n += k
			}
		}
		msgs++
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	return msgs, n
}

// resetPeakRSS resets the process's VmHWM (Linux: /proc/self/clear_refs).
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset peak RSS: %v", err)
	}
}

// peakRSS returns VmHWM in MB.
func peakRSS(t *testing.T) float64 { return procStatusMB(t, "VmHWM:") }

// currentRSS returns VmRSS in MB.
func currentRSS(t *testing.T) float64 { return procStatusMB(t, "VmRSS:") }

func procStatusMB(t *testing.T, field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(i, len(s))-1)].Round(100 * time.Microsecond)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
