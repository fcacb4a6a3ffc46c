package sandbox

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	f, err := ParseFault("path=/cpro/factures/v1/deposer/flux,kind=commit_drop,count=2")
	if err != nil || f.Kind != FaultCommitDrop || f.Count != 2 || f.Path != pathDeposer {
		t.Fatalf("%+v %v", f, err)
	}
	f, err = ParseFault("kind=status,p=0.3")
	if err != nil || f.Status != 503 || f.Probability != 0.3 {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err := ParseFault("kind=hang,count=1"); err != nil || f.Delay != 2*time.Minute {
		t.Fatalf("hang default delay: %+v %v", f, err)
	}
	for _, bad := range []string{"kind=nope,count=1", "kind=status", "status=200,count=1", "p=2", "count=-1", "delay=x", "foo=1", "path=x,count=1", "kind"} {
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Probability faults are reproducible with the same seed.
func TestFaultSeed(t *testing.T) {
	run := func(seed uint64) []int {
		s, err := newServer(Options{ClientID: "a", ClientSecret: "b", Login: "c", Password: "d", Seed: seed,
			Faults: []Fault{{Kind: FaultStatus, Status: 500, Probability: 0.3}}})
		if err != nil {
			t.Fatal(err)
		}
		var hits []int
		for i := range 200 {
			if _, ok := s.takeFault(pathCR); ok {
				hits = append(hits, i)
			}
		}
		return hits
	}
	a, b, c := run(7), run(7), run(8)
	if len(a) < 40 || len(a) > 80 {
		t.Fatalf("%d hits of 200 at p=0.3", len(a))
	}
	if !equalInts(a, b) || equalInts(a, c) {
		t.Fatal("faults not reproducible by seed")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultKinds(t *testing.T) {
	h := start(t, 0)
	cr := map[string]any{"numeroFluxDepot": "x"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Hang: no answer before the client's timeout.
	must(h.s.Inject(Fault{Path: pathCR, Kind: FaultHang, Delay: time.Minute, Count: 1}))
	req, _ := http.NewRequest(http.MethodPost, h.s.URL()+pathCR, bytes.NewReader([]byte(`{"numeroFluxDepot":"x"}`)))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("cpro-account", h.account())
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	if _, err := (&http.Client{Timeout: 200 * time.Millisecond}).Do(req); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("hang: %v after %v", err, time.Since(start))
	}
	// Slow: answered after the delay.
	must(h.s.Inject(Fault{Path: pathCR, Kind: FaultSlow, Delay: 100 * time.Millisecond, Count: 1}))
	start = time.Now()
	if resp, _ := h.post(pathCR, cr, nil); resp.StatusCode != 200 || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("slow: %d after %v", resp.StatusCode, time.Since(start))
	}
	// Drop before processing: nothing recorded.
	must(h.s.Inject(Fault{Path: pathDeposer, Kind: FaultDrop, Count: 1}))
	body := []byte(`{"fichierFlux":"PGEvPg==","nomFichier":"a.xml","syntaxeFlux":"IN_DP_E1_CII_16B"}`)
	post := func() error {
		req, _ := http.NewRequest(http.MethodPost, h.s.URL()+pathDeposer, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("cpro-account", h.account())
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := post(); err == nil || len(h.s.Deposits()) != 0 {
		t.Fatalf("drop: %v, %d deposits", err, len(h.s.Deposits()))
	}
	// Commit then drop: recorded, no answer.
	must(h.s.Inject(Fault{Path: pathDeposer, Kind: FaultCommitDrop, Count: 1}))
	if err := post(); err == nil || len(h.s.Deposits()) != 1 {
		t.Fatalf("commit_drop: %v, %d deposits", err, len(h.s.Deposits()))
	}
	if n := h.s.FaultsApplied(); n != 4 {
		t.Fatalf("%d faults applied", n)
	}
	h.s.FailNext("", 503, 1)
	h.s.ClearFaults()
	if resp, _ := h.post(pathCR, cr, nil); resp.StatusCode != 200 {
		t.Fatalf("after ClearFaults: %d", resp.StatusCode)
	}
}
