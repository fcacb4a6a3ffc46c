package parser

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	return dir
}

// truth is the ground truth written next to a corpus file.
type truth struct {
	InvoiceNumber  *string `json:"invoice_number"`
	IssueDate      *string `json:"issue_date"`
	SellerName     *string `json:"seller_name"`
	SellerID       *string `json:"seller_siret_or_id"`
	SellerVATID    *string `json:"seller_vat_id"`
	BuyerName      *string `json:"buyer_name"`
	BuyerID        *string `json:"buyer_siret_or_id"`
	BuyerReference *string `json:"buyer_reference"`
	OrderReference *string `json:"purchase_order_reference"`
	Currency       *string `json:"currency"`
	TotalWithout   *string `json:"total_without_vat"`
	TotalVAT       *string `json:"total_vat"`
	TotalWith      *string `json:"total_with_vat"`
	AmountDue      *string `json:"amount_due"`
	Profile        *string `json:"profile"`
	Meta           struct {
		Syntax   string `json:"syntax"`
		TypeCode string `json:"type_code"`
	} `json:"_meta"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sameAmount compares decimal strings numerically ("" only equals "").
func sameAmount(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	x, ok1 := new(big.Rat).SetString(strings.TrimSpace(a))
	y, ok2 := new(big.Rat).SetString(strings.TrimSpace(b))
	if !ok1 || !ok2 {
		return a == b
	}
	return x.Cmp(y) == 0
}

func TestCorpusAccuracy(t *testing.T) {
	dir := corpusDir(t)
	var truths []string
	for _, sub := range []string{"cii", "ubl", "facturx", "pdf"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		truths = append(truths, m...)
	}
	if len(truths) == 0 {
		t.Skip("no ground truth files")
	}
	sort.Strings(truths)

	type field struct {
		name    string
		numeric bool
		want    func(truth) string
		got     func(*Invoice) string
	}
	fields := []field{
		{"invoice_number", false, func(x truth) string { return str(x.InvoiceNumber) }, func(i *Invoice) string { return i.Number }},
		{"issue_date", false, func(x truth) string { return str(x.IssueDate) }, func(i *Invoice) string { return i.IssueDate }},
		{"seller_id", false, func(x truth) string { return str(x.SellerID) }, func(i *Invoice) string { return i.Seller.ID }},
		{"seller_vat_id", false, func(x truth) string { return str(x.SellerVATID) }, func(i *Invoice) string { return i.Seller.VATID }},
		{"buyer_id", false, func(x truth) string { return str(x.BuyerID) }, func(i *Invoice) string { return i.Buyer.ID }},
		{"buyer_reference", false, func(x truth) string { return str(x.BuyerReference) }, func(i *Invoice) string { return i.BuyerReference }},
		{"order_reference", false, func(x truth) string { return str(x.OrderReference) }, func(i *Invoice) string { return i.OrderReference }},
		{"currency", false, func(x truth) string { return str(x.Currency) }, func(i *Invoice) string { return i.Currency }},
		{"total_without_vat", true, func(x truth) string { return str(x.TotalWithout) }, func(i *Invoice) string { return i.TotalWithoutVAT }},
		{"total_vat", true, func(x truth) string { return str(x.TotalVAT) }, func(i *Invoice) string { return i.TotalVAT }},
		{"total_with_vat", true, func(x truth) string { return str(x.TotalWith) }, func(i *Invoice) string { return i.TotalWithVAT }},
		{"amount_due", true, func(x truth) string { return str(x.AmountDue) }, func(i *Invoice) string { return i.AmountDue }},
		// Not in the required set, reported for information.
		{"seller_name", false, func(x truth) string { return str(x.SellerName) }, func(i *Invoice) string { return i.Seller.Name }},
		{"buyer_name", false, func(x truth) string { return str(x.BuyerName) }, func(i *Invoice) string { return i.Buyer.Name }},
	}
	const required = 12 // the first fields must reach the threshold
	ok := make([]int, len(fields))
	total := 0
	typeOK := 0
	for _, tf := range truths {
		data, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		var want truth
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		file := strings.TrimSuffix(tf, ".truth.json")
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc := ParseDocument(filepath.Base(file), raw, Options{})
		if strings.HasPrefix(doc.Error, "internal error") {
			t.Errorf("%s: %s", filepath.Base(file), doc.Error)
		}
		total++
		rel, _ := filepath.Rel(dir, file)
		if doc.Invoice == nil {
			t.Errorf("%s: no invoice read (format %q, error %q, warnings %q)", rel, doc.Format, doc.Error, doc.Warnings)
			continue
		}
		if !doc.IsInvoice || doc.Source != "xml" {
			t.Errorf("%s: IsInvoice=%v Source=%q", rel, doc.IsInvoice, doc.Source)
		}
		wantType := "invoice"
		if want.Meta.TypeCode == "381" || strings.Contains(want.Meta.Syntax, "CreditNote") {
			wantType = "credit_note"
		}
		if doc.Invoice.Type == wantType {
			typeOK++
		} else {
			t.Errorf("%s: type %q, want %q", rel, doc.Invoice.Type, wantType)
		}
		for i, f := range fields {
			w, g := f.want(want), f.got(doc.Invoice)
			same := w == g
			if f.numeric {
				same = sameAmount(w, g)
			}
			if same {
				ok[i]++
			} else if i < required {
				t.Logf("MISMATCH %s %s: got %q, want %q", rel, f.name, g, w)
			}
		}
	}
	t.Logf("per-field accuracy over %d ground-truth files:", total)
	for i, f := range fields {
		pct := 100 * float64(ok[i]) / float64(total)
		mark := ""
		if i >= required {
			mark = " (informative)"
		}
		t.Logf("  %-18s %3d/%3d  %6.2f%%%s", f.name, ok[i], total, pct, mark)
		if i < required && pct < 95 {
			t.Errorf("field %s accuracy %.2f%% below 95%%", f.name, pct)
		}
	}
	t.Logf("  %-18s %3d/%3d", "type", typeOK, total)
}

// TestCorpusTextAccuracy reads the Factur-X PDFs of the corpus with
// TextOnly (visible text, XML ignored) and compares with their XML truth.
// A field counts "where printed" when its true value appears in the text
// (amounts in any usual notation).
func TestCorpusTextAccuracy(t *testing.T) {
	dir := corpusDir(t)
	truths, _ := filepath.Glob(filepath.Join(dir, "facturx", "*.pdf.truth.json"))
	if len(truths) == 0 {
		t.Skip("no Factur-X truth files")
	}
	sort.Strings(truths)
	type field struct {
		name    string
		numeric bool
		target  float64 // 0: informative
		want    func(truth) string
		got     func(*Invoice) string
	}
	fields := []field{
		{"invoice_number", false, 95, func(x truth) string { return str(x.InvoiceNumber) }, func(i *Invoice) string { return i.Number }},
		{"issue_date", false, 95, func(x truth) string { return str(x.IssueDate) }, func(i *Invoice) string { return i.IssueDate }},
		{"total_with_vat", true, 95, func(x truth) string { return str(x.TotalWith) }, func(i *Invoice) string { return i.TotalWithVAT }},
		{"total_without_vat", true, 90, func(x truth) string { return str(x.TotalWithout) }, func(i *Invoice) string { return i.TotalWithoutVAT }},
		{"seller_vat_id", false, 90, func(x truth) string { return str(x.SellerVATID) }, func(i *Invoice) string { return i.Seller.VATID }},
		{"order_reference", false, 90, func(x truth) string { return str(x.OrderReference) }, func(i *Invoice) string { return i.OrderReference }},
		{"total_vat", true, 0, func(x truth) string { return str(x.TotalVAT) }, func(i *Invoice) string { return i.TotalVAT }},
		{"amount_due", true, 0, func(x truth) string { return str(x.AmountDue) }, func(i *Invoice) string { return i.AmountDue }},
		{"currency", false, 0, func(x truth) string { return str(x.Currency) }, func(i *Invoice) string { return i.Currency }},
	}
	type score struct{ printed, ok, wrong, missed, all, allOK int }
	scores := make([]score, len(fields))
	invoices := 0
	for _, tf := range truths {
		data, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		var want truth
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		file := strings.TrimSuffix(tf, ".truth.json")
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc := ParseDocument(filepath.Base(file), raw, Options{TextOnly: true})
		if strings.HasPrefix(doc.Error, "internal error") {
			t.Errorf("%s: %s", filepath.Base(file), doc.Error)
		}
		if doc.IsInvoice && doc.Source == "text" {
			invoices++
		} else {
			t.Logf("NOT READ AS INVOICE %s: %q %q", filepath.Base(file), doc.Error, doc.Warnings)
		}
		inv := doc.Invoice
		if inv == nil {
			inv = &Invoice{}
		}
		if inv.Type == "credit_note" {
			creditNoteTruth(&want)
		}
		norm := normForSearch(doc.Text)
		for i, f := range fields {
			w, g := f.want(want), f.got(inv)
			if w == "" {
				continue
			}
			scores[i].all++
			same := w == g
			if f.numeric {
				same = sameAmount(w, g)
			}
			if same {
				scores[i].allOK++
			}
			if !printed(norm, w, f.numeric) {
				continue
			}
			scores[i].printed++
			switch {
			case same:
				scores[i].ok++
			case g == "":
				scores[i].missed++
				t.Logf("MISSED %s %s: want %q", filepath.Base(file), f.name, w)
			default:
				scores[i].wrong++
				t.Logf("WRONG %s %s: got %q, want %q", filepath.Base(file), f.name, g, w)
			}
		}
	}
	t.Logf("text path over %d Factur-X PDFs (%d read as invoices); where printed = the true value appears in the visible text:", len(truths), invoices)
	t.Logf("  %-18s %-22s %6s %6s %-14s %s", "field", "where printed (ok/n)", "wrong", "missed", "all truth", "target")
	for i, f := range fields {
		s := scores[i]
		pct := 100 * float64(s.ok) / float64(max(s.printed, 1))
		target := "informative"
		if f.target > 0 {
			target = fmt.Sprintf("%.0f%%", f.target)
		}
		t.Logf("  %-18s %3d/%3d %6.1f%%        %6d %6d %3d/%3d        %s", f.name, s.ok, s.printed, pct, s.wrong, s.missed, s.allOK, s.all, target)
		// Regression floors (the issue's targets are in the table; the
		// floors are what this extractor reaches).
		if floor := textFloors[f.name]; pct < floor {
			t.Errorf("text path: %s at %.1f%%, below the floor of %.0f%%", f.name, pct, floor)
		}
		if checkedTotals[f.name] && s.wrong > 0 {
			t.Errorf("text path: %d wrong %s values (validated by HT + VAT = TTC, must be dropped, not kept)", s.wrong, f.name)
		}
	}
}

// creditNoteTruth: a credit note is compared in the form EN 16931 and
// Chorus Pro expect, type 381 with positive amounts. FNFE's
// "Avoir_FR_type380" sample titles its page "Avoir" but codes its XML as
// an invoice (380) with negative amounts (EN 16931 allows a negative
// invoice; Chorus Pro wants an "avoir" with positive amounts). The text
// path reads the page: a credit note with the printed amounts without
// their minus sign, which is the right reading; the negative XML totals
// of such a file are compared by their absolute value. (The structured
// path keeps the XML as written: type invoice, negative amounts.)
func creditNoteTruth(w *truth) {
	if w.Meta.TypeCode != "380" {
		return
	}
	for _, p := range []**string{&w.TotalWithout, &w.TotalVAT, &w.TotalWith, &w.AmountDue} {
		if *p != nil && strings.HasPrefix(**p, "-") {
			v := strings.TrimPrefix(**p, "-")
			*p = &v
		}
	}
}

// normForSearch prepares a text for printed(): no blanks.
func normForSearch(text string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\n' || r == '\f' {
			return -1
		}
		return r
	}, text)
}

// printed reports whether a true value appears in the text.
func printed(norm, value string, numeric bool) bool {
	if !numeric {
		v := normForSearch(value)
		if strings.Contains(norm, v) {
			return true
		}
		// Dates are printed in the local format.
		if len(value) == 10 && value[4] == '-' {
			y, m, d := value[:4], value[5:7], value[8:]
			for _, f := range []string{d + "." + m + "." + y, d + "/" + m + "/" + y, d + "." + m + "." + y[2:], m + "/" + d + "/" + y} {
				if strings.Contains(norm, f) {
					return true
				}
			}
		}
		return false
	}
	r, ok := new(big.Rat).SetString(value)
	if !ok {
		return false
	}
	s := r.Abs(r).FloatString(2)
	return strings.Contains(norm, s) || strings.Contains(norm, strings.Replace(s, ".", ",", 1)) ||
		strings.Contains(norm, strings.Replace(withThousands(s, "."), ".", ",", 1)) || strings.Contains(norm, withThousands(s, ","))
}

// withThousands groups the integer part of "1234.56" by sep.
func withThousands(s, sep string) string {
	i := strings.IndexByte(s, '.')
	intPart, frac := s[:i], s[i:]
	var b strings.Builder
	for k, c := range intPart {
		if k > 0 && (len(intPart)-k)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String() + frac
}

// textFloors are the rates this extractor reaches on the corpus (one
// miss costs about 2.5 points): a regression fails the test.
var textFloors = map[string]float64{
	"invoice_number": 100, "issue_date": 100, "total_with_vat": 100, "total_without_vat": 100,
	"seller_vat_id": 100, "order_reference": 100, "total_vat": 100, "amount_due": 100,
}

// checkedTotals are the amounts HT + VAT = TTC validates: the text path
// must never return a wrong one (a miss is allowed, a wrong value not).
var checkedTotals = map[string]bool{"total_with_vat": true, "total_without_vat": true, "total_vat": true}
