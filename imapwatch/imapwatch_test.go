package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"

	"facteur/store"
)

func TestCycleIngestsNewMessagesOnce(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	raws := [][]byte{sampleMsg(1), sampleMsg(2), sampleMsg(3)}
	for _, r := range raws {
		ts.appendMsg(t, "INBOX", r)
	}
	uv := ts.uidValidity(t, "INBOX")

	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	msgs := st.snapshot()
	if len(msgs) != 3 {
		t.Fatalf("store has %d messages, want 3", len(msgs))
	}
	for i, m := range msgs {
		want := store.Incoming{Mailbox: "compta", UIDValidity: uv, UID: uint32(i + 1)}
		if m.in.Mailbox != want.Mailbox || m.in.UIDValidity != want.UIDValidity || m.in.UID != want.UID {
			t.Errorf("message %d = %s/%d/%d, want %s/%d/%d", i, m.in.Mailbox, m.in.UIDValidity, m.in.UID,
				want.Mailbox, want.UIDValidity, want.UID)
		}
		if !bytes.Equal(m.in.Raw, raws[i]) {
			t.Errorf("message %d body differs:\n%q\nwant\n%q", i, m.in.Raw, raws[i])
		}
	}
	if got := st.cp["compta"]; got != [2]uint32{uv, 3} {
		t.Errorf("checkpoint = %v, want [%d 3]", got, uv)
	}
	// BODY.PEEK[]: the messages stay unread for the people using the mailbox.
	for _, m := range ts.contents(t, "INBOX") {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("uid %d flagged \\Seen by the watcher", m.UID)
		}
	}

	mustCycle(t, w, CycleStats{})

	raws = append(raws, sampleMsg(4), sampleMsg(5))
	ts.appendMsg(t, "INBOX", raws[3])
	ts.appendMsg(t, "INBOX", raws[4])
	mustCycle(t, w, CycleStats{Fetched: 2, Ingested: 2})
	msgs = st.snapshot()
	if len(msgs) != 5 || msgs[3].in.UID != 4 || msgs[4].in.UID != 5 ||
		!bytes.Equal(msgs[3].in.Raw, raws[3]) || !bytes.Equal(msgs[4].in.Raw, raws[4]) {
		t.Fatalf("after appending 2: store = %d messages, want uids 4 and 5 added", len(msgs))
	}
	if got := st.cp["compta"]; got != [2]uint32{uv, 5} {
		t.Errorf("checkpoint = %v, want [%d 5]", got, uv)
	}
}

// UID SEARCH n:* matches the highest UID even when it is below n: such a
// message must not be fetched again.
func TestCycleIgnoresHighestUIDBelowCheckpoint(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	for i := 1; i <= 3; i++ {
		ts.appendMsg(t, "INBOX", sampleMsg(i))
	}
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	// UID 4 comes and goes: UIDNEXT is 5, the highest UID is 3.
	ts.appendMsg(t, "INBOX", sampleMsg(4))
	deleteUID(t, ts, "INBOX", 4)
	// Checkpoint 3, UIDNEXT 5: UID SEARCH 4:* answers 3, to be filtered out.
	mustCycle(t, w, CycleStats{})
	ts.appendMsg(t, "INBOX", sampleMsg(5))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if msgs := st.snapshot(); msgs[3].in.UID != 5 {
		t.Fatalf("last ingested uid = %d, want 5", msgs[3].in.UID)
	}
}

// deleteUID removes one message through another IMAP session.
func deleteUID(t *testing.T, ts *testServer, folder string, uid uint32) {
	t.Helper()
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	set := imap.UIDSetNum(imap.UID(uid))
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		t.Fatal(err)
	}
}

// flagDeleted flags one message \Deleted through another IMAP session,
// without expunging it.
func flagDeleted(t *testing.T, ts *testServer, folder string, uid uint32) {
	t.Helper()
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(imap.UID(uid)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

func bodies(msgs []folderMsg) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	return out
}

func TestFilingMovesSettledMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
		// expunged: the original leaves INBOX (MOVE, or COPY + UID EXPUNGE).
		expunged bool
	}{
		{"move", revCaps, true},
		{"copy+uidplus", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}, true},
		{"copy-only", imap.CapSet{imap.CapIMAP4rev1: {}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.caps)
			st := newMemStore()
			w := newTestWatcher(t, ts, st, nil)
			for i := 1; i <= 5; i++ {
				ts.appendMsg(t, "INBOX", sampleMsg(i))
			}
			mustCycle(t, w, CycleStats{Fetched: 5, Ingested: 5})

			// Someone else flagged uid 5 \Deleted: filing must never expunge it.
			flagDeleted(t, ts, "INBOX", 5)
			ids := []int64{
				st.settle(t, 1, store.DispositionProcessed),
				st.settle(t, 2, store.DispositionReview),
				st.settle(t, 3, store.DispositionProcessed),
			}
			mustCycle(t, w, CycleStats{Filed: 3})
			for _, id := range ids {
				if !st.filed(id) {
					t.Errorf("message %d not marked filed", id)
				}
			}
			if got, want := bodies(ts.contents(t, "Facteur/Traitees")), []string{string(sampleMsg(1)), string(sampleMsg(3))}; !slices.Equal(got, want) {
				t.Errorf("Traitees = %q, want %q", got, want)
			}
			if got, want := bodies(ts.contents(t, "Facteur/A-verifier")), []string{string(sampleMsg(2))}; !slices.Equal(got, want) {
				t.Errorf("A-verifier = %q, want %q", got, want)
			}
			if got := ts.contents(t, "Facteur/Ignorees"); got != nil {
				t.Errorf("Ignorees created though nothing was ignored: %v", got)
			}
			inbox := ts.contents(t, "INBOX")
			var uids []uint32
			for _, m := range inbox {
				uids = append(uids, m.UID)
				settled := m.UID <= 3
				if settled && !slices.Contains(m.Flags, imap.FlagDeleted) {
					t.Errorf("uid %d left in INBOX without \\Deleted", m.UID)
				}
				if m.UID == 4 && slices.Contains(m.Flags, imap.FlagDeleted) {
					t.Errorf("unsettled uid 4 flagged \\Deleted")
				}
			}
			wantUIDs := []uint32{4, 5}
			if !tc.expunged {
				wantUIDs = []uint32{1, 2, 3, 4, 5}
			}
			if !slices.Equal(uids, wantUIDs) {
				t.Errorf("INBOX uids = %v, want %v", uids, wantUIDs)
			}

			// Nothing more to file; then one more, into a folder created now.
			mustCycle(t, w, CycleStats{})
			st.settle(t, 4, store.DispositionIgnored)
			mustCycle(t, w, CycleStats{Filed: 1})
			if got, want := bodies(ts.contents(t, "Facteur/Ignorees")), []string{string(sampleMsg(4))}; !slices.Equal(got, want) {
				t.Errorf("Ignorees = %q, want %q", got, want)
			}
		})
	}
}

func TestFilingAlreadyGoneIsMarkedFiled(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	ts.appendMsg(t, "INBOX", sampleMsg(2))
	mustCycle(t, w, CycleStats{Fetched: 2, Ingested: 2})
	deleteUID(t, ts, "INBOX", 1) // moved away by a person, or by us before a crash
	id := st.settle(t, 1, store.DispositionProcessed)
	mustCycle(t, w, CycleStats{Filed: 1})
	if !st.filed(id) {
		t.Fatal("vanished message not marked filed")
	}
	if got := ts.contents(t, "Facteur/Traitees"); got != nil {
		t.Errorf("folder created or filled for a vanished message: %v", got)
	}
}

func TestUIDValidityChange(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	for i := 1; i <= 3; i++ {
		ts.appendMsg(t, "INBOX", sampleMsg(i))
	}
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	oldUV := ts.uidValidity(t, "INBOX")
	goneID := st.settle(t, 1, store.DispositionProcessed)
	keptID := st.settle(t, 2, store.DispositionReview)

	// The folder is rebuilt under a new UIDVALIDITY: message 1 is gone,
	// messages 3 and 2 come back with new UIDs (1 and 2), message 4 is new.
	if err := ts.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ts.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 2, 4} {
		ts.appendMsg(t, "INBOX", sampleMsg(n))
	}
	newUV := ts.uidValidity(t, "INBOX")
	if newUV == oldUV {
		t.Fatal("test setup: UIDVALIDITY unchanged")
	}

	// Everything is fetched again from UID 1; only message 4 is new. The
	// store relocates message 2 (same bytes) to its new UID, so it is
	// filed; message 1 keeps its stale UIDVALIDITY and is left alone.
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 1, Filed: 1})
	msgs := st.snapshot()
	if len(msgs) != 4 {
		t.Fatalf("store has %d messages, want 4 (no duplicates)", len(msgs))
	}
	if m := msgs[3]; m.in.UIDValidity != newUV || m.in.UID != 3 || !bytes.Equal(m.in.Raw, sampleMsg(4)) {
		t.Errorf("new message stored as %d/%d", m.in.UIDValidity, m.in.UID)
	}
	if got := st.cp["compta"]; got != [2]uint32{newUV, 3} {
		t.Errorf("checkpoint = %v, want [%d 3]", got, newUV)
	}
	if !st.filed(keptID) {
		t.Error("relocated settled message not filed")
	}
	if got, want := bodies(ts.contents(t, "Facteur/A-verifier")), []string{string(sampleMsg(2))}; !slices.Equal(got, want) {
		t.Errorf("A-verifier = %q, want %q", got, want)
	}
	if st.filed(goneID) {
		t.Error("filing with a stale UIDVALIDITY marked filed")
	}
	if got := ts.contents(t, "Facteur/Traitees"); got != nil {
		t.Errorf("a message was moved for a stale filing: %v", got)
	}
	if got, want := bodies(ts.contents(t, "INBOX")), []string{string(sampleMsg(3)), string(sampleMsg(4))}; !slices.Equal(got, want) {
		t.Errorf("INBOX = %q, want %q", got, want)
	}
}

// A message over the size limit is not downloaded: its envelope is
// ingested, and the row says it was not downloaded (size, limit, folder,
// the attachments BODYSTRUCTURE announces), never a header in the bytes.
func TestMessageTooBigIsNotDownloaded(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, func(o *Options) { o.MaxMessageSize = 2048 })
	const marker = "CORPS-VOLUMINEUX-JAMAIS-TELECHARGE"
	big := []byte("From: =?utf-8?q?Soci=C3=A9t=C3=A9_G=C3=A9n=C3=A9rale_des_Eaux?= <factures@sge.example>\r\n" +
		"To: accueil.comptabilite@casq.fr\r\n" +
		"Subject: =?utf-8?q?Facture_n=C2=B0_42_=E2=80=93_=C3=A9t=C3=A9?=\r\n" +
		"Date: Tue, 03 Nov 2026 09:15:00 +0100\r\n" +
		"Message-ID: <gros-42@sge.example>\r\n" +
		"\r\n" + strings.Repeat(marker+"\r\n", 200))
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	ts.appendMsg(t, "INBOX", big)
	ts.appendMsg(t, "INBOX", sampleMsg(3))

	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	if bytes.Contains(ts.wire.Bytes(), []byte(marker)) {
		t.Fatal("the oversized body went over the wire")
	}
	msgs := st.snapshot()
	if !bytes.Equal(msgs[0].in.Raw, sampleMsg(1)) || !bytes.Equal(msgs[2].in.Raw, sampleMsg(3)) {
		t.Fatal("small messages not ingested as is")
	}
	if msgs[0].in.NotDownloaded != nil || msgs[2].in.NotDownloaded != nil {
		t.Error("small messages recorded as not downloaded")
	}
	env := msgs[1].in
	if env.UID != 2 {
		t.Fatalf("uid = %d, want 2", env.UID)
	}
	nd := env.NotDownloaded
	if nd == nil || nd.Size != int64(len(big)) || nd.Limit != 2048 || nd.Folder != "INBOX" {
		t.Fatalf("NotDownloaded = %+v, want size %d, limit 2048, folder INBOX", nd, len(big))
	}
	r, err := mail.CreateReader(bytes.NewReader(env.Raw))
	if err != nil {
		t.Fatalf("envelope unreadable: %v\n%s", err, env.Raw)
	}
	h := r.Header
	if h.Has("X-Facteur-Oversize") {
		t.Error("the envelope carries a marker header")
	}
	if s, _ := h.Subject(); s != "Facture n° 42 – été" {
		t.Errorf("Subject = %q", s)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Address != "factures@sge.example" || from[0].Name != "Société Générale des Eaux" {
		t.Errorf("From = %v", from)
	}
	if id, _ := h.MessageID(); id != "gros-42@sge.example" {
		t.Errorf("Message-ID = %q", id)
	}
	if d, _ := h.Date(); !d.Equal(time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("Date = %v", d)
	}
	if got := st.cp["compta"]; got[1] != 3 {
		t.Errorf("checkpoint = %v, want last uid 3", got)
	}

	// Fetched again (e.g. after a UIDVALIDITY change), the envelope is the
	// same bytes, so content-hash deduplication applies.
	st2 := newMemStore()
	w2 := newTestWatcher(t, ts, st2, func(o *Options) { o.MaxMessageSize = 2048 })
	mustCycle(t, w2, CycleStats{Fetched: 3, Ingested: 3})
	if !bytes.Equal(st2.snapshot()[1].in.Raw, env.Raw) {
		t.Error("envelope not deterministic")
	}
}

func TestNewValidation(t *testing.T) {
	st := newMemStore()
	for _, tc := range []struct {
		addr, security string
		ok             bool
	}{
		{"imap.casq.fr:143", "plain", false},
		{"192.0.2.10:143", "plain", false},
		{"[2001:db8::1]:143", "plain", false},
		{"localhost.evil.example:143", "plain", false},
		{"127.0.0.1:143", "plain", true},
		{"127.8.9.10:143", "plain", true},
		{"localhost:143", "plain", true},
		{"[::1]:143", "plain", true},
		{"imap.casq.fr:993", "tls", true},
		{"imap.casq.fr:993", "", true},
		{"imap.casq.fr:143", "starttls", true},
		{"imap.casq.fr:143", "ssl", false},
		{"imap.casq.fr", "tls", false},
	} {
		_, err := New(Options{Name: "compta", Addr: tc.addr, Security: tc.security}, st)
		if (err == nil) != tc.ok {
			t.Errorf("New(%s, %q): err = %v, want ok=%v", tc.addr, tc.security, err, tc.ok)
		}
	}
	if _, err := New(Options{Name: "compta", Addr: "localhost:143", Schedule: "every minute"}, st); err == nil {
		t.Error("bad schedule accepted")
	}
	if _, err := New(Options{Addr: "localhost:143"}, st); err == nil {
		t.Error("empty name accepted")
	}
}

func TestTLSAndStartTLS(t *testing.T) {
	serverTLS, caFile := selfSignedCA(t)

	t.Run("tls", func(t *testing.T) {
		ts := newTestServer(t, revCaps)
		ts.srv.Close()
		ts.start(t, "127.0.0.1:0", serverTLS)
		ts.appendMsg(t, "INBOX", sampleMsg(1))

		// System roots only: the self-signed server is refused.
		w := newTestWatcher(t, ts, newMemStore(), func(o *Options) { o.Security = "tls" })
		if _, err := w.Cycle(t.Context()); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Cycle without the CA file: err = %v, want a certificate error", err)
		}
		w = newTestWatcher(t, ts, newMemStore(), func(o *Options) { o.Security = "tls"; o.CAFile = caFile })
		mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	})

	t.Run("starttls", func(t *testing.T) {
		ts := newTestServer(t, revCaps)
		ts.srv.Close()
		ts.opts.TLSConfig = serverTLS
		ts.opts.InsecureAuth = false // LOGIN only after STARTTLS
		ts.start(t, "127.0.0.1:0", nil)
		ts.appendMsg(t, "INBOX", sampleMsg(1))
		w := newTestWatcher(t, ts, newMemStore(), func(o *Options) { o.Security = "starttls"; o.CAFile = caFile })
		mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	})
}

func TestBadCredentials(t *testing.T) {
	ts := newTestServer(t, revCaps)
	w := newTestWatcher(t, ts, newMemStore(), func(o *Options) { o.Password = "faux" })
	if _, err := w.Cycle(t.Context()); err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("Cycle with a wrong password: err = %v", err)
	}
}

func TestReconnectAfterConnectionLoss(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})

	// The server goes away (every connection cut) and comes back.
	addr := ts.addr
	ts.srv.Close()
	ts.start(t, addr, nil)
	ts.appendMsg(t, "INBOX", sampleMsg(2))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
}

func TestCycleContextAndClose(t *testing.T) {
	ts := newTestServer(t, revCaps)
	w := newTestWatcher(t, ts, newMemStore(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := w.Cycle(ctx); err == nil {
		t.Fatal("Cycle with a cancelled context succeeded")
	}
	ts.appendMsg(t, "INBOX", sampleMsg(1))
	mustCycle(t, w, CycleStats{Fetched: 1, Ingested: 1})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Cycle(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Cycle after Close: err = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRunTriggerAndCancel(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	ingested := make(chan struct{}, 10)
	var logs lockedBuffer
	w := newTestWatcher(t, ts, st, func(o *Options) {
		o.OnIngest = func() { ingested <- struct{}{} }
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ts.appendMsg(t, "INBOX", sampleMsg(1))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-ingested:
		case <-time.After(10 * time.Second):
			t.Fatalf("no OnIngest after %s", what)
		}
	}
	wait("start")
	ts.appendMsg(t, "INBOX", sampleMsg(2))
	w.Trigger() // the schedule is hourly: only Trigger can run this cycle
	wait("Trigger")
	if n := len(st.snapshot()); n != 2 {
		t.Fatalf("store has %d messages, want 2", n)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case <-ingested:
		t.Fatal("OnIngest called for a cycle that ingested nothing")
	default:
	}
	for _, line := range strings.Split(strings.TrimSpace(string(logs.Bytes())), "\n") {
		if !strings.Contains(line, "mailbox=compta") {
			t.Errorf("log line without mailbox: %s", line)
		}
	}
}

func TestRunLogsCycleErrors(t *testing.T) {
	ts := newTestServer(t, revCaps)
	var logs lockedBuffer
	w := newTestWatcher(t, ts, newMemStore(), func(o *Options) {
		o.Password = "faux"
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(logs.Bytes(), []byte("imap cycle failed")) {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged; logs:\n%s", logs.Bytes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(logs.Bytes())), "\n") {
		if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "mailbox=compta") {
			t.Errorf("error line without mailbox: %s", line)
		}
	}
}

func TestConcurrentCyclesNeverOverlap(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	st.delay = 2 * time.Millisecond
	w := newTestWatcher(t, ts, st, nil)
	for i := 1; i <= 5; i++ {
		ts.appendMsg(t, "INBOX", sampleMsg(i))
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total CycleStats
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := w.Cycle(t.Context())
			if err != nil {
				t.Errorf("Cycle: %v", err)
			}
			mu.Lock()
			total.Fetched += s.Fetched
			total.Ingested += s.Ingested
			mu.Unlock()
		}()
	}
	wg.Wait()
	if m := st.maxInflight.Load(); m != 1 {
		t.Errorf("store saw %d concurrent calls, want 1", m)
	}
	if st.calls.Load() < 8*2 {
		t.Errorf("only %d store calls: the cycles did not all run", st.calls.Load())
	}
	if total != (CycleStats{Fetched: 5, Ingested: 5}) {
		t.Errorf("total = %+v, want 5 fetched and ingested once", total)
	}
}

func TestRunCancelDuringCycle(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	st.delay = 10 * time.Millisecond
	w := newTestWatcher(t, ts, st, nil)
	w.groupMax = 2 // two messages per IngestBatch: 20 store calls to ingest 40
	for i := 1; i <= 40; i++ {
		ts.appendMsg(t, "INBOX", sampleMsg(i))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); st.calls.Load() < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d store calls in 10 s", st.calls.Load())
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	calls := st.calls.Load()
	time.Sleep(50 * time.Millisecond)
	if st.calls.Load() != calls {
		t.Fatal("the cycle still runs after Run returned")
	}
	msgs := st.snapshot()
	if len(msgs) == 0 || len(msgs) == 40 {
		t.Fatalf("%d messages ingested: the cycle was not interrupted midway", len(msgs))
	}
	for i, m := range msgs {
		if m.in.UID != uint32(i+1) {
			t.Fatalf("ingested uids not contiguous: %d at %d", m.in.UID, i)
		}
	}
	if cp := st.cp["compta"][1]; cp > uint32(len(msgs)) || cp+1 < uint32(len(msgs)) {
		t.Errorf("checkpoint %d with %d messages ingested", cp, len(msgs))
	}
	// The next cycle goes on from the checkpoint.
	w2 := newTestWatcher(t, ts, st, nil)
	st.delay = 0
	if _, err := w2.Cycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(st.snapshot()); n != 40 {
		t.Fatalf("%d messages after resuming, want 40", n)
	}
}

func TestBodiesFetchedInGroups(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, func(o *Options) { o.MaxMessageSize = 4096 })
	const n = 75
	var want [][]byte
	for i := 1; i <= n; i++ {
		m := sampleMsg(i)
		if i == 40 {
			m = []byte("Subject: gros\r\n\r\n" + strings.Repeat("x", 5000) + "\r\n")
		}
		ts.appendMsg(t, "INBOX", m)
		want = append(want, m)
	}
	deleteUID(t, ts, "INBOX", 50) // gone before the cycle: not in the SEARCH
	mustCycle(t, w, CycleStats{Fetched: n - 1, Ingested: n - 1})
	msgs := st.snapshot()
	j := 0
	for i := 1; i <= n; i++ {
		if i == 50 {
			continue
		}
		m := msgs[j].in
		j++
		if m.UID != uint32(i) {
			t.Fatalf("message %d has uid %d: not in order", j, m.UID)
		}
		if i == 40 {
			if m.NotDownloaded == nil || m.NotDownloaded.Size != int64(len(want[i-1])) {
				t.Errorf("uid 40 is not recorded as not downloaded: %+v", m.NotDownloaded)
			}
			continue
		}
		if !bytes.Equal(m.Raw, want[i-1]) {
			t.Errorf("uid %d: body differs", i)
		}
	}
	// 73 bodies in groups of at most 32: 3 body FETCH commands, not 73.
	if c := bytes.Count(ts.wire.Bytes(), []byte("BODY.PEEK[])")); c != 3 {
		t.Errorf("%d body FETCH commands, want 3", c)
	}
	if got := st.cp["compta"]; got[1] != n {
		t.Errorf("checkpoint = %v, want last uid %d", got, n)
	}
	if st.maxInflight.Load() != 1 {
		t.Error("store calls overlapped")
	}
	// Nothing new: no FETCH of bodies.
	before := bytes.Count(ts.wire.Bytes(), []byte("BODY.PEEK[])"))
	mustCycle(t, w, CycleStats{})
	if c := bytes.Count(ts.wire.Bytes(), []byte("BODY.PEEK[])")); c != before {
		t.Errorf("second cycle fetched bodies")
	}
}

func TestGroupBodies(t *testing.T) {
	w := &Watcher{opts: Options{MaxMessageSize: 10 << 20}}
	metas := map[imap.UID]*imapclient.FetchMessageBuffer{}
	var batch []imap.UID
	for uid := imap.UID(1); uid <= 80; uid++ {
		batch = append(batch, uid)
		size := int64(100_000)
		switch uid {
		case 5: // vanished: no metadata
			continue
		case 6:
			size = 11 << 20 // oversize: not fetched
		case 70:
			size = 9 << 20 // within the limit, above a group's bytes: alone
		}
		metas[uid] = &imapclient.FetchMessageBuffer{UID: uid, RFC822Size: size}
	}
	groups := w.groupBodies(batch, metas)
	var all []imap.UID
	var sizes []int
	for _, g := range groups {
		all = append(all, g.uids...)
		sizes = append(sizes, len(g.fetch))
		var total int64
		for _, u := range g.fetch {
			total += metas[u].RFC822Size
		}
		if len(g.fetch) > 1 && total > groupBytes {
			t.Errorf("group %v announces %d bytes", g.fetch, total)
		}
	}
	if !slices.Equal(all, batch) {
		t.Fatalf("groups do not cover the batch in order: %v", all)
	}
	// 1-34 minus 5 and 6 (32), 35-66 (32), 67-69 (3), 70 alone, 71-80 (10).
	if want := []int{32, 32, 3, 1, 10}; !slices.Equal(sizes, want) {
		t.Errorf("group sizes = %v, want %v", sizes, want)
	}
}
