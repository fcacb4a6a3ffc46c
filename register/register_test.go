package register

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

func TestParse(t *testing.T) {
	latin1, err := charmap.Windows1252.NewEncoder().String("N° d'engagement;Libellé;SIRET budget;SIRET du fournisseur;Montant\r\n" +
		"EJ-2026-0042;Réfection voirie;200 071 892 00067;523 098 747 00042;12 000,00\r\n" +
		"2026/000123;Vanne;20007189200026;;\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"semicolon, windows-1252, spaced SIRETs": latin1,
		"comma, UTF-8 with BOM, quoted fields": "\ufeffengagement,libelle,siret_destinataire,siret_fournisseur\n" +
			"EJ-2026-0042,\"Réfection, voirie\",20007189200067,52309874700042\n" +
			"\"2026/000123\",Vanne,20007189200026,\n" +
			",ligne sans numéro,20007189200067,\n" +
			"EJ-2026-0042,doublon,20007189200034,\n",
		"tab, budget by name": "EJ\tBudget\tFournisseur\n" +
			"EJ-2026-0042\t20007189200067\t52309874700042\n" +
			"2026/000123\t20007189200026\tpas un SIRET\n",
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if r.Len() != 2 {
				t.Fatalf("%d engagements, want 2", r.Len())
			}
			e, ok := r.Lookup("ej 2026 0042")
			if !ok || e.Number != "EJ-2026-0042" || e.RecipientSIRET != "20007189200067" || e.SupplierSIRET != "52309874700042" {
				t.Errorf("EJ-2026-0042: %+v %v", e, ok)
			}
			e, ok = r.Lookup("2026-000123")
			if !ok || e.RecipientSIRET != "20007189200026" || e.SupplierSIRET != "" {
				t.Errorf("2026/000123: %+v %v", e, ok)
			}
			if _, ok := r.Lookup("EJ-2026-9999"); ok {
				t.Error("an unknown number was found")
			}
		})
	}
	r, err := Parse([]byte("numero;budget\nEJ-1;Budget eau potable\n"))
	if e, ok := r.Lookup("EJ-1"); err != nil || !ok || e.Recipient != "Budget eau potable" || e.RecipientSIRET != "" {
		t.Errorf("budget by name: %+v %v %v", e, ok, err)
	}
	for name, data := range map[string]string{
		"no number column": "libelle;montant\nvoirie;12\n",
		"empty":            "",
	} {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestFile: the register is read again when the file changes; a broken
// export keeps the previous register and reports the error.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engagements.csv")
	write := func(s string, mod time.Time) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	f := &File{Path: path, CheckEvery: time.Minute}
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	if r, err := f.Current(now); r != nil || err == nil {
		t.Fatalf("missing file: %v %v", r, err)
	}
	write("engagement\nEJ-1\n", now)
	if r, _ := f.Current(now.Add(30 * time.Second)); r != nil {
		t.Fatal("read again before CheckEvery")
	}
	r, err := f.Current(now.Add(2 * time.Minute))
	if err != nil || r.Len() != 1 {
		t.Fatalf("first read: %v %v", r, err)
	}
	write("engagement\nEJ-1\nEJ-2\n", now.Add(3*time.Minute))
	if r, err := f.Current(now.Add(4 * time.Minute)); err != nil || r.Len() != 2 {
		t.Fatalf("after a change: %d %v", r.Len(), err)
	}
	write("libelle\nrien\n", now.Add(5*time.Minute))
	if r, err := f.Current(now.Add(6 * time.Minute)); err == nil || r.Len() != 2 {
		t.Fatalf("broken export: %d %v; want the previous register and an error", r.Len(), err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("engagement;siret_destinataire;siret_fournisseur\nEJ-1;20007189200067;52309874700042\n"))
	f.Add([]byte("\ufeffN° EJ,budget\n\"EJ,2\",x\n"))
	f.Add([]byte("ej\t\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		for k, e := range r.byNumber {
			if k == "" || Key(e.Number) != k {
				t.Fatalf("entry %q under key %q", e.Number, k)
			}
			if got, ok := r.Lookup(e.Number); !ok || got != e {
				t.Fatalf("lookup %q", e.Number)
			}
			if e.RecipientSIRET != "" && len(e.RecipientSIRET) != 14 {
				t.Fatalf("recipient SIRET %q", e.RecipientSIRET)
			}
		}
	})
}

// BenchmarkParse: a register of 100,000 engagements, as a large public
// body's export would be.
func BenchmarkParse(b *testing.B) {
	var buf strings.Builder
	buf.WriteString("N° d'engagement;Libellé;SIRET budget;SIRET fournisseur;Montant\r\n")
	for i := range 100_000 {
		fmt.Fprintf(&buf, "EJ-2026-%06d;Fournitures et travaux n° %d;200 071 892 00067;523 098 747 00042;1 234,56\r\n", i, i)
	}
	data := []byte(buf.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(data)
		if err != nil || r.Len() != 100_000 {
			b.Fatal(r.Len(), err)
		}
	}
}
