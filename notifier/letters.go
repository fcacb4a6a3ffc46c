package notifier

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"facteur/ident"
)

// DefaultDepartment signs every reply when Reply.Department is empty.
const DefaultDepartment = "Direction des Finances et de l'Achat Public"

// chorusProURL is the public portal where suppliers follow their invoices.
const chorusProURL = "https://chorus-pro.gouv.fr"

// Limits (in runes) on the values shown in a reply; they keep a hostile or
// broken input from producing an absurd message.
const (
	maxShort  = 120
	maxName   = 200
	maxReason = 2000
)

// blockKind tells how a block of the letter is laid out.
type blockKind int

const (
	blockPara    blockKind = iota // ordinary paragraph
	blockExample                  // a line to copy (indented, monospace in HTML)
	blockQuote                    // a quoted text from elsewhere (Chorus Pro's reason)
)

type block struct {
	Kind blockKind
	Text string
}

func (b block) IsExample() bool { return b.Kind == blockExample }
func (b block) IsQuote() bool   { return b.Kind == blockQuote }

type row struct{ Label, Value string }

// letter is one reply, laid out once and rendered twice (text and HTML), so
// both parts always say the same thing.
type letter struct {
	Subject    string
	Greeting   string
	Before     []block
	RecapTitle string
	Recap      []row
	After      []block
	Closing    string
	Signature  []string
	Footer     string
}

// values holds the Reply's fields cleaned and formatted for display.
type values struct {
	ref, org, department                   string
	number, invoiceDate, amount, supplier  string
	budget, siret, engagement, service     string
	flow, depositDate, reason, origSubject string
	credit                                 bool // a credit note: "avoir" (masculine)
}

// doc is "Facture" or "Avoir", for a subject or the start of a sentence.
func (v values) doc() string {
	if v.credit {
		return "Avoir"
	}
	return "Facture"
}

// e is the feminine ending of a word agreeing with the document ("déposé"
// + e for a facture, nothing for an avoir).
func (v values) e() string {
	if v.credit {
		return ""
	}
	return "e"
}

// it is "Elle" or "Il"; obj is "la" or "le".
func (v values) it() string {
	if v.credit {
		return "Il"
	}
	return "Elle"
}

func (v values) obj() string {
	if v.credit {
		return "le"
	}
	return "la"
}

func newValues(r Reply) values {
	v := values{
		ref:         clean(r.CaseRef, maxShort),
		org:         clean(r.Organisation, maxName),
		department:  clean(r.Department, maxName),
		number:      clean(r.InvoiceNumber, maxShort),
		invoiceDate: FrenchDate(clean(r.InvoiceDate, maxShort)),
		amount:      FrenchAmount(clean(r.AmountWithVAT, maxShort), clean(r.Currency, 8)),
		supplier:    clean(r.SupplierName, maxName),
		budget:      clean(r.BudgetName, maxName),
		siret:       ident.FormatSIRET(clean(r.RecipientSIRET, maxShort)),
		engagement:  clean(r.Engagement, maxShort),
		service:     clean(r.ServiceCode, maxShort),
		flow:        clean(r.FlowNumber, maxShort),
		depositDate: FrenchDate(clean(r.DepositDate, maxShort)),
		reason:      clean(r.Reason, maxReason),
		origSubject: clean(r.OriginalSubject, maxName),
		credit:      r.CreditNote,
	}
	if v.department == "" {
		v.department = DefaultDepartment
	}
	return v
}

// maxServiceChoices bounds the service codes listed in a reply: beyond,
// the list would not help.
const maxServiceChoices = 12

// cleanList cleans short values; more than max of them gives none.
func cleanList(vs []string, max int) []string {
	if len(vs) > max {
		return nil
	}
	var out []string
	for _, v := range vs {
		if c := clean(v, maxShort); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// typo applies French typography to our own sentences: a no-break space
// before the high punctuation and inside the guillemets.
var typo = strings.NewReplacer(
	" :", nbsp+":", " ;", nbsp+";", " ?", nbsp+"?", " !", nbsp+"!",
	"« ", "«"+nbsp, " »", nbsp+"»",
)

func para(format string, args ...any) block {
	return block{Kind: blockPara, Text: typo.Replace(fmt.Sprintf(format, args...))}
}

// yourInvoice is "votre facture n° X du 2 novembre 2026", each detail only
// when known.
func (v values) yourInvoice() string {
	s := "votre facture"
	if v.credit {
		s = "votre avoir"
	}
	if v.number != "" {
		s += " n°" + nbsp + v.number
	}
	if v.invoiceDate != "" {
		s += " du " + v.invoiceDate
	}
	return s
}

// recipient is "Agglomération du Saint-Quentinois – Budget principal".
func (v values) recipient() string {
	var parts []string
	for _, p := range []string{v.org, v.budget} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " – ")
}

type recap []row

func (rc *recap) add(label, value string) {
	if value != "" {
		*rc = append(*rc, row{Label: label, Value: value})
	}
}

// recapRows lists the known facts, in a fixed order; names selects which.
func (v values) recapRows(names ...string) []row {
	var rc recap
	for _, n := range names {
		switch n {
		case "ref":
			rc.add("Référence du dossier", v.ref)
		case "subject":
			rc.add("Objet de votre message", v.origSubject)
		case "supplier":
			rc.add("Fournisseur", v.supplier)
		case "number":
			rc.add("Numéro de facture", v.number)
		case "date":
			rc.add("Date de la facture", v.invoiceDate)
		case "amount":
			rc.add("Montant TTC", v.amount)
		case "recipient":
			rc.add("Destinataire", v.recipient())
		case "siret":
			rc.add("SIRET du destinataire", v.siret)
		case "service":
			rc.add("Code service", v.service)
		case "engagement":
			rc.add("Numéro d'engagement", v.engagement)
		case "deposit":
			rc.add("Date de dépôt sur Chorus Pro", v.depositDate)
		case "flow":
			rc.add("Numéro de flux Chorus Pro", v.flow)
		}
	}
	return rc
}

// subjectNumber is " FA-2026-0042" or "" (the number cut shorter in a subject).
func (v values) subjectNumber() string {
	n := clean(v.number, 60)
	if n == "" {
		return ""
	}
	return " " + n
}

// newLetter writes the French reply for r.
func newLetter(r Reply) (*letter, error) {
	v := newValues(r)
	l := &letter{
		Greeting:   "Madame, Monsieur,",
		RecapTitle: "Récapitulatif",
		Closing:    "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
		Footer: typo.Replace("Ce message vous est adressé automatiquement. Pour nous répondre, " +
			"utilisez simplement la fonction « Répondre » de votre messagerie, en conservant la référence [" +
			v.ref + "] dans l'objet du message."),
	}
	l.Signature = []string{v.department}
	if v.org != "" {
		l.Signature = append(l.Signature, v.org)
	}
	prefix := "[" + v.ref + "] "

	switch r.Kind {
	case KindConfirmation:
		l.Subject = prefix + v.doc() + v.subjectNumber() + " déposé" + v.e() + " sur Chorus Pro"
		s := "Nous avons bien reçu " + v.yourInvoice()
		if v.amount != "" {
			s += ", d'un montant de " + v.amount + " TTC,"
		}
		s += " et nous l'avons déposé" + v.e() + " sur Chorus Pro"
		if v.depositDate != "" {
			s += " le " + v.depositDate
		}
		l.Before = []block{para("%s. Vous en trouverez le récapitulatif ci-dessous.", s)}
		l.Recap = v.recapRows("ref", "supplier", "number", "date", "amount", "recipient", "siret",
			"engagement", "deposit", "flow")
		l.After = []block{
			para("Il est inutile de nous adresser de nouveau cette facture, par courrier ou par courriel."),
			para("Vous pouvez suivre son traitement sur Chorus Pro (%s).", chorusProURL),
		}

	case KindNeedEngagement:
		l.Subject = prefix + "Numéro d'engagement manquant"
		if n := v.subjectNumber(); n != "" {
			l.Subject += " – facture" + n
		}
		l.Before = []block{
			para("Nous avons bien reçu %s et nous vous en remercions.", v.yourInvoice()),
			para("Cette facture ne mentionne pas de numéro d'engagement juridique. Ce numéro figure " +
				"sur le bon de commande que nous vous avons adressé. Sans lui, nous ne pouvons pas " +
				"déposer votre facture sur Chorus Pro."),
		}
		if r.AnswerDeposits {
			l.Before = append(l.Before,
				para("Il vous suffit de répondre à ce courriel en nous indiquant ce numéro, par exemple :"),
				block{Kind: blockExample, Text: typo.Replace("Numéro d'engagement : " + EngagementExample)},
				para("Vous pouvez aussi nous adresser, de la même manière, une facture rectifiée qui porte "+
					"ce numéro dans la zone « référence de commande » (BT-13)."),
				para("Dès réception, nous déposerons votre facture sur Chorus Pro ; vous n'aurez aucune "+
					"autre démarche à accomplir."),
			)
		} else {
			l.Before = append(l.Before,
				para("Nous vous remercions de nous adresser, en répondant à ce courriel, une facture "+
					"rectifiée qui porte ce numéro dans la zone « référence de commande » (BT-13) : "+
					"nous ne pouvons pas compléter nous-mêmes le fichier que vous nous avez envoyé."),
				para("Dès réception de la facture rectifiée, nous la déposerons sur Chorus Pro ; vous "+
					"n'aurez aucune autre démarche à accomplir."),
			)
		}
		l.Recap = v.recapRows("ref", "supplier", "number", "date", "amount", "recipient", "siret")

	case KindNeedInvoice:
		l.Subject = prefix + "Facture non reçue ou illisible"
		l.Before = []block{
			para("Nous avons bien reçu votre message, mais nous n'y avons trouvé aucune facture " +
				"que nous puissions traiter."),
		}
		if v.reason != "" {
			l.Before = append(l.Before, block{Kind: blockPara, Text: sentence(v.reason)})
		}
		l.Before = append(l.Before,
			para("Nous vous remercions de nous adresser votre facture en pièce jointe, au format PDF "+
				"(de préférence au format Factur-X), en répondant simplement à ce courriel : "+
				"nous reprendrons alors l'examen de votre facture. Une photo ou une image numérisée "+
				"ne peut pas être déposée sur Chorus Pro."),
		)
		l.Recap = v.recapRows("ref", "subject", "supplier", "number", "date")

	case KindRejected:
		l.Subject = prefix + "Facture" + v.subjectNumber() + " refusée par Chorus Pro"
		s := "Nous avons déposé " + v.yourInvoice() + " sur Chorus Pro"
		if v.depositDate != "" {
			s += " le " + v.depositDate
		}
		s += ", mais la plateforme l'a refusée."
		if v.reason != "" {
			s += " Motif indiqué par Chorus Pro :"
		}
		l.Before = []block{para("%s", s)}
		if v.reason != "" {
			l.Before = append(l.Before, block{Kind: blockQuote, Text: v.reason})
		}
		l.Before = append(l.Before,
			para("Cette facture n'a donc pas été transmise à nos services et ne peut pas être mise "+
				"en paiement en l'état."),
			para("Nous vous invitons à la corriger et à nous adresser la facture rectifiée en répondant "+
				"à ce courriel ; nous la déposerons de nouveau. Si ce refus vous semble injustifié, "+
				"répondez-nous de la même manière : nos services examineront votre dossier."),
		)
		l.Recap = v.recapRows("ref", "supplier", "number", "date", "amount", "recipient", "siret",
			"engagement", "deposit", "flow")

	case KindGuide:
		l.Subject = prefix + v.doc() + v.subjectNumber() + " à déposer sur Chorus Pro"
		l.Before = []block{
			para("Nous avons bien reçu %s et nous vous en remercions.", v.yourInvoice()),
			para("Les factures adressées aux entités publiques sont transmises par le portail "+
				"Chorus Pro. Nous ne sommes pas en mesure de déposer %s à votre place : nous vous "+
				"remercions de %s déposer vous-même sur Chorus Pro (%s), en indiquant les informations ci-dessous.",
				map[bool]string{false: "celle-ci", true: "celui-ci"}[v.credit], v.obj(), chorusProURL),
		}
		if v.credit {
			l.Before = append(l.Before, para("Il s'agit d'un avoir : sur Chorus Pro, déposez-le comme un avoir "+
				"(type de document « avoir »), et non comme une facture."))
		}
		l.RecapTitle = "Informations à indiquer sur Chorus Pro"
		l.Recap = v.recapRows("recipient", "siret", "service", "engagement", "number", "date", "amount", "ref")
		if v.engagement == "" && r.EngagementRequired {
			l.After = append(l.After, para("Le numéro d'engagement est obligatoire pour ce destinataire. "+
				"Il figure sur le bon de commande que nous vous avons adressé ; à défaut, demandez-le "+
				"au service qui a passé la commande."))
		}
		if v.service == "" && r.ServiceRequired {
			s := "Un code service est obligatoire pour ce destinataire : choisissez sur Chorus Pro celui du " +
				"service qui a passé la commande"
			if codes := cleanList(r.ServiceChoices, maxServiceChoices); len(codes) > 0 {
				s += " (codes actifs : " + strings.Join(codes, ", ") + ")"
			}
			l.After = append(l.After, para("%s.", s))
		}
		l.After = append(l.After,
			para("Votre facture sera traitée dès son arrivée sur Chorus Pro. Il est inutile de nous "+
				"l'adresser de nouveau par courriel ou par courrier."),
			para("Pour toute question, répondez simplement à ce courriel."),
		)

	case KindNeedBudget:
		budgets := budgetList(r.Budgets)
		if len(budgets) == 0 {
			return nil, fmt.Errorf("notifier: %s reply without the budgets to choose from", r.Kind)
		}
		if buyer := clean(r.OtherBuyerSIRET, maxShort); buyer != "" {
			l.Subject = prefix + "Facture" + v.subjectNumber() + " adressée à un autre destinataire"
			name := clean(r.OtherBuyer, maxName)
			who := "un destinataire identifié par le SIRET " + ident.FormatSIRET(buyer)
			if name != "" {
				who = "« " + name + " » (SIRET " + ident.FormatSIRET(buyer) + ")"
			}
			l.Before = []block{
				para("Nous avons bien reçu %s et nous vous en remercions.", v.yourInvoice()),
				para("Cette facture est adressée à %s, qui ne correspond à aucun de nos budgets. "+
					"Nous ne pouvons donc pas la déposer sur Chorus Pro.", who),
				para("Si elle nous est bien destinée, nous vous remercions de nous adresser, en répondant " +
					"à ce courriel, une facture rectifiée qui porte le SIRET du budget concerné parmi les " +
					"suivants ; nous en reprendrons alors le traitement :"),
			}
		} else {
			l.Subject = prefix + "Budget destinataire à préciser"
			if n := v.subjectNumber(); n != "" {
				l.Subject += " – facture" + n
			}
			l.Before = []block{
				para("Nous avons bien reçu %s et nous vous en remercions.", v.yourInvoice()),
				para("Cette facture ne nous permet pas de savoir auquel de nos budgets elle est " +
					"destinée : elle n'en porte pas le SIRET."),
				para("Nous vous remercions de nous l'indiquer en répondant à ce courriel, en reprenant " +
					"le nom ou le SIRET du budget concerné parmi les suivants ; nous reprendrons alors " +
					"l'examen de votre facture :"),
			}
		}
		for _, b := range budgets {
			l.Before = append(l.Before, block{Kind: blockExample, Text: typo.Replace(b)})
		}
		l.Recap = v.recapRows("ref", "supplier", "number", "date", "amount")

	case KindAlreadyReceived:
		l.Subject = prefix + v.doc() + v.subjectNumber() + " déjà reçu" + v.e()
		prior := clean(r.PriorRef, maxShort)
		if prior == "" {
			return nil, fmt.Errorf("notifier: %s reply without the first case", r.Kind)
		}
		s := "Nous avons bien reçu " + v.yourInvoice() + ". " + v.it() + " nous était déjà parvenu" + v.e()
		if d := FrenchDate(clean(r.PriorReceived, maxShort)); d != "" {
			s += " le " + d
		}
		s += " et " + strings.ToLower(v.it()) + " est suivi" + v.e() + " sous la référence " + prior + "."
		l.Before = []block{para("%s", s)}
		if v.flow != "" {
			d := ""
			if v.depositDate != "" {
				d = " le " + v.depositDate
			}
			l.Before = append(l.Before, para("%s a été déposé%s sur Chorus Pro%s, sous le numéro de flux %s.", v.it(), v.e(), d, v.flow))
		}
		if st := clean(r.PriorStatus, maxShort); st != "" {
			l.Before = append(l.Before, para("État actuel : %s.", st))
		}
		l.Before = append(l.Before, para("Vous n'avez aucune autre démarche à accomplir : il est inutile de nous "+
			"l'adresser de nouveau. Vous pouvez suivre son traitement sur Chorus Pro (%s).", chorusProURL))
		l.Recap = append(v.recapRows("ref"), row{Label: "Dossier d'origine", Value: prior})
		l.Recap = append(l.Recap, v.recapRows("supplier", "number", "date", "amount", "recipient", "siret", "engagement", "deposit", "flow")...)

	case KindBankCheck:
		// Neither the account asked for nor the one known is written: the
		// sender may not be the supplier.
		l.Subject = prefix + "Facture" + v.subjectNumber() + " : vérification des coordonnées bancaires"
		l.Before = []block{
			para("Nous avons bien reçu %s et nous vous en remercions.", v.yourInvoice()),
			para("Les coordonnées bancaires qui y figurent diffèrent de celles que nous connaissons pour votre " +
				"société. Par mesure de sécurité, elles seront vérifiées auprès de votre société, par " +
				"l'intermédiaire de votre interlocuteur habituel, avant toute suite donnée à cette facture."),
			para("Un changement de coordonnées bancaires n'est jamais pris en compte sur la seule foi d'un " +
				"courriel. Vous n'avez aucune démarche à accomplir en réponse à ce message : nos services " +
				"reviendront vers vous si nécessaire."),
		}
		l.Recap = v.recapRows("ref", "supplier", "number", "date", "amount")

	case KindStatus:
		l.Subject = prefix + "Situation de votre facture" + v.subjectNumber()
		st := clean(r.StatusText, maxReason)
		if st == "" {
			return nil, fmt.Errorf("notifier: %s reply without a status", r.Kind)
		}
		s := "Vous nous interrogez sur " + v.yourInvoice()
		if prior := clean(r.PriorRef, maxShort); prior != "" {
			s += ", suivie sous la référence " + prior
		}
		s += "."
		if d := FrenchDate(clean(r.PriorReceived, maxShort)); d != "" {
			s += " Nous l'avons reçue le " + d + "."
		}
		l.Before = []block{para("%s", s), para("%s", sentence(st))}
		if lc := LifecycleLabel(clean(r.Lifecycle, maxShort)); lc != "" {
			l.Before = append(l.Before, para("Dernier statut connu sur Chorus Pro : %s.", lc))
		}
		l.Before = append(l.Before, para("Vous pouvez suivre son traitement à tout moment sur Chorus Pro (%s), "+
			"rubrique « Factures émises ».", chorusProURL))
		l.Recap = v.recapRows("ref")
		if prior := clean(r.PriorRef, maxShort); prior != "" {
			l.Recap = append(l.Recap, row{Label: "Dossier de votre facture", Value: prior})
		}
		l.Recap = append(l.Recap, v.recapRows("supplier", "number", "date", "amount", "recipient", "siret", "engagement", "deposit", "flow")...)

	case KindStatusUnknown:
		l.Subject = prefix + "Facture introuvable dans nos services"
		asked := clean(r.Asked, maxShort)
		s := "Vous nous interrogez sur une facture"
		if asked != "" {
			s += " (« " + asked + " »)"
		}
		s += ", que nous ne trouvons pas parmi celles que votre société nous a adressées à cette adresse."
		l.Before = []block{
			para("%s", s),
			para("Si vous l'avez déposée vous-même sur Chorus Pro (%s), vous pouvez en suivre le traitement dans "+
				"la rubrique « Factures émises ». Si vous nous l'avez adressée par courriel depuis une autre adresse, "+
				"ou si vous ne l'avez pas encore envoyée, nous vous remercions de nous l'adresser en répondant à ce "+
				"courriel, au format PDF (de préférence au format Factur-X).", chorusProURL),
		}
		l.Recap = v.recapRows("ref", "subject")

	case KindDailySummary:
		day := FrenchDate(clean(r.SummaryDay, maxShort))
		if day == "" || len(r.Summary) == 0 || r.SummaryLimit < 1 {
			return nil, fmt.Errorf("notifier: %s reply without its day, limit or invoices", r.Kind)
		}
		l.Subject = prefix + "Situation de vos envois du " + day
		l.Before = []block{
			para("Vous nous avez adressé de nombreux envois le %s. Pour qu'un échange de messages automatiques "+
				"ne puisse pas s'emballer, nous n'envoyons pas plus de %d réponses automatiques par jour à une même "+
				"adresse : certaines de nos réponses ne vous ont donc pas été adressées ce jour-là.", day, r.SummaryLimit),
			para("Voici, en une seule fois, où en est chacun des envois reçus de votre part ce jour-là."),
		}
		l.RecapTitle = "Vos envois du " + day
		for i, s := range r.Summary {
			if i == maxSummaryLines {
				l.Recap = append(l.Recap, row{Label: "Autres envois", Value: fmt.Sprintf("%d, non détaillés ici", len(r.Summary)-i)})
				break
			}
			label := "Envoi sans numéro de facture lisible"
			if n := clean(s.InvoiceNumber, maxShort); n != "" {
				label = "Facture n° " + n
			}
			if a := FrenchAmount(clean(s.AmountWithVAT, maxShort), clean(s.Currency, maxShort)); a != "" {
				label += " (" + a + " TTC)"
			}
			if ref := clean(s.CaseRef, maxShort); ref != "" {
				label += ", dossier " + ref
			}
			l.Recap = append(l.Recap, row{Label: label, Value: clean(s.Status, maxReason)})
		}
		l.After = []block{
			para("Vous pouvez suivre le traitement des factures déposées sur Chorus Pro (%s), rubrique "+
				"« Factures émises ».", chorusProURL),
			para("Pour toute question sur l'un de ces envois, écrivez-nous en rappelant son numéro de dossier."),
		}

	default:
		return nil, fmt.Errorf("notifier: unknown reply kind %q", r.Kind)
	}
	return l, nil
}

// textWidth is the line length of the text/plain part.
const textWidth = 72

// text renders the letter as plain text, CRLF line endings.
func (l *letter) text() []byte {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteString("\r\n") }
	blocks := func(bs []block) {
		for _, bl := range bs {
			switch bl.Kind {
			case blockExample:
				line("    " + bl.Text)
			case blockQuote:
				for _, s := range wrap("«"+nbsp+bl.Text+nbsp+"»", textWidth-4) {
					line("    " + s)
				}
			default:
				for _, s := range wrap(bl.Text, textWidth) {
					line(s)
				}
			}
			line("")
		}
	}

	line(l.Greeting)
	line("")
	blocks(l.Before)
	if len(l.Recap) > 0 {
		line(l.RecapTitle + nbsp + ":")
		for _, r := range l.Recap {
			line("  - " + r.Label + nbsp + ": " + r.Value)
		}
		line("")
	}
	blocks(l.After)
	for _, s := range wrap(l.Closing, textWidth) {
		line(s)
	}
	line("")
	for _, s := range l.Signature {
		line(s)
	}
	line("")
	line("-- ")
	for _, s := range wrap(l.Footer, textWidth) {
		line(s)
	}
	return b.Bytes()
}

var htmlLetter = template.Must(template.New("letter").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#ffffff;">
<div style="max-width:640px;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1e1e1e;">
<p style="margin:0 0 12px 0;">{{.Greeting}}</p>
{{- range .Before}}{{template "block" .}}{{end}}
{{- if .Recap}}
<table style="border-collapse:collapse;margin:16px 0;">
<caption style="text-align:left;font-weight:bold;padding:0 0 6px 0;">{{.RecapTitle}}</caption>
{{- range .Recap}}
<tr><th scope="row" style="text-align:left;vertical-align:top;font-weight:normal;color:#555555;padding:4px 16px 4px 0;border-top:1px solid #e0e0e0;">{{.Label}}</th><td style="vertical-align:top;font-weight:bold;padding:4px 0;border-top:1px solid #e0e0e0;">{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- range .After}}{{template "block" .}}{{end}}
<p style="margin:16px 0 12px 0;">{{.Closing}}</p>
<p style="margin:0 0 12px 0;">{{range $i, $s := .Signature}}{{if $i}}<br>{{end}}{{$s}}{{end}}</p>
<hr style="border:none;border-top:1px solid #e0e0e0;margin:24px 0 12px 0;">
<p style="margin:0;font-size:13px;color:#666666;">{{.Footer}}</p>
</div>
</body>
</html>
{{define "block"}}
{{- if .IsExample}}
<p style="margin:0 0 12px 24px;font-family:Consolas,Menlo,monospace;">{{.Text}}</p>
{{- else if .IsQuote}}
<blockquote style="margin:0 0 12px 24px;padding:4px 12px;border-left:3px solid #b0b0b0;">«&nbsp;{{.Text}}&nbsp;»</blockquote>
{{- else}}
<p style="margin:0 0 12px 0;">{{.Text}}</p>
{{- end}}
{{- end}}`))

// html renders the letter as an HTML document; html/template escapes every
// value.
func (l *letter) html() ([]byte, error) { return renderHTML(htmlLetter, l) }

// renderHTML executes an HTML template (which escapes every value) with
// CRLF line endings.
func renderHTML(t *template.Template, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("notifier: render %s: %w", t.Name(), err)
	}
	return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n")), nil
}

// budgetList writes our budgets as the public body lists them:
// "Budget principal : 200 071 892 00067".
func budgetList(bs []Budget) []string {
	var out []string
	for _, b := range bs {
		name, siret := clean(b.Name, maxName), clean(b.SIRET, maxShort)
		if name == "" || siret == "" {
			continue
		}
		out = append(out, name+" : "+ident.FormatSIRET(siret))
	}
	return out
}

// lifecycleLabels say Chorus Pro's invoice statuses in a supplier's words.
var lifecycleLabels = map[string]string{
	"DEPOSEE":                      "déposée",
	"MISE_A_DISPOSITION":           "mise à la disposition du destinataire",
	"MISE_A_DISPOSITION_COMPTABLE": "transmise au comptable public",
	"SERVICE_FAIT":                 "service fait constaté",
	"MANDATEE":                     "mandatée",
	"COMPTABILISEE":                "comptabilisée",
	"MISE_EN_PAIEMENT":             "mise en paiement",
	"SUSPENDUE":                    "suspendue par le destinataire",
	"A_RECYCLER":                   "à recycler (à corriger puis déposer de nouveau)",
	"A_COMPLETER":                  "à compléter",
	"REJETEE":                      "rejetée par le destinataire",
}

// LifecycleLabel says a Chorus Pro invoice status in French ("" for
// none); an unknown code is shown as it is.
func LifecycleLabel(code string) string {
	if code == "" {
		return ""
	}
	if l, ok := lifecycleLabels[strings.ToUpper(code)]; ok {
		return l
	}
	return code
}
