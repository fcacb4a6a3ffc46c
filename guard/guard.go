// Package guard is the panic boundary of Facteur's long-lived loops. A panic
// in one piece of work (a message, a case, a reply, an IMAP cycle) is turned
// into an error for that piece of work, which its caller sets aside with the
// reason, instead of taking the daemon down with nothing recorded. Each
// recovered panic is logged with its stack and counted, so that a test can
// fail on any panic recovered while it ran.
//
// It imports nothing of Facteur's: it sits below every loop that uses it.
package guard

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
)

// PanicError is a panic recovered by Call.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// total counts the panics recovered in this process.
var total atomic.Int64

// Total is the number of panics recovered in this process since it started.
func Total() int64 { return total.Load() }

// Call runs f and returns its error; a panic in f is returned as a
// *PanicError, logged on log (with what names the work, its stack
// attached) and counted. Only f's own goroutine is guarded: a goroutine f
// starts needs a Call of its own.
func Call(log *slog.Logger, what string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := &PanicError{Value: v, Stack: debug.Stack()}
			total.Add(1)
			if log != nil {
				log.Error("panic recovered; the work is set aside", "work", what, "panic", fmt.Sprint(v), "stack", string(pe.Stack))
			}
			err = pe
		}
	}()
	return f()
}
