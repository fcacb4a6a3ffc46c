package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"
)

// The search of `facteur cases list --search` (and the finance page) reads
// an index, not every case: each case has a search text (the folded fields
// it is searched by, see CaseFilter.Search) in case_search, an FTS5 table
// with the trigram tokenizer, which finds any substring of three characters
// or more. The text is written by triggers of the cases table (migration
// 9) through the SQL function below, so that no write path can forget it;
// the function is registered for every connection of this process.

// searchTextFunc is the SQL name of caseSearchText.
const searchTextFunc = "facteur_search_text"

// MinSearch is the shortest search (in folded characters) the index
// answers: the trigram tokenizer indexes substrings of three characters.
const MinSearch = 3

// ErrSearchTooShort: a search of fewer than MinSearch characters (accents,
// case and spaces ignored), which would read every case.
var ErrSearchTooShort = errors.New("store: search text too short")

// searchSeparator sits between the fields of a search text: a folded search
// never holds one (white space is dropped), so no match spans two fields.
const searchSeparator = "\n"

func init() {
	err := sqlite.RegisterDeterministicScalarFunction(searchTextFunc, -1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			fields := make([]string, 0, len(args))
			for _, a := range args {
				switch v := a.(type) {
				case string:
					fields = append(fields, searchFold(v))
				case []byte:
					fields = append(fields, searchFold(string(v)))
				case nil:
					fields = append(fields, "")
				default:
					fields = append(fields, searchFold(fmt.Sprint(v)))
				}
			}
			return strings.Join(fields, searchSeparator), nil
		})
	if err != nil {
		panic(fmt.Sprintf("store: register %s: %v", searchTextFunc, err))
	}
}

// searchFold lowers s and drops its accents and white space.
func searchFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// searchQuery is the FTS5 query of a search: the folded text as one phrase
// (with the trigram tokenizer, a substring), or ErrSearchTooShort.
func searchQuery(search string) (string, error) {
	folded, err := foldSearch(search)
	if err != nil {
		return "", err
	}
	return `"` + strings.ReplaceAll(folded, `"`, `""`) + `"`, nil
}

// foldSearch is the folded search text, or ErrSearchTooShort.
func foldSearch(search string) (string, error) {
	folded := searchFold(search)
	if n := len([]rune(folded)); n < MinSearch {
		return "", fmt.Errorf("%w (%d characters, at least %d)", ErrSearchTooShort, n, MinSearch)
	}
	return folded, nil
}

// searchCandidates is the FTS5 query that finds the cases a folded search
// (of MinSearch characters or more) may match, cheaply. A trigram that
// every supplier's name holds ("fou", "sas", "eur") has a doclist of every
// case, and a phrase of the whole search reads them all (a quarter of a
// second at a million cases); the part of the search around its digits and
// signs is far rarer. So when the search holds letters and something else,
// the candidates are the cases holding the longest run of it that is not
// letters only (with the letters on each side, which a trigram needs);
// searchCases then keeps those that hold the whole search.
func searchCandidates(folded string) string {
	rs := []rune(folded)
	lo, hi := -1, -1 // the span from the first to the last rune not a letter
	for i, r := range rs {
		if !unicode.IsLetter(r) {
			if lo < 0 {
				lo = i
			}
			hi = i + 1
		}
	}
	if lo >= 0 && (lo > 0 || hi < len(rs)) {
		lo, hi = max(0, lo-1), min(len(rs), hi+1)
		for hi-lo < MinSearch { // a single digit between letters, at an end
			if lo > 0 {
				lo--
			} else {
				hi++
			}
		}
		rs = rs[lo:hi]
	}
	return `"` + strings.ReplaceAll(string(rs), `"`, `""`) + `"`
}
