package gateway

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// "Où en est ma facture ?": a supplier asking, without attachment, about
// one of its invoices (by our case reference, the Chorus Pro flow number or
// the invoice's own number) is told where it stands, from the store and the
// latest Chorus Pro status; an invoice cited that we do not know gets the
// supplier told so, with how to follow or send it; a question naming
// several of its invoices goes to a person. Only the sender's own cases
// are considered (matched on the address a reply goes to): nobody learns
// about another supplier's invoices. The reply goes through the same gate
// as every other (automatic mail, the daily limit).

var (
	flowRefPattern    = regexp.MustCompile(`\bCPP\d{10,30}\b`)
	anyCaseRefPattern = regexp.MustCompile(`\b[A-Z]{2,8}-\d{4}-\d{6}\b`)
	// citedNumber is an invoice number as a supplier cites it: "facture
	// n° 2026-118", "notre facture FA-2026-0042".
	citedNumber = regexp.MustCompile(`(?i)\bfactures?\s*(?:n\s*[°ºo]\.?|num[ée]ro|no\.?|#)?\s*:?\s*([A-Z0-9][A-Z0-9/._-]{1,30}\d[A-Z0-9/._-]*)`)
)

// maxSenderCases bounds the sender's cases looked at for an inquiry.
const maxSenderCases = 500

// statusInquiry handles a words-only message asking about invoices;
// handled is false when the message is not such a question.
func (g *Gateway) statusInquiry(tx *store.Tx, m store.Message, pm *parser.Message, opened *[]string) (bool, error) {
	if pm.Automatic != "" || !router.WordsOnly(pm) || !router.AsksSomething(pm) || router.AnnouncesAttachment(pm) {
		// (A message announcing an attachment that is not there is a
		// forgotten attachment, even when it cites the invoice's number.)
		return false, nil
	}
	text := g.ownAnswer(pm)
	asked := citations(text)
	if len(asked) == 0 {
		return false, nil
	}
	mine, err := tx.CasesOfSender(replyAddress(pm).Address, maxSenderCases)
	if err != nil {
		return true, err
	}
	found := map[int64]store.Case{}
	for _, c := range mine {
		if c.State == store.CaseIgnored || c.State == store.CaseDuplicate {
			continue
		}
		for _, a := range asked {
			if strings.EqualFold(a, c.Ref) || c.FlowNumber != "" && a == c.FlowNumber ||
				c.InvoiceNumber != "" && strings.EqualFold(a, c.InvoiceNumber) {
				found[c.ID] = c
			}
		}
	}
	var dec router.Decision
	var reply *notifier.Reply
	switch len(found) {
	case 0:
		dec = router.Decision{Outcome: router.Ignore, Reason: fmt.Sprintf("question sur une facture inconnue (%s)", strings.Join(asked, ", "))}
		reply = &notifier.Reply{Kind: notifier.KindStatusUnknown, Asked: strings.Join(asked, ", ")}
	case 1:
		var c store.Case
		for _, x := range found {
			c = x
		}
		dec = router.Decision{Outcome: router.Ignore, Reason: fmt.Sprintf("question sur la situation du dossier %s", c.Ref)}
		reply = &notifier.Reply{Kind: notifier.KindStatus, StatusText: statusText(c), Lifecycle: c.Lifecycle,
			PriorRef: c.Ref, PriorReceived: c.CreatedAt.In(time.Local).Format(time.DateOnly)}
		return true, g.answerInquiry(tx, m, pm, dec, reply, c, opened)
	default:
		var refs []string
		for _, c := range found {
			refs = append(refs, c.Ref)
		}
		dec = router.Decision{Outcome: router.Hold, Reason: fmt.Sprintf("question portant sur plusieurs factures (dossiers %s) : à lire", strings.Join(refs, ", "))}
	}
	return true, g.answerInquiry(tx, m, pm, dec, reply, store.Case{}, opened)
}

// answerInquiry opens the case of an inquiry and answers it (reply nil:
// held for a person). about is the case asked about, whose facts the reply
// recalls.
func (g *Gateway) answerInquiry(tx *store.Tx, m store.Message, pm *parser.Message, dec router.Decision, reply *notifier.Reply, about store.Case, opened *[]string) error {
	f := store.CaseFields{SupplierEmail: replyAddress(pm).Address, NoReply: g.replyRefusal(pm)}
	c, err := tx.CreateCase(g.o.CasePrefix, m.ID, 0, f)
	if err != nil {
		return err
	}
	*opened = append(*opened, c.Ref+" "+string(dec.Outcome))
	if reply == nil || c.NoReply != "" {
		reason := dec.Reason
		if reply != nil {
			reason += " : à lire, la réponse ne peut pas être envoyée (" + c.NoReply + ")"
		}
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, reason, store.CaseFields{})
	}
	if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseIgnored, dec.Reason+" : réponse envoyée", store.CaseFields{}); err != nil {
		return err
	}
	c.InvoiceNumber, c.InvoiceDate, c.SupplierName = about.InvoiceNumber, about.InvoiceDate, about.SupplierName
	c.AmountWithVAT, c.Currency = about.AmountWithVAT, about.Currency
	c.Budget, c.RecipientSIRET, c.Engagement = about.Budget, about.RecipientSIRET, about.Engagement
	c.FlowNumber, c.DepositDate = about.FlowNumber, about.DepositDate
	return g.enqueue(tx, c, pm, *reply)
}

// citations are the references a message cites: our case references,
// Chorus Pro flow numbers, invoice numbers.
func citations(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.Trim(s, ".,;:)(")
		if s != "" && !seen[strings.ToUpper(s)] {
			seen[strings.ToUpper(s)] = true
			out = append(out, s)
		}
	}
	for _, s := range anyCaseRefPattern.FindAllString(text, 10) {
		add(s)
	}
	for _, s := range flowRefPattern.FindAllString(text, 10) {
		add(s)
	}
	for _, sm := range citedNumber.FindAllStringSubmatch(text, 10) {
		add(sm[1])
	}
	return out
}

// statusText says where a case stands, in the supplier's words.
func statusText(c store.Case) string {
	deposited := "Elle a été déposée sur Chorus Pro"
	if c.DepositDate != "" {
		deposited += " le " + notifier.FrenchDate(c.DepositDate)
	}
	if c.FlowNumber != "" {
		deposited += " (flux " + c.FlowNumber + ")"
	}
	switch c.State {
	case store.CaseNew, store.CaseRouted, store.CaseDepositing:
		return "Elle est en cours de dépôt sur Chorus Pro."
	case store.CaseDeposited:
		return deposited + " ; la plateforme la traite."
	case store.CaseIntegrated:
		return deposited + " et transmise au destinataire, qui la traite."
	case store.CasePaid:
		return deposited + " et elle a été mise en paiement."
	case store.CaseRejected:
		return deposited + ", mais elle a été refusée ; nous vous en avons indiqué le motif et attendons une facture rectifiée."
	case store.CaseAwaitingSupplier:
		return "Pour la traiter, nous attendons l'élément que nous vous avons demandé dans notre courriel de référence " + c.Ref + "."
	case store.CaseGuided:
		return "Nous vous avons indiqué comment la déposer vous-même sur Chorus Pro, où vous pouvez en suivre le traitement."
	}
	return "Elle est en cours d'examen par nos services."
}
