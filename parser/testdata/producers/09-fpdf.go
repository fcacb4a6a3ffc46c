//go:build ignore

// Invoice of a bookshop, printed with the fpdf library (UTF-8 TrueType
// font: Type0, Identity-H, ToUnicode) as small Go invoicing tools do.
// Run from this folder: go run 09-fpdf.go
package main

import (
	"log"

	"github.com/go-pdf/fpdf"
)

func main() {
	const dir = "/usr/share/fonts/truetype/dejavu"

	pdf := fpdf.New("P", "mm", "A4", dir)
	pdf.SetCreator("facturette 1.3 (fpdf)", true)
	pdf.SetCompression(true)
	pdf.AddUTF8Font("dv", "", "DejaVuSans.ttf")
	pdf.AddUTF8Font("dv", "B", "DejaVuSans-Bold.ttf")
	pdf.SetMargins(18, 15, 18)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()

	// Seller, left column.
	pdf.SetFont("dv", "B", 14)
	pdf.Text(18, 22, "Librairie du Vermandois")
	pdf.SetFont("dv", "", 9)
	for i, l := range []string{"Livres – papeterie – collectivités", "21 rue de la Sellerie", "02100 Saint-Quentin",
		"SIRET : 725 578 371 00066", "N° TVA : FR29725578371"} {
		pdf.Text(18, 28+float64(i)*4.5, l)
	}
	// Buyer, right column.
	pdf.SetXY(112, 26)
	pdf.MultiCell(80, 4.5, "Agglomération du Saint-Quentinois\nMédiathèque Guy de Maupassant\n58 boulevard Henri Martin\n02100 Saint-Quentin", "", "L", false)

	pdf.SetXY(112, 52)
	pdf.CellFormat(80, 5, "Saint-Quentin, le 19 mars 2025", "", 1, "L", false, 0, "")

	pdf.SetFont("dv", "B", 13)
	pdf.SetXY(18, 66)
	pdf.CellFormat(100, 7, "Facture n° LV-25-00871", "", 1, "L", false, 0, "")
	pdf.SetFont("dv", "", 9)
	pdf.SetX(18)
	pdf.CellFormat(100, 5, "N° d'engagement : 25EJ004417", "", 1, "L", false, 0, "")

	// Lines.
	pdf.SetY(84)
	pdf.SetFont("dv", "B", 9)
	pdf.SetFillColor(230, 230, 230)
	for i, h := range []string{"Désignation", "Quantité", "Prix unitaire HT", "Total HT"} {
		w := []float64{86, 22, 34, 32}[i]
		align := "R"
		if i == 0 {
			align = "L"
		}
		pdf.CellFormat(w, 7, h, "1", 0, align, true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("dv", "", 9)
	for _, r := range [][4]string{
		{"Dictionnaires Le Robert (lot)", "15", "34,90 €", "523,50 €"},
		{"Romans jeunesse – sélection 2025", "42", "7,95 €", "333,90 €"},
		{"Albums illustrés", "18", "14,50 €", "261,00 €"},
	} {
		for i, v := range r {
			w := []float64{86, 22, 34, 32}[i]
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(w, 6.5, v, "1", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}

	// Totals.
	pdf.Ln(5)
	for i, r := range [][2]string{
		{"Total hors taxes", "1 118,40 €"},
		{"TVA à 5,5 %", "61,51 €"},
		{"Total TTC", "1 179,91 €"},
		{"Reste à payer", "1 179,91 €"},
	} {
		if i >= 2 {
			pdf.SetFont("dv", "B", 9.5)
		}
		pdf.SetX(110)
		pdf.CellFormat(40, 6, r[0], "", 0, "L", false, 0, "")
		pdf.CellFormat(32, 6, r[1], "", 1, "R", false, 0, "")
	}

	pdf.SetFont("dv", "", 8.5)
	pdf.SetXY(18, 170)
	pdf.MultiCell(174, 4.5, "Règlement par mandat administratif à 30 jours.\nRIB – IBAN : FR76 1027 8058 7219 1632 2562 543 – BIC : CMCIFR2A", "", "L", false)
	pdf.SetFont("dv", "", 7)
	pdf.SetXY(18, 280)
	pdf.CellFormat(174, 4, "Librairie du Vermandois SARL – RCS Saint-Quentin 725 578 371 – Prix des livres conformes à la loi du 10 août 1981", "", 0, "C", false, 0, "")
	if err := pdf.OutputFileAndClose("09-fpdf.pdf"); err != nil {
		log.Fatal(err)
	}
}
