package gateway

import (
	"context"
	"fmt"
	"time"

	"facteur/chorus"
	"facteur/notifier"
	"facteur/store"
)

// SlowDepositAfter is how long a case may stay depositing before it is
// shown to people as slow (metric, `facteur cases list`, the digest): under
// 20 % of Chorus Pro faults a deposit in doubt settles in one to four
// search cycles of about a quarter of an hour (RELIABILITY.md).
const SlowDepositAfter = time.Hour

// verifySearches is how many times Chorus Pro is searched for an invoice
// whose deposit is in doubt before it is deposited again. The searches are
// spread over about twenty minutes (verifyDelay), the time a flow takes to
// become an invoice that a search can find.
const verifySearches = 4

// verifyDelay is the wait before search n (1-based) for a deposit in doubt.
func verifyDelay(n int) time.Duration {
	return backoff(n, time.Minute, 15*time.Minute)
}

// recipientSide searches Chorus Pro for the case's invoice from the
// recipient's side: the fallback when a supplier-side search finds nothing,
// since that search may only cover the supplier structures the technical
// account is attached to (reference, UNCONFIRMED). An error means the
// search got no answer: it says nothing of the invoice.
func (g *Gateway) recipientSide(ctx context.Context, c store.Case) ([]chorus.InvoiceSummary, error) {
	if c.InvoiceNumber == "" {
		return nil, nil
	}
	from, to := c.CreatedAt.AddDate(0, 0, -1), g.now().AddDate(0, 0, 1)
	found, err := g.o.Chorus.FindRecipientInvoice(ctx, c.InvoiceNumber, c.SupplierSIRET, c.RecipientSIRET, from, to)
	if err != nil {
		g.log.Warn("recipient-side search failed", "case", c.Ref, "message", c.MessageID, "err", err)
		return nil, err
	}
	return found, nil
}

// searchFailuresFor bounds how long the searches for a deposit in doubt may
// keep failing (no answer from Chorus Pro) in a row before a person is asked to
// check Chorus Pro: a search that got no answer never counts as one that
// found nothing, so it never leads to a new deposit.
const searchFailuresFor = 24 * time.Hour

// verifyDeposits settles the cases left "depositing": an answer lost in
// transit, or a stop during the call. Chorus Pro is searched for the
// invoice (same supplier, same number) before any new attempt (reference
// §2.15 step 4): found, the case is deposited; not found after several
// searches, it goes back to routed and is deposited again.
func (g *Gateway) verifyDeposits(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseDepositing)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		if err := g.guardCase(ctx, "vérification d'un dépôt incertain", c, g.verifyDeposit); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

func (g *Gateway) verifyDeposit(ctx context.Context, c store.Case) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID)
	from, to := c.CreatedAt.AddDate(0, 0, -1), g.now().AddDate(0, 0, 1)
	found, err := g.o.Chorus.FindSupplierInvoice(ctx, c.InvoiceNumber, g.o.SupplierID, c.SupplierSIRET, from, to)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !chorus.IsTransient(err) {
			log.Error("cannot search Chorus Pro for a deposit in doubt; held", "err", err)
			return g.o.Store.Update(ctx, func(tx *store.Tx) error {
				return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld,
					"dépôt incertain et recherche impossible sur Chorus Pro ("+chorusLabel(err)+") : vérifier sur Chorus Pro avant tout nouveau dépôt",
					store.CaseFields{})
			})
		}
		return g.searchFailed(ctx, c, err)
	}
	if len(found) == 0 {
		if found, err = g.recipientSide(ctx, c); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return g.searchFailed(ctx, c, err)
		}
	}
	if len(found) > 0 {
		inv := found[0]
		log.Info("deposit in doubt found on Chorus Pro", "flow", inv.FlowNumber, "invoice_id", inv.ID, "status", inv.Status)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if inv.ID != 0 {
				if err := tx.SetInvoiceID(c.ID, inv.ID); err != nil {
					return err
				}
			}
			note := fmt.Sprintf("dépôt retrouvé sur Chorus Pro (flux %s)", inv.FlowNumber)
			if inv.FlowNumber == "" {
				// Found as an invoice: the flow was integrated.
				return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseIntegrated, note,
					store.CaseFields{DepositDate: inv.DepositDate, Lifecycle: inv.Status})
			}
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseDeposited, note,
				store.CaseFields{FlowNumber: inv.FlowNumber, DepositDate: inv.DepositDate, Lifecycle: inv.Status})
		})
	}
	if c.Attempts < verifySearches {
		next := g.now().Add(verifyDelay(c.Attempts + 1))
		log.Info("deposit in doubt not found on Chorus Pro yet; will search again", "searches", c.Attempts, "next", next)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.Retry(store.EntityCase, c.ID, next, "facture pas encore trouvée sur Chorus Pro")
		})
	}
	log.Warn("deposit in doubt not found on Chorus Pro; depositing again", "searches", c.Attempts)
	return g.o.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseRouted,
			fmt.Sprintf("facture introuvable sur Chorus Pro après %d recherches : nouveau dépôt", c.Attempts), store.CaseFields{})
	})
}

// searchFailed handles a search for a deposit in doubt that got no answer:
// searched again later without counting it as a search (only answered
// searches lead to a new deposit), or, after searchFailuresFor of failures,
// held for a person, never deposited again.
func (g *Gateway) searchFailed(ctx context.Context, c store.Case, err error) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID)
	// The case last moved when it entered "depositing" or when a search
	// last answered: failed searches (Postpone) leave it as it is.
	since := c.UpdatedAt
	if g.now().Sub(since) >= searchFailuresFor {
		log.Error("searches for a deposit in doubt keep failing; held", "err", err, "failing_since", since)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld, fmt.Sprintf(
				"dépôt incertain ; les recherches sur Chorus Pro n'aboutissent plus depuis le %s (%s) : vérifier sur Chorus Pro avant tout nouveau dépôt",
				since.In(time.Local).Format("02/01/2006 15:04"), chorusLabel(err)), store.CaseFields{})
		})
	}
	next := g.now().Add(backoff(2, time.Minute, 15*time.Minute))
	log.Warn("search for a deposit in doubt got no answer; will search again, not counted", "err", err, "next", next)
	return g.o.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.Postpone(c.ID, next, "recherche sans réponse de Chorus Pro : "+err.Error())
	})
}

// followInvoices follows integrated invoices on Chorus Pro until they are
// paid (MISE_EN_PAIEMENT) or rejected, and puts in front of finance staff
// those that need a person (SUSPENDUE, A_RECYCLER...). Every status change
// is a ledger row.
func (g *Gateway) followInvoices(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseIntegrated)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		if err := g.guardCase(ctx, "suivi de la facture sur Chorus Pro", c, g.followInvoice); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

func (g *Gateway) followInvoice(ctx context.Context, c store.Case) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID, "flow", c.FlowNumber)
	retry := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("invoice status unavailable; will ask again", "err", err)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.Retry(store.EntityCase, c.ID, g.now().Add(backoff(c.Attempts+1, 5*time.Minute, 6*time.Hour)), err.Error())
		})
	}
	id := c.InvoiceID
	if id == 0 {
		found, err := g.o.Chorus.FindInvoiceByFlow(ctx, c.FlowNumber)
		if err != nil {
			return retry(err)
		}
		for _, inv := range found {
			if inv.Number == c.InvoiceNumber || len(found) == 1 {
				id = inv.ID
				break
			}
		}
		if id == 0 {
			if rf, err := g.recipientSide(ctx, c); err == nil && len(rf) == 1 {
				id = rf[0].ID
			}
		}
		if id == 0 {
			return retry(fmt.Errorf("flux %s : facture %s pas encore visible sur Chorus Pro", c.FlowNumber, c.InvoiceNumber))
		}
		if err := g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.SetInvoiceID(c.ID, id) }); err != nil {
			return fmt.Errorf("gateway: case %s: %w", c.Ref, err)
		}
	}
	h, err := g.o.Chorus.ConsulterHistoriqueFacture(ctx, id)
	if err != nil {
		return retry(err)
	}
	set := store.CaseFields{Lifecycle: h.Status}
	changed := h.Status != c.Lifecycle
	limit := g.followLimit(ctx, c) // before the transaction: it may ask Chorus Pro
	return g.o.Store.Update(ctx, func(tx *store.Tx) error {
		if changed {
			note := "statut Chorus Pro : " + h.Status
			if r := h.Reason(); r != "" {
				note += " (" + r + ")"
			}
			if err := tx.Note(store.EntityCase, c.ID, string(c.State), note); err != nil {
				return err
			}
		}
		switch chorus.LifecycleOutcome(h.Status) {
		case chorus.LifecyclePaid:
			log.Info("invoice paid", "status", h.Status)
			return tx.MoveCase(c.ID, store.CaseIntegrated, store.CasePaid, "mise en paiement", set)
		case chorus.LifecycleRejected:
			reason := h.Reason()
			if reason == "" {
				reason = "rejetée par le destinataire, sans motif indiqué"
			}
			log.Warn("invoice rejected by the recipient", "status", h.Status, "reason", reason)
			if err := tx.MoveCase(c.ID, store.CaseIntegrated, store.CaseRejected, "rejetée sur Chorus Pro : "+reason, set); err != nil {
				return err
			}
			c, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			return g.enqueueReply(tx, c, nil, notifier.KindRejected, reason)
		case chorus.LifecycleNeedsAction:
			reason := "statut Chorus Pro " + h.Status
			if r := h.Reason(); r != "" {
				reason += " : " + r
			}
			log.Warn("invoice needs a person", "status", h.Status)
			return tx.MoveCase(c.ID, store.CaseIntegrated, store.CaseHeld, reason+" ; à traiter par les services financiers", set)
		default:
			if err := tx.SetCaseFields(c.ID, set); err != nil {
				return err
			}
			if g.now().Sub(c.CreatedAt) > limit {
				log.Info("invoice no longer followed", "status", h.Status, "after", limit)
				return tx.Park(c.ID, store.CaseIntegrated, fmt.Sprintf(
					"suivi sur Chorus Pro arrêté après %d jours sans mise en paiement signalée (dernier statut : %s)", int(limit.Hours()/24), h.Status))
			}
			return tx.Retry(store.EntityCase, c.ID, g.o.LifecyclePoll(g.now()), "")
		}
	})
}

// How long an integrated invoice is followed on Chorus Pro without being
// paid: every wait is bounded (DESIGN.md, invariant 5), and a case polled
// for ever would cost a call every few hours for years. A recipient whose
// MISE_EN_PAIEMENT is not reported (statutMiseEnPaiementNestPasRemonte) is
// followed for rejections and suspensions only, which come early.
const (
	followLimit          = 365 * 24 * time.Hour
	followLimitNoPayment = 90 * 24 * time.Hour
)

func (g *Gateway) followLimit(ctx context.Context, c store.Case) time.Duration {
	if g.o.Structures != nil {
		if sr, err := g.o.Structures.Get(ctx, c.RecipientSIRET); err == nil && sr.PaymentNotReported {
			return followLimitNoPayment
		}
	}
	return followLimit
}
