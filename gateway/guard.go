package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"facteur/guard"
	"facteur/store"
)

// The gateway's panic boundaries: a panic while working on one message,
// case or reply sets that one aside for a person, with the reason, and the
// others go on (package guard logs it with its stack and counts it).

// guardMessage parses a message within a panic boundary: a panic sets the
// message aside (a held case says why).
func (g *Gateway) guardMessage(ctx context.Context, m store.Message) error {
	log := g.log.With("message", m.ID, "mailbox", m.Mailbox, "uid", m.UID)
	err := guard.Call(log, fmt.Sprintf("message %d", m.ID), func() error { return g.parseMessage(ctx, m) })
	var pe *guard.PanicError
	if !errors.As(err, &pe) {
		return err
	}
	reason := "erreur interne de Facteur en lisant ce message (" + panicText(pe) + ") : message mis de côté, à examiner"
	cur, err := g.o.Store.Message(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("gateway: message %d after a panic: %w", m.ID, err)
	}
	if cur.State != store.MessageReceived {
		return nil // the panic came after the message was recorded
	}
	if err := g.o.Store.Update(ctx, func(tx *store.Tx) error { return g.failMessage(tx, m.ID, reason) }); err != nil {
		return fmt.Errorf("gateway: message %d after a panic: %w", m.ID, err)
	}
	return nil
}

// guardCase runs one stage of work on a case within a panic boundary: a
// panic holds the case for a person with the reason (a case in doubt
// about its deposit says that Chorus Pro must be checked first), or, in a
// state that cannot be held, puts it off for an hour.
func (g *Gateway) guardCase(ctx context.Context, stage string, c store.Case, f func(context.Context, store.Case) error) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID)
	err := guard.Call(log, stage+" "+c.Ref, func() error { return f(ctx, c) })
	var pe *guard.PanicError
	if !errors.As(err, &pe) {
		return err
	}
	cur, err := g.o.Store.Case(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("gateway: case %s after a panic: %w", c.Ref, err)
	}
	reason := "erreur interne de Facteur pendant l'étape « " + stage + " » (" + panicText(pe) + ") : dossier mis de côté, à examiner"
	if cur.State == store.CaseDepositing {
		reason += " ; le dépôt a pu atteindre Chorus Pro : le vérifier sur Chorus Pro avant toute remise à l'examen"
	}
	err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
		if store.CheckCaseTransition(cur.State, store.CaseHeld) != nil {
			return tx.Retry(store.EntityCase, c.ID, g.now().Add(time.Hour), reason)
		}
		return tx.MoveCase(c.ID, cur.State, store.CaseHeld, reason, store.CaseFields{})
	})
	if err != nil {
		return fmt.Errorf("gateway: case %s after a panic: %w", c.Ref, err)
	}
	return nil
}

// panicText is a panic's value, cut short for a reason.
func panicText(pe *guard.PanicError) string {
	return truncateRunes(fmt.Sprint(pe.Value), 200)
}
