package samples

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"facteur/ident"
)

// PlainPDF returns the visible one-page A4 invoice, without embedded XML: what
// a supplier without invoicing software sends.
func PlainPDF(inv Invoice) ([]byte, error) {
	return renderPDF(inv)
}

// Page geometry, in millimetres.
const (
	pageMargin = 15.0
	pageWidth  = 210.0
	bodyWidth  = pageWidth - 2*pageMargin
)

// renderPDF draws the invoice page with fpdf.
func renderPDF(inv Invoice) ([]byte, error) {
	c := inv.compute()
	cur := inv.currency()

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(false, pageMargin)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 → cp1252 for the core fonts
	if d, err := time.Parse(time.DateOnly, inv.IssueDate); err == nil {
		pdf.SetCreationDate(d)
		pdf.SetModificationDate(d)
	}
	title, numberLabel, dateLabel := "FACTURE", "Facture n°", "Date de facture"
	if inv.CorrectedInvoice != "" {
		title, numberLabel, dateLabel = "AVOIR", "Avoir n°", "Date de l'avoir"
	}
	pdf.SetTitle(strings.ToUpper(title[:1])+strings.ToLower(title[1:])+" "+inv.Number, true)
	pdf.SetAuthor(inv.SellerName, true)
	pdf.SetCreator("Facteur (exemples de factures)", true)
	pdf.SetLang("fr-FR")
	pdf.AddPage()

	text := func(style string, size float64, x, y, w float64, align, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.SetXY(x, y)
		pdf.CellFormat(w, size*0.45, tr(s), "", 0, align, false, 0, "")
	}

	// Seller block, top left.
	y := pageMargin
	text("B", 14, pageMargin, y, 110, "L", inv.SellerName)
	y += 8
	sa := splitAddress(inv.SellerAddress)
	sellerLines := []string{sa.Line}
	if sa.Postcode != "" {
		sellerLines = append(sellerLines, sa.Postcode+" "+sa.City)
	}
	sellerLines = append(sellerLines,
		"SIRET : "+ident.FormatSIRET(inv.SellerSIRET),
		"TVA intracommunautaire : "+inv.SellerVAT)
	for _, s := range sellerLines {
		text("", 9, pageMargin, y, 110, "L", s)
		y += 4.5
	}

	// Title and references, top right.
	rx := pageWidth - pageMargin - 75
	text("B", 24, rx, pageMargin, 75, "R", title)
	ry := pageMargin + 14
	refs := [][2]string{
		{numberLabel, inv.Number},
		{dateLabel, frenchDate(inv.IssueDate)},
	}
	if inv.CorrectedInvoice != "" {
		refs = append(refs, [2]string{"Avoir sur facture", inv.CorrectedInvoice})
	}
	if due := inv.dueDate(); due != "" {
		refs = append(refs, [2]string{"Date d'échéance", frenchDate(due)})
	}
	if inv.OrderReference != "" {
		refs = append(refs, [2]string{"N° d'engagement", inv.OrderReference})
	}
	if inv.BuyerReference != "" {
		refs = append(refs, [2]string{"Service exécutant", inv.BuyerReference})
	}
	for _, r := range refs {
		text("", 9, rx, ry, 35, "L", r[0]+" :")
		text("B", 9, rx+35, ry, 40, "R", r[1])
		ry += 5
	}

	// Buyer block ("Destinataire"), framed, on the right.
	by := max(y, ry) + 6
	bx := pageWidth - pageMargin - 95
	ba := splitAddress(inv.BuyerAddress)
	buyerLines := []string{ba.Line}
	if ba.Postcode != "" {
		buyerLines = append(buyerLines, ba.Postcode+" "+ba.City)
	}
	buyerLines = append(buyerLines, "SIRET : "+ident.FormatSIRET(inv.BuyerSIRET))
	boxH := 8 + 5 + float64(len(buyerLines))*4.5 + 3
	pdf.SetDrawColor(120, 120, 120)
	pdf.Rect(bx, by, 95, boxH, "D")
	text("B", 8, bx+3, by+3, 89, "L", "Destinataire")
	text("B", 10, bx+3, by+8, 89, "L", inv.BuyerName)
	yy := by + 13.5
	for _, s := range buyerLines {
		text("", 9, bx+3, yy, 89, "L", s)
		yy += 4.5
	}

	// Lines table.
	ty := by + boxH + 10
	cols := []struct {
		title string
		w     float64
		align string
	}{
		{"Désignation", 84, "L"},
		{"Quantité", 20, "R"},
		{"Prix unitaire HT", 28, "R"},
		{"TVA", 14, "R"},
		{"Montant HT", 34, "R"},
	}
	pdf.SetFillColor(230, 235, 242)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetXY(pageMargin, ty)
	for _, col := range cols {
		pdf.CellFormat(col.w, 7, tr(col.title), "1", 0, col.align, true, 0, "")
	}
	ty += 7
	pdf.SetFont("Helvetica", "", 9)
	for i, l := range inv.Lines {
		desc := pdf.SplitLines([]byte(tr(l.Description)), cols[0].w)
		h := float64(max(len(desc), 1))*4.5 + 2
		cells := []string{
			"",
			frenchNumber(mustDecimal(l.Quantity, "quantity").String()),
			frenchMoney(amount2(l.UnitPrice), cur),
			frenchNumber(mustDecimal(l.VATRate, "VAT rate").String()) + " %",
			frenchMoney(formatCents(c.lines[i]), cur),
		}
		x := pageMargin
		for j, col := range cols {
			pdf.Rect(x, ty, col.w, h, "D")
			if j == 0 {
				for k, d := range desc {
					pdf.SetXY(x, ty+1+float64(k)*4.5)
					pdf.CellFormat(col.w, 4.5, string(d), "", 0, "L", false, 0, "")
				}
			} else {
				pdf.SetXY(x, ty+1)
				pdf.CellFormat(col.w, 4.5, tr(cells[j]), "", 0, col.align, false, 0, "")
			}
			x += col.w
		}
		ty += h
	}

	// Totals, right-aligned under the table.
	ty += 6
	tx := pageWidth - pageMargin - 80
	total := func(label, value string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		text(style, 10, tx, ty, 46, "L", label)
		text(style, 10, tx+46, ty, 34, "R", value)
		ty += 6
	}
	total("Total HT", frenchMoney(formatCents(c.net), cur), false)
	for _, t := range c.taxes {
		total(fmt.Sprintf("TVA %s %% sur %s", frenchNumber(t.rate.String()), frenchMoney(formatCents(t.basis), cur)),
			frenchMoney(formatCents(t.vat), cur), false)
	}
	if len(c.taxes) > 1 {
		total("Total TVA", frenchMoney(formatCents(c.vat), cur), false)
	}
	total("Total TTC", frenchMoney(formatCents(c.net+c.vat), cur), true)
	pdf.SetFillColor(230, 235, 242)
	pdf.Rect(tx, ty-1, 80, 8, "F")
	text("B", 11, tx+1, ty, 45, "L", "Net à payer")
	text("B", 11, tx+46, ty, 33, "R", frenchMoney(formatCents(c.net+c.vat), cur))
	ty += 14

	// Payment terms.
	pay := []string{"Conditions de paiement : à 30 jours à compter de la date de réception de la facture."}
	if due := inv.dueDate(); due != "" {
		pay[0] = "Conditions de paiement : à 30 jours, au plus tard le " + frenchDate(due) + "."
	}
	if inv.SellerIBAN != "" {
		pay = append(pay, "Règlement par virement SEPA — IBAN : "+ident.FormatIBAN(inv.SellerIBAN))
	}
	for _, s := range pay {
		text("", 9, pageMargin, ty, bodyWidth, "L", s)
		ty += 5
	}

	// Legal mentions, page bottom.
	pdf.SetFont("Helvetica", "", 7.5)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(pageMargin, 297-pageMargin-14)
	pdf.MultiCell(bodyWidth, 3.5, tr(notePenalties+" "+noteRecovery+
		" Pas d'escompte pour paiement anticipé."), "T", "L", false)
	pdf.SetXY(pageMargin, 297-pageMargin-3)
	pdf.CellFormat(bodyWidth, 3.5, tr(inv.SellerName+" — SIRET "+ident.FormatSIRET(inv.SellerSIRET)+
		" — TVA "+inv.SellerVAT), "", 0, "C", false, 0, "")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("samples: render pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// frenchDate turns "2026-11-02" into "02/11/2026"; other text is kept.
func frenchDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// frenchNumber writes a decimal string the French way: "1234.5" → "1 234,5",
// with a no-break space between thousands.
func frenchNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if hasFrac {
		out += "," + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// frenchMoney writes an amount with its currency: "1 234,50 €".
func frenchMoney(amount, currency string) string {
	sym := currency
	if currency == "EUR" {
		sym = "€"
	}
	return frenchNumber(amount) + "\u00a0" + sym
}
