package casebook

import (
	"regexp"
	"strings"

	"facteur/samples"
)

// Shorthands for the expectations of the table.

type opt func(*Want)

func says(s ...string) opt    { return func(w *Want) { w.Says = append(w.Says, s...) } }
func never(s ...string) opt   { return func(w *Want) { w.Never = append(w.Never, s...) } }
func earlier(k ...string) opt { return func(w *Want) { w.Earlier = append(w.Earlier, k...) } }
func to(addr string) opt      { return func(w *Want) { w.To = addr } }
func noReply() opt            { return func(w *Want) { w.Reply, w.Says = "", nil } }

// creditNote: the document is a credit note, an avoir (masculine in
// French: "déposé").
func creditNote() opt {
	return func(w *Want) {
		w.Deposit.Type = "credit_note"
		for i, s := range w.Says {
			if s == "déposée sur Chorus Pro" {
				w.Says[i] = "Avoir"
			}
		}
		w.Says = append(w.Says, "votre avoir")
	}
}

func apply(w Want, o []opt) Want {
	for _, f := range o {
		f(&w)
	}
	return w
}

// confirmed: deposited on Chorus Pro, integrated, and the supplier told
// so with the invoice's number, the recipient's SIRET and the engagement
// number.
func confirmed(number, siret, ej, mode string, o ...opt) Want {
	w := Want{Invoice: number, State: "integrated", Reply: "confirmation",
		Deposit: &Deposit{SIRET: siret, Engagement: ej, Number: number, Type: "invoice", Mode: mode},
		Says:    []string{"déposée sur Chorus Pro", number, formatSIRET(siret)}}
	if ej != "" {
		w.Says = append(w.Says, ej)
	}
	if mode == "flux" {
		w.Says = append(w.Says, "Numéro de flux Chorus Pro : CPP")
	}
	return apply(w, o)
}

// guidedTo: Facteur may not deposit it; the supplier is told what to enter
// on Chorus Pro (the recipient's SIRET, the engagement number).
func guidedTo(number, siret, ej string, o ...opt) Want {
	w := Want{Invoice: number, State: "guided", Reply: "guide",
		Says: []string{"déposer vous-même sur Chorus Pro", number, "SIRET du destinataire : " + formatSIRET(siret)}}
	if ej != "" {
		w.Says = append(w.Says, "Numéro d'engagement : "+ej)
	} else {
		w.Says = append(w.Says, "Le numéro d'engagement est obligatoire")
	}
	return apply(w, o)
}

// askedEJ: the supplier is asked for the engagement number; attached
// says whether its answer alone will get the invoice deposited.
func askedEJ(number string, attached bool, o ...opt) Want {
	w := Want{Invoice: number, State: "awaiting_supplier", Reply: "need_engagement",
		Says: []string{"ne mentionne pas de numéro d'engagement", number}}
	if attached {
		w.Says = append(w.Says, "Il vous suffit de répondre à ce courriel en nous indiquant ce numéro")
	} else {
		w.Says = append(w.Says, "une facture rectifiée qui porte ce numéro", "BT-13")
		w.Never = append(w.Never, "Il vous suffit")
	}
	return apply(w, o)
}

// askedPDF: nothing readable; the supplier is asked for a PDF, told what
// was wrong with each file.
func askedPDF(o ...opt) Want {
	w := Want{State: "awaiting_supplier", Reply: "need_invoice",
		Says: []string{"au format PDF", "Factur-X"}}
	return apply(w, o)
}

// askedBudget: the budget cannot be told; the supplier is asked, with our
// budgets and their SIRETs listed.
func askedBudget(number string, o ...opt) Want {
	w := Want{Invoice: number, State: "awaiting_supplier", Reply: "need_budget", Says: budgetLines()}
	return apply(w, o)
}

func budgetLines() []string {
	var out []string
	for _, b := range Budgets() {
		out = append(out, b.Name+" : "+formatSIRET(b.SIRET))
	}
	return out
}

// heldFor: a person must decide; nothing is said to the sender.
func heldFor(number, reason string, o ...opt) Want {
	return apply(Want{Invoice: number, State: "held", Finance: reason}, o)
}

// ignoredFor: nothing to do, for a positive reason.
func ignoredFor(reason string, o ...opt) Want {
	return apply(Want{State: "ignored", Finance: reason}, o)
}

// already: the invoice sent again; the supplier is told where the first
// stands.
func already(number, first string, o ...opt) Want {
	w := Want{Invoice: number, State: "duplicate", Reply: "already_received",
		Says: []string{"Elle nous était déjà parvenue", "{ref:" + first + "}", "aucune autre démarche"}}
	return apply(w, o)
}

// inv is the supplier's invoice of the table: its usual lines, issued on
// date, to buyer, with the engagement number ej ("" → none).
func inv(s Supplier, number, date, buyer, ej string) samples.Invoice {
	return s.Invoice(number, date, buyer, "", ej)
}

// credit is a credit note correcting invoice corrects.
func credit(s Supplier, number, date, buyer, ej, corrects string) samples.Invoice {
	i := s.Invoice(number, date, buyer, "", ej)
	i.CorrectedInvoice = corrects
	i.Lines = []samples.Line{{Description: "Avoir : " + s.Lines[0].Description, Quantity: "1", UnitPrice: "320.00", VATRate: s.Lines[0].VATRate}}
	return i
}

// withIBAN is inv asking to be paid to another account.
func withIBAN(i samples.Invoice, account string) samples.Invoice {
	i.SellerIBAN = account
	return i
}

var flowRE = regexp.MustCompile(`CPP[0-9]{10,30}`)

// flowIn is the first Chorus Pro flow number a reply cites.
func flowIn(r *Reply) string {
	if r == nil {
		return ""
	}
	return flowRE.FindString(strings.ReplaceAll(r.Text, "\u00a0", " "))
}
