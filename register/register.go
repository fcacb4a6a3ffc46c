// Package register reads the engagement register: the list of the public
// body's open engagements (numéros d'engagement juridique) exported from its
// finance software as a CSV file, with the budget (recipient SIRET) and the
// supplier of each. The router checks the engagement numbers it finds
// against it; the gateway reloads the file when it changes.
//
// The file is a CSV export as spreadsheets and finance software write it:
// a header row naming the columns, a ";" "," or tab separator, UTF-8 (with
// or without a byte order mark) or Windows-1252. Recognised columns
// (names compared without accents, case, spaces or punctuation):
//
//	engagement          the number (also "numéro d'engagement", "EJ", "n° EJ")   required
//	siret_destinataire  the budget: its SIRET or name (also "budget")           optional
//	siret_fournisseur   the supplier's SIRET (also "fournisseur")                optional
//	service             a service code                                          optional
//	libelle             what was ordered                                         optional
//
// Other columns are ignored.
package register

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"facteur/ident"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Entry is one engagement of the register.
type Entry struct {
	Number string // as written in the file
	// Recipient is the budget as the file names it: its SIRET, or its
	// name; RecipientSIRET is the SIRET's 14 digits when it is one.
	Recipient      string
	RecipientSIRET string
	SupplierSIRET  string // 14 digits (or a 9-digit SIREN), or ""
	Service        string
	Label          string
}

// Register is a loaded register, safe for concurrent use.
type Register struct {
	byNumber map[string]Entry
}

// Limits on a register file.
const (
	maxFileBytes = 64 << 20
	maxEntries   = 1_000_000
)

// Len is the number of engagements.
func (r *Register) Len() int {
	if r == nil {
		return 0
	}
	return len(r.byNumber)
}

// Lookup finds an engagement by number (case, spaces and the separators
// "-", "/", "." and "_" ignored, so "EJ 2026-0042" finds "ej2026/0042").
func (r *Register) Lookup(number string) (Entry, bool) {
	if r == nil {
		return Entry{}, false
	}
	e, ok := r.byNumber[Key(number)]
	return e, ok
}

// Key is the form under which numbers are compared.
func Key(number string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(number) {
		switch {
		case unicode.IsSpace(c), c == '-', c == '/', c == '.', c == '_':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// fields tells which field a column holds, from its folded name (see
// foldName), or "".
func field(name string) string {
	has := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(name, p) {
				return true
			}
		}
		return false
	}
	switch {
	case name == "ej" || name == "numero" || name == "nej" || name == "noej" || name == "ndej" || name == "numej" || name == "numeroej" ||
		name == "engagement" || name == "engagementjuridique" || name == "numeroejuridique" ||
		strings.HasPrefix(name, "n") && (strings.HasSuffix(name, "engagement") || strings.HasSuffix(name, "engagementjuridique")) && len(name) <= 30:
		return "number"
	case has("destinataire", "budget", "acheteur"):
		return "recipient"
	case has("fournisseur", "tiers"):
		return "supplier"
	case has("service"):
		return "service"
	case has("libelle", "objet", "designation"):
		return "label"
	}
	return ""
}

// Parse reads a register from the bytes of a CSV file. Rows without a
// number are skipped; a number listed twice keeps its first row. An error
// means nothing usable was read.
func Parse(data []byte) (*Register, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("register: file of %d bytes, larger than %d", len(data), maxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// Excel and most French finance software export in Windows-1252.
		dec, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("register: decode windows-1252: %w", err)
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = separator(data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("register: header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		if f := field(foldName(h)); f != "" {
			if _, done := idx[f]; !done {
				idx[f] = i
			}
		}
	}
	if _, ok := idx["number"]; !ok {
		return nil, errors.New("register: no engagement number column (expected a header such as \"engagement\" or \"numéro d'engagement\")")
	}
	reg := &Register{byNumber: map[string]Entry{}}
	get := func(rec []string, field string) string {
		i, ok := idx[field]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // a broken line is skipped, not the file
			}
			return nil, fmt.Errorf("register: %w", err)
		}
		number := get(rec, "number")
		key := Key(number)
		if key == "" {
			continue
		}
		if _, dup := reg.byNumber[key]; dup {
			continue
		}
		if len(reg.byNumber) >= maxEntries {
			return nil, fmt.Errorf("register: more than %d engagements", maxEntries)
		}
		reg.byNumber[key] = Entry{
			Number:         number,
			Recipient:      get(rec, "recipient"),
			RecipientSIRET: siret(get(rec, "recipient")),
			SupplierSIRET:  digits(get(rec, "supplier")),
			Service:        get(rec, "service"),
			Label:          get(rec, "label"),
		}
	}
	return reg, nil
}

// separator guesses the field separator from the first line.
func separator(data []byte) rune {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	best, n := ';', bytes.Count(line, []byte(";"))
	for _, c := range []rune{',', '\t'} {
		if m := bytes.Count(line, []byte(string(c))); m > n {
			best, n = c, m
		}
	}
	return best
}

// digits is a SIRET or SIREN written with spaces or dots, compacted;
// anything that is not 9 or 14 digits reads as "".
func digits(s string) string {
	d := ident.Compact(s)
	if !ident.AllDigits(d) || len(d) != 9 && len(d) != 14 {
		return ""
	}
	return d
}

// siret is a SIRET written with spaces or dots, compacted, or "".
func siret(s string) string {
	if d := digits(s); len(d) == 14 {
		return d
	}
	return ""
}

// foldName lowers a column name and keeps only its letters and digits,
// accents dropped: "N° d'engagement" → "ndengagement".
func foldName(s string) string {
	var b strings.Builder
	for _, c := range norm.NFD.String(strings.ToLower(s)) {
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// File is a register read from a file and read again when the file
// changes (its size or modification time), at most once per CheckEvery.
type File struct {
	Path       string
	CheckEvery time.Duration // default one minute

	mu      sync.Mutex
	reg     *Register
	checked time.Time
	size    int64
	mod     time.Time
	err     error
}

// Current returns the register as last read successfully (nil before the
// first success), and the error of the latest read, if it failed: a
// broken new export never replaces a good register.
func (f *File) Current(now time.Time) (*Register, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	every := f.CheckEvery
	if every <= 0 {
		every = time.Minute
	}
	if !f.checked.IsZero() && now.Sub(f.checked) < every {
		return f.reg, f.err
	}
	f.checked = now
	fi, err := os.Stat(f.Path)
	if err != nil {
		f.err = fmt.Errorf("register: %w", err)
		return f.reg, f.err
	}
	if f.reg != nil && fi.Size() == f.size && fi.ModTime().Equal(f.mod) {
		return f.reg, f.err
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		f.err = fmt.Errorf("register: %w", err)
		return f.reg, f.err
	}
	reg, err := Parse(data)
	if err != nil {
		f.err = fmt.Errorf("%s: %w", f.Path, err)
		return f.reg, f.err
	}
	f.reg, f.err, f.size, f.mod = reg, nil, fi.Size(), fi.ModTime()
	return f.reg, nil
}
