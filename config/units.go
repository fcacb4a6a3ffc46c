package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string: "30s", "5m".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string; negative durations are refused.
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use e.g. \"30s\", \"5m\", \"1h30m\")", s)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// ByteSize is a size in bytes, written in TOML as an integer or a string
// with a unit: "40MiB", "25MB", "512KiB", "1024", "2 GiB".
type ByteSize int64

// Binary and decimal size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
)

var byteUnits = map[string]int64{
	"":    1,
	"b":   1,
	"k":   1 << 10,
	"kb":  1000,
	"kib": 1 << 10,
	"m":   1 << 20,
	"mb":  1000 * 1000,
	"mib": 1 << 20,
	"g":   1 << 30,
	"gb":  1000 * 1000 * 1000,
	"gib": 1 << 30,
	"tb":  1000 * 1000 * 1000 * 1000,
	"tib": 1 << 40,
}

// UnmarshalText parses a size: a non-negative integer followed by an
// optional unit (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB
// and the bare K, M, G in powers of 1024), case-insensitive.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return fmt.Errorf("invalid size %q (use e.g. \"40MiB\", \"25MB\" or a number of bytes)", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("invalid size %q: too large", s)
		}
		return fmt.Errorf("invalid size %q", s)
	}
	unit, ok := byteUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok {
		return fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB or GiB)", s, strings.TrimSpace(s[i:]))
	}
	if n > math.MaxInt64/unit {
		return fmt.Errorf("invalid size %q: too large", s)
	}
	*b = ByteSize(n * unit)
	return nil
}

// MarshalText writes the size with the largest binary unit that divides it.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b ByteSize) String() string {
	for _, u := range []struct {
		n    ByteSize
		name string
	}{{1 << 40, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}
