package guard

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestCall(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	before := Total()
	want := errors.New("ordinary")
	if err := Call(log, "message 1", func() error { return want }); err != want {
		t.Errorf("error %v, want %v", err, want)
	}
	if Total() != before {
		t.Error("an ordinary error was counted as a panic")
	}
	var items []int
	err := Call(log, "message 2", func() error {
		_ = items[len(items)] // a runtime panic: index out of range
		return nil
	})
	var pe *PanicError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "index out of range") || !bytes.Contains(pe.Stack, []byte("guard_test.go")) {
		t.Fatalf("err %v", err)
	}
	if Total() != before+1 {
		t.Errorf("Total = %d, want %d", Total(), before+1)
	}
	if out := buf.String(); !strings.Contains(out, "work=\"message 2\"") || !strings.Contains(out, "stack=") {
		t.Errorf("log %q", out)
	}
}
