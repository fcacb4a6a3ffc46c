package imapwatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"facteur/store"
)

// invoiceMsg returns a supplier e-mail: a text part and a PDF attachment
// of about pdfSize bytes (base64 on the wire), named by dispositionParams
// (e.g. `filename="facture.pdf"`).
func invoiceMsg(n, pdfSize int, dispositionParams string) []byte {
	pdf := make([]byte, pdfSize)
	copy(pdf, fmt.Sprintf("%%PDF-1.7\n%% facture %d\n", n))
	for i := 32; i < len(pdf); i++ {
		pdf[i] = byte(i*7 + n)
	}
	enc := base64.StdEncoding.EncodeToString(pdf)
	var b strings.Builder
	fmt.Fprintf(&b, "From: Fournisseur %d <factures@fournisseur%d.example>\r\n", n%97, n%97)
	fmt.Fprintf(&b, "To: accueil.comptabilite@casq.fr\r\n")
	fmt.Fprintf(&b, "Subject: Facture FA-2026-%05d\r\n", n)
	fmt.Fprintf(&b, "Date: Mon, 02 Nov 2026 10:%02d:00 +0100\r\n", n%60)
	fmt.Fprintf(&b, "Message-ID: <facture-%d@fournisseur.example>\r\n", n)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"frontiere-%d\"\r\n\r\n", n)
	fmt.Fprintf(&b, "--frontiere-%d\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", n)
	fmt.Fprintf(&b, "Bonjour,\r\nveuillez trouver ci-joint notre facture n°%d.\r\n\r\n", n)
	fmt.Fprintf(&b, "--frontiere-%d\r\nContent-Type: application/pdf; name=\"facture_%d.pdf\"\r\n", n, n)
	fmt.Fprintf(&b, "Content-Disposition: attachment; %s\r\nContent-Transfer-Encoding: base64\r\n\r\n", dispositionParams)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	fmt.Fprintf(&b, "\r\n--frontiere-%d--\r\n", n)
	return []byte(b.String())
}

// hookStore wraps a Store and calls afterIngest after each message of
// Ingest and IngestBatch.
type hookStore struct {
	Store
	ingests     atomic.Int32
	afterIngest func(n int32, in store.Incoming)
}

func (h *hookStore) Ingest(ctx context.Context, in store.Incoming) (int64, bool, error) {
	id, created, err := h.Store.Ingest(ctx, in)
	n := h.ingests.Add(1)
	if h.afterIngest != nil {
		h.afterIngest(n, in)
	}
	return id, created, err
}

func (h *hookStore) IngestBatch(ctx context.Context, ins []store.Incoming) ([]store.Ingested, error) {
	out, err := h.Store.IngestBatch(ctx, ins)
	for _, in := range ins {
		n := h.ingests.Add(1)
		if h.afterIngest != nil {
			h.afterIngest(n, in)
		}
	}
	return out, err
}

// checkOnce checks that st holds exactly the messages want (by bytes), each
// once.
func checkOnce(t *testing.T, st *memStore, want [][]byte) {
	t.Helper()
	msgs := st.snapshot()
	seen := map[[32]byte]int{}
	for _, m := range msgs {
		seen[sha256.Sum256(m.in.Raw)]++
	}
	for i, raw := range want {
		if n := seen[sha256.Sum256(raw)]; n != 1 {
			t.Errorf("message %d stored %d times, want once", i, n)
		}
	}
	if len(msgs) != len(want) {
		t.Errorf("store holds %d messages, want %d", len(msgs), len(want))
	}
}

func TestDovecotBacklogExactlyOnce(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	const n = 1000
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = sampleMsg(i + 1)
	}
	d.deliverMaildir("INBOX", msgs)
	st := newMemStore()
	opts := d.watcherOptions(t)
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: n, Ingested: n})
	mustCycle(t, w, CycleStats{})
	checkOnce(t, st, msgs)
	if cp := st.cp["compta"]; cp[0] != d.status("INBOX", "uidvalidity") || cp[1] != n {
		t.Errorf("checkpoint = %v, want last uid %d", cp, n)
	}

	// Settle everything; filing moves all of it out of INBOX, with MOVE.
	for i := 1; i <= n; i++ {
		st.settle(t, uint32(i), []store.Disposition{store.DispositionProcessed, store.DispositionReview, store.DispositionIgnored}[i%3])
	}
	mustCycle(t, w, CycleStats{Filed: n})
	if got := d.status("INBOX", "messages"); got != 0 {
		t.Errorf("INBOX still holds %d messages", got)
	}
	var filed uint32
	for _, f := range []string{"Facteur.Traitees", "Facteur.A-verifier", "Facteur.Ignorees"} {
		filed += d.status(f, "messages")
	}
	if filed != n {
		t.Errorf("%d messages in the folders, want %d", filed, n)
	}
	mustCycle(t, w, CycleStats{})
}

func TestDovecotRFC2231Filenames(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	small := invoiceMsg(1, 600, `filename*=UTF-8''facture_%C3%A9t%C3%A9.pdf`)
	big := invoiceMsg(2, 8000, `filename*0*=UTF-8''Facture%20n%C2%B0%2042%20; filename*1*=%E2%80%93%20%C3%A9t%C3%A9.pdf`)
	outlook := invoiceMsg(3, 8000, `filename="`+mime.BEncoding.Encode("utf-8", "Récapitulatif décembre.pdf")+`"`)
	for _, m := range [][]byte{small, big, outlook} {
		d.save("INBOX", m)
	}
	st := newMemStore()
	opts := d.watcherOptions(t)
	opts.MaxMessageSize = 4096
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	msgs := st.snapshot()
	if !bytes.Equal(msgs[0].in.Raw, small) {
		t.Errorf("message ingested with other bytes than delivered:\n%q", msgs[0].in.Raw)
	}
	for i, want := range []string{"Facture n° 42 – été.pdf", "Récapitulatif décembre.pdf"} {
		nd := msgs[i+1].in.NotDownloaded
		if nd == nil {
			t.Fatalf("message %d: not recorded as not downloaded", i+2)
		}
		var names []string
		for _, a := range nd.Attachments {
			names = append(names, a.Name)
			if a.Name == want && (a.MediaType != "application/pdf" || a.Size <= 0) {
				t.Errorf("message %d: attachment %+v", i+2, a)
			}
		}
		if !slices.Contains(names, want) {
			t.Errorf("message %d: attachments %q, want %q among them", i+2, names, want)
		}
		if bytes.Contains(msgs[i+1].in.Raw, []byte("X-Facteur")) {
			t.Errorf("message %d: the envelope carries a marker header", i+2)
		}
	}
}

func TestDovecotCrashMidBatchAndRestart(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	const n = 500
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = sampleMsg(i + 1)
	}
	d.deliverMaildir("INBOX", msgs)
	mem := newMemStore()
	crashed := make(chan struct{})
	st := &hookStore{Store: mem}
	st.afterIngest = func(k int32, _ store.Incoming) {
		if k == 250 { // in the second batch of 200
			d.crash()
			close(crashed)
		}
	}
	opts := d.watcherOptions(t)
	opts.ReconnectMin, opts.ReconnectMax = 20*time.Millisecond, 200*time.Millisecond
	var logs lockedBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	select {
	case <-crashed:
	case <-time.After(30 * time.Second):
		t.Fatal("no crash")
	}
	time.Sleep(300 * time.Millisecond) // a few failed reconnections
	d.restart()
	w.Trigger()
	deadline := time.Now().Add(30 * time.Second)
	for len(mem.snapshot()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	checkOnce(t, mem, msgs)
	for i, m := range mem.snapshot() {
		if m.in.UID != uint32(i+1) {
			t.Fatalf("message %d has uid %d: not ingested in order", i, m.in.UID)
		}
	}
	if got := st.ingests.Load(); got > n+1 {
		// The checkpoint is saved when the cycle fails, so the resumption
		// starts after the last message ingested.
		t.Errorf("%d Ingest calls for %d messages: the resumption re-fetched more than the message in flight", got, n)
	}
	out := logs.Bytes()
	if c := bytes.Count(out, []byte("level=WARN msg=\"imap cycle failed\"")); c != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", c, out)
	}
	if !bytes.Contains(out, []byte("imap mailbox reachable again")) {
		t.Errorf("recovery not logged:\n%s", out)
	}
}

func TestDovecotIdlePickup(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	st := newMemStore()
	ingested := make(chan time.Time, 100)
	opts := d.watcherOptions(t)
	opts.Schedule = "@every 1h" // only IDLE can bring the messages in
	opts.LivenessInterval = 300 * time.Millisecond
	opts.OnIngest = func() { ingested <- time.Now() }
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	time.Sleep(200 * time.Millisecond) // the first cycle (empty) and IDLE
	var lat []time.Duration
	for i := 1; i <= 5; i++ {
		start := time.Now()
		d.save("INBOX", sampleMsg(i))
		select {
		case at := <-ingested:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d not picked up under IDLE", i)
		}
		time.Sleep(time.Duration(i) * 150 * time.Millisecond) // across liveness checks
	}
	t.Logf("delivery → ingestion latencies: %v", lat)
	if got := len(st.snapshot()); got != 5 {
		t.Errorf("%d messages ingested, want 5", got)
	}
}

func TestDovecotConnectionCutDuringIdle(t *testing.T) {
	for _, mode := range []string{"blackhole", "cut"} {
		t.Run(mode, func(t *testing.T) {
			d := startDovecot(t, dovecotOptions{})
			proxy := newTCPProxy(t, d.imapAddr, nil)
			st := newMemStore()
			ingested := make(chan struct{}, 10)
			opts := d.watcherOptions(t)
			opts.Addr = proxy.addr
			opts.LivenessInterval = 400 * time.Millisecond
			opts.LivenessTimeout = 400 * time.Millisecond
			opts.ReconnectMin = 20 * time.Millisecond
			opts.OnIngest = func() { ingested <- struct{}{} }
			var logs lockedBuffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			w, err := New(opts, st)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			d.save("INBOX", sampleMsg(1))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() { cancel(); <-done }()
			select {
			case <-ingested:
			case <-time.After(10 * time.Second):
				t.Fatal("first message not ingested")
			}
			time.Sleep(100 * time.Millisecond) // idling now
			start := time.Now()
			if mode == "blackhole" {
				proxy.blackhole()
			} else {
				proxy.cut()
			}
			d.save("INBOX", sampleMsg(2))
			select {
			case <-ingested:
			case <-time.After(10 * time.Second):
				t.Fatalf("message delivered after the %s not ingested:\n%s", mode, logs.Bytes())
			}
			elapsed := time.Since(start)
			t.Logf("%s: recovered and ingested in %v", mode, elapsed)
			if limit := opts.LivenessInterval + opts.LivenessTimeout + 2*time.Second; elapsed > limit {
				t.Errorf("recovery took %v, want under %v", elapsed, limit)
			}
			if got := proxy.accepts.Load(); got != 2 {
				t.Errorf("%d connections, want 2", got)
			}
			out := logs.Bytes()
			if c := bytes.Count(out, []byte("imap connection lost")); c != 1 {
				t.Errorf("connection loss logged %d times, want once:\n%s", c, out)
			}
			if bytes.Contains(out, []byte("level=ERROR")) {
				t.Errorf("an error was logged for a recovered connection loss:\n%s", out)
			}
			checkOnce(t, st, [][]byte{sampleMsg(1), sampleMsg(2)})
		})
	}
}

func TestDovecotUIDValidityReset(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	ctx := t.Context()
	real, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	d.doveadm(nil, "mailbox", "create", "-u", dovecotUser, "Factures")
	old := [][]byte{invoiceMsg(1, 2000, `filename="a.pdf"`), invoiceMsg(2, 2000, `filename="b.pdf"`), invoiceMsg(3, 2000, `filename="c.pdf"`)}
	for _, m := range old {
		d.save("Factures", m)
	}
	opts := d.watcherOptions(t)
	opts.Folder = "Factures"
	w, err := New(opts, real)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	uv1 := d.status("Factures", "uidvalidity")

	// The folder is deleted and recreated: the old mail comes back in
	// another order, with new mail around it.
	d.doveadm(nil, "mailbox", "delete", "-u", dovecotUser, "Factures")
	time.Sleep(1100 * time.Millisecond) // a UIDVALIDITY is a time in seconds
	d.doveadm(nil, "mailbox", "create", "-u", dovecotUser, "Factures")
	fresh := [][]byte{invoiceMsg(4, 2000, `filename="d.pdf"`), invoiceMsg(5, 2000, `filename="e.pdf"`)}
	for _, m := range [][]byte{fresh[0], old[2], old[0], fresh[1], old[1]} {
		d.save("Factures", m)
	}
	uv2 := d.status("Factures", "uidvalidity")
	if uv2 == uv1 {
		t.Fatalf("UIDVALIDITY unchanged (%d) after recreating the folder", uv1)
	}
	mustCycle(t, w, CycleStats{Fetched: 5, Ingested: 2})
	mustCycle(t, w, CycleStats{})

	all, err := real.Messages(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("store holds %d messages, want 5", len(all))
	}
	// Every message is known at its new location, so it can be filed.
	wantUID := map[int]uint32{4: 1, 3: 2, 1: 3, 5: 4, 2: 5} // invoice number → new uid
	for _, m := range all {
		raw, err := real.Raw(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var num int
		fmt.Sscanf(string(raw[bytes.Index(raw, []byte("FA-2026-"))+8:]), "%05d", &num)
		if m.UIDValidity != uv2 || m.UID != wantUID[num] {
			t.Errorf("invoice %d: at uidvalidity %d uid %d, want %d uid %d", num, m.UIDValidity, m.UID, uv2, wantUID[num])
		}
	}

	// Settling an old message files its new copy.
	var id int64
	for _, m := range all {
		if m.UID == 3 {
			id = m.ID
		}
	}
	if err := real.Update(ctx, func(tx *store.Tx) error {
		if err := tx.MessageParsed(id, store.MessageInfo{}); err != nil {
			return err
		}
		return tx.MessageDone(id, store.DispositionProcessed)
	}); err != nil {
		t.Fatal(err)
	}
	mustCycle(t, w, CycleStats{Filed: 1})
	if got := d.uids("Factures"); !slices.Equal(got, []uint32{1, 2, 4, 5}) {
		t.Errorf("Factures uids = %v, want [1 2 4 5]", got)
	}
	if got := d.status("Facteur.Traitees", "messages"); got != 1 {
		t.Errorf("%d messages in Facteur.Traitees, want 1", got)
	}
}

func TestDovecotBodyStructureFallback(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	// A broken server (go-imap #659): an unescaped quote inside a
	// BODYSTRUCTURE string, which the client cannot parse.
	var broken atomic.Int32
	proxy := newTCPProxy(t, d.imapAddr, func(line []byte) []byte {
		if bytes.Contains(line, []byte("BODYSTRUCTURE")) && bytes.Contains(line, []byte(`"CASSE-MOI"`)) {
			broken.Add(1)
			return bytes.Replace(line, []byte(`"CASSE-MOI"`), []byte(`"CASSE"MOI"`), 1)
		}
		return line
	})
	var msgs [][]byte
	for i := 1; i <= 5; i++ {
		m := sampleMsg(i)
		if i == 3 {
			m = bytes.Replace(m, []byte("charset=utf-8"), []byte("charset=utf-8; x-note=CASSE-MOI"), 1)
		}
		msgs = append(msgs, m)
	}
	d.deliverMaildir("INBOX", msgs)
	st := newMemStore()
	opts := d.watcherOptions(t)
	opts.Addr = proxy.addr
	opts.Security = "plain" // the proxy reads the responses
	var logs lockedBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: 5, Ingested: 5})
	checkOnce(t, st, msgs)
	if broken.Load() == 0 {
		t.Fatal("the proxy broke nothing: the test proves nothing")
	}
	if !bytes.Contains(logs.Bytes(), []byte("BODYSTRUCTURE unreadable")) {
		t.Errorf("fallback not logged:\n%s", logs.Bytes())
	}
	// Later messages get their BODYSTRUCTURE again.
	d.save("INBOX", sampleMsg(6))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
}
