// Package samples generates realistic sample supplier invoices and e-mails:
// Factur-X PDFs, CII and UBL XML files, plain PDFs and MIME messages.
//
// It is used by tests and by "facteur demo" at run time, so everything is
// generated in code: the package never reads a file.
//
// Amounts are decimal strings ("2", "150.00", "5.5") and all arithmetic is exact
// (integer cents, half-up rounding). Invalid decimals in an Invoice are a
// programming error in the sample data and make the generators panic.
package samples

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Line is one invoice line. Quantity, UnitPrice and VATRate are decimal strings
// such as "2", "150.00" and "20" (percent).
type Line struct {
	Description string
	Quantity    string
	UnitPrice   string // net unit price, without VAT
	VATRate     string // percent: "20", "10", "5.5", "0"
}

// Invoice is the data of one sample invoice.
type Invoice struct {
	Number    string // "FA-2026-0042"
	IssueDate string // "2026-11-02"
	Currency  string // "EUR"; empty means EUR

	SellerName    string
	SellerSIRET   string
	SellerVAT     string // intra-community VAT id, "FR..."
	SellerAddress string // "12 rue X, 02100 Saint-Quentin"
	SellerIBAN    string

	BuyerName    string
	BuyerSIRET   string
	BuyerAddress string

	BuyerReference string // BT-10, the Chorus Pro service code; "" when absent
	OrderReference string // BT-13, the engagement number; "" when absent

	// CorrectedInvoice, when set, makes the document a credit note (type
	// 381, "AVOIR" on the page) correcting that invoice (BT-25).
	CorrectedInvoice string

	Lines []Line
}

// paymentDays is the payment term of every sample invoice (the legal maximum
// for a local public body in France).
const paymentDays = 30

func (inv Invoice) currency() string {
	if inv.Currency == "" {
		return "EUR"
	}
	return inv.Currency
}

// dueDate returns the due date (issue date + 30 days) as YYYY-MM-DD, or "" when
// the issue date is not a valid date.
func (inv Invoice) dueDate() string {
	t, err := time.Parse(time.DateOnly, inv.IssueDate)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, paymentDays).Format(time.DateOnly)
}

// Totals returns the total without VAT, the VAT and the total with VAT, as
// decimal strings with two decimals ("1234.50"). Each line net amount is
// quantity × unit price rounded half-up to the cent; the VAT of each rate is
// computed on the sum of the line nets of that rate and rounded half-up.
func (inv Invoice) Totals() (ht, tva, ttc string) {
	c := inv.compute()
	return formatCents(c.net), formatCents(c.vat), formatCents(c.net + c.vat)
}

// computed holds the exact amounts of an invoice, in cents.
type computed struct {
	lines []int64    // net amount of each line
	taxes []taxGroup // one per VAT rate, in increasing rate order
	net   int64
	vat   int64
}

type taxGroup struct {
	rate  decimal // as given, normalized
	basis int64   // cents
	vat   int64   // cents
}

func (inv Invoice) compute() computed {
	var c computed
	groups := map[string]*taxGroup{}
	for i, l := range inv.Lines {
		q := mustDecimal(l.Quantity, "line %d quantity", i+1)
		p := mustDecimal(l.UnitPrice, "line %d unit price", i+1)
		r := mustDecimal(l.VATRate, "line %d VAT rate", i+1)
		// q × p has scale q.scale+p.scale; bring it to cents.
		prod := new(big.Int).Mul(q.mant, p.mant)
		net := roundDiv(new(big.Int).Mul(prod, big.NewInt(100)), pow10(q.scale+p.scale))
		c.lines = append(c.lines, net)
		c.net += net
		key := r.String()
		g, ok := groups[key]
		if !ok {
			g = &taxGroup{rate: r}
			groups[key] = g
		}
		g.basis += net
	}
	for _, g := range groups {
		// basis (cents) × rate / 100, rate with its own scale.
		num := new(big.Int).Mul(big.NewInt(g.basis), g.rate.mant)
		g.vat = roundDiv(num, new(big.Int).Mul(big.NewInt(100), pow10(g.rate.scale)))
		c.vat += g.vat
		c.taxes = append(c.taxes, *g)
	}
	sort.Slice(c.taxes, func(i, j int) bool { return c.taxes[i].rate.cmp(c.taxes[j].rate) < 0 })
	return c
}

// decimal is an exact decimal number: mant × 10^-scale.
type decimal struct {
	mant  *big.Int
	scale int
}

var decimalRE = regexp.MustCompile(`^([+-]?)([0-9]+)(?:\.([0-9]+))?$`)

func parseDecimal(s string) (decimal, error) {
	m := decimalRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return decimal{}, fmt.Errorf("samples: invalid decimal %q", s)
	}
	mant, _ := new(big.Int).SetString(m[2]+m[3], 10)
	if m[1] == "-" {
		mant.Neg(mant)
	}
	d := decimal{mant: mant, scale: len(m[3])}
	return d.normalize(), nil
}

func mustDecimal(s, what string, args ...any) decimal {
	d, err := parseDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("samples: %s: %v", fmt.Sprintf(what, args...), err))
	}
	return d
}

// normalize removes trailing fractional zeros, so that "20.00" and "20" are equal.
func (d decimal) normalize() decimal {
	ten := big.NewInt(10)
	m := new(big.Int).Set(d.mant)
	s := d.scale
	r := new(big.Int)
	for s > 0 {
		q, rem := new(big.Int).QuoRem(m, ten, r)
		if rem.Sign() != 0 {
			break
		}
		m = q
		s--
	}
	return decimal{mant: m, scale: s}
}

func (d decimal) cmp(e decimal) int {
	a := new(big.Int).Mul(d.mant, pow10(e.scale))
	b := new(big.Int).Mul(e.mant, pow10(d.scale))
	return a.Cmp(b)
}

// String formats d with at least no fractional digits ("20", "5.5").
func (d decimal) String() string { return d.fixed(d.scale) }

// fixed formats d with at least min fractional digits (never rounding).
func (d decimal) fixed(min int) string {
	scale := max(d.scale, min)
	m := new(big.Int).Mul(d.mant, pow10(scale-d.scale))
	neg := m.Sign() < 0
	digits := new(big.Int).Abs(m).String()
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// roundDiv returns num/den rounded half away from zero ("half-up" as used for
// money). den must be positive; the result must fit in an int64.
func roundDiv(num, den *big.Int) int64 {
	neg := num.Sign() < 0
	a := new(big.Int).Abs(num)
	q, r := new(big.Int).QuoRem(a, den, new(big.Int))
	if new(big.Int).Mul(r, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		panic("samples: amount out of range")
	}
	return q.Int64()
}

// formatCents formats an amount in cents as "1234.50".
func formatCents(c int64) string {
	return decimal{mant: big.NewInt(c), scale: 2}.fixed(2)
}

// amount2 formats a decimal string with at least two decimals ("150" → "150.00").
func amount2(s string) string { return mustDecimal(s, "amount").fixed(2) }

// quantity4 formats a quantity with at least four decimals, like most CII producers.
func quantity4(s string) string { return mustDecimal(s, "quantity").fixed(4) }

// address is a French postal address split for the XML formats.
type address struct {
	Line, Postcode, City, Country string
}

var postcodeCityRE = regexp.MustCompile(`^([0-9]{5})\s+(.+)$`)

// splitAddress reads "12 rue X, 02100 Saint-Quentin" (or with a newline
// instead of the last comma). Without a recognizable "postcode city" tail the
// whole text is the street line.
func splitAddress(s string) address {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", ""))
	a := address{Line: s, Country: "FR"}
	i := strings.LastIndexAny(s, ",\n")
	if i < 0 {
		return a
	}
	if m := postcodeCityRE.FindStringSubmatch(strings.TrimSpace(s[i+1:])); m != nil {
		a.Line = strings.Join(strings.FieldsFunc(s[:i], func(r rune) bool { return r == '\n' }), ", ")
		a.Line = strings.TrimSpace(a.Line)
		a.Postcode, a.City = m[1], m[2]
	}
	return a
}

// compactDate turns "2026-11-02" into "20261102" (CII format 102).
func compactDate(s string) string { return strings.ReplaceAll(s, "-", "") }

func itoa(i int) string { return fmt.Sprint(i) }

// typeCode is the document's UNTDID 1001 type: 381 for a credit note,
// else 380 (commercial invoice).
func (inv Invoice) typeCode() string {
	if inv.CorrectedInvoice != "" {
		return "381"
	}
	return "380"
}
