// Command gen writes the small files of the hostile corpus into
// internal/hostile/testdata (go generate ./internal/hostile); the big ones
// are built at test time only.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"facteur/internal/hostile"
)

// maxCommitted is the largest file committed to the repository.
const maxCommitted = 256 << 10

func main() {
	if err := write("testdata"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range hostile.Corpus() {
		if f.Big {
			continue
		}
		raw, err := f.Build()
		if err != nil {
			return err
		}
		if len(raw) > maxCommitted {
			return fmt.Errorf("%s: %d bytes, more than the %d committed at most: mark it Big", f.Name, len(raw), maxCommitted)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}
