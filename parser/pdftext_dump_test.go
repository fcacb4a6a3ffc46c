package parser

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDumpText writes the visible text of every corpus PDF to the folder
// named by $DUMP_TEXT (a tool for tuning the text path; skipped otherwise).
func TestDumpText(t *testing.T) {
	out := os.Getenv("DUMP_TEXT")
	if out == "" {
		t.Skip()
	}
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pdf"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		start := time.Now()
		ctx, err := readPDF(data)
		if err != nil {
			t.Logf("%s: %v", f, err)
			continue
		}
		txt, err := pdfText(ctx.XRefTable, textLimits{})
		t.Logf("%s: %v %d %v", filepath.Base(f), time.Since(start), len(txt), err)
		os.WriteFile(filepath.Join(out, filepath.Base(f)+".txt"), []byte(txt), 0o644)
	}
}
