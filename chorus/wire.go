package chorus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Wire types shared by the endpoints: tolerant decoders for identifiers,
// flags and amounts, whose JSON type varies between sources.

// flexInt64 decodes a JSON number, or a string holding one, or null (0):
// Chorus Pro identifiers (idStructureCPP, identifiantFactureCPP,
// pieceJointeId) are int64.
type flexInt64 int64

func (n *flexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
			return fmt.Errorf("not an integer: %.40q", b)
		}
		v = int64(f)
	}
	*n = flexInt64(v)
	return nil
}

// flexBool decodes true/false, the strings "true"/"false" (any case), 0/1,
// or null (false).
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(string(b)), `"`))
	switch s {
	case "true", "1", "oui":
		*v = true
	case "false", "0", "null", "", "non":
		*v = false
	default:
		return fmt.Errorf("not a boolean: %.20q", b)
	}
	return nil
}

// Amount is a decimal amount kept as its decimal text (e.g. "2500.00"), never
// as a binary float: Chorus Pro amounts are decimal(19,6) (reference §1.5).
// It is sent as a JSON number and read from a JSON number or string.
type Amount string

var amountRE = regexp.MustCompile(`^-?[0-9]{1,13}(\.[0-9]{1,6})?$`)

// ParseAmount checks s ("1234.5", "-3", "0.000001"; a comma is accepted as
// decimal separator) and returns it as an Amount.
func ParseAmount(s string) (Amount, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if !amountRE.MatchString(s) {
		return "", fmt.Errorf("amount %q: want digits with at most 6 decimals", s)
	}
	return Amount(s), nil
}

// MustAmount is ParseAmount for constants; it panics on a malformed amount.
func MustAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// MarshalJSON writes the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a == "" {
		return []byte("0"), nil
	}
	if !amountRE.MatchString(string(a)) {
		return nil, fmt.Errorf("amount %q is not a decimal number", string(a))
	}
	return []byte(a), nil
}

// UnmarshalJSON accepts a JSON number, a string holding one, or null ("").
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*a = ""
			return nil
		}
		b = []byte(strings.TrimSpace(s))
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("not an amount: %.40q", b)
	}
	*a = Amount(n.String())
	return nil
}

// infoAmount is an informational amount of an answer (OCR results, search
// results): read like an Amount, but a value that is not a decimal number
// reads as "" instead of making the whole answer unreadable.
type infoAmount Amount

func (a *infoAmount) UnmarshalJSON(b []byte) error {
	var v Amount
	if v.UnmarshalJSON(b) != nil {
		v = ""
	}
	*a = infoAmount(v)
	return nil
}

// ParseTime reads the three date layouts Chorus Pro uses (reference §1.5):
// "2006-01-02", "2006-01-02 15:04" (Paris time) and ISO-8601 with or without
// milliseconds and offset.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.000-0700",
		"2006-01-02T15:04:05.000Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		time.DateOnly,
	} {
		if t, err := time.ParseInLocation(layout, s, paris); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// paris is the time zone of Chorus Pro's dates without offset.
var paris = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}()

// pageParams is the paging block of search requests.
type pageParams struct {
	NbResultatsParPage   int    `json:"nbResultatsParPage"`
	PageResultatDemandee int    `json:"pageResultatDemandee"`
	TriColonne           string `json:"triColonne,omitempty"`
	TriSens              string `json:"triSens,omitempty"`
}

// pageReturn is the paging block of search answers.
type pageReturn struct {
	PageCourante       flexInt `json:"pageCourante"`
	Pages              flexInt `json:"pages"`
	NbResultatsParPage flexInt `json:"nbResultatsParPage"`
	Total              flexInt `json:"total"`
}

// or returns p with each zero field taken from q: paging may come in
// parametresRetour or at the top level of an answer (reference §2.11).
func (p pageReturn) or(q pageReturn) pageReturn {
	pick := func(a, b flexInt) flexInt {
		if a != 0 {
			return a
		}
		return b
	}
	return pageReturn{
		PageCourante:       pick(p.PageCourante, q.PageCourante),
		Pages:              pick(p.Pages, q.Pages),
		NbResultatsParPage: pick(p.NbResultatsParPage, q.NbResultatsParPage),
		Total:              pick(p.Total, q.Total),
	}
}

// decodeOK decodes a 200 answer body as the client does (used by decoders
// and fuzz targets).
func decodeOK[T any](op string, data []byte) (*T, error) {
	var out T
	if err := decodeAnswer(op, 200, nil, data, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// block decodes a JSON object into V, and reads null, an empty array or an
// empty string as an absent block (V's zero value): servers serialising an
// empty map as [] (PHP) or a missing block as "" must not make a whole answer
// unreadable.
type block[T any] struct{ V T }

func (o *block[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "null", `""`:
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var l []json.RawMessage
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		if len(l) == 0 {
			return nil
		}
		return fmt.Errorf("expected an object, got a non-empty array")
	}
	return json.Unmarshal(b, &o.V)
}
