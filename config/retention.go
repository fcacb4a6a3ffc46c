package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention says how long Facteur keeps what it no longer needs.
type Retention struct {
	// RawMessages is how long the raw message (its file in the spool) of
	// a settled message whose invoice cases are all finished (paid,
	// rejected, ignored, duplicate, guided) is kept after it was received:
	// "0", the default, keeps every one for ever; "10y" or "3650d" prunes
	// the older ones. The message's row and its cases stay, saying the raw
	// message was pruned. French public accounting keeps invoices ten
	// years.
	RawMessages Age `toml:"raw_messages"`
}

// Age is a length of time in calendar years or days ("10y", "3650d"); "0"
// or empty is none.
type Age string

// minRawRetention is the shortest retention of raw messages accepted: a
// finished case may still be released by finance staff, which reads its
// raw message again.
const minRawRetention = 30

// UnmarshalText parses an age: "0", or a positive number of years ("10y")
// or days ("3650d"), at least 30 days.
func (a *Age) UnmarshalText(text []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(text)))
	if s == "" || s == "0" {
		*a = ""
		return nil
	}
	years, days, err := parseAge(s)
	if err != nil {
		return err
	}
	if years == 0 && days < minRawRetention {
		return fmt.Errorf("%q is too short: at least %d days (\"%dd\"), or \"0\" to keep everything", s, minRawRetention, minRawRetention)
	}
	*a = Age(s)
	return nil
}

func parseAge(s string) (years, days int, err error) {
	unit := s[len(s)-1]
	n, perr := strconv.Atoi(s[:len(s)-1])
	switch {
	case perr != nil || n <= 0 || n > 1000*366:
		return 0, 0, fmt.Errorf("invalid age %q (use e.g. \"10y\" for ten years, \"3650d\" for days, or \"0\" to keep everything)", s)
	case unit == 'y' && n <= 1000:
		return n, 0, nil
	case unit == 'd':
		return 0, n, nil
	}
	return 0, 0, fmt.Errorf("invalid age %q (use e.g. \"10y\" for ten years, \"3650d\" for days, or \"0\" to keep everything)", s)
}

// IsZero reports whether the age is none (keep everything).
func (a Age) IsZero() bool { return a == "" }

// Before returns the instant the age before t (calendar years and days),
// and false when the age is none.
func (a Age) Before(t time.Time) (time.Time, bool) {
	if a.IsZero() {
		return time.Time{}, false
	}
	years, days, err := parseAge(string(a))
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(-years, 0, -days), true
}

// String is the age as written in the configuration ("0" for none).
func (a Age) String() string {
	if a.IsZero() {
		return "0"
	}
	return string(a)
}

// MarshalText writes the age as the configuration does ("0" for none).
func (a Age) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Parts returns the age's years and days (both 0 for none).
func (a Age) Parts() (years, days int) {
	if a.IsZero() {
		return 0, 0
	}
	years, days, _ = parseAge(string(a))
	return years, days
}
