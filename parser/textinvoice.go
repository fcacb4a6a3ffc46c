package parser

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"facteur/ident"
)

// Invoice fields from the visible text of a document (a plain PDF):
// labels, French first, then German and English, each followed by its
// value on the same line or, when the label ends its line, in a column of
// the next line. Values are checked by their validators (SIRET/SIREN
// Luhn, French VAT key, IBAN mod 97, total without VAT + VAT = total with
// VAT); a value that fails is dropped with a warning, never kept.

// Document kinds.
const (
	KindInvoice       = "invoice"
	KindCreditNote    = "credit_note"
	KindPurchaseOrder = "purchase_order"
	KindDeliveryNote  = "delivery_note"
	KindTerms         = "terms_and_conditions"
	KindQuote         = "quote"
)

// textResult is what was read from a text.
type textResult struct {
	invoice   *Invoice
	isInvoice bool
	kind      string
	warnings  []string
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

var (
	numberLabels = []*regexp.Regexp{
		re(`(?i)(?:n[°ºo]\.?|num[ée]ro)\s*(?:de\s+)?(?:la\s+)?facture\s*:?`),
		re(`(?i)\bfacture\s*(?:n[°ºo]\.?|num[ée]ro|#)?\s*:?`),
		re(`(?i)\bavoir\s*(?:n[°ºo]\.?|num[ée]ro|#)?\s*:?`),
		re(`(?i)rechnungs?-?\s*(?:nummer|nr\.?)\s*:?`),
		re(`(?i)(?:rechnung|gutschrift|rechnungskorrektur|keine rechnung)\b[^:\n]{0,30}?(?:\bnr\.?|#|nummer)\s*:?`),
		re(`(?i)\brechnung\s*#?\s*:?`),
		re(`(?i)\binvoice\s*(?:number|no\.?|n[°o]|#|id)?\s*:?`),
		re(`(?i)\bfactuur(?:nummer)?\s*:?`),
		re(`(?i)\bbeleg-?\s*(?:nr\.?|nummer)\s*:?`),
		// "Numéro : F-2025/0093" under the title, at the lowest priority.
		re(`(?i)^\s*(?:num[ée]ro|n[°º])\s*:`),
	}
	// creditNumberLabels name a credit note's own number.
	creditNumberLabels = []*regexp.Regexp{
		re(`(?i)\bavoir\s*(?:n[°ºo]\.?|num[ée]ro|#)\s*:?`),
		re(`(?i)\bcredit\s+note\s*(?:number|no\.?|n[°o]|#)?\s*:?`),
		re(`(?i)\bgutschrift(?:s-?\s*(?:nummer|nr\.?)|\s*(?:nr\.?|nummer|#))\s*:?`),
	}
	// precedingLabels name the invoice a credit note corrects (BT-25):
	// "Avoir sur facture FA-…", "Facture d'origine : …", "Corrects invoice …".
	precedingLabels = []*regexp.Regexp{
		re(`(?i)\b(?:avoir\s+)?(?:sur|relatif\s+[àa]\s+la|annulant\s+la|rectifiant\s+la|en\s+r[ée]f[ée]rence\s+[àa]\s+la|corrigeant\s+la)\s+facture\s*(?:n[°ºo]\.?|num[ée]ro)?\s*:?`),
		re(`(?i)\bfacture\s+(?:d'origine|initiale|corrig[ée]e|annul[ée]e|concern[ée]e)\s*(?:n[°ºo]\.?)?\s*:?`),
		re(`(?i)\b(?:corrects|cancels|refers\s+to|against)\s+invoice\s*(?:no\.?|number|#)?\s*:?`),
		re(`(?i)\b(?:original|preceding)\s+invoice\s*(?:no\.?|number|#)?\s*:?`),
		re(`(?i)\bzur\s+rechnung\s*(?:nr\.?)?\s*:?`),
	}
	dateLabels = []*regexp.Regexp{
		re(`(?i)date\s+(?:de\s+(?:la\s+)?)?factur(?:e|ation)\s*:?`),
		re(`(?i)date\s+d'[ée]mission\s*:?`),
		re(`(?i)date\s+(?:de\s+l')?avoir\s*:?`),
		re(`(?i)rechnungsdatum\s*:?`),
		re(`(?i)belegdatum\s*:?`),
		re(`(?i)ausstellungsdatum\s*:?`),
		re(`(?i)invoice\s+date\s*:?`),
		re(`(?i)(?:date\s+of\s+issue|issue\s+date)\s*:?`),
		re(`(?i)(?:rechnung|invoice|facture|avoir|gutschrift|korrektur)[^:\n]{0,40}?(?:nr\.?|#|n°|no\.?)\s*:?\s*[A-Za-z0-9][\w/.\-]*\s+(?:vom|von|du|issued at|dated|of|en date du)\s*:?`),
		re(`(?i)(?:rechnung|invoice|facture|avoir|gutschrift|korrektur)\S*\s+[A-Za-z0-9][\w/.\-]*\d[\w/.\-]*\s+(?:vom|von|du|issued at|dated|en date du)\s*:?`),
		re(`(?i)beleg-?\s*datum\s*:?`),
		re(`(?i)(?:^|\s)(?:[ée]mise?|[ée]tablie?)\s+le\b\s*:?`),
		re(`(?i)\bdate\s*:`),
		re(`(?i)\bdatum\s*:`),
		re(`(?i)^\s*vom\b\s*:?`),
		re(`(?i)^\s*date\b`),
		re(`(?i)^\s*datum\b`),
		// A letter's place and date: "Saint-Quentin, le 19 mars 2025",
		// "Fait à Amiens le 03/02/2025".
		re(`(?i)^\s*(?:fait\s+[àa]\s+\pL[\pL' -]{0,40}?,?|\pL[\pL' -]{0,40},)\s*le\s`),
	}
	withVATLabels = []*regexp.Regexp{
		re(`(?i)total\s+t\.?t\.?c\.?`),
		re(`(?i)montant\s+t\.?t\.?c\.?`),
		re(`(?i)total\s+toutes\s+taxes\s+comprises`),
		re(`(?i)rechnungssumme\s+brutto(?:\s*\([^)]*\))?`),
		re(`(?i)summe\s+inkl\.?\s*(?:ust|mwst)\.?\s*:?`),
		re(`(?i)bruttosumme|gesamtbrutto|summe\s+brutto|gesamtbetrag\s+brutto|brutto\s*betrag`),
		re(`(?i)rechnungsbetrag|rechnungssumme(?:\s+inkl\.?\s*(?:ust|mwst)\.?)?|endsumme|gesamtsumme`),
		re(`(?i)total\s*\(?\s*(?:incl\.?|including|inc\.?)\s*(?:vat|tax)\)?`),
		re(`(?i)(?:grand|invoice)\s+total`),
		re(`(?i)\bgesamtbetrag\b|\bendbetrag\b`),
		re(`(?i)^\s*total\s*:?`),
	}
	withoutVATLabels = []*regexp.Regexp{
		re(`(?i)total\s+h\.?t\.?`),
		re(`(?i)montant\s+(?:total\s+)?h\.?t\.?`),
		re(`(?i)total\s+hors\s+taxes?`),
		re(`(?i)rechnungssumme\s+(?:ohne\s+ust\.?|netto)(?:\s*\([^)]*\))?`),
		re(`(?i)(?:summe|gesamt)\s*netto|nettosumme|gesamtnettobetrag|netto\s*betrag`),
		re(`(?i)total\s*\(?\s*(?:excl\.?|excluding|without|before)\s*(?:vat|tax)\)?`),
		re(`(?i)net\s+total|total\s+net|subtotal|sub-total`),
	}
	vatTotalLabels = []*regexp.Regexp{
		re(`(?i)(?:total|montant)\s+(?:de\s+la\s+)?t\.?v\.?a\.?`),
		re(`(?i)total\s+taxes`),
		re(`(?i)steuerbetrag(?:\s+in)?|ust\.?-?betrag|mwst\.?-?betrag|summe\s+(?:ust|mwst|umsatzsteuer)\.?|gesamt\s*(?:ust|mwst)\.?`),
		re(`(?i)(?:vat|tax)\s+total|total\s+(?:vat|tax)|(?:vat|tax)\s+amount`),
		re(`(?i)(?:ust|mwst)\.?\s*gesamt\s*:?`),
		re(`(?i)zuz[üu]gl(?:ich)?\.?\s*(?:ust|mwst)\.?\s*:?|zzgl\.?\s*(?:ust|mwst)\.?\s*:?`),
		re(`(?i)^\s*t\.?v\.?a\.?\s*:?`),
		re(`(?i)^\s*(?:vat|tax)\b\s*:?`),
	}
	amountDueLabels = []*regexp.Regexp{
		re(`(?i)net\s+[àa]\s+payer`),
		re(`(?i)(?:solde|reste|montant)\s+[àa]\s+payer|montant\s+d[ûu]`),
		re(`(?i)zahlbetrag|zu\s+zahlen(?:der\s+betrag)?|f[äa]lliger\s+betrag`),
		re(`(?i)(?:amount|balance)\s+due|due\s+payable|total\s+due`),
		re(`(?i)offener\s+betrag|restbetrag|reste\s+d[ûu]|\bresidual(?:\s+amount)?\b`),
	}
	// prepaidLabels name an amount already paid: the amount due is then
	// not the total with VAT.
	prepaidLabels = []*regexp.Regexp{
		re(`(?i)bereits\s+(?:bezahlt|gezahlt)|erhaltene\s+anzahlungen?|\bacompte|d[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée]|vers[ée])|prepaid(?:\s+amount)?|already\s+paid|paid\s+amount`),
	}
	vatIDLabels = []*regexp.Regexp{
		re(`(?i)(?:n[°ºo]\.?\s*)?(?:de\s+)?tva\s+intra(?:-?\s?communautaire|-?\s?comm?\.?)?\s*:?`),
		re(`(?i)(?:n[°ºo]\.?\s*)?(?:d'identification\s+)?tva\s*:?`),
		re(`(?i)ust\.?\s*-?\s*id(?:ent)?\.?\s*-?\s*(?:nr|nummer)?\.?\s*:?`),
		re(`(?i)umsatzsteuer-?\s*id(?:entifikationsnummer)?\.?\s*:?`),
		re(`(?i)vat\s*(?:-?\s*id|\s+number|\s+reg(?:istration)?(?:\s+no\.?)?|\s+no\.?)?\s*:?`),
		re(`(?i)btw(?:-?nummer|\s+nr\.?)?\s*:?`),
	}
	ibanLabel   = re(`(?i)\biban(?:-?nr\.?)?\s*:?`)
	siretLabel  = re(`(?i)\bsiret\s*(?:n[°ºo]\.?)?\s*:?`)
	sirenLabel  = re(`(?i)\bsiren\s*(?:n[°ºo]\.?)?\s*:?`)
	orderLabels = []*regexp.Regexp{
		re(`(?i)(?:n[°ºo]\.?\s*(?:de\s+)?|r[ée]f\.?\s*)?bon\s+de\s+commande\s*(?:n[°ºo]\.?)?\s*:?`),
		re(`(?i)(?:votre|vos)\s+(?:commande|r[ée]f[ée]rence|r[ée]f\.?)\s*(?:n[°ºo]\.?)?\s*:?|your\s+ref(?:erence|\.)?\s*:?`),
		re(`(?i)r[ée]f(?:[ée]rence|\.)?\s+(?:de\s+)?commande\s*:?|commande\s+n[°ºo]\.?\s*:?|(?:n[°ºo]\.?|num[ée]ro)\s*(?:de\s+(?:la\s+)?)?commande\s*:?`),
		re(`(?i)bestell-?\s*nr\.?\s*:?|bestellnummer\s*:?|(?:ihre\s+)?bestellung(?:\s+nr\.?)?\s*:?|auftragsnummer\s*:?`),
		re(`(?i)(?:your|purchase)\s+order(?:\s+(?:no\.?|number|#))?\s*:?|\bp\.?o\.?\s+(?:number|no\.?|#)\s*:?|order\s+(?:number|no\.?|ref(?:erence)?)\s*:?`),
		// The engagement number of a French public buyer is its order
		// reference (BT-13 on Chorus Pro): "N° d'engagement : 2025-004512",
		// "Engagement juridique n° 1300012345".
		re(`(?i)(?:n[°ºo]\.?|num[ée]ro)\s*(?:d'|de\s+l')\s*engagement(?:\s+juridique)?\s*:?|\bengagement\s+juridique\s*(?:n[°ºo]\.?)?\s*:?|\bengagement\s*(?:n[°ºo]\.?\s*:?|:)`),
	}
	buyerRefLabels = []*regexp.Regexp{
		re(`(?i)leitwe(?:g|ge)-?id\s*:?`),
		re(`(?i)r[ée]f[ée]rence\s+acheteur(?:\s*/\s*service\s+ex[ée]cutant)?\s*:?`),
		re(`(?i)service\s+ex[ée]cutant\s*:?|code\s+service\s*:?`),
		re(`(?i)buyer\s+reference\s*:?`),
	}
	currencyLabel = re(`(?i)(?:w[äa]hrung|devise|currency)\s*:?`)
	currencyCode  = re(`\b(EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|HUF)\b`)

	invoiceWordRE    = re(`(?i)(?:facture\b|invoice\b|rechnung\b|factuur\b|\bavoir\b|credit\s+note|gutschrift|rechnungskorrektur)`)
	creditTitleRE    = re(`(?i)^\s*(?:avoir|credit\s+note|facture\s+d'avoir)\b`)
	nonInvoiceTitles = []struct {
		kind string
		re   *regexp.Regexp
	}{
		{KindPurchaseOrder, re(`(?i)^\s*(?:purchase\s+order|bon\s+de\s+commande|commande|order|bestellung)\b\s*(?:$|[:#n]|[A-Z0-9])`)},
		{KindDeliveryNote, re(`(?i)^\s*(?:delivery\s+note|bon\s+de\s+livraison|lieferschein|packing\s+slip|avis\s+d'exp[ée]dition)\s*(?:$|[A-Z0-9])`)},
		{KindTerms, re(`(?i)^\s*(?:conditions\s+g[ée]n[ée]rales|terms\s+and\s+conditions|general\s+terms|allgemeine\s+gesch[äa]ftsbedingungen)\b`)},
		{KindQuote, re(`(?i)^\s*(?:devis|quotation|angebot)\b\s*(?:$|[:#n]|[A-Z0-9])`)},
	}
	buyerWords = re(`(?i)client|acheteur|buyer|customer|kunde|k[äa]ufer|destinataire|empf[äa]nger|invoicee|bill\s+to|\bihre?\b|\bvotre\b|\byour\b`)
	columnSep  = re(`\s{3,}`)
)

// columnStartLabels are the anchored labels that also count at the start
// of a column.
var columnStartLabels = func() map[*regexp.Regexp]bool {
	m := map[*regexp.Regexp]bool{}
	for _, l := range dateLabels {
		if strings.HasPrefix(strings.TrimPrefix(l.String(), "(?i)"), "^") {
			m[l] = true
		}
	}
	return m
}()

// value kinds.
var (
	tokenRE  = re(`^[#:\s]*([A-Za-z0-9][A-Za-z0-9/_.\-]*[A-Za-z0-9]|[0-9])`)
	amountRE = re(`(-\s?)?(\d{1,3}(?:[.,'\x{a0}\x{202f} ]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)`)
	dateNum  = re(`\b(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\b`)
	dateISO  = re(`\b(\d{4})-(\d{2})-(\d{2})\b`)
	dateText = re(`(?i)\b(\d{1,2})\.?\s*(?:er)?\s+([a-zéûäè]+)\.?\s+(\d{4})\b`)
	dateUS   = re(`(?i)\b([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b`)
)

var monthNames = map[string]int{
	"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
	"août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
	"januar": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "juni": 6, "juli": 7,
	"august": 8, "oktober": 10, "dezember": 12,
	"january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
	"october": 10, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12, "janv": 1, "févr": 2, "fév": 2, "avr": 4,
	"juil": 7, "déc": 12,
}

// textNormalizer makes the text the labels are looked for in plain:
// no-break spaces become spaces, typographic apostrophes straight ones
// ("Date d’émission", "N° d’engagement").
var textNormalizer = strings.NewReplacer("\u00a0", " ", "\u2019", "'", "\u2018", "'", "\u02bc", "'")

// textLines splits a text into trimmed non-empty lines (a line that
// continues a column other than the first keeps its leading separator).
func textLines(text string) []string {
	raw := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\f' || r == '\r' })
	lines := raw[:0]
	for _, l := range raw {
		l = textNormalizer.Replace(l)
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if strings.HasPrefix(l, "   ") {
			// A line that continues a column other than the first keeps
			// the column separator it starts with.
			t = "   " + t
		}
		lines = append(lines, t)
	}
	return lines
}

// labelled finds the values that follow the labels, in label priority
// then text order. parse returns the normalised value of the text just
// after a label, and whether there is one.
func labelled(lines []string, labels []*regexp.Regexp, parse func(rest string) (string, bool), skip func(lines []string, i, at int) bool) []string {
	var out []string
	// Labels none of whose words are in the text are not run (see
	// prefilter.go): most labels of a long list are absent.
	folded := foldString(strings.Join(lines, "\n"))
	for _, lab := range labels {
		if !mayMatch(lab, folded) {
			continue
		}
		for i, line := range lines {
			for _, m := range labelMatches(lab, line) {
				if skip != nil && skip(lines, i, m[0]) {
					continue
				}
				// The blanks a label ends with are left to the value: three
				// of them tell that the label ends its column.
				for m[1] > m[0] && line[m[1]-1] == ' ' {
					m[1]--
				}
				rest := line[m[1]:]
				if v, ok := parse(rest); ok {
					out = append(out, v)
					continue
				}
				// The label ends its column: the value is in the next line,
				// in the same column of a table row, else (a label alone on
				// its line) in the first column that is a value by itself.
				if strings.TrimSpace(strings.Trim(rest, ":#")) != "" && !columnSep.MatchString(rest[:min(len(rest), 4)]) {
					continue
				}
				if i+1 >= len(lines) {
					continue
				}
				cols := columnSep.Split(line, -1)
				k := len(columnSep.FindAllStringIndex(line[:m[0]], -1))
				next := columnSep.Split(lines[i+1], -1)
				switch {
				case len(cols) >= 3 || len(next) == len(cols) && len(cols) > 1:
					if len(next) == len(cols) && k < len(next) {
						if v, ok := parse(next[k]); ok && fullValue(next[k], v) {
							out = append(out, v)
						}
					}
				default:
					for _, col := range next {
						if v, ok := parse(col); ok && fullValue(col, v) {
							out = append(out, v)
							break
						}
					}
				}
			}
		}
	}
	return out
}

// labelMatches returns where a label occurs in a line (at most 4 times).
// A date label anchored at the start of the line also counts at the
// start of each column: "DATE" heads a column of a header row ("N°
// FACTURE   DATE   CODE CLIENT") as well as a line. (A bare "Total" or
// "TVA" heading a column of the lines table is no total.)
func labelMatches(lab *regexp.Regexp, line string) [][]int {
	ms := lab.FindAllStringIndex(line, 4)
	if !columnStartLabels[lab] {
		return ms
	}
	for _, sep := range columnSep.FindAllStringIndex(line, -1) {
		if len(ms) >= 4 {
			break
		}
		if m := lab.FindStringIndex(line[sep[1]:]); m != nil {
			ms = append(ms, []int{sep[1] + m[0], sep[1] + m[1]})
		}
	}
	return ms
}

var currencyWordRE = re(`(?i)€|\$|£|\b(?:EUR|USD|GBP|CHF)\b`)

// fullValue reports whether a column holds only the value (and a currency).
func fullValue(col, v string) bool {
	c := currencyWordRE.ReplaceAllString(col, "")
	c = strings.Trim(strings.TrimSpace(c), "#:")
	c = digitSpaceRE.ReplaceAllString(strings.TrimSpace(c), "$1$2")
	return len(strings.Fields(c)) == 1
}

var digitSpaceRE = re(`(\d)[ \x{a0}\x{202f}](\d)`)

func parseNumber(rest string) (string, bool) {
	m := tokenRE.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	v := m[1]
	if !strings.ContainsAny(v, "0123456789") || len(v) > 40 {
		return "", false
	}
	if _, ok := parseDate(v); ok {
		return "", false
	}
	if amountRE.FindString(v) == v && strings.ContainsAny(v, ",") {
		return "", false
	}
	return v, true
}

func parseRef(rest string) (string, bool) {
	m := tokenRE.FindStringSubmatch(rest)
	if m == nil || len(m[1]) > 40 {
		return "", false
	}
	v := m[1]
	if !strings.ContainsAny(v, "0123456789") && (len(v) < 3 || strings.ToUpper(v) != v) {
		return "", false
	}
	if _, ok := parseDate(v); ok {
		return "", false
	}
	return v, true
}

// parseDateAfter reads a date at the start of rest.
func parseDateAfter(rest string) (string, bool) { return parseDateOrder(rest, false) }

// englishTitle reports a document titled in English ("Invoice"), whose
// numeric dates are read month first.
var englishTitleRE = re(`(?i)^\s*(?:invoice|credit\s+note|tax\s+invoice)\b`)

func englishTitle(lines []string) bool {
	for i, l := range lines {
		if i > 40 {
			break
		}
		for _, c := range columnSep.Split(l, -1) {
			if englishTitleRE.MatchString(c) {
				return true
			}
			if invoiceWordRE.MatchString(c) && !labelLike(c) {
				return false
			}
		}
	}
	return false
}

func parseDateOrder(rest string, monthFirst bool) (string, bool) {
	rest = strings.TrimLeft(rest, " :")
	if len(rest) > 40 {
		rest = rest[:40]
	}
	for _, r := range []*regexp.Regexp{dateISO, dateNum, dateText, dateUS} {
		if loc := r.FindStringIndex(rest); loc != nil && loc[0] <= 2 {
			if monthFirst && r == dateNum {
				m := dateNum.FindStringSubmatch(rest[loc[0]:loc[1]])
				if atoi(m[1]) <= 12 {
					return parseDate(m[2] + "." + m[1] + "." + m[3])
				}
			}
			return parseDate(rest[loc[0]:loc[1]])
		}
	}
	return "", false
}

// parseDate normalises a date to YYYY-MM-DD (European day-month order
// unless the numbers say otherwise).
func parseDate(s string) (string, bool) {
	var y, mo, d int
	switch {
	case dateISO.MatchString(s):
		m := dateISO.FindStringSubmatch(s)
		y, mo, d = atoi(m[1]), atoi(m[2]), atoi(m[3])
	case dateNum.MatchString(s):
		m := dateNum.FindStringSubmatch(s)
		d, mo, y = atoi(m[1]), atoi(m[2]), atoi(m[3])
		if mo > 12 && d <= 12 {
			d, mo = mo, d
		}
		if len(m[3]) == 2 {
			y += 2000
		}
	case dateText.MatchString(s):
		m := dateText.FindStringSubmatch(s)
		mon, ok := monthNames[strings.ToLower(m[2])]
		if !ok {
			return "", false
		}
		d, mo, y = atoi(m[1]), mon, atoi(m[3])
	case dateUS.MatchString(s):
		m := dateUS.FindStringSubmatch(s)
		mon, ok := monthNames[strings.ToLower(m[1])]
		if !ok {
			return "", false
		}
		d, mo, y = atoi(m[2]), mon, atoi(m[3])
	default:
		return "", false
	}
	if y < 1990 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mo, d), true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// parseAmountAfter reads the first amount after a label (skipping a few
// words such as "in EUR" or "(excl. USt.)"), as a decimal string.
func parseAmountAfter(rest string) (string, bool) {
	if len(rest) > 80 {
		rest = rest[:80]
	}
	for _, loc := range amountRE.FindAllStringSubmatchIndex(rest, 8) {
		start, end := loc[0], loc[1]
		// Not part of a word, a percentage or a date.
		if start > 0 {
			c := rest[start-1]
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '/' || c == '.' || c == '-' && loc[2] < 0 {
				continue
			}
		}
		after := strings.TrimLeft(rest[end:], " ")
		if strings.HasPrefix(after, "%") || end < len(rest) && (rest[end] >= 'A' && rest[end] <= 'Z' || rest[end] >= 'a' && rest[end] <= 'z' || rest[end] == '.' || rest[end] == '/') {
			continue
		}
		if words := amountPrefixNoise(rest[:start]); words {
			return "", false
		}
		if v, ok := normAmount(rest[start:end]); ok {
			return v, true
		}
	}
	return "", false
}

// amountPrefixNoise reports whether the text between a label and an
// amount holds other words (a breakdown line, not the total): only
// parenthesised text, currency names and "in" may stand there.
func amountPrefixNoise(p string) bool {
	p = parenRE.ReplaceAllString(p, " ")
	p = currencyWordRE.ReplaceAllString(p, " ")
	for _, w := range strings.FieldsFunc(p, func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch strings.ToLower(w) {
		case "in", "en", "à", "eur", "euro", "euros", "de", "brutto", "netto", "ttc", "ht":
			continue
		}
		return true
	}
	return false
}

var parenRE = re(`\([^)]*\)`)

// normAmount turns "1 234,50", "1.234,50", "1,234.50", "- 7,67" into
// "1234.50" / "-7.67".
func normAmount(s string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "- ")
	intPart, frac := s, ""
	if last := strings.LastIndexAny(s, ".,"); last >= 0 {
		after := len(s) - last - 1
		same := strings.Count(s, s[last:last+1])
		others := strings.ContainsAny(s[:last], ".,' \u00a0\u202f") && !strings.Contains(s[:last], s[last:last+1])
		switch {
		case after != 3 && same == 1:
			intPart, frac = s[:last], s[last+1:]
		case after == 3 && same == 1 && (others || s[:last] == "0"):
			intPart, frac = s[:last], s[last+1:]
		}
	}
	intPart = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, intPart)
	if intPart == "" {
		return "", false
	}
	v := intPart
	if frac != "" {
		v += "." + frac
	}
	if neg {
		v = "-" + v
	}
	return v, true
}

// parseVATAfter reads a VAT id right after its label.
var vatValueRE = re(`^[:\s]*([A-Z]{2}(?:\s?[0-9A-Z]){2,13})`)

func parseVATAfter(rest string) (string, bool) {
	m := vatValueRE.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	v := ident.Compact(m[1])
	// Cut trailing letters glued to the id from the next word.
	for len(v) > 4 && !ident.ValidVAT(v) && v[len(v)-1] >= 'A' && v[len(v)-1] <= 'Z' {
		v = v[:len(v)-1]
	}
	return v, true
}

var ibanValueRE = re(`^[:\s]*([A-Z]{2}\d{2}(?:\s?[0-9A-Z]){10,32})`)

func parseIBANAfter(rest string) (string, bool) {
	m := ibanValueRE.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	return m[1], true
}

var siretValueRE = re(`^[:\s]*(\d{3}\s?\d{3}\s?\d{3}\s?\d{5})\b`)
var sirenValueRE = re(`^[:\s]*(\d{3}\s?\d{3}\s?\d{3})\b`)

// buyerContext skips a label that speaks of the buyer: after buyer words
// in its column ("N° TVA client :"), or under a buyer's heading
// ("Client", "Facturé à", "Destinataire", "Adresse de facturation") in
// the same column of the lines just above (the buyer's address block of
// a two-column header, which may print the buyer's SIRET).
func buyerContext(lines []string, i, at int) bool {
	line := lines[i]
	if notBuyer(line, at) {
		return true
	}
	k := len(columnSep.FindAllStringIndex(line[:at], -1))
	for j := i - 1; j >= 0 && j >= i-buyerBlockLines; j-- {
		cols := columnSep.Split(lines[j], -1)
		if k < len(cols) && buyerHeadingRE.MatchString(cols[k]) {
			return true
		}
	}
	return false
}

// buyerBlockLines is how far above a label a buyer's heading is looked for.
const buyerBlockLines = 7

// buyerHeadingRE is a heading alone in its column ("Client", "Facturé à :").
var buyerHeadingRE = re(`(?i)^\s*(?:client|acheteur|destinataire|factur[ée]e?\s+[àa]|adress[ée]e?\s+[àa]|adresse\s+de\s+facturation|bill\s+to|invoice\s+to|sold\s+to|customer|buyer|kunde|rechnungsempf[äa]nger)\s*:?\s*$`)

// notBuyer skips a label in a column that speaks of the buyer.
func notBuyer(line string, at int) bool {
	start := 0
	if locs := columnSep.FindAllStringIndex(line[:at], -1); len(locs) > 0 {
		start = locs[len(locs)-1][1]
	}
	return buyerWords.MatchString(line[start:at])
}

// invoiceFromText reads the invoice fields of a document's text.
func invoiceFromText(text string, maxLines int) textResult {
	lines := textLines(text)
	if maxLines > 0 && len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	var res textResult
	warnf := func(format string, args ...any) {
		res.warnings = append(res.warnings, fmt.Sprintf(format, args...))
	}
	inv := &Invoice{Type: "invoice"}

	res.kind = textKind(lines)
	labels := numberLabels
	if res.kind == KindCreditNote {
		// A credit note's own number first: its "facture" labels are
		// mostly the invoice it corrects.
		labels = append(append([]*regexp.Regexp(nil), creditNumberLabels...), numberLabels...)
	}
	if v := labelled(lines, labels, parseNumber, correctedReference); len(v) > 0 {
		inv.Number = v[0]
	}
	if v := labelled(lines, precedingLabels, parseNumber, nil); len(v) > 0 && v[0] != inv.Number {
		inv.PrecedingInvoice = v[0]
	}
	parseDateFn := parseDateAfter
	if englishTitle(lines) {
		parseDateFn = func(rest string) (string, bool) { return parseDateOrder(rest, true) }
	}
	if v := labelled(lines, dateLabels, parseDateFn, nil); len(v) > 0 {
		inv.IssueDate = v[0]
	}
	inv.Currency = textCurrency(lines)

	// Totals: the first combination, by label priority, where
	// total without VAT + VAT = total with VAT.
	ttc := uniq(labelled(lines, withVATLabels, parseAmountAfter, nil))
	ht := uniq(labelled(lines, withoutVATLabels, parseAmountAfter, nil))
	tva := uniq(labelled(lines, vatTotalLabels, parseAmountAfter, nil))
	if rates := labelled(lines, []*regexp.Regexp{vatRateLabel}, parseAmountAfter, nil); len(rates) > 1 {
		// One VAT line per rate and no VAT total: their sum is one.
		if sum, ok := sumAmounts(rates); ok {
			tva = uniq(append(tva, sum))
		}
	}
	due := uniq(labelled(lines, amountDueLabels, parseAmountAfter, nil))
	if t, h, v, ok := tableTotals(lines); ok {
		// Lowest priority: used only when the labels gave no
		// consistent triple.
		ttc, ht, tva = append(ttc, t), append(ht, h), append(tva, v)
	}
	inv.TotalWithVAT, inv.TotalWithoutVAT, inv.TotalVAT = chooseTotals(ttc, ht, tva, due, warnf)
	if inv.TotalWithVAT != "" && inv.TotalVAT == "" && len(ht) > 0 && len(ttc) > 0 && inv.TotalWithVAT == ttc[0] &&
		(inv.TotalWithoutVAT == "" || inv.TotalWithoutVAT == ht[0]) {
		// The VAT label read a breakdown line or a VAT in another
		// currency, or found nothing: the totals still hold when the
		// difference with the total with VAT is printed as an amount.
		if v, ok := printedDifference(lines, inv.TotalWithVAT, ht[0]); ok {
			inv.TotalWithoutVAT, inv.TotalVAT = ht[0], v
			res.warnings = dropPrefixed(res.warnings, "total without VAT ")
		}
	}
	if inv.TotalVAT == "" && inv.TotalWithVAT != "" && sameDecimal(inv.TotalWithVAT, inv.TotalWithoutVAT) && vatExempt(lines) {
		// "TVA non applicable, art. 293 B du CGI": the VAT is zero, as
		// the totals with and without VAT say.
		inv.TotalVAT = "0.00"
	}
	if len(due) > 0 {
		inv.AmountDue = due[0]
	} else if inv.TotalWithVAT != "" && !prepaid(lines) {
		inv.AmountDue = inv.TotalWithVAT
	}

	for _, v := range labelled(lines, vatIDLabels, parseVATAfter, buyerContext) {
		if ident.ValidVAT(v) {
			inv.Seller.VATID = v
			break
		}
		warnf("VAT id %q fails its check; dropped", v)
	}
	if s := sellerSIRET(lines, inv.Seller.VATID, warnf); s != "" {
		inv.Seller.SIRET, inv.Seller.ID, inv.Seller.IDScheme = s, s, "0009"
	}
	if s := buyerSIRET(lines, inv.Seller.SIRET); s != "" {
		inv.Buyer.SIRET, inv.Buyer.ID, inv.Buyer.IDScheme = s, s, "0009"
	}
	if inv.Seller.ID == "" {
		for _, v := range labelled(lines, []*regexp.Regexp{sirenLabel}, submatch(sirenValueRE), buyerContext) {
			if s := ident.Compact(v); ident.ValidSIREN(s) {
				inv.Seller.ID, inv.Seller.IDScheme = s, "0002"
				break
			}
			warnf("SIREN %q fails its checksum; dropped", v)
		}
	}
	for _, v := range labelled(lines, []*regexp.Regexp{ibanLabel}, parseIBANAfter, nil) {
		if iban := validIBANPrefix(v); iban != "" {
			inv.IBAN = iban
			break
		}
		warnf("IBAN %q fails its check digits; dropped", v)
	}
	if v := labelled(lines, orderLabels, parseRef, nil); len(v) > 0 {
		inv.OrderReference = v[0]
	}
	if v := labelled(lines, buyerRefLabels, parseRef, nil); len(v) > 0 {
		inv.BuyerReference = v[0]
	}

	if res.kind == KindCreditNote {
		// A credit note's amounts are positive (EN 16931, type 381);
		// the minus sign printed on some is dropped. The sign of the
		// total (else of the first amount) decides, and all amounts
		// change sign together so that HT + VAT = TTC still holds.
		inv.Type = "credit_note"
		amounts := []*string{&inv.TotalWithVAT, &inv.TotalWithoutVAT, &inv.TotalVAT, &inv.AmountDue}
		for _, p := range amounts {
			if *p == "" {
				continue
			}
			if strings.HasPrefix(*p, "-") {
				for _, q := range amounts {
					*q = negate(*q)
				}
			}
			break
		}
	}
	res.isInvoice = (res.kind == KindInvoice || res.kind == KindCreditNote) && (inv.Number != "" || inv.TotalWithVAT != "")
	if inv.Number != "" || inv.TotalWithVAT != "" || inv.IssueDate != "" {
		res.invoice = inv
	}
	return res
}

// sellerSIRET chooses the seller's SIRET among the labelled ones. An
// invoice to a public buyer often prints the buyer's SIRET too, in its
// address block, above the seller's in the footer. The seller's SIREN,
// when the text tells it (its French VAT number, its RCS registration,
// a SIREN label), decides: only a SIRET of that SIREN is kept. Without
// it, the SIRETs in the buyer's part of the page are left out, and one
// SIRET remains or none is kept (several differing ones are not told
// apart: a wrong SIRET is worse than none).
func sellerSIRET(lines []string, vatID string, warnf func(string, ...any)) string {
	var all []string
	for _, v := range labelled(lines, []*regexp.Regexp{siretLabel}, submatch(siretValueRE), nil) {
		if s := ident.Compact(v); ident.ValidSIRET(s) {
			all = append(all, s)
		} else {
			warnf("SIRET %q fails its checksum; dropped", v)
		}
	}
	all = uniq(all)
	if len(all) == 0 {
		return ""
	}
	sirens := sellerSIRENs(lines, vatID)
	if len(sirens) > 0 {
		for _, s := range all {
			if sirens[s[:9]] {
				return s
			}
		}
		warnf("SIRET %s not of the seller's SIREN; dropped", strings.Join(all, ", "))
		return ""
	}
	var seller []string
	for _, v := range labelled(lines, []*regexp.Regexp{siretLabel}, submatch(siretValueRE), buyerContext) {
		if s := ident.Compact(v); ident.ValidSIRET(s) {
			seller = append(seller, s)
		}
	}
	seller = uniq(seller)
	switch len(seller) {
	case 0:
		return ""
	case 1:
		return seller[0]
	}
	warnf("several SIRETs (%s), the seller's is not told; none kept", strings.Join(seller, ", "))
	return ""
}

// rcsRE finds an RCS registration: "RCS Saint-Quentin B 335 318 937",
// "R.C.S. Lille Métropole 721 544 062" (only businesses have one: never
// a public buyer).
var rcsRE = re(`(?i)\bR\.?C\.?S\.?\s+(?:[\pL'-]+\s+){0,4}(?:[AB]\s+)?(\d{3}\s?\d{3}\s?\d{3})\b`)

// sellerSIRENs returns the SIRENs the text gives as the seller's, from
// the surest source that gives one: its RCS registration, else its
// French VAT number, else a SIREN label outside the buyer's part of the
// page.
func sellerSIRENs(lines []string, vatID string) map[string]bool {
	out := map[string]bool{}
	for _, l := range lines {
		for _, m := range rcsRE.FindAllStringSubmatch(l, 4) {
			if s := ident.Compact(m[1]); ident.ValidSIREN(s) {
				out[s] = true
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if siren := ident.FrenchVATSIREN(vatID); siren != "" {
		out[siren] = true
		return out
	}
	for _, v := range labelled(lines, []*regexp.Regexp{sirenLabel}, submatch(sirenValueRE), buyerContext) {
		if s := ident.Compact(v); ident.ValidSIREN(s) {
			out[s] = true
		}
	}
	return out
}

// vatRateLabel is the label of the VAT at one rate: "TVA 20 %",
// "TVA (5,5 %)", "TVA à 10 %", "Montant TVA 20 %".
var vatRateLabel = re(`(?i)^\s*(?:montant\s+(?:de\s+la\s+)?)?t\.?v\.?a\.?\s*(?:à\s*)?\(?\s*\d{1,2}(?:[.,]\d{1,2})?\s*%\s*\)?\s*:?`)

// sumAmounts adds decimal strings.
func sumAmounts(vs []string) (string, bool) {
	sum := new(big.Rat)
	for _, v := range vs {
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			return "", false
		}
		sum.Add(sum, r)
	}
	return sum.FloatString(2), true
}

// vatExemptRE finds the mention of an invoice without VAT: the French
// VAT franchise (art. 293 B du CGI), an exemption, a reverse charge.
var vatExemptRE = re(`(?i)tva\s+non\s+applicable|\b293\s*B\b|exon[ée]ration\s+de\s+(?:la\s+)?tva|exon[ée]r[ée]e?s?\s+de\s+(?:la\s+)?tva|autoliquidation|reverse\s+charge|vat\s+exempt|steuerfrei|§\s*19\s*UStG|kleinunternehmer`)

func vatExempt(lines []string) bool {
	for _, l := range lines {
		if vatExemptRE.MatchString(l) {
			return true
		}
	}
	return false
}

// sameDecimal reports two equal decimal strings ("" equals nothing).
func sameDecimal(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

func submatch(r *regexp.Regexp) func(string) (string, bool) {
	return func(rest string) (string, bool) {
		m := r.FindStringSubmatch(rest)
		if m == nil {
			return "", false
		}
		return m[1], true
	}
}

// validIBANPrefix returns the longest valid IBAN at the start of s
// (an IBAN printed in groups may be followed by other digits).
func validIBANPrefix(s string) string {
	c := ident.Compact(s)
	for n := min(len(c), 34); n >= 15; n-- {
		if ident.ValidIBAN(c[:n]) {
			return c[:n]
		}
	}
	return ""
}

func uniq(vs []string) []string {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// chooseTotals picks the totals: the first consistent triple; else the
// total with VAT alone (HT and VAT dropped with a warning when they
// contradict it).
func chooseTotals(ttc, ht, tva, due []string, warnf func(string, ...any)) (withVAT, without, vat string) {
	rat := func(s string) *big.Rat {
		r, _ := new(big.Rat).SetString(s)
		return r
	}
	sums := func(a, b, c string) bool {
		x, y, z := rat(a), rat(b), rat(c)
		if x == nil || y == nil || z == nil {
			return false
		}
		return new(big.Rat).Add(y, z).Cmp(x) == 0
	}
	// Where no "total with VAT" label was found, the amount due is a
	// candidate for it.
	ttcCands := append(append([]string(nil), ttc...), due...)
	for _, t := range ttcCands {
		for _, h := range ht {
			for _, v := range tva {
				if sums(t, h, v) {
					return t, h, v
				}
			}
		}
	}
	// A zero VAT: HT = TTC.
	for _, t := range ttcCands[:min(1, len(ttcCands))] {
		for _, h := range ht {
			if rat(t) != nil && rat(h) != nil && rat(t).Cmp(rat(h)) == 0 {
				for _, v := range tva {
					if r := rat(v); r != nil && r.Sign() == 0 {
						return t, h, v
					}
				}
				return t, h, ""
			}
		}
	}
	if len(ttc) > 0 {
		withVAT = ttc[0]
	}
	switch {
	case withVAT != "" && (len(ht) > 0 || len(tva) > 0):
		if len(ht) > 0 && len(tva) > 0 {
			warnf("total without VAT %s + VAT %s ≠ total with VAT %s; only the total with VAT is kept", ht[0], tva[0], withVAT)
		} else if h, t := rat(firstOf(ht)), rat(withVAT); h != nil && t != nil && h.Sign()*t.Sign() >= 0 &&
			new(big.Rat).Abs(h).Cmp(new(big.Rat).Abs(t)) <= 0 {
			// Unchecked, but of the same sign and not above the total
			// with VAT (a correction invoice's totals are negative).
			without = ht[0]
		}
	case withVAT == "" && len(ht) > 0 && len(tva) > 0:
		warnf("no total with VAT found; total without VAT and VAT not kept")
	}
	return withVAT, without, vat
}

// textCurrency finds the currency: a labelled code, else the most used
// symbol or code.
func textCurrency(lines []string) string {
	for _, l := range lines {
		if loc := currencyLabel.FindStringIndex(l); loc != nil {
			rest := l[loc[1]:]
			if m := currencyCode.FindString(rest[:min(len(rest), 30)]); m != "" {
				return m
			}
			if strings.Contains(strings.ToUpper(rest), "EURO") {
				return "EUR"
			}
		}
	}
	counts := map[string]int{}
	for _, l := range lines {
		counts["EUR"] += strings.Count(l, "€")
		counts["GBP"] += strings.Count(l, "£")
		counts["USD"] += strings.Count(l, "$")
		for _, m := range currencyCode.FindAllString(l, -1) {
			counts[m]++
		}
	}
	best, n := "", 0
	for _, c := range []string{"EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return best
}

// textKind tells what a document is from its title: the first line that
// names a kind of document.
func textKind(lines []string) string {
	for i, l := range lines {
		if i > 40 {
			break
		}
		for _, cols := range [][]string{columnSep.Split(l, -1)} {
			for _, c := range cols {
				if letterSpacedRE.MatchString(c) {
					c = strings.ReplaceAll(c, " ", "")
				}
				if creditTitleRE.MatchString(c) {
					return KindCreditNote
				}
				for _, k := range nonInvoiceTitles {
					if k.re.MatchString(c) && !invoiceWordRE.MatchString(c) {
						return k.kind
					}
				}
				if invoiceWordRE.MatchString(c) && !labelLike(c) {
					return KindInvoice
				}
			}
		}
	}
	for _, l := range lines {
		if invoiceWordRE.MatchString(l) {
			return KindInvoice
		}
	}
	return ""
}

var letterSpacedRE = re(`^\s*(?:\pL ){3,}\pL\s*$`)

// labelLike reports a column where the invoice word is part of another
// label ("Adresse de facturation", "Date de facture", "Rechnung gemäß").
var labelLikeRE = re(`(?i)(?:date|adresse|conditions|règlement|zahlbar|gemäß|address|to|per)\s+(?:de\s+)?(?:la\s+)?(?:facture|invoice|rechnung)`)

func labelLike(c string) bool { return labelLikeRE.MatchString(c) }

// rowAmountRE finds the amounts of a table row: two decimals, an optional
// minus sign and thousands separators; standing alone (not in a word, a
// date or a percentage).
var rowAmountRE = re(`(-\s?)?(\d{1,3}(?:[.,'\x{a0}\x{202f} ]\d{3})+[.,]\d{2}|\d+[.,]\d{2})`)

// rowAmounts returns the amounts standing alone in a line (preceded by a
// blank or "(" and followed by a blank, ")" or "€"), normalised.
func rowAmounts(line string) []string {
	var out []string
	for _, loc := range rowAmountRE.FindAllStringIndex(line, 40) {
		if loc[0] > 0 && !strings.ContainsRune(" \t(\u00a0", rune(line[loc[0]-1])) {
			continue
		}
		if rest := line[loc[1]:]; rest != "" && !strings.ContainsRune(" \t)", rune(rest[0])) && !strings.HasPrefix(rest, "€") && !strings.HasPrefix(rest, "\u00a0") {
			continue
		}
		if v, ok := normAmount(line[loc[0]:loc[1]]); ok {
			out = append(out, v)
		}
	}
	return out
}

// tableTotals reads the totals of a table whose header row names the total
// without VAT, the VAT and the total with VAT, in this order, and whose
// values are not aligned under their labels ("TOTAL HT  TOTAL TVA  TOTAL
// TTC" with "100,00  4,90  104,90" further down, or a VAT breakdown
// "Nettobetrag … MwSt-Betrag … Endbetrag" with one row per rate and a
// sum row). A row counts when it holds exactly one triple, in that
// order, where HT + VAT = TTC (with several, the one ending the row).
// One such row is the totals; with several, only a row that is the sum
// of all the others is (a breakdown without a sum row gives nothing).
func tableTotals(lines []string) (ttc, ht, tva string, ok bool) {
	const window = 8
	for i, line := range lines {
		if !totalsHeader(line) {
			continue
		}
		type row struct{ t, h, v *big.Rat }
		var rows []row
		for j := i + 1; j < len(lines) && j <= i+window; j++ {
			if totalsHeader(lines[j]) {
				break
			}
			var amts []*big.Rat
			for _, v := range rowAmounts(lines[j]) {
				if r, ok := new(big.Rat).SetString(v); ok && len(amts) < 20 {
					amts = append(amts, r)
				}
			}
			var found []row
			for a := 0; a < len(amts); a++ {
				for b := a + 1; b < len(amts); b++ {
					for c := b + 1; c < len(amts); c++ {
						if amts[a].Sign() != 0 && amts[c].Sign() != 0 && new(big.Rat).Add(amts[a], amts[b]).Cmp(amts[c]) == 0 {
							found = append(found, row{amts[c], amts[a], amts[b]})
						}
					}
				}
			}
			if len(found) > 1 {
				// "Warenwert + Abschlag = Nettobetrag" may sum too: the
				// total with VAT is the header's last column, so the
				// row's last amount.
				var last []row
				for _, r := range found {
					if r.t == amts[len(amts)-1] {
						last = append(last, r)
					}
				}
				found = last
			}
			if len(found) == 1 {
				rows = append(rows, found[0])
			}
		}
		var pick *row
		switch len(rows) {
		case 0:
			continue
		case 1:
			pick = &rows[0]
		default:
			for k := range rows {
				st, sh, sv := new(big.Rat), new(big.Rat), new(big.Rat)
				for l, r := range rows {
					if l != k {
						st.Add(st, r.t)
						sh.Add(sh, r.h)
						sv.Add(sv, r.v)
					}
				}
				if st.Cmp(rows[k].t) == 0 && sh.Cmp(rows[k].h) == 0 && sv.Cmp(rows[k].v) == 0 {
					pick = &rows[k]
					break
				}
			}
		}
		if pick == nil {
			return "", "", "", false
		}
		return pick.t.FloatString(2), pick.h.FloatString(2), pick.v.FloatString(2), true
	}
	return "", "", "", false
}

// totalsHeader reports a line naming, left to right, the total without
// VAT, the VAT and the total with VAT.
func totalsHeader(line string) bool {
	h := matchFrom(anyWithoutVAT, line, 0)
	if h < 0 {
		return false
	}
	v := matchFrom(anyVATTotal, line, h)
	return v >= 0 && matchFrom(anyWithVAT, line, v) >= 0
}

// matchFrom returns the end of the first match of r in line that starts at
// or after from, else -1 (a label anchored at the line start matches
// only there).
func matchFrom(r *regexp.Regexp, line string, from int) int {
	for _, loc := range r.FindAllStringIndex(line, -1) {
		if loc[0] >= from {
			return loc[1]
		}
	}
	return -1
}

// One expression per label list (leftmost match of any label), for the
// line-by-line search of totalsHeader.
var (
	anyWithoutVAT = anyOf(withoutVATLabels)
	anyVATTotal   = anyOf(vatTotalLabels)
	anyWithVAT    = anyOf(withVATLabels)
)

func anyOf(labels []*regexp.Regexp) *regexp.Regexp {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = "(?:" + l.String() + ")"
	}
	return regexp.MustCompile(strings.Join(parts, "|"))
}

// printedDifference returns ttc − ht when it is printed in the text as an
// amount (its absolute value, the sign may stand apart), with ht of the
// same sign as ttc and not above it.
func printedDifference(lines []string, ttc, ht string) (string, bool) {
	t, ok1 := new(big.Rat).SetString(ttc)
	h, ok2 := new(big.Rat).SetString(ht)
	if !ok1 || !ok2 || h.Sign() == 0 || h.Sign()*t.Sign() < 0 || new(big.Rat).Abs(h).Cmp(new(big.Rat).Abs(t)) > 0 {
		return "", false
	}
	d := new(big.Rat).Sub(t, h)
	if d.Sign() == 0 {
		return "", false
	}
	abs := new(big.Rat).Abs(d)
	for _, line := range lines {
		for _, v := range rowAmounts(line) {
			if r, ok := new(big.Rat).SetString(strings.TrimLeft(v, "-")); ok && r.Cmp(abs) == 0 {
				return d.FloatString(2), true
			}
		}
	}
	return "", false
}

// prepaid reports a non-zero amount already paid.
func prepaid(lines []string) bool {
	for _, v := range labelled(lines, prepaidLabels, parseAmountAfter, nil) {
		if r, ok := new(big.Rat).SetString(v); ok && r.Sign() != 0 {
			return true
		}
	}
	return false
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// negate changes the sign of a decimal string ("" and zero unchanged).
func negate(v string) string {
	if v == "" || strings.Trim(v, "0.") == "" {
		return v
	}
	if strings.HasPrefix(v, "-") {
		return v[1:]
	}
	return "-" + v
}

// correctedReference skips a "facture" label that introduces the invoice a
// credit note corrects ("Avoir sur facture FA-…", "facture d'origine"):
// that is the preceding invoice (BT-25), never the document's own number.
func correctedReference(lines []string, i, at int) bool {
	before := strings.ToLower(lines[i][:at])
	after := strings.ToLower(lines[i][at:])
	for _, w := range []string{"sur ", "relatif à la ", "relatif a la ", "annulant la ", "rectifiant la ", "référence à la ", "corrigeant la "} {
		if strings.HasSuffix(strings.TrimRight(before, " "), strings.TrimSpace(w)) {
			return true
		}
	}
	for _, w := range []string{"facture d'origine", "facture initiale", "facture corrig", "facture annul", "facture concern"} {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	return false
}

// buyerSIRET is the SIRET printed in the buyer's part of the page (under a
// "Client", "Destinataire", "Facturé à" heading), when exactly one valid
// SIRET other than the seller's is there; "" otherwise (a wrong buyer is
// worse than none: the router then looks for one of our SIRETs printed
// anywhere).
func buyerSIRET(lines []string, seller string) string {
	inBuyer := func(lines []string, i, at int) bool { return !buyerContext(lines, i, at) } // skip what is not the buyer's
	var found []string
	for _, v := range labelled(lines, []*regexp.Regexp{siretLabel}, submatch(siretValueRE), inBuyer) {
		if s := ident.Compact(v); ident.ValidSIRET(s) && s != seller {
			found = append(found, s)
		}
	}
	if found = uniq(found); len(found) == 1 {
		return found[0]
	}
	return ""
}
