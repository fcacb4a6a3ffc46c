package parser

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// producerWant is what a careful reader sees on one of the invoices of
// testdata/producers (written for this project and printed to PDF by a
// different producer each: see the README.md there). A null or empty
// value means the invoice does not print it: the parser must then
// return nothing.
type producerWant struct {
	Producer        string   `json:"producer"`
	Type            string   `json:"type"`
	Number          string   `json:"number"`
	IssueDate       string   `json:"issue_date"`
	Currency        string   `json:"currency"`
	SellerSIRET     string   `json:"seller_siret"`
	SellerVATID     string   `json:"seller_vat_id"`
	TotalWithoutVAT string   `json:"total_without_vat"`
	TotalVAT        string   `json:"total_vat"`
	TotalWithVAT    string   `json:"total_with_vat"`
	AmountDue       string   `json:"amount_due"`
	IBAN            string   `json:"iban"`
	OrderReference  string   `json:"order_reference"`
	BuyerReference  string   `json:"buyer_reference"`
	Engagements     []string `json:"engagement_candidates"`
}

// producerMaxMissed is how many fields the text path may still miss over
// all the producer invoices (a miss is reported, not wrong; more misses
// than this is a regression).
const producerMaxMissed = 0

// TestProducerInvoices runs the text path on invoices made by real PDF
// producers (LibreOffice, WeasyPrint, wkhtmltopdf, Chromium, groff,
// Ghostscript, pdfTeX, ReportLab, fpdf) and compares every field with
// the want.json written next to each PDF. A confidently wrong value
// fails the test; a missed one is reported.
func TestProducerInvoices(t *testing.T) {
	wants, err := filepath.Glob(filepath.Join("testdata", "producers", "*.want.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wants) == 0 {
		t.Fatal("no testdata/producers/*.want.json")
	}
	sort.Strings(wants)
	type field struct {
		name    string
		numeric bool
		want    func(producerWant) string
		got     func(Document) string
	}
	inv := func(d Document) *Invoice {
		if d.Invoice == nil {
			return &Invoice{}
		}
		return d.Invoice
	}
	fields := []field{
		{"type", false, func(w producerWant) string { return w.Type }, func(d Document) string { return d.Kind }},
		{"number", false, func(w producerWant) string { return w.Number }, func(d Document) string { return inv(d).Number }},
		{"issue_date", false, func(w producerWant) string { return w.IssueDate }, func(d Document) string { return inv(d).IssueDate }},
		{"currency", false, func(w producerWant) string { return w.Currency }, func(d Document) string { return inv(d).Currency }},
		{"seller_siret", false, func(w producerWant) string { return w.SellerSIRET }, func(d Document) string { return inv(d).Seller.SIRET }},
		{"seller_vat_id", false, func(w producerWant) string { return w.SellerVATID }, func(d Document) string { return inv(d).Seller.VATID }},
		{"total_without_vat", true, func(w producerWant) string { return w.TotalWithoutVAT }, func(d Document) string { return inv(d).TotalWithoutVAT }},
		{"total_vat", true, func(w producerWant) string { return w.TotalVAT }, func(d Document) string { return inv(d).TotalVAT }},
		{"total_with_vat", true, func(w producerWant) string { return w.TotalWithVAT }, func(d Document) string { return inv(d).TotalWithVAT }},
		{"amount_due", true, func(w producerWant) string { return w.AmountDue }, func(d Document) string { return inv(d).AmountDue }},
		{"iban", false, func(w producerWant) string { return w.IBAN }, func(d Document) string { return inv(d).IBAN }},
		{"order_reference", false, func(w producerWant) string { return w.OrderReference }, func(d Document) string { return inv(d).OrderReference }},
		{"buyer_reference", false, func(w producerWant) string { return w.BuyerReference }, func(d Document) string { return inv(d).BuyerReference }},
	}
	dump := os.Getenv("PRODUCERS_DUMP") // a folder: the text of each PDF is written there
	names := make([]string, 0, len(wants))
	results := map[string][]string{} // field → one mark per file
	missed, wrong := 0, 0
	for _, wf := range wants {
		data, err := os.ReadFile(wf)
		if err != nil {
			t.Fatal(err)
		}
		var want producerWant
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", wf, err)
		}
		pdf := strings.TrimSuffix(wf, ".want.json") + ".pdf"
		raw, err := os.ReadFile(pdf)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(pdf), ".pdf")
		names = append(names, name)
		doc := ParseDocument(filepath.Base(pdf), raw, Options{})
		if dump != "" {
			_ = os.WriteFile(filepath.Join(dump, name+".txt"), []byte(doc.Text), 0o644)
		}
		if doc.Error != "" {
			t.Errorf("%s: %s", name, doc.Error)
		}
		if !doc.IsInvoice || doc.Source != "text" {
			t.Errorf("%s: IsInvoice=%v Source=%q warnings %q", name, doc.IsInvoice, doc.Source, doc.Warnings)
		}
		for _, f := range fields {
			w, g := f.want(want), f.got(doc)
			same := w == g
			if f.numeric {
				same = sameAmount(w, g)
			}
			mark := "ok"
			switch {
			case same && w == "":
				mark = "-"
			case same:
			case g == "":
				mark = "MISSED"
				missed++
				t.Logf("MISSED %s %s: want %q", name, f.name, w)
			default:
				mark = "WRONG"
				wrong++
				t.Errorf("WRONG %s %s: got %q, want %q", name, f.name, g, w)
			}
			results[f.name] = append(results[f.name], mark)
		}
		// Engagement numbers as the router sees them: the order reference
		// read by the text path and the candidates found in the text.
		// Every expected one must be there; one not expected is wrong (it
		// would be deposited as the engagement, or make a contradiction).
		got := map[string]bool{}
		if r := inv(doc).OrderReference; r != "" {
			got[strings.ToUpper(r)] = true
		}
		for _, c := range doc.Candidates {
			got[strings.ToUpper(c.Value)] = true
		}
		mark := "ok"
		for _, w := range want.Engagements {
			if !got[strings.ToUpper(w)] {
				mark = "MISSED"
				missed++
				t.Logf("MISSED %s engagement candidate %q (got %v)", name, w, doc.Candidates)
			}
			delete(got, strings.ToUpper(w))
		}
		for v := range got {
			mark = "WRONG"
			wrong++
			t.Errorf("WRONG %s engagement candidate %q not expected (want %q)", name, v, want.Engagements)
		}
		if len(want.Engagements) == 0 && mark == "ok" {
			mark = "-"
		}
		results["engagements"] = append(results["engagements"], mark)
	}

	// The per-field table: one column per file.
	short := make([]string, len(names))
	for i, n := range names {
		short[i] = n
		if j := strings.IndexByte(n, '-'); j > 0 {
			short[i] = n[j+1:]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s", "field")
	for _, s := range short {
		fmt.Fprintf(&b, " %-16.16s", s)
	}
	t.Log(b.String())
	order := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		order = append(order, f.name)
	}
	order = append(order, "engagements")
	for _, f := range order {
		b.Reset()
		fmt.Fprintf(&b, "%-18s", f)
		for _, m := range results[f] {
			fmt.Fprintf(&b, " %-16s", m)
		}
		t.Log(b.String())
	}
	t.Logf("%d files: %d wrong, %d missed (at most %d allowed)", len(names), wrong, missed, producerMaxMissed)
	if missed > producerMaxMissed {
		t.Errorf("%d fields missed, more than the %d allowed", missed, producerMaxMissed)
	}
}
