package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"facteur/ident"
	"facteur/store"
)

// What finance staff give a case by hand (facteur cases engagement,
// budget, handled; the web page): the engagement number or the budget the
// message lacked, after which the case is decided again by the worker's
// next pass exactly as if the supplier had given it (deposited when
// nothing else stands in the way), or the mark that the invoice was dealt
// with outside Facteur.

// Errors of the manual actions, tested with errors.Is.
var (
	// ErrBadEngagement: the engagement number is empty, too long for
	// Chorus Pro (50 characters) or holds control characters.
	ErrBadEngagement = errors.New("gateway: invalid engagement number")
	// ErrUnknownBudget: the budget named is none of the configured ones.
	ErrUnknownBudget = errors.New("gateway: unknown budget")
	// ErrOnChorus: the case is already on Chorus Pro (it has a flow
	// number): deciding it again could deposit the invoice twice.
	ErrOnChorus = errors.New("gateway: the invoice is already on Chorus Pro")
)

// maxEngagement is the length of Chorus Pro's numeroEngagement.
const maxEngagement = 50

// SetEngagement gives the case ref the engagement number a person found
// (on the purchase order, in the finance software), on behalf of by, and
// puts it back to be decided again.
func (g *Gateway) SetEngagement(ctx context.Context, ref, by, number string) (Acted, error) {
	number = strings.TrimSpace(number)
	if number == "" || utf8.RuneCountInString(number) > maxEngagement || strings.ContainsFunc(number, unicode.IsControl) {
		return Acted{}, fmt.Errorf("gateway: case %s: %q: %w", ref, number, ErrBadEngagement)
	}
	return g.decideAgain(ctx, ref, "numéro d'engagement « "+number+" » saisi par "+by+" ; nouvel examen",
		store.CaseFields{Engagement: number})
}

// SetBudget gives the case ref the budget a person chose, by its name
// (whatever the case and accents) or its SIRET, on behalf of by, and puts
// it back to be decided again. The budget stands when the invoice names
// none of the public body's own (as a supplier's answer would).
func (g *Gateway) SetBudget(ctx context.Context, ref, by, budget string) (Acted, error) {
	want := strings.TrimSpace(budget)
	siret := ident.Compact(want)
	for _, b := range g.o.Rules.Budgets {
		if strings.EqualFold(b.Name, want) || (siret != "" && b.SIRET == siret) {
			return g.decideAgain(ctx, ref, "budget « "+b.Name+" » choisi par "+by+" ; nouvel examen",
				store.CaseFields{Budget: b.Name, RecipientSIRET: b.SIRET})
		}
	}
	return Acted{}, fmt.Errorf("gateway: case %s: %q: %w", ref, budget, ErrUnknownBudget)
}

// BudgetNames are the names of the configured budgets, in their order.
func (g *Gateway) BudgetNames() []string {
	var out []string
	for _, b := range g.o.Rules.Budgets {
		out = append(out, b.Name)
	}
	return out
}

// decideAgain records set on the case ref and puts it in state new, with
// note in the ledger; the worker decides it at its next pass.
func (g *Gateway) decideAgain(ctx context.Context, ref, note string, set store.CaseFields) (Acted, error) {
	return g.act(ctx, ref, func(tx *store.Tx, c store.Case) (Acted, error) {
		a := Acted{Case: c, To: store.CaseNew}
		if c.FlowNumber != "" && c.State != store.CaseRejected {
			return a, ErrOnChorus
		}
		return a, tx.MoveCase(c.ID, c.State, store.CaseNew, note, set)
	})
}

// MarkHandled records, on behalf of by, that the invoice of the case ref
// was dealt with outside Facteur (deposited by hand on Chorus Pro, paid
// otherwise, sent back by post...), with how: Facteur does no more about
// it.
func (g *Gateway) MarkHandled(ctx context.Context, ref, by, how string) (Acted, error) {
	how = strings.TrimSpace(how)
	if how == "" {
		return Acted{}, ErrReasonRequired
	}
	return g.act(ctx, ref, func(tx *store.Tx, c store.Case) (Acted, error) {
		return Acted{Case: c, To: store.CaseIgnored},
			tx.MoveCase(c.ID, c.State, store.CaseIgnored, "traité hors de Facteur, selon "+by+" : "+how, store.CaseFields{})
	})
}
