package parser

import (
	"strings"
	"testing"
)

// runContent interprets a content stream with a standard-14 font and
// returns its text laid out.
func runContent(t *testing.T, core string, size float64, content string) string {
	t.Helper()
	e := &textExtractor{fonts: map[int]*pdfFont{}}
	st := textState{ctm: identity, th: 1, size: size, font: &pdfFont{base: &winAnsiTable, core: core, defWidth: 500}}
	e.run([]byte(content), nil, st, 0)
	if e.err != nil {
		t.Fatal(e.err)
	}
	return layout(e.spans)
}

// TestShowSpacing: the character and word spacing that Ghostscript's
// pdfwrite writes for groff's PostScript (a word space as a character
// spacing, a kern as a shrunk space glyph, a column as a stretched space).
func TestShowSpacing(t *testing.T) {
	for _, tt := range []struct{ name, content, want string }{
		{"character spacing as a word space", "BT 1 0 0 1 100 700 Tm (TV)Tj 2.5 Tc 13.33 0 Td (A2)Tj ET", "TVA 2\n"},
		{"space glyph shrunk to a kern", "BT -2.32 Tc -0.08 Tw 1 0 0 1 100 700 Tm (AV O)Tj 0 Tc 0 Tw 30.0 0 Td (IR)Tj ET", "AVOIR\n"},
		{"stretched space to a column", "BT 70 Tw 1 0 0 1 100 700 Tm (Total 250,00)Tj ET", "Total   250,00\n"},
		{"plain text unchanged", "BT 1 0 0 1 100 700 Tm (Total HT 100,00)Tj ET", "Total HT 100,00\n"},
		{"tight character spacing keeps words", "BT -0.3 Tc 1 0 0 1 100 700 Tm (Montant total)Tj ET", "Montant total\n"},
	} {
		size := 10.0
		if strings.Contains(tt.content, "AV O") {
			size = 16
		}
		got := runContent(t, "Times-Bold", size, tt.content)
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestLayoutSideBySide: a framed buyer's block beside the seller's, its
// baselines offset by the frame's padding and two lines longer (the
// positions WeasyPrint gave them).
func TestLayoutSideBySide(t *testing.T) {
	sp := func(x, y float64, text string) span {
		return span{x: x, y: y, x2: x + 5*float64(len(text)), size: 9.5, text: text}
	}
	spans := []span{
		sp(50, 776.05, "Atelier Picard"), sp(50, 764.99, "7 place Gambetta"), sp(50, 753.93, "80000 Amiens"),
		sp(310, 769.30, "Client"), sp(310, 758.24, "Agglomération du Saint-Quentinois"), sp(310, 747.18, "58 boulevard Henri Martin"),
		sp(310, 736.12, "02100 Saint-Quentin"), sp(310, 725.06, "SIRET : 200 071 892 00067"),
		sp(50, 690, "FACTURE"),
	}
	want := "Atelier Picard   Client\n" +
		"7 place Gambetta   Agglomération du Saint-Quentinois\n" +
		"80000 Amiens   58 boulevard Henri Martin\n" +
		"   02100 Saint-Quentin\n" +
		"   SIRET : 200 071 892 00067\n" +
		"FACTURE\n"
	if got := layout(spans); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Lines that overlap horizontally are never joined.
	spans = []span{sp(50, 700, "Première ligne du texte"), sp(60, 694, "seconde ligne du texte")}
	if got := layout(spans); got != "Première ligne du texte\nseconde ligne du texte\n" {
		t.Errorf("overlapping lines: %q", got)
	}
}

// TestLayoutAccents: the accents TeX's OT1 fonts draw over a letter.
func TestLayoutAccents(t *testing.T) {
	spans := []span{
		{x: 80, y: 700, x2: 92.7, size: 10, text: "Num"},
		{x: 92.67, y: 700, x2: 97.65, size: 10, text: "´"},
		{x: 92.95, y: 700, x2: 106.26, size: 10, text: "ero"},
		{x: 110, y: 700, x2: 151, size: 10, text: "anglais–fran¸"},
		{x: 147, y: 700, x2: 164, size: 10, text: "cais"},
		{x: 170, y: 700, x2: 175, size: 10, text: "`"},
		{x: 170.5, y: 700, x2: 175.5, size: 10, text: "a"},
		{x: 180, y: 700, x2: 185, size: 10, text: "^"}, // over nothing: kept
	}
	if got, want := layout(spans), "Numéro anglais–français à ^\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCleanLine: leaders, ligatures, minus signs.
func TestCleanLine(t *testing.T) {
	for in, want := range map[string]string{
		"Total H.T.........................2 450,00 €": "Total H.T   2 450,00 €",
		"Net à payer . . . . . . 12,00":                "Net à payer   12,00",
		"Direction des \ufb01nances":                   "Direction des finances",
		"N° COMMANDE 2025\u22120733":                   "N° COMMANDE 2025-0733",
		"Etc... la suite":                              "Etc... la suite",
	} {
		if got := cleanLine(in); got != want {
			t.Errorf("cleanLine(%q) = %q, want %q", in, got, want)
		}
	}
}
