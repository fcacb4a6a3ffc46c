package imapwatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"facteur/store"

	"facteur/internal/testcert"
)

const (
	testUser = "compta"
	testPass = "s3cret"
)

// memStore is an in-memory Store with the same idempotence as store.Store:
// a message is known by (mailbox, UIDVALIDITY, UID) and by the SHA-256 of
// its bytes; known bytes at a new location move the message there. It also
// records whether two calls ever overlapped.
type memStore struct {
	mu     sync.Mutex
	cp     map[string][2]uint32
	msgs   []*memMsg // id = index + 1
	byKey  map[memKey]int64
	byHash map[[32]byte]int64

	delay       time.Duration // sleep inside each call, to widen overlap windows
	inflight    atomic.Int32
	maxInflight atomic.Int32
	calls       atomic.Int32
	// panics is the number of IngestBatch calls still to panic (a defect
	// of the store, to try the cycle's panic boundary).
	panics atomic.Int32
}

type memKey struct {
	mailbox string
	uv, uid uint32
}

type memMsg struct {
	in      store.Incoming
	settled store.Disposition
	filed   bool
}

func newMemStore() *memStore {
	return &memStore{
		cp:     make(map[string][2]uint32),
		byKey:  make(map[memKey]int64),
		byHash: make(map[[32]byte]int64),
	}
}

func (s *memStore) enter() func() {
	s.calls.Add(1)
	n := s.inflight.Add(1)
	for {
		m := s.maxInflight.Load()
		if n <= m || s.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return func() { s.inflight.Add(-1) }
}

func (s *memStore) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, error) {
	defer s.enter()()
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.cp[mailbox]
	return cp[0], cp[1], ctx.Err()
}

func (s *memStore) SaveCheckpoint(ctx context.Context, mailbox string, uv, last uint32) error {
	defer s.enter()()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cp[mailbox] = [2]uint32{uv, last}
	return ctx.Err()
}

func (s *memStore) Ingest(ctx context.Context, in store.Incoming) (int64, bool, error) {
	out, err := s.IngestBatch(ctx, []store.Incoming{in})
	if err != nil {
		return 0, false, err
	}
	return out[0].ID, out[0].Created, nil
}

// IngestBatch ingests ins in order, all or nothing, like store.Store.
func (s *memStore) IngestBatch(ctx context.Context, ins []store.Incoming) ([]store.Ingested, error) {
	defer s.enter()()
	if s.panics.Add(-1) >= 0 {
		panic("store defect")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.Ingested, len(ins))
	for i, in := range ins {
		id, created := s.ingestLocked(in)
		out[i] = store.Ingested{ID: id, Created: created}
	}
	return out, nil
}

func (s *memStore) ingestLocked(in store.Incoming) (int64, bool) {
	k := memKey{mailbox: in.Mailbox, uv: in.UIDValidity, uid: in.UID}
	if id, ok := s.byKey[k]; ok {
		return id, false
	}
	h := sha256.Sum256(in.Raw)
	if id, ok := s.byHash[h]; ok {
		// Same bytes at a new location: remember the new location so the
		// message can still be filed (as store.Store does).
		m := s.msgs[id-1]
		m.in.UIDValidity, m.in.UID, m.filed = in.UIDValidity, in.UID, false
		s.byKey[k] = id
		return id, false
	}
	in.Raw = bytes.Clone(in.Raw)
	s.msgs = append(s.msgs, &memMsg{in: in})
	id := int64(len(s.msgs))
	s.byKey[k] = id
	s.byHash[h] = id
	return id, true
}

func (s *memStore) ToFile(ctx context.Context, mailbox string) ([]store.Filing, error) {
	defer s.enter()()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Filing
	for i, m := range s.msgs {
		if m.in.Mailbox == mailbox && m.settled != "" && !m.filed {
			out = append(out, store.Filing{MessageID: int64(i + 1), UIDValidity: m.in.UIDValidity, UID: m.in.UID, Disposition: m.settled})
		}
	}
	return out, ctx.Err()
}

func (s *memStore) MarkFiled(ctx context.Context, id int64) error {
	defer s.enter()()
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || int(id) > len(s.msgs) {
		return fmt.Errorf("no message %d", id)
	}
	s.msgs[id-1].filed = true
	return ctx.Err()
}

// settle marks the message with this UID as settled.
func (s *memStore) settle(t *testing.T, uid uint32, d store.Disposition) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.msgs {
		if m.in.UID == uid {
			m.settled = d
			return int64(i + 1)
		}
	}
	t.Fatalf("no ingested message with uid %d", uid)
	return 0
}

func (s *memStore) snapshot() []memMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]memMsg, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = *m
	}
	return out
}

func (s *memStore) filed(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgs[id-1].filed
}

// testServer is an in-memory IMAP server on 127.0.0.1.
type testServer struct {
	mem  *imapmemserver.Server
	user *imapmemserver.User
	srv  *imapserver.Server
	ln   net.Listener
	addr string
	wire *lockedBuffer // every byte in both directions
	opts *imapserver.Options
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// rfcStarSession makes UID SEARCH treat "*" as real servers do (RFC 9051
// §6.4.4, Dovecot): "*" is the highest UID in use, so "n:*" matches the last
// message even when its UID is below n. imapmemserver reads "*" as
// UIDNEXT-1 instead, which would hide a client bug.
type rfcStarSession struct {
	imapserver.SessionIMAP4rev2
}

func (s rfcStarSession) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	var starFrom []imap.UID // starts of "n:*" ranges, read before the backend rewrites them
	for _, set := range criteria.UID {
		for _, r := range set {
			if r.Stop == 0 && r.Start != 0 {
				starFrom = append(starFrom, r.Start)
			}
		}
	}
	data, err := s.SessionIMAP4rev2.Search(kind, criteria, options)
	if err != nil || kind != imapserver.NumKindUID || len(starFrom) == 0 {
		return data, err
	}
	all, err := s.SessionIMAP4rev2.Search(kind, &imap.SearchCriteria{}, &imap.SearchOptions{})
	if err != nil || all.Max == 0 {
		return data, err
	}
	highest := imap.UID(all.Max)
	set, _ := data.All.(imap.UIDSet)
	for _, start := range starFrom {
		if start > highest && !set.Contains(highest) {
			set.AddNum(highest)
			data.Count++
			if data.Min == 0 || all.Max < data.Min {
				data.Min = all.Max
			}
			data.Max = max(data.Max, all.Max)
		}
	}
	data.All = set
	return data, nil
}

// revCaps: IMAP4rev1 and IMAP4rev2 (MOVE, UIDPLUS included).
var revCaps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}

func newTestServer(t *testing.T, caps imap.CapSet) *testServer {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(testUser, testPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	ts := &testServer{mem: mem, user: u, wire: &lockedBuffer{}}
	ts.opts = &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return rfcStarSession{mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		DebugWriter:  ts.wire,
		Logger:       log.New(io.Discard, "", 0),
	}
	ts.start(t, "127.0.0.1:0", nil)
	return ts
}

// start serves on addr, through TLS when tlsCfg is set.
func (ts *testServer) start(t *testing.T, addr string, tlsCfg *tls.Config) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	ts.srv = imapserver.New(ts.opts)
	ts.ln = ln
	ts.addr = ln.Addr().String()
	srv := ts.srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func (ts *testServer) appendMsg(t *testing.T, folder string, raw []byte) {
	t.Helper()
	if _, err := ts.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (ts *testServer) uidValidity(t *testing.T, folder string) uint32 {
	t.Helper()
	sd, err := ts.user.Status(folder, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		t.Fatal(err)
	}
	return sd.UIDValidity
}

// folderMsg is a message as another IMAP client sees it.
type folderMsg struct {
	UID   uint32
	Body  string
	Flags []imap.Flag
}

// contents lists a folder over a separate IMAP connection (nil when the
// folder does not exist).
func (ts *testServer) contents(t *testing.T, folder string) []folderMsg {
	t.Helper()
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil
	}
	out := []folderMsg{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{
		UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		out = append(out, folderMsg{UID: uint32(b.UID), Body: string(b.FindBodySection(&imap.FetchItemBodySection{})), Flags: b.Flags})
	}
	slices.SortFunc(out, func(a, b folderMsg) int { return int(a.UID) - int(b.UID) })
	return out
}

// sampleMsg returns a distinct RFC 5322 message.
func sampleMsg(n int) []byte {
	return fmt.Appendf(nil, "From: Fournisseur %d <factures@fournisseur%d.example>\r\n"+
		"To: accueil.comptabilite@casq.fr\r\n"+
		"Subject: Facture FA-2026-%04d\r\n"+
		"Date: Mon, 02 Nov 2026 10:%02d:00 +0100\r\n"+
		"Message-ID: <fa-%d@fournisseur.example>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"Bonjour,\r\nveuillez trouver notre facture n°%d.\r\n", n, n, n, n%60, n, n)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var testFolders = map[store.Disposition]string{
	store.DispositionProcessed: "Facteur/Traitees",
	store.DispositionReview:    "Facteur/A-verifier",
	store.DispositionIgnored:   "Facteur/Ignorees",
}

func newTestWatcher(t *testing.T, ts *testServer, st Store, mod func(*Options)) *Watcher {
	t.Helper()
	opts := Options{
		Name:     "compta",
		Addr:     ts.addr,
		Security: "plain",
		Username: testUser,
		Password: testPass,
		Folders:  testFolders,
		Schedule: "@every 1h",
		Logger:   testLogger(t),
	}
	if mod != nil {
		mod(&opts)
	}
	w, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustCycle(t *testing.T, w *Watcher, want CycleStats) {
	t.Helper()
	// A bound against a hang, not a speed target: a 1,000-message cycle
	// under -race on a loaded 2-core machine takes over 10 s.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	got, err := w.Cycle(ctx)
	if err != nil {
		t.Fatalf("Cycle: %v", err)
	}
	if got != want {
		t.Fatalf("Cycle stats = %+v, want %+v", got, want)
	}
}

// selfSignedCA returns a server TLS configuration for 127.0.0.1 and
// localhost and the PEM file of its self-signed certificate.
func selfSignedCA(t *testing.T) (*tls.Config, string) {
	c := testcert.New(t)
	return c.Server, c.CAFile
}
