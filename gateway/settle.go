package gateway

import (
	"context"
	"fmt"

	"facteur/store"
)

// settleMessages marks done the parsed messages whose cases are all
// settled, with the folder they go to.
func (g *Gateway) settleMessages(ctx context.Context) (int, error) {
	msgs, err := g.o.Store.MessagesAwaitingSettlement(ctx, batch)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		cases, err := g.o.Store.CasesOfMessage(ctx, m.ID)
		if err != nil {
			return 0, err
		}
		disp := disposition(cases)
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.MessageDone(m.ID, disp) })
		if err != nil {
			return 0, fmt.Errorf("gateway: settle message %d: %w", m.ID, err)
		}
		g.log.Info("message settled", "message", m.ID, "disposition", disp)
	}
	if len(msgs) > 0 && g.o.OnSettled != nil {
		g.o.OnSettled()
	}
	return len(msgs), nil
}

// disposition chooses a settled message's folder: ignored when all its cases
// were ignored, review when a person must look at one, processed otherwise.
func disposition(cases []store.Case) store.Disposition {
	ignored := 0
	for _, c := range cases {
		switch c.State {
		case store.CaseHeld, store.CaseRejected:
			return store.DispositionReview
		case store.CaseIgnored, store.CaseDuplicate:
			ignored++
		}
	}
	if ignored == len(cases) {
		return store.DispositionIgnored
	}
	return store.DispositionProcessed
}
