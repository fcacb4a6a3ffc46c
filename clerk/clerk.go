// Package clerk holds the French words finance staff read about a case,
// shared by `facteur cases` and the web page so that both say the same:
// the names of the states, the description of a document, an amount. It
// decides nothing.
package clerk

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// StateLabel is how finance staff read a case's state.
func StateLabel(s store.CaseState) string {
	switch s {
	case store.CaseNew:
		return "reçue"
	case store.CaseRouted:
		return "prête à déposer"
	case store.CaseDepositing:
		return "dépôt en cours"
	case store.CaseDeposited:
		return "déposée, en traitement"
	case store.CaseIntegrated:
		return "déposée et intégrée"
	case store.CasePaid:
		return "mise en paiement"
	case store.CaseRejected:
		return "refusée par Chorus Pro"
	case store.CaseAwaitingSupplier:
		return "en attente du fournisseur"
	case store.CaseHeld:
		return "à examiner"
	case store.CaseIgnored:
		return "ignorée"
	case store.CaseDuplicate:
		return "doublon"
	case store.CaseGuided:
		return "à déposer par le fournisseur"
	}
	return string(s)
}

// States are the states of a case, in the order of their life.
var States = []store.CaseState{
	store.CaseNew, store.CaseRouted, store.CaseDepositing, store.CaseDeposited, store.CaseIntegrated,
	store.CasePaid, store.CaseRejected, store.CaseAwaitingSupplier, store.CaseGuided, store.CaseHeld,
	store.CaseIgnored, store.CaseDuplicate,
}

// ParseState reads the state a finance clerk names: its name (held) or
// its label (« à examiner »), whatever the case, accents, spaces and
// punctuation.
func ParseState(v string) (store.CaseState, bool) {
	want := Fold(v)
	if want == "" {
		return "", false
	}
	for _, s := range States {
		if Fold(string(s)) == want || Fold(StateLabel(s)) == want {
			return s, true
		}
	}
	return "", false
}

// Fold lowers v, drops its accents and keeps its letters and digits, one
// space between words: "Déposée, en traitement" → "deposee en traitement".
func Fold(v string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(v) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// DocumentKind says what a document of a message is: "Factur-X, facture",
// "PDF", "format non pris en charge"...
func DocumentKind(d store.DocumentInfo) string {
	kind := map[string]string{
		"facturx": "Factur-X", "zugferd1": "ZUGFeRD 1.0", "ubl": "UBL", "cii": "CII", "pdf": "PDF",
		"xml": "XML", "zip": "archive ZIP", "tnef": "winmail.dat", "unsupported": "format non pris en charge",
	}[d.Format]
	if kind == "" {
		kind = "autre fichier"
	}
	if d.IsInvoice {
		kind += ", facture"
	}
	return kind
}

// DocumentProblem is why a document could not be read, in French, on one
// line of at most 200 characters; "" when it was read.
func DocumentProblem(d store.DocumentInfo) string {
	if d.Problem == "" {
		return ""
	}
	return OneLine(router.DocumentProblem(parser.Document{
		Name: d.Name, ContentType: d.ContentType, Format: d.Format,
		Problem: parser.Problem(d.Problem), Limit: parser.Limit(d.Limit), Error: d.Error,
	}), 200)
}

// DocumentLabel describes a document of a message for a finance clerk:
// « facture.pdf » (Factur-X, facture) or « scan.jpg » (illisible : …).
func DocumentLabel(d store.DocumentInfo) string {
	kind := DocumentKind(d)
	if p := DocumentProblem(d); p != "" {
		kind += " ; illisible : " + p
	}
	return "« " + d.Name + " » (" + kind + ")"
}

// Amount is an amount as finance staff read it: "1 234,50 €" (euros when
// no currency is named).
func Amount(v, currency string) string {
	if currency == "" {
		currency = "EUR"
	}
	return notifier.FrenchAmount(v, currency)
}

// ReplyStatus says where a reply stands, for finance staff.
func ReplyStatus(it store.OutboxItem) string {
	switch it.State {
	case store.OutboxQueued:
		if it.SendAttempts > 0 {
			return fmt.Sprintf("en attente d'envoi (%d essai(s) sans succès)", it.SendAttempts)
		}
		return "en attente d'envoi"
	case store.OutboxSending:
		return "envoi en cours depuis le " + it.AttemptAt.Local().Format("02/01/2006 à 15:04")
	case store.OutboxSent:
		return "envoyée le " + it.SentAt.Local().Format("02/01/2006 à 15:04")
	case store.OutboxFailed:
		return "échec de l'envoi : " + it.LastError
	case store.OutboxUnconfirmed:
		return "envoyée sans confirmation du serveur de messagerie (envoi du " + it.AttemptAt.Local().Format("02/01/2006 à 15:04") +
			" interrompu après la transmission du message) : probablement reçue, non renvoyée"
	}
	return string(it.State)
}

// OneLine joins the lines of s and cuts it to n characters, with an
// ellipsis when cut.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Evidence says where an engagement number was found, for a finance
// clerk: "xml BT-13, subject" → "données de la facture (BT-13), objet du
// courriel". An evidence it does not know is given as it is.
func Evidence(e string) string {
	words := map[string]string{
		"xml BT-13": "données de la facture (BT-13)", "pdf text": "texte du PDF", "file name": "nom du fichier",
		"subject": "objet du courriel", "body": "texte du courriel", "réponse du fournisseur": "réponse du fournisseur",
	}
	parts := strings.Split(e, ", ")
	for i, p := range parts {
		if w, ok := words[p]; ok {
			parts[i] = w
		}
	}
	return strings.Join(parts, ", ")
}

// Field is one labelled value of a case, as finance staff read it.
type Field struct {
	Label, Value string
}

// CaseFields are what Facteur read and decided of a case, labelled, the
// empty ones left out: `facteur cases show` and the case page show the
// same.
func CaseFields(c store.Case) []Field {
	number := "Facture n°"
	if c.InvoiceType == "credit_note" {
		number = "Avoir n°"
	}
	amount := ""
	if c.AmountWithVAT != "" {
		amount = Amount(c.AmountWithVAT, c.Currency)
	}
	var out []Field
	for _, f := range []Field{
		{"Objet du courriel", c.Subject},
		{"Expéditeur", c.From},
		{"Fournisseur", c.SupplierName},
		{"SIRET du fournisseur", c.SupplierSIRET},
		{"Adresse du fournisseur", c.SupplierEmail},
		{number, c.InvoiceNumber},
		{"Date de facture", notifier.FrenchDate(c.InvoiceDate)},
		{"Montant TTC", amount},
		{"Budget", c.Budget},
		{"SIRET destinataire", c.RecipientSIRET},
		{"Numéro d'engagement", c.Engagement},
		{"Flux Chorus Pro", c.FlowNumber},
		{"Date de dépôt", notifier.FrenchDate(c.DepositDate)},
		{"État du flux", c.FlowState},
		{"Dernière erreur", c.LastError},
		{"Pas de réponse au fournisseur", c.NoReply},
	} {
		if strings.TrimSpace(f.Value) != "" {
			out = append(out, f)
		}
	}
	return out
}
