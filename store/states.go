package store

import (
	"errors"
	"fmt"
)

// Entity names the kind of row a ledger entry is about.
type Entity string

// The entities whose states the store tracks.
const (
	EntityMessage Entity = "message"
	EntityCase    Entity = "case"
	EntityOutbox  Entity = "outbox"
)

// MessageState is the state of an ingested message.
type MessageState string

// The states of a message: received → parsed → done, or failed.
const (
	MessageReceived MessageState = "received"
	MessageParsed   MessageState = "parsed"
	MessageDone     MessageState = "done"
	MessageFailed   MessageState = "failed"
)

// CaseState is the state of an invoice case.
type CaseState string

// The states of an invoice case (see DESIGN.md, "States").
const (
	CaseNew              CaseState = "new"
	CaseRouted           CaseState = "routed"
	CaseDepositing       CaseState = "depositing"
	CaseDeposited        CaseState = "deposited"
	CaseIntegrated       CaseState = "integrated"
	CasePaid             CaseState = "paid" // MISE_EN_PAIEMENT on Chorus Pro
	CaseRejected         CaseState = "rejected"
	CaseAwaitingSupplier CaseState = "awaiting_supplier"
	CaseHeld             CaseState = "held"
	CaseIgnored          CaseState = "ignored"
	CaseDuplicate        CaseState = "duplicate"
	// CaseGuided: Facteur could not deposit the invoice itself and told
	// the supplier what to enter on Chorus Pro to deposit it.
	CaseGuided CaseState = "guided"
)

// OutboxState is the state of a queued reply.
type OutboxState string

// The states of an outbox item: queued → sending → sent, or failed; an
// attempt that may have been accepted by the SMTP server without Facteur
// hearing it (a crash, a broken connection after the whole message was
// sent) ends unconfirmed, never sent again on its own.
const (
	OutboxQueued OutboxState = "queued"
	// OutboxSending: an attempt is under way (recorded before the SMTP
	// session opens, with its time; its phase once it reached DATA).
	OutboxSending OutboxState = "sending"
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed"
	// OutboxUnconfirmed: sent, unconfirmed. The attempt reached DATA and
	// its outcome is unknown: the supplier has probably received it.
	OutboxUnconfirmed OutboxState = "unconfirmed"
)

var messageTransitions = map[MessageState][]MessageState{
	MessageReceived: {MessageParsed, MessageFailed},
	MessageParsed:   {MessageDone, MessageFailed},
	MessageFailed:   {MessageReceived}, // an operator asks for a retry
	MessageDone:     {},
}

var caseTransitions = map[CaseState][]CaseState{
	CaseNew:              {CaseRouted, CaseAwaitingSupplier, CaseHeld, CaseIgnored, CaseDuplicate, CaseGuided},
	CaseRouted:           {CaseDepositing, CaseAwaitingSupplier, CaseHeld},
	CaseDepositing:       {CaseDeposited, CaseIntegrated, CaseRouted, CaseHeld},
	CaseDeposited:        {CaseIntegrated, CaseRejected, CaseHeld},
	CaseAwaitingSupplier: {CaseNew, CaseHeld, CaseIgnored},
	CaseHeld:             {CaseNew, CaseIgnored, CaseDeposited},
	CaseIntegrated:       {CasePaid, CaseRejected, CaseHeld},
	CasePaid:             {},
	CaseRejected:         {CaseNew},
	CaseIgnored:          {CaseNew},
	CaseDuplicate:        {},
	CaseGuided:           {CaseNew, CaseIgnored},
}

var outboxTransitions = map[OutboxState][]OutboxState{
	OutboxQueued:      {OutboxSending},
	OutboxSending:     {OutboxSent, OutboxQueued, OutboxFailed, OutboxUnconfirmed},
	OutboxFailed:      {OutboxQueued},
	OutboxUnconfirmed: {OutboxQueued}, // a person asks for it to be sent again
	OutboxSent:        {},
}

func allowed[S ~string](table map[S][]S, from, to S) bool {
	for _, s := range table[from] {
		if s == to {
			return true
		}
	}
	return false
}

// ErrTransition is the error (tested with errors.Is) of a state change the
// state machines do not allow: the caller asked for something impossible
// in the current state.
var ErrTransition = errors.New("transition not allowed")

// CheckMessageTransition reports whether a message may go from one state to another.
func CheckMessageTransition(from, to MessageState) error {
	if !allowed(messageTransitions, from, to) {
		return fmt.Errorf("store: message transition %s → %s: %w", from, to, ErrTransition)
	}
	return nil
}

// CheckCaseTransition reports whether a case may go from one state to another.
func CheckCaseTransition(from, to CaseState) error {
	if !allowed(caseTransitions, from, to) {
		return fmt.Errorf("store: case transition %s → %s: %w", from, to, ErrTransition)
	}
	return nil
}

func checkOutboxTransition(from, to OutboxState) error {
	if !allowed(outboxTransitions, from, to) {
		return fmt.Errorf("store: outbox transition %s → %s: %w", from, to, ErrTransition)
	}
	return nil
}

// Settled reports whether a case needs no more automatic work from Facteur
// (it may still change later, through a supplier's answer or a person).
func (s CaseState) Settled() bool {
	switch s {
	case CaseNew, CaseRouted, CaseDepositing:
		return false
	}
	return true
}
