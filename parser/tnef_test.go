package parser

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadTNEF(t *testing.T) {
	dir := corpusDir(t)
	for _, tt := range []struct {
		file  string
		names []string
	}{
		{"mimekit__MAPI_ATTACH_DATA_OBJ.tnef", []string{"VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf", "VIA_Nytt_14021.htm"}},
		// No file names: Outlook's title is "Untitled Attachment".
		{"mimekit__winmail.tnef", []string{"Untitled Attachment", "Untitled Attachment"}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, "eml", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		files, err := readTNEF(data, 64<<20)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.name)
			t.Logf("%s: %q %d bytes, sniffed %s", tt.file, f.name, len(f.data), sniff(f.data))
		}
		if len(names) != len(tt.names) {
			t.Fatalf("%s: names %q, want %q", tt.file, names, tt.names)
		}
		for i := range names {
			if names[i] != tt.names[i] {
				t.Errorf("%s: names %q, want %q", tt.file, names, tt.names)
			}
		}
	}
}
