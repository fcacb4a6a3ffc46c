package gateway

import (
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"facteur/notifier"
	"facteur/parser"
	"facteur/store"
)

// replyAddress is where a reply to pm goes (notifier.ReplyAddress).
func replyAddress(pm *parser.Message) mail.Address {
	var replyTo []mail.Address
	for _, a := range pm.ReplyTo {
		replyTo = append(replyTo, mail.Address{Name: a.Name, Address: a.Addr})
	}
	return notifier.ReplyAddress(mail.Address{Name: pm.From.Name, Address: pm.From.Addr}, replyTo)
}

// replyRefusal says why no reply may be sent to a message ("" when one
// may), by the notifier's gate: automatic mail, bounces, our own address,
// unauthenticated senders. The daily limit per address is applied when a
// reply is queued (enqueue), in the same transaction as the count.
func (g *Gateway) replyRefusal(pm *parser.Message) string {
	to := replyAddress(pm).Address
	gate := notifier.Gate{Own: g.isOwn}
	return gate.Refusal(notifier.Inbound{Automatic: pm.Automatic, AuthenticationResults: pm.AuthenticationResults, ReturnPath: pm.ReturnPath, To: to})
}

// enqueueReply composes a reply of a kind for a case and queues it in the
// outbox, in the caller's transaction.
func (g *Gateway) enqueueReply(tx *store.Tx, c store.Case, pm *parser.Message, kind notifier.Kind, reason string) error {
	return g.enqueue(tx, c, pm, notifier.Reply{Kind: kind, Reason: reason})
}

// enqueue completes r (its kind and reason set by the caller, with any
// detail only the caller knows) from the case and the message, composes it
// and puts it in the outbox.
func (g *Gateway) enqueue(tx *store.Tx, c store.Case, pm *parser.Message, r notifier.Reply) error {
	kind := r.Kind
	if c.NoReply != "" {
		// RFC 3834: no automatic answer to automatic mail, no backscatter.
		g.log.Info("no reply sent", "case", c.Ref, "kind", kind, "why", c.NoReply)
		return nil
	}
	to := mail.Address{Address: c.SupplierEmail}
	var origID, origSubject string
	var origRefs []string
	if pm != nil {
		to = replyAddress(pm)
		origID, origSubject, origRefs = pm.MessageID, pm.Subject, pm.References
	} else {
		origSubject = c.Subject
		if orig, err := tx.MessageHeaderID(c.MessageID); err == nil {
			origID = orig
		}
	}
	r.CaseRef, r.Organisation = c.Ref, g.o.Organisation
	r.From, r.To, r.Bcc = g.o.From, to, g.o.Bcc
	r.OriginalMessageID, r.OriginalReferences, r.OriginalSubject = origID, origRefs, origSubject
	r.InvoiceNumber, r.InvoiceDate, r.SupplierName = c.InvoiceNumber, c.InvoiceDate, c.SupplierName
	r.AmountWithVAT, r.Currency = c.AmountWithVAT, c.Currency
	r.BudgetName, r.RecipientSIRET, r.Engagement = c.Budget, c.RecipientSIRET, c.Engagement
	r.FlowNumber, r.DepositDate = c.FlowNumber, c.DepositDate
	r.CreditNote = c.InvoiceType == "credit_note"
	raw, msgID, err := notifier.Compose(r, g.now())
	if err != nil {
		return fmt.Errorf("compose %s reply for %s: %w", kind, c.Ref, err)
	}
	now := g.now()
	_, heldBack, err := tx.EnqueueCapped(store.OutboxItem{
		CaseID: c.ID, Kind: string(kind), HeaderMessageID: msgID, EnvelopeFrom: g.o.EnvelopeFrom,
		Recipients: r.Recipients(), Subject: subjectOf(raw), Raw: raw,
	}, store.Capped{Addr: to.Address, Since: now.Add(-24 * time.Hour), Limit: g.o.RepliesPerSenderPerDay, Day: localDay(now)})
	if err != nil || !heldBack {
		return err
	}
	g.log.Warn("reply held back: daily limit of replies to the address reached; summarised tomorrow",
		"case", c.Ref, "kind", kind, "to", to.Address, "limit", g.o.RepliesPerSenderPerDay)
	return tx.Note(store.EntityCase, c.ID, string(c.State), fmt.Sprintf(
		"réponse « %s » retenue : limite de %d réponses automatiques par jour atteinte pour %s ; "+
			"le fournisseur recevra demain un récapitulatif de ses envois du jour", subjectOf(raw), g.o.RepliesPerSenderPerDay, to.Address))
}

// localDay is the local calendar day of t (YYYY-MM-DD).
func localDay(t time.Time) string { return t.In(time.Local).Format(time.DateOnly) }

// subjectOf returns the decoded Subject of a composed message.
func subjectOf(raw []byte) string {
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return ""
	}
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return msg.Header.Get("Subject")
	}
	return s
}

// answerDuplicate tells the supplier who sent an invoice again where the
// first one stands: received on that day under that case, deposited on
// Chorus Pro (flow, status), nothing more to do. Only for a first case
// that is on its way or on Chorus Pro; the gate (automatic mail, the daily
// limit) applies as to every reply.
func (g *Gateway) answerDuplicate(tx *store.Tx, c store.Case, pm *parser.Message, priorRef string) error {
	if priorRef == "" {
		return nil
	}
	prior, err := tx.CaseByRef(priorRef)
	if err != nil || prior == nil {
		return err
	}
	status, ok := priorStatus[prior.State]
	if !ok {
		return nil
	}
	r := notifier.Reply{Kind: notifier.KindAlreadyReceived, PriorRef: prior.Ref, PriorStatus: status,
		PriorReceived: prior.CreatedAt.In(time.Local).Format(time.DateOnly)}
	c.FlowNumber, c.DepositDate = prior.FlowNumber, prior.DepositDate
	c.Budget, c.RecipientSIRET, c.Engagement = prior.Budget, prior.RecipientSIRET, prior.Engagement
	return g.enqueue(tx, c, pm, r)
}

// priorStatus says, in the supplier's words, where a first case stands.
var priorStatus = map[store.CaseState]string{
	store.CaseRouted:     "en cours de dépôt sur Chorus Pro",
	store.CaseDepositing: "en cours de dépôt sur Chorus Pro",
	store.CaseDeposited:  "déposée sur Chorus Pro, en cours de traitement par la plateforme",
	store.CaseIntegrated: "transmise au destinataire sur Chorus Pro",
	store.CasePaid:       "mise en paiement",
}
