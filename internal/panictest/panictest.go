// Package panictest makes a package's tests fail when a panic was
// recovered while they ran that they did not cause on purpose: a recovered
// panic is a defect even when the daemon survives it (as mox's tests
// check). Test material only.
package panictest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"facteur/guard"
)

// Expected counts the panics a package's tests cause on purpose.
type Expected struct{ n atomic.Int64 }

// Add records n panics caused on purpose.
func (e *Expected) Add(n int64) { e.n.Add(n) }

// Main runs the tests, then fails the run when guard recovered more or
// fewer panics than expected; use it as TestMain's body.
func Main(m *testing.M, e *Expected) {
	code := m.Run()
	if got, want := guard.Total(), e.n.Load(); code == 0 && got != want {
		fmt.Fprintf(os.Stderr, "FAIL: %d panic(s) recovered during the tests, %d expected (see the logs for the stacks)\n", got, want)
		code = 1
	}
	os.Exit(code)
}
