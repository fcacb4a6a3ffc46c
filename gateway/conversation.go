package gateway

import (
	"fmt"
	"regexp"
	"strings"

	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// The conversation with a supplier: a message answering one of our
// replies is matched to its case (In-Reply-To, References, or the case
// reference in the subject), and what the supplier gives in it is merged
// into the case, which is then decided again.

var caseRefPattern = regexp.MustCompile(`\[([A-Z]{2,8}-\d{4}-\d{6})\]`)

// supplierAnswer handles a message without invoice that answers one of our
// requests (matched by In-Reply-To/References, else by the case reference
// in the subject): the engagement number the supplier gives is recorded on
// the case, which goes to finance staff to complete the deposit, since
// Facteur never edits a supplier's file.
func (g *Gateway) supplierAnswer(tx *store.Tx, m store.Message, pm *parser.Message, c *store.Case, opened *[]string) (bool, error) {
	if pm.Automatic != "" || c == nil || c.State != store.CaseAwaitingSupplier {
		return false, nil
	}
	if c.InvoiceNumber != "" && c.RecipientSIRET == "" {
		// The budget was asked (an invoice awaiting without a budget).
		b, ok := router.AnsweredBudget(g.o.Rules, g.ownAnswer(pm))
		if !ok {
			*opened = append(*opened, c.Ref+" held")
			return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld,
				fmt.Sprintf("le fournisseur a répondu (« %s ») sans désigner un seul de nos budgets : réponse à lire", truncateRunes(pm.Subject, 120)),
				store.CaseFields{})
		}
		*opened = append(*opened, c.Ref+" new")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseNew,
			fmt.Sprintf("le fournisseur a répondu : %s (SIRET %s)", b.Name, b.SIRET), store.CaseFields{Budget: b.Name, RecipientSIRET: b.SIRET})
	}
	given := g.answeredEngagements(pm)
	switch len(given) {
	case 0:
		// An answer Facteur cannot use by itself ("je n'ai pas de bon de
		// commande", a question): a person reads it.
		*opened = append(*opened, c.Ref+" held")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld,
			fmt.Sprintf("le fournisseur a répondu (« %s ») sans ce qui lui était demandé : réponse à lire", truncateRunes(pm.Subject, 120)),
			store.CaseFields{})
	case 1:
		// Decided again (decideCases) with the number given: deposited in
		// PDF mode when the supplier allows it, else held for finance staff.
		ej := given[0].Value
		*opened = append(*opened, c.Ref+" new")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseNew,
			fmt.Sprintf("le fournisseur a répondu : numéro d'engagement « %s »", ej), store.CaseFields{Engagement: ej})
	default:
		var vs []string
		for _, e := range given {
			vs = append(vs, e.Value)
		}
		reason := "le fournisseur a répondu avec plusieurs numéros d'engagement : " + strings.Join(vs, ", ")
		*opened = append(*opened, c.Ref+" held")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld, reason, store.CaseFields{})
	}
}

// repliedCase is the case a message answers: the one of the reply it
// refers to (In-Reply-To, References), else the case reference in its
// subject; nil when none.
func repliedCase(tx *store.Tx, pm *parser.Message) (*store.Case, error) {
	c, err := tx.CaseRepliedTo(append([]string{pm.InReplyTo}, pm.References...))
	if err != nil || c != nil {
		return c, err
	}
	if sm := caseRefPattern.FindStringSubmatch(pm.Subject); sm != nil {
		return tx.CaseByRef(sm[1])
	}
	return nil, nil
}

// supersedeRequest closes the request for an invoice (a case awaiting the
// supplier, with no invoice read) that a message carrying invoices answers.
func supersedeRequest(tx *store.Tx, pm *parser.Message, by []string) error {
	c, err := repliedCase(tx, pm)
	if err != nil || c == nil || c.State != store.CaseAwaitingSupplier || c.InvoiceNumber != "" || len(by) == 0 {
		return err
	}
	return tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseIgnored,
		"le fournisseur a envoyé sa facture : dossier(s) "+strings.Join(by, ", "), store.CaseFields{})
}

// quoteStart finds where a reply starts quoting the message it answers.
var quoteStart = regexp.MustCompile(`(?m)^(?:-{2,} ?(?:Original Message|Message d'origine|Message original) ?-{2,}|_{10,}|(?:De|From) ?: .*\n(?:.*\n){0,3}?(?:Envoyé|Sent|Date) ?: |Le .{6,120} a écrit ?:|On .{6,120} wrote ?:)`)

// answeredEngagements are the engagement numbers a supplier's answer gives:
// those of its own words, not of the request it quotes (nor the request's
// example number).
func (g *Gateway) answeredEngagements(pm *parser.Message) []parser.Candidate {
	var out []parser.Candidate
	for _, c := range parser.FindEngagements(g.ownAnswer(pm), "réponse du fournisseur", g.o.Parser.EngagementPatterns) {
		if c.Value != notifier.EngagementExample {
			out = append(out, c)
		}
	}
	return out
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ownAnswer is the subject and the supplier's own words in an answer: the
// text before the quoted request, without the lines quoted with ">".
func (g *Gateway) ownAnswer(pm *parser.Message) string {
	body := pm.BodyText
	if loc := quoteStart.FindStringIndex(body); loc != nil {
		body = body[:loc[0]]
	}
	var own []string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), ">") {
			own = append(own, line)
		}
	}
	return pm.Subject + "\n" + strings.Join(own, "\n")
}
