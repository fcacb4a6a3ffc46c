package imapwatch

import (
	"context"
	"errors"
	"testing"

	"facteur/guard"
	"facteur/internal/panictest"
)

// expectedPanics counts the panics the tests of this package cause on
// purpose; any other panic recovered while they ran fails the run.
var expectedPanics panictest.Expected

func TestMain(m *testing.M) { panictest.Main(m, &expectedPanics) }

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
