package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"facteur/notifier"
	"facteur/store"
)

// maxSummaryCases bounds the cases read for one summary (the letter lists
// fewer and counts the rest).
const maxSummaryCases = 1000

// queueSummaries tells each supplier whose replies were held back by the
// daily limit where its invoices of that day stand: one summary per
// address and day, queued the next day. Loop signals never get here: a
// reply refused by the gate (automatic mail, bounces, our own address) is
// not held back, it is not sent at all.
func (g *Gateway) queueSummaries(ctx context.Context) (int, error) {
	today := localDay(g.now())
	due, err := g.o.Store.HeldBackDue(ctx, today, batch)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		addr, day := d[0], d[1]
		if err := g.o.Store.Update(ctx, func(tx *store.Tx) error { return g.queueSummary(tx, addr, day) }); err != nil {
			return 0, fmt.Errorf("gateway: summary of %s for %s: %w", day, addr, err)
		}
	}
	return len(due), nil
}

// queueSummary composes and queues the summary of addr's sendings on day,
// in tx, and marks its held-back replies summarised.
func (g *Gateway) queueSummary(tx *store.Tx, addr, day string) error {
	log := g.log.With("to", addr, "day", day)
	held, err := tx.HeldBackOf(addr, day)
	if err != nil {
		return err
	}
	from, err := time.ParseInLocation(time.DateOnly, day, time.Local)
	if err != nil {
		return fmt.Errorf("day %q: %w", day, err)
	}
	cases, err := tx.CasesOfSenderBetween(addr, from, from.AddDate(0, 0, 1), maxSummaryCases)
	if err != nil {
		return err
	}
	// A reply held back that day about an older case (a confirmation)
	// is listed too.
	listed := map[int64]bool{}
	for _, c := range cases {
		listed[c.ID] = true
	}
	kinds := map[int64][]string{}
	for _, h := range held {
		kinds[h.CaseID] = append(kinds[h.CaseID], h.Kind)
		if !listed[h.CaseID] {
			c, err := tx.Case(h.CaseID)
			if err != nil {
				return err
			}
			listed[c.ID] = true
			cases = append(cases, c)
		}
	}
	r := notifier.Reply{
		Kind: notifier.KindDailySummary, CaseRef: "RECAP-" + strings.ReplaceAll(day, "-", ""),
		Organisation: g.o.Organisation, From: g.o.From, Bcc: g.o.Bcc,
		SummaryDay: day, SummaryLimit: g.o.RepliesPerSenderPerDay,
	}
	r.To.Address = addr
	for _, c := range cases {
		if c.NoReply != "" {
			continue // never answered, summary or not
		}
		told, err := tx.ReplyKindsOfCase(c.ID)
		if err != nil {
			return err
		}
		r.Summary = append(r.Summary, notifier.SummaryLine{
			CaseRef: c.Ref, InvoiceNumber: c.InvoiceNumber, AmountWithVAT: c.AmountWithVAT, Currency: c.Currency,
			Status: supplierStatus(c, append(told, kinds[c.ID]...)),
		})
	}
	topic := "summary:" + strings.ToLower(addr) + ":" + day
	raw, msgID, cerr := notifier.Compose(r, g.now())
	if cerr != nil {
		// Nothing to send: finance staff read why in each case.
		log.Error("daily summary could not be composed", "err", cerr)
		for id := range kinds {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if err := tx.Note(store.EntityCase, id, string(c.State), "récapitulatif des envois du "+notifier.FrenchDate(day)+
				" impossible à composer ("+cerr.Error()+") : le fournisseur n'a pas été informé"); err != nil {
				return err
			}
		}
		return tx.HeldBackSummarised(addr, day, 0)
	}
	id, queued, err := tx.Enqueue(store.OutboxItem{
		Topic: topic, Kind: string(notifier.KindDailySummary), HeaderMessageID: msgID, EnvelopeFrom: g.o.EnvelopeFrom,
		Recipients: r.Recipients(), Subject: subjectOf(raw), Raw: raw,
	})
	if err != nil {
		return err
	}
	if !queued {
		if id, err = tx.OutboxByTopic(topic); err != nil {
			return err
		}
	}
	for cid := range kinds {
		c, err := tx.Case(cid)
		if err != nil {
			return err
		}
		if err := tx.Note(store.EntityCase, cid, string(c.State), "récapitulatif des envois du "+notifier.FrenchDate(day)+
			" adressé à "+addr+" (réponse retenue par la limite quotidienne)"); err != nil {
			return err
		}
	}
	log.Info("daily summary queued for a supplier over the daily limit", "invoices", len(r.Summary), "held_back", len(held))
	return tx.HeldBackSummarised(addr, day, id)
}

// supplierStatus says where a case stands, in the supplier's words, for a
// summary; kinds are those of the replies written about it (sent or held
// back). It says
// only what Facteur does or what the supplier may do.
func supplierStatus(c store.Case, kinds []string) string {
	if s, ok := priorStatus[c.State]; ok {
		if c.State == store.CaseDeposited && c.FlowNumber != "" {
			return s + " (flux " + c.FlowNumber + ")"
		}
		return s
	}
	has := func(k notifier.Kind) bool {
		for _, h := range kinds {
			if h == string(k) {
				return true
			}
		}
		return false
	}
	switch c.State {
	case store.CaseRejected:
		return "refusée par Chorus Pro : elle n'a pas été transmise ; une facture rectifiée peut nous être adressée"
	case store.CaseAwaitingSupplier:
		switch {
		case has(notifier.KindNeedEngagement):
			return "numéro d'engagement manquant : nous ne pouvons pas la déposer sans lui ; il figure sur notre bon de commande. " +
				"Adressez-nous une facture rectifiée qui le porte dans la zone « référence de commande » (BT-13)"
		case has(notifier.KindNeedBudget):
			return "destinataire à préciser : adressez-nous une facture rectifiée qui désigne le budget destinataire"
		case has(notifier.KindNeedInvoice):
			return "aucune facture exploitable trouvée dans votre envoi : adressez-nous la facture au format PDF, de préférence Factur-X"
		}
		return "en attente d'un complément de votre part"
	case store.CaseGuided:
		return "à déposer par vos soins sur Chorus Pro : nous ne pouvons pas la déposer nous-mêmes"
	case store.CaseDuplicate:
		return "déjà reçue sous un autre dossier : rien à faire de plus"
	case store.CaseIgnored:
		return "classée sans suite"
	}
	return "en cours d'examen par nos services" // held: a person looks
}
