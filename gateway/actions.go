package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"facteur/store"
)

// What a person decides about a case (facteur cases, the finance staff's
// page) is carried out here, like every other state change: the callers
// only say who acts and what they decided. Each action is a ledger row
// naming the person; the worker picks the change up at its next pass.

// Errors of an action a person asked for, tested with errors.Is; a state
// the action does not apply to is store.ErrTransition, an unknown case
// store.ErrNotFound.
var (
	// ErrReasonRequired: a case is set aside only with a reason.
	ErrReasonRequired = errors.New("gateway: a reason is required")
	// ErrNoFailedReply: retry found no failed (or sent, unconfirmed)
	// reply to send again.
	ErrNoFailedReply = errors.New("gateway: no failed reply for this case")
)

// Acted is what an action did.
type Acted struct {
	Case store.Case // the case as it was before the action
	// To is the state the case was put in ("" for retry, which moves
	// replies, not the case).
	To store.CaseState
	// Flow is the Chorus Pro flow number the case is now followed under,
	// when it has one.
	Flow string
	// Requeued is the number of replies put back in the queue (retry).
	Requeued int
}

// Release puts a held (or refused) case back to work on behalf of by:
// examined again from the start, or, when it is already on Chorus Pro (it
// has a flow number, or flow is the one under which a person found it
// deposited), followed there: an invoice on Chorus Pro is never deposited
// again.
func (g *Gateway) Release(ctx context.Context, ref, by, flow string) (Acted, error) {
	flow = strings.TrimSpace(flow)
	return g.act(ctx, ref, func(tx *store.Tx, c store.Case) (Acted, error) {
		a := Acted{Case: c}
		switch {
		case flow != "":
			a.To, a.Flow = store.CaseDeposited, flow
			return a, tx.MoveCase(c.ID, c.State, store.CaseDeposited, "dépôt constaté sur Chorus Pro par "+by,
				store.CaseFields{FlowNumber: flow})
		case c.FlowNumber != "":
			a.To, a.Flow = store.CaseDeposited, c.FlowNumber
			return a, tx.MoveCase(c.ID, c.State, store.CaseDeposited, "suivi repris par "+by, store.CaseFields{})
		}
		a.To = store.CaseNew
		return a, tx.MoveCase(c.ID, c.State, store.CaseNew, "remis à l'examen par "+by, store.CaseFields{})
	})
}

// Reject sets a case aside on behalf of by, for reason: Facteur will not
// deposit it.
func (g *Gateway) Reject(ctx context.Context, ref, by, reason string) (Acted, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Acted{}, ErrReasonRequired
	}
	return g.act(ctx, ref, func(tx *store.Tx, c store.Case) (Acted, error) {
		return Acted{Case: c, To: store.CaseIgnored},
			tx.MoveCase(c.ID, c.State, store.CaseIgnored, "écarté par "+by+" : "+reason, store.CaseFields{})
	})
}

// RetryReplies puts the replies of a case that could not be sent, or were
// sent unconfirmed, back in the queue, on behalf of by.
func (g *Gateway) RetryReplies(ctx context.Context, ref, by string) (Acted, error) {
	return g.act(ctx, ref, func(tx *store.Tx, c store.Case) (Acted, error) {
		n, err := tx.RequeueFailedReplies(c.ID, "nouvel essai demandé par "+by)
		if err == nil && n == 0 {
			err = ErrNoFailedReply
		}
		return Acted{Case: c, Requeued: n}, err
	})
}

// act runs f on the case ref in one transaction, and wakes the worker.
func (g *Gateway) act(ctx context.Context, ref string, f func(*store.Tx, store.Case) (Acted, error)) (Acted, error) {
	var a Acted
	err := g.o.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByRef(ref)
		if err != nil {
			return err
		}
		if c == nil {
			return store.ErrNotFound
		}
		a, err = f(tx, *c)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("gateway: case %s: %w", ref, err)
	}
	g.log.Info("case acted on by a person", "case", ref, "to", a.To, "flow", a.Flow, "requeued", a.Requeued)
	g.Wake()
	return a, nil
}
