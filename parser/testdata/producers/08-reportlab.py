#!/usr/bin/python3
"""Invoice of a landscaping firm, drawn with ReportLab's canvas and
platypus tables as Python invoicing tools do. Run: python3 08-reportlab.py"""
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib import colors
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

NB = "\u00a0"  # no-break space between thousands and before the euro sign

c = canvas.Canvas("08-reportlab.pdf", pagesize=A4, invariant=1)
c.setTitle("Facture EVO-2025-0092")
W, H = A4

# Seller, left; buyer, right.
c.setFont("Helvetica-Bold", 15)
c.drawString(20 * mm, H - 25 * mm, "Espaces Verts de l'Omignon")
c.setFont("Helvetica", 9)
for i, l in enumerate(["Paysagiste – entretien de parcs et jardins", "3 chemin de la Vallée",
                       "02490 Vermand", "Tél. 03 23 66 40 12"]):
    c.drawString(20 * mm, H - (31 + 4.5 * i) * mm, l)
c.setFont("Helvetica", 9)
for i, l in enumerate(["Agglomération du Saint-Quentinois", "Direction des espaces verts",
                       "58 boulevard Henri Martin", "02100 Saint-Quentin"]):
    c.drawString(118 * mm, H - (31 + 4.5 * i) * mm, l)

c.setFont("Helvetica-Bold", 13)
c.drawString(20 * mm, H - 62 * mm, "FACTURE")
c.setFont("Helvetica", 9)
meta = [("N° de facture", "EVO-2025-0092"), ("Date d'émission", "31.03.2025"),
        ("Bon de commande n°", "2025/BC/0577"), ("Code service", "ESPVERTS")]
for i, (k, v) in enumerate(meta):
    y = H - (69 + 5 * i) * mm
    c.drawString(20 * mm, y, k)
    c.drawString(58 * mm, y, ":  " + v)

def eur(s):
    return s.replace(" ", NB) + NB + "€"

rows = [["Désignation", "Qté", "PU HT", "TVA", "Montant HT"],
        ["Fourniture de végétaux – massifs", "1", eur("1 245,80"), "10 %", eur("1 245,80")],
        ["Paillage et terreau (sacs)", "14", eur("22,90"), "10 %", eur("320,60")],
        ["Travaux d'entretien – mars (heures)", "38", eur("41,50"), "20 %", eur("1 577,00")],
        ["Évacuation des déchets verts", "3", eur("95,00"), "20 %", eur("285,00")]]
t = Table(rows, colWidths=[80 * mm, 15 * mm, 25 * mm, 18 * mm, 32 * mm])
t.setStyle(TableStyle([
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
    ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6efe1")),
]))
tw, th = t.wrapOn(c, W, H)
t.drawOn(c, 20 * mm, H - 100 * mm - th)

# VAT breakdown, left; totals, right.
vat = [["Taux", "Base HT", "TVA"], ["10 %", eur("1 566,40"), eur("156,64")], ["20 %", eur("1 862,00"), eur("372,40")]]
v = Table(vat, colWidths=[15 * mm, 28 * mm, 22 * mm])
v.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                       ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
vw, vh = v.wrapOn(c, W, H)
top = H - 110 * mm - th
v.drawOn(c, 20 * mm, top - vh)

tot = [["Total H.T.", eur("3 428,40")], ["Total T.V.A.", eur("529,04")], ["Total T.T.C.", eur("3 957,44")]]
s = Table(tot, colWidths=[35 * mm, 32 * mm])
s.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 9), ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 10),
                       ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black)]))
sw, sh = s.wrapOn(c, W, H)
s.drawOn(c, W - 20 * mm - sw, top - sh)

c.setFont("Helvetica", 8.5)
y = top - 40 * mm
c.drawString(20 * mm, y, "Règlement : à réception, par virement ou mandat administratif.")
c.drawString(20 * mm, y - 5 * mm, "IBAN FR76 1130 6014 4703 5083 3948 674    BIC AGRIFRPP813")

c.setFont("Helvetica", 7)
c.drawCentredString(W / 2, 14 * mm, "Espaces Verts de l'Omignon – SAS au capital de 10 000 € – SIRET 875 954 794 00066 – "
                    "N° TVA intracommunautaire FR49875954794")
c.drawCentredString(W / 2, 10 * mm, "Pénalités de retard : taux d'intérêt légal × 3. Indemnité forfaitaire pour frais de recouvrement : 40 €.")
c.showPage()
c.save()
