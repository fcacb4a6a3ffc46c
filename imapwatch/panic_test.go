package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"facteur/guard"
)

// expectedPanics counts the panics the tests cause on purpose; any other
// panic recovered while they ran fails the run.
var expectedPanics atomic.Int64

func TestMain(m *testing.M) {
	code := m.Run()
	if got, want := guard.Total(), expectedPanics.Load(); code == 0 && got != want {
		fmt.Fprintf(os.Stderr, "FAIL: %d panic(s) recovered during the tests, %d expected (see the logs for the stacks)\n", got, want)
		code = 1
	}
	os.Exit(code)
}

// TestPanicInACycle: a panic while ingesting (here, in the store) ends the
// cycle like a failure, in the ingester's own goroutine too: the watcher
// lives on, the checkpoint has not passed what was not ingested, and the
// next cycle ingests every message once.
func TestPanicInACycle(t *testing.T) {
	ts := newTestServer(t, revCaps)
	st := newMemStore()
	w := newTestWatcher(t, ts, st, nil)
	for i := 1; i <= 3; i++ {
		ts.appendMsg(t, "INBOX", sampleMsg(i))
	}
	st.panics.Store(1)
	before := guard.Total()
	_, err := w.Cycle(context.Background())
	expectedPanics.Add(guard.Total() - before)
	var pe *guard.PanicError
	if !errors.As(err, &pe) || guard.Total()-before != 1 {
		t.Fatalf("cycle error %v, %d panics; want the store's panic as the cycle's error", err, guard.Total()-before)
	}
	if got := st.cp["compta"]; got[1] != 0 {
		t.Errorf("checkpoint %v moved past messages not ingested", got)
	}
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	if n := len(st.snapshot()); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}
