package gateway

import (
	"context"
	"errors"
	"fmt"

	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// decideCases decides again on the cases put back in state new by a person
// (`facteur cases release`): the message is parsed again and the router
// decides with what the store knows now.
func (g *Gateway) decideCases(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseNew)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		if err := g.guardCase(ctx, "nouvel examen", c, g.decideCase); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

// decideCase decides again on one case; an error is the store's.
func (g *Gateway) decideCase(ctx context.Context, c store.Case) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID)
	raw, err := g.o.Store.Raw(ctx, c.MessageID)
	var pm *parser.Message
	if err == nil {
		pm, err = parser.Parse(raw, g.o.Parser)
	}
	var d *parser.Document
	if err == nil && c.Document >= 0 {
		if c.Document >= len(pm.Documents) || pm.Documents[c.Document].SHA256 != c.DocumentSHA {
			err = fmt.Errorf("document %d du message introuvable", c.Document)
		} else {
			d = &pm.Documents[c.Document]
		}
	}
	rules := g.routingRules(ctx)
	err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
		if errors.Is(err, store.ErrRawPruned) {
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld,
				"nouvel examen impossible : le message d'origine n'est plus conservé (durée de conservation des messages dépassée) ; "+
					"à traiter à partir de la boîte aux lettres ou des archives", store.CaseFields{})
		}
		if err != nil {
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "nouvel examen impossible : "+err.Error(), store.CaseFields{})
		}
		var dec router.Decision
		if d == nil || !d.IsInvoice || d.Invoice == nil {
			dec = router.DecideMessage(pm)
		} else {
			var supplied []parser.Candidate
			if c.Engagement != "" && c.Engagement != d.Invoice.OrderReference {
				supplied = []parser.Candidate{{Value: c.Engagement, Evidence: "réponse du fournisseur"}}
			}
			var err error
			if dec, err = decideInvoice(tx, rules, pm, d, supplied, c.RecipientSIRET, c.ID); err != nil {
				return err
			}
		}
		return g.apply(tx, c, pm, dec)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// As for a new message: held with the reason, not retried at
		// every pass ahead of the rest.
		log.Error("case could not be decided again; held", "err", err)
		if herr := g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "nouvel examen impossible : "+err.Error(), store.CaseFields{})
		}); herr != nil {
			return fmt.Errorf("gateway: case %s: %w", c.Ref, err)
		}
		return nil
	}
	log.Info("case decided again")
	return nil
}
