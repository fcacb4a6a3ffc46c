package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// searchSeed is the seed of the random cases of the search tests: a new one
// on every run, printed on failure (FACTEUR_SEARCH_SEED replays one).
func searchSeed(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("FACTEUR_SEARCH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (replay: FACTEUR_SEARCH_SEED=%d go test ./store -run %s)", seed, seed, t.Name())
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// Families of what a searched field holds: names with accents, case and
// spaces, identifiers, addresses, and text that is FTS5 or SQL syntax.
var searchFamilies = [][]string{
	{"Électricité Générale du Vermandois", "SARL Bâtiments Œuvre", "Façades & Cie", "L'Étoile d'Aisne", "Ärzte Müller GmbH", "Smith \"Bros\" Ltd"},
	{"412 345 678 00011", "41234567800011", "FR 40 412345678", "DE123456789"},
	{"compta@voirie.example", "Factures.Clients@Gros-Fournisseur.example", "o'brien@plomberie.example"},
	{"F-2026-0042", "FA 2026/117", "AV-7", "EJ-2026-00123", "2026EJ000451", "BC n° 7781"},
	{"CPP0011117000000000000001", "FAC-2026-000123"},
	{"Facture n° 42 – travaux de voirie", "TR: Fwd: relance facture", "AND OR NOT NEAR(a b)", "col:val ^start* \"quoted\"", "'; DROP TABLE cases; --", "100% _under_"},
}

func randomField(r *rand.Rand) string {
	f := searchFamilies[r.IntN(len(searchFamilies))]
	v := f[r.IntN(len(f))]
	switch r.IntN(4) {
	case 0:
		v = strings.ToUpper(v)
	case 1:
		v = strings.ReplaceAll(v, " ", "  ")
	}
	return v
}

// searchCase is what the search of one case reads.
type searchCase struct {
	ref    string
	fields CaseFields
	subj   string
}

func (c searchCase) values() []string {
	f := c.fields
	return []string{c.ref, f.SupplierName, f.SupplierSIRET, f.SupplierEmail, f.InvoiceNumber, f.Engagement, f.FlowNumber, c.subj}
}

// bruteMatch is the search as defined: the folded text in one folded field.
func bruteMatch(c searchCase, search string) bool {
	q := searchFold(search)
	return slices.ContainsFunc(c.values(), func(v string) bool { return strings.Contains(searchFold(v), q) })
}

// TestSearchFindsWhatTheFieldsHold: on random cases of every family, the
// indexed search returns exactly the cases a field of which holds the
// folded search, newest first, also after fields change; a search shorter
// than three characters is refused, never answered by a scan or by nothing.
func TestSearchFindsWhatTheFieldsHold(t *testing.T) {
	r := searchSeed(t)
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	var cases []searchCase
	for i := range 120 {
		subj := randomField(r)
		id, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uint32(i + 1), Raw: []byte("m" + strconv.Itoa(i))})
		if err != nil {
			t.Fatal(err)
		}
		f := CaseFields{SupplierName: randomField(r), SupplierSIRET: randomField(r), SupplierEmail: randomField(r),
			InvoiceNumber: randomField(r), Engagement: randomField(r)}
		err = s.Update(ctx, func(tx *Tx) error {
			if err := tx.MessageParsed(id, MessageInfo{Subject: subj, From: "a@b.test"}); err != nil {
				return err
			}
			c, err := tx.CreateCase("FAC", id, 0, f)
			cases = append(cases, searchCase{ref: c.Ref, fields: f, subj: subj})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Some cases change: routed with a new engagement, then a flow number.
	for i := 0; i < len(cases); i += 3 {
		eng, flow := randomField(r), fmt.Sprintf("CPP%022d", i)
		err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.MoveCase(int64(i+1), CaseNew, CaseRouted, "", CaseFields{Engagement: eng}); err != nil {
				return err
			}
			return tx.SetCaseFields(int64(i+1), CaseFields{FlowNumber: flow})
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		cases[i].fields.Engagement, cases[i].fields.FlowNumber = got.Engagement, got.FlowNumber
	}
	searches := []string{"CPP0000", "vermandois", "VERMANDOIS", "electricite generale", "élec tricité", "41234567800011",
		"412 345 678", "fr40", "@voirie", "o'brien", "2026/117", "ej-2026", "n° 7", "facture", "NEAR(a", "\"quoted\"", "drop table",
		"100%", "_under", "^start*", "col:val", "müller", "oeuvre", "œuvre", "FAC-2026-0000", "zzz-nothing"}
	for range 40 { // and pieces of the fields themselves
		v := searchFold(randomField(r))
		if len([]rune(v)) >= MinSearch {
			rs := []rune(v)
			a := r.IntN(len(rs) - MinSearch + 1)
			b := a + MinSearch + r.IntN(len(rs)-a-MinSearch+1)
			searches = append(searches, string(rs[a:b]))
		}
	}
	for _, q := range searches {
		got, err := s.Cases(ctx, CaseFilter{Search: q, Limit: 1000})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var want []string
		for i := len(cases) - 1; i >= 0; i-- {
			if bruteMatch(cases[i], q) {
				want = append(want, cases[i].ref)
			}
		}
		var refs []string
		for _, c := range got {
			refs = append(refs, c.Ref)
		}
		if !slices.Equal(refs, want) {
			t.Errorf("search %q: got %v, want %v", q, refs, want)
		}
		n, err := s.CountCases(ctx, CaseFilter{Search: q})
		if err != nil || n != len(want) {
			t.Errorf("count of search %q: %d, %v; want %d", q, n, err, len(want))
		}
	}
	// With a state and a limit.
	routed, err := s.Cases(ctx, CaseFilter{Search: "CPP", States: []CaseState{CaseRouted}, Limit: 5})
	if err != nil || len(routed) != 5 || routed[0].ID <= routed[4].ID {
		t.Fatalf("routed cases with a flow: %d, %v", len(routed), err)
	}
	for _, c := range routed {
		if c.State != CaseRouted {
			t.Errorf("case %s in %s listed as routed", c.Ref, c.State)
		}
	}
	for _, q := range []string{"ab", " a b ", "é1", "  "} {
		if _, err := s.Cases(ctx, CaseFilter{Search: q}); !errors.Is(err, ErrSearchTooShort) {
			t.Errorf("search %q: %v, want ErrSearchTooShort", q, err)
		}
	}
}

// TestCountsFollowEveryChange: after random moves of messages, cases and
// replies, the counts kept by the triggers are those of the rows.
func TestCountsFollowEveryChange(t *testing.T) {
	r := searchSeed(t)
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	next := map[CaseState][]CaseState{}
	for from, tos := range caseTransitions {
		next[from] = tos
	}
	for i := range 60 {
		id, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uint32(i + 1), Raw: []byte("m" + strconv.Itoa(i))})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Update(ctx, func(tx *Tx) error {
			if r.IntN(5) == 0 {
				return tx.MessageFailed(id, MessageReceived, "illisible")
			}
			if err := tx.MessageParsed(id, MessageInfo{Subject: "Facture", From: "a@b.test"}); err != nil {
				return err
			}
			c, err := tx.CreateCase("FAC", id, 0, CaseFields{})
			if err != nil {
				return err
			}
			state := CaseNew
			for range r.IntN(6) {
				tos := next[state]
				if len(tos) == 0 {
					break
				}
				to := tos[r.IntN(len(tos))]
				if err := tx.MoveCase(c.ID, state, to, "", CaseFields{}); err != nil {
					return err
				}
				state = to
			}
			if r.IntN(2) == 0 {
				oid, _, err := tx.Enqueue(OutboxItem{CaseID: c.ID, Kind: "confirmation", HeaderMessageID: fmt.Sprintf("r%d@facteur.test", i),
					EnvelopeFrom: "f@casq.test", Recipients: []string{"a@b.test"}, Subject: "s", Raw: []byte("r")})
				if err != nil {
					return err
				}
				if r.IntN(2) == 0 {
					if err := tx.BeginSend(oid); err != nil {
						return err
					}
					return tx.OutboxSent(oid)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{Messages: map[MessageState]int{}, Cases: map[CaseState]int{}, Outbox: map[OutboxState]int{}}
	for table, put := range map[string]func(string, int){
		"messages": func(st string, n int) { want.Messages[MessageState(st)] = n },
		"cases":    func(st string, n int) { want.Cases[CaseState(st)] = n },
		"outbox":   func(st string, n int) { want.Outbox[OutboxState(st)] = n },
	} {
		rows, err := s.db.Query("SELECT state, COUNT(*) FROM " + table + " GROUP BY state")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				t.Fatal(err)
			}
			put(st, n)
		}
		rows.Close()
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts kept: %v\ncounted:     %v", got, want)
	}
	for st, n := range want.Cases {
		if c, err := s.CountCases(ctx, CaseFilter{States: []CaseState{st}}); err != nil || c != n {
			t.Errorf("CountCases(%s) = %d, %v; want %d", st, c, err, n)
		}
	}
}

// TestSearchCandidates: the index is asked for the rare part of a search
// (around its digits and signs), never for less than three characters, and
// for the whole search when it is letters only or nothing but digits.
func TestSearchCandidates(t *testing.T) {
	for _, c := range []struct{ folded, want string }{
		{"fournisseur4231sas", `"r4231s"`},
		{"vermandois", `"vermandois"`},
		{"41234567800011", `"41234567800011"`},
		{"fac-2026-000123", `"c-2026-000123"`},
		{"ab1", `"ab1"`},
		{"a1bcdef", `"a1b"`},
		{"abcdef1", `"ef1"`},
		{"abc\"de", `"c""d"`},
		{"o'brien", `"o'b"`},
		{"müller", `"müller"`},
	} {
		if got := searchCandidates(c.folded); got != c.want {
			t.Errorf("searchCandidates(%q) = %s, want %s", c.folded, got, c.want)
		}
	}
}
