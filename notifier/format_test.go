package notifier

import (
	"reflect"
	"testing"
)

func TestFrenchDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-02":                    "2 novembre 2026",
		"2025-04-01":                    "1er avril 2025",
		"2025-08-15T10:14:03.512+02:00": "15 août 2025",
		"2026-02-30":                    "2026-02-30",
		"02/11/2026":                    "02/11/2026",
		"2026-11-02x":                   "2026-11-02x",
		"":                              "",
	} {
		if got := FrenchDate(in); got != want {
			t.Errorf("FrenchDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFrenchAmount(t *testing.T) {
	for _, c := range []struct{ amount, currency, want string }{
		{"1234.5", "EUR", "1\u00a0234,50\u00a0€"},
		{"1200", "eur", "1\u00a0200,00\u00a0€"},
		{"0.4", "EUR", "0,40\u00a0€"},
		{"-80.00", "EUR", "-80,00\u00a0€"},
		{"1234567,891", "USD", "1\u00a0234\u00a0567,891\u00a0USD"},
		{"120.00", "", "120,00"},
		{"007.10", "EUR", "7,10\u00a0€"},
		{"12 345", "EUR", "12 345\u00a0€"},
		{"abc", "EUR", "abc\u00a0€"},
		{"12.", "EUR", "12.\u00a0€"},
		{"", "EUR", ""},
	} {
		if got := FrenchAmount(c.amount, c.currency); got != c.want {
			t.Errorf("FrenchAmount(%q, %q) = %q, want %q", c.amount, c.currency, got, c.want)
		}
	}
}

func TestClean(t *testing.T) {
	if got := clean(" a\r\n\tb  c\x00d ", 100); got != "a b c d" {
		t.Errorf("clean = %q", got)
	}
	if got := clean("abcdef", 4); got != "abc…" {
		t.Errorf("clean cut = %q", got)
	}
	if got := clean("a\xffb", 10); got != "a\uFFFDb" {
		t.Errorf("clean invalid UTF-8 = %q", got)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("un deux trois quatre cinq", 10)
	want := []string{"un deux", "trois", "quatre", "cinq"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	if got := wrap("unmotbienpluslongque dix", 10); !reflect.DeepEqual(got, []string{"unmotbienpluslongque", "dix"}) {
		t.Errorf("wrap long word = %q", got)
	}
}
