package samples

import (
	"math/big"
	"strings"
	"testing"
)

func TestTotals(t *testing.T) {
	tests := []struct {
		name         string
		lines        []Line
		ht, tva, ttc string
	}{
		{"empty", nil, "0.00", "0.00", "0.00"},
		{
			// 3 × 0.335 = 1.005 → 1.01 (a float64 gives 1.00499…); 0.125 → 0.13
			// (half-up, not half-even); VAT 20 % of 1.14 = 0.228 → 0.23.
			"half-up line nets",
			[]Line{{"a", "3", "0.335", "20"}, {"b", "1", "0.125", "20"}},
			"1.14", "0.23", "1.37",
		},
		{
			// VAT on the sum per rate (0.26 × 20 % = 0.052 → 0.05), not the sum
			// of rounded line VATs (2 × 0.026 → 2 × 0.03 = 0.06); "20" and
			// "20.00" are the same rate.
			"vat per rate on the sum",
			[]Line{{"a", "1", "0.13", "20"}, {"b", "1", "0.13", "20.00"}},
			"0.26", "0.05", "0.31",
		},
		{
			// 5.5 % of 99.98 = 5.4989 → 5.50; 10 % of 10.00 = 1.00.
			"two rates",
			[]Line{{"a", "2", "49.99", "5.5"}, {"b", "1", "10", "10"}},
			"109.98", "6.50", "116.48",
		},
		{
			// Half away from zero for credits: -10.005 → -10.01; -2.002 → -2.00.
			"negative line",
			[]Line{{"avoir", "-1", "10.005", "20"}},
			"-10.01", "-2.00", "-12.01",
		},
		{
			"large amounts",
			[]Line{{"a", "1000000", "12345.67", "20"}},
			"12345670000.00", "2469134000.00", "14814804000.00",
		},
		{
			// 0.5 × 0.01 = 0.005 → 0.01; VAT 0.002 → 0.00.
			"half a cent",
			[]Line{{"a", "0.5", "0.01", "20"}},
			"0.01", "0.00", "0.01",
		},
		{
			"zero rate",
			[]Line{{"a", "1", "100", "0"}, {"b", "7.5", "58.40", "20"}},
			"538.00", "87.60", "625.60",
		},
		{
			// 2.5 % of 0.20 = 0.005 → 0.01 (rate with its own decimals).
			"vat exactly half a cent",
			[]Line{{"a", "1", "0.20", "2.5"}},
			"0.20", "0.01", "0.21",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := Invoice{Lines: tt.lines}
			ht, tva, ttc := inv.Totals()
			if ht != tt.ht || tva != tt.tva || ttc != tt.ttc {
				t.Errorf("Totals() = %s, %s, %s; want %s, %s, %s", ht, tva, ttc, tt.ht, tt.tva, tt.ttc)
			}
		})
	}
}

func TestTotalsInvalidDecimalPanics(t *testing.T) {
	for _, bad := range []string{"", "1,5", "1e3", "abc", "1.2.3", "--1"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("quantity %q: no panic", bad)
				}
			}()
			Invoice{Lines: []Line{{"a", bad, "1", "20"}}}.Totals()
		}()
	}
}

func TestDecimalFormatting(t *testing.T) {
	tests := []struct{ in, str, fixed2 string }{
		{"20", "20", "20.00"},
		{"20.00", "20", "20.00"},
		{"5.5", "5.5", "5.50"},
		{"0.125", "0.125", "0.125"},
		{"-0.5", "-0.5", "-0.50"},
		{"007", "7", "7.00"},
		{"+3.10", "3.1", "3.10"},
	}
	for _, tt := range tests {
		d, err := parseDecimal(tt.in)
		if err != nil {
			t.Fatalf("parseDecimal(%q): %v", tt.in, err)
		}
		if got := d.String(); got != tt.str {
			t.Errorf("parseDecimal(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		if got := d.fixed(2); got != tt.fixed2 {
			t.Errorf("parseDecimal(%q).fixed(2) = %q, want %q", tt.in, got, tt.fixed2)
		}
	}
	if got := frenchNumber("1234567.50"); got != "1\u00a0234\u00a0567,50" {
		t.Errorf("frenchNumber = %q", got)
	}
	if got := frenchNumber("-123.4"); got != "-123,4" {
		t.Errorf("frenchNumber = %q", got)
	}
}

// FuzzTotals checks the cent arithmetic against big.Rat.
func FuzzTotals(f *testing.F) {
	f.Add(uint32(3), uint8(0), uint32(335), uint8(3), uint16(2000), uint32(1), uint32(125), uint16(550))
	f.Add(uint32(75), uint8(1), uint32(5840), uint8(2), uint16(2000), uint32(0), uint32(0), uint16(0))
	f.Add(uint32(1), uint8(4), uint32(99999), uint8(4), uint16(1000), uint32(7), uint32(1), uint16(250))
	f.Fuzz(func(t *testing.T, q1 uint32, qs uint8, p1 uint32, ps uint8, r1 uint16, q2, p2 uint32, r2 uint16) {
		qs, ps = qs%5, ps%5
		dec := func(v uint64, scale uint8) string {
			return decimal{mant: new(big.Int).SetUint64(v), scale: int(scale)}.fixed(int(scale))
		}
		rate := func(r uint16) string { return dec(uint64(r%3000), 2) } // 0.00 … 29.99 %
		lines := []Line{
			{"a", dec(uint64(q1), qs), dec(uint64(p1), ps), rate(r1)},
			{"b", dec(uint64(q2), 0), dec(uint64(p2), 2), rate(r2)},
		}
		ht, tva, ttc := Invoice{Lines: lines}.Totals()

		// Reference: exact rationals, half-up rounding to the cent.
		round := func(x *big.Rat) *big.Rat {
			c := new(big.Rat).Mul(x, big.NewRat(100, 1))
			n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(c.Num(), big.NewInt(2)), c.Denom()),
				new(big.Int).Mul(c.Denom(), big.NewInt(2)))
			return new(big.Rat).SetFrac(n, big.NewInt(100))
		}
		rat := func(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }
		net := new(big.Rat)
		bases := map[string]*big.Rat{}
		for _, l := range lines {
			n := round(new(big.Rat).Mul(rat(l.Quantity), rat(l.UnitPrice)))
			net.Add(net, n)
			k := rat(l.VATRate).RatString()
			if bases[k] == nil {
				bases[k] = new(big.Rat)
			}
			bases[k].Add(bases[k], n)
		}
		vat := new(big.Rat)
		for k, b := range bases {
			vat.Add(vat, round(new(big.Rat).Mul(b, new(big.Rat).Quo(rat(k), big.NewRat(100, 1)))))
		}
		want := func(r *big.Rat) string { return r.FloatString(2) }
		if ht != want(net) || tva != want(vat) || ttc != want(new(big.Rat).Add(net, vat)) {
			t.Fatalf("lines %+v: got %s %s %s, want %s %s %s", lines, ht, tva, ttc,
				want(net), want(vat), want(new(big.Rat).Add(net, vat)))
		}
		if strings.Contains(ht+tva+ttc, "e") {
			t.Fatalf("exponent in %s %s %s", ht, tva, ttc)
		}
	})
}
