package parser

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDefaultEngagementPatternTexts(t *testing.T) {
	res := DefaultEngagementPatterns()
	find := func(text string) []string {
		var got []string
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				if !slices.Contains(got, m[1]) {
					got = append(got, m[1])
				}
			}
		}
		return got
	}
	cases := map[string]string{
		"N° d'engagement : 24-00123":         "24-00123",
		"numéro d’engagement EJ2026-0042":    "EJ2026-0042",
		"Engagement juridique n° 1300012345": "1300012345",
		"bon de commande n° BC-2026-117":     "BC-2026-117",
		"EJ : 2026/000123":                   "2026/000123",
		"Bonjour,\nVoici notre facture (N°\u00a0d\u2019engagement\u00a0: 24-00123).": "24-00123",
		"NUMÉRO D'ENGAGEMENT : 24-00123.":                                            "24-00123",
		"engagement n°24-00123, merci":                                               "24-00123",
		"Engagement juridique : 1300012345":                                          "1300012345",
		"Réf. engagement : EJ-2026-55":                                               "EJ-2026-55",
		"n° de l'engagement juridique 1300012345":                                    "1300012345",
		"Bon de commande : 2026-117":                                                 "2026-117",
		"N° de commande : CMD-2026-55":                                               "CMD-2026-55",
		"Objet : facture FA-12 – EJ 2026/000123":                                     "2026/000123",
		"numero d`engagement: 123":                                                   "123",
		"Engagement :\n24-00123":                                                     "24-00123",
		"Bon de commande\nn° BC-2026-117":                                            "BC-2026-117",
		"Purchase order no. 4500012345":                                              "4500012345",
		"PO number: 4500012345":                                                      "4500012345",
		"BC n° 2026-117":                                                             "2026-117",
		"Réf. BC : 2026/117":                                                         "2026/117",
		"Objet : facture 12 - BC 2026-117":                                           "2026-117",
		"Votre commande n° : 4500012873 du 02/04/2025":                               "4500012873",
	}
	for text, want := range cases {
		got := find(text)
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%q: got %q, want [%q]", text, got, want)
		}
	}
	none := []string{
		"Facture n° FA-2026-0042 du 02/11/2026",
		"Montant : 1 200,00 €",
		"Nous vous remercions de votre engagement 2024 en faveur du tri.",
		"votre engagement nous honore",
		"N° d'engagement : 12",                         // too short
		"N° d'engagement : ABCDEF",                     // no digit
		"N° d'engagement : à venir",                    // no number
		"projet 2026-117",                              // "ej" inside a word
		"ej 2026/000123",                               // lower-case abbreviation without marker
		"N° d'engagement : " + strings.Repeat("1", 40), // too long
		"commande 4500012345",                          // no marker, no "bon de"
		"Commande n° S00042",                           // often the supplier's own sales order
		"votre commande 4500012345",                    // no marker
		"Votre commande n°   Date\nFA-12   02/04/2025", // a table header: the next line is another column's
		"bc 2026-117",                                  // lower-case abbreviation
		"ABC 2026-117",                                 // "BC" inside a word
	}
	for _, text := range none {
		if got := find(text); len(got) != 0 {
			t.Errorf("%q: got %q, want nothing", text, got)
		}
	}
	// Whatever the input, a captured value has the promised shape.
	valueRE := regexp.MustCompile(`^[A-Za-z0-9/_.-]{3,30}$`)
	for _, text := range []string{
		"N° d'engagement : " + strings.Repeat("A1-", 20),
		"EJ : abcdef1234567890abcdef1234567890",
		"bon de commande n° X_1.2.3/4-5-6-7-8-9-10-11-12-13",
		"engagement: 1. engagement: 12. engagement n° 1234567890123456789012345678901234",
	} {
		for _, v := range find(text) {
			if !valueRE.MatchString(v) || !strings.ContainsAny(v, "0123456789") {
				t.Errorf("%q: captured %q", text, v)
			}
		}
	}
}

// TestEngagementInFileName: an engagement number in an invoice's file
// name is a candidate, with its evidence.
func TestEngagementInFileName(t *testing.T) {
	pdf := makePDF(t, nil)
	raw := mimeMessage(stdHeader, part{"Content-Type: application/pdf; name=\"Facture 118 - EJ_2026-004512.PDF\"\r\nContent-Transfer-Encoding: base64", b64(pdf)})
	m, err := Parse(raw, Options{TextOnly: true})
	if err != nil || len(m.Documents) != 1 {
		t.Fatalf("%v %+v", err, m)
	}
	found := false
	for _, c := range m.Documents[0].Candidates {
		found = found || c.Value == "2026-004512" && c.Evidence == "file name"
	}
	if !found {
		t.Errorf("candidates %+v", m.Documents[0].Candidates)
	}
}
