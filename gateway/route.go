package gateway

import (
	"context"

	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// history is where the decision on an invoice finds an earlier case of the
// same supplier invoice: the transaction of the pass, or the store itself
// for a decision that records nothing (Route).
type history interface {
	LiveCaseFor(sellerSIRET, number string) (*store.Case, error)
	KnownIBAN(sellerSIRET string, except int64) (iban, ref string, err error)
}

// decideInvoice is the router's decision on one invoice document of a
// message: with the engagement numbers the supplier gave in answer to a
// request (supplied), and the live case of the same supplier invoice, if
// any other than self (0 for a new document); budget is the SIRET of the
// budget the supplier named in answer to our question ("" when none).
func decideInvoice(h history, rules router.Rules, pm *parser.Message, d *parser.Document, supplied []parser.Candidate, budget string, self int64) (router.Decision, error) {
	in := router.Input{Message: pm, Document: d, Supplied: supplied, Budget: budget}
	prior, err := h.LiveCaseFor(d.Invoice.Seller.SIRET, d.Invoice.Number)
	if err != nil {
		return router.Decision{}, err
	}
	if prior != nil && prior.ID != self {
		in.Prior = &router.Prior{Ref: prior.Ref, State: string(prior.State), Amount: prior.AmountWithVAT, Currency: prior.Currency}
	}
	if in.KnownIBAN, in.KnownIBANRef, err = h.KnownIBAN(d.Invoice.Seller.SIRET, self); err != nil {
		return router.Decision{}, err
	}
	dec := router.Decide(rules, in)
	if auth := notifier.AuthFailure(pm.AuthenticationResults); auth != "" && (dec.Outcome == router.Deposit || dec.Outcome == router.Guide) {
		// The sender's domain did not authenticate the message: the
		// invoice may be forged (or the sender's address usurped).
		dec = router.Decision{Outcome: router.Hold, Budget: dec.Budget, SIRET: dec.SIRET, Engagement: dec.Engagement,
			Reason: "authentification de l'expéditeur en échec (" + auth + ") : la facture a pu être envoyée par un usurpateur ; à vérifier avant tout dépôt"}
	}
	return dec, nil
}

// Routed is the daemon's decision on one invoice document of a message.
type Routed struct {
	Document int // index in the message's documents
	Decision router.Decision
}

// Route says what the daemon would decide on a parsed message, recording
// nothing (facteur inspect --config): the same rules as a pass (the
// configured ones, refined by Chorus Pro's structure rules and the
// suppliers the technical account is attached to, with the engagement
// register), and the same history when the gateway has a store. It gives a
// decision per invoice document, or, when the message holds none, the
// decision on the message.
func (g *Gateway) Route(ctx context.Context, pm *parser.Message) ([]Routed, *router.Decision, error) {
	rules := g.routingRules(ctx)
	var h history = noHistory{}
	if g.o.Store != nil {
		h = storeHistory{ctx, g.o.Store}
	}
	var out []Routed
	for i := range pm.Documents {
		d := &pm.Documents[i]
		if !d.IsInvoice || d.Invoice == nil {
			continue
		}
		dec, err := decideInvoice(h, rules, pm, d, nil, "", 0)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Routed{Document: i, Decision: dec})
	}
	if len(out) > 0 {
		return out, nil, nil
	}
	dec := router.DecideMessage(pm)
	return nil, &dec, nil
}

// storeHistory reads the history from the store, outside a transaction.
type storeHistory struct {
	ctx context.Context
	st  *store.Store
}

func (s storeHistory) LiveCaseFor(seller, number string) (*store.Case, error) {
	return s.st.LiveCaseFor(s.ctx, seller, number)
}

func (s storeHistory) KnownIBAN(seller string, except int64) (string, string, error) {
	return s.st.KnownIBAN(s.ctx, seller, except)
}

// noHistory is the history of a gateway without a store: none.
type noHistory struct{}

func (noHistory) LiveCaseFor(string, string) (*store.Case, error) { return nil, nil }

func (noHistory) KnownIBAN(string, int64) (string, string, error) { return "", "", nil }
