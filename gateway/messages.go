package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"facteur/ident"
	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// parseMessages parses the received messages and opens their cases, each
// message in one transaction: documents, cases, decisions and replies are
// recorded together or not at all.
func (g *Gateway) parseMessages(ctx context.Context) (int, error) {
	msgs, err := g.o.Store.DueMessages(ctx, batch)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := g.guardMessage(ctx, m); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

func (g *Gateway) parseMessage(ctx context.Context, m store.Message) error {
	log := g.log.With("message", m.ID, "mailbox", m.Mailbox, "uid", m.UID)
	raw, err := g.o.Store.Raw(ctx, m.ID)
	if err != nil {
		// The row is committed only after the bytes are fsynced; a missing
		// spool file is an operator's problem (disk, backup restore), so it
		// is retried; after a few attempts it is put in front of a person.
		log.Error("spooled message unreadable", "err", err, "attempts", m.Attempts+1)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if m.Attempts+1 < maxSpoolAttempts {
				return tx.Retry(store.EntityMessage, m.ID, g.now().Add(backoff(m.Attempts+1, time.Minute, time.Hour)), err.Error())
			}
			return g.failMessage(tx, m.ID, "message reçu mais illisible dans le stockage local : "+err.Error())
		})
	}
	pm, perr := parser.Parse(raw, g.o.Parser)
	if perr != nil {
		log.Warn("message unreadable", "err", perr)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return g.failMessage(tx, m.ID, "message illisible : "+perr.Error())
		})
	}
	rules := g.routingRules(ctx)
	var opened []string
	err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
		opened = opened[:0]
		if err := tx.MessageParsed(m.ID, store.MessageInfo{
			HeaderMessageID: pm.MessageID, From: pm.From.Addr, Subject: pm.Subject,
		}); err != nil {
			return err
		}
		docIDs := make([]int64, len(pm.Documents))
		var invoices []int
		for i, d := range pm.Documents {
			id, err := tx.AddDocument(m.ID, store.DocumentInfo{
				Index: i, Name: d.Name, ContentType: d.ContentType, Format: d.Format, SHA256: d.SHA256,
				Size: d.Size, IsInvoice: d.IsInvoice, Error: d.Error, Problem: string(d.Problem), Limit: string(d.Limit),
			})
			if err != nil {
				return err
			}
			docIDs[i] = id
			if d.IsInvoice && d.Invoice != nil {
				invoices = append(invoices, i)
			}
		}
		if nd := m.NotDownloaded; nd != nil {
			// imapwatch did not download a message over the size limit: it
			// ingested its envelope and recorded it as not downloaded; the
			// original waits in the mailbox. (Recorded in the row, never
			// read from the bytes, which anyone can write.)
			dec := router.DecideNotDownloaded(notDownloaded(nd))
			ref, err := g.openCase(tx, m, pm, 0, nil, dec)
			opened = append(opened, ref+" "+string(dec.Outcome))
			return err
		}
		if len(invoices) == 0 {
			if dec, cut := router.DecideLimits(pm); cut && pm.Automatic == "" {
				// Part of the message was not read: what the rest holds
				// (an invoice past the limits) is for a person to see,
				// never a status question answered nor a message ignored.
				ref, err := g.openCase(tx, m, pm, 0, nil, dec)
				opened = append(opened, ref+" "+string(dec.Outcome))
				return err
			}
			replied, err := repliedCase(tx, pm) // the case this message answers, if any
			if err != nil {
				return err
			}
			if handled, err := g.supplierAnswer(tx, m, pm, replied, &opened); handled || err != nil {
				return err
			}
			if replied == nil {
				if handled, err := g.statusInquiry(tx, m, pm, &opened); handled || err != nil {
					return err
				}
			}
			dec := router.DecideMessage(pm)
			if replied != nil && pm.Automatic == "" && (dec.Outcome == router.Ignore || dec.Outcome == router.Hold && router.WordsOnly(pm)) {
				// A person answering one of our replies (a confirmation, a
				// guide) with words only: someone must read it, knowing
				// which case it answers.
				dec = router.Decision{Outcome: router.Hold,
					Reason: fmt.Sprintf("réponse de l'expéditeur au dossier %s (« %s ») : à lire", replied.Ref, truncateRunes(pm.Subject, 120))}
			}
			ref, err := g.openCase(tx, m, pm, 0, nil, dec)
			opened = append(opened, ref+" "+string(dec.Outcome))
			return err
		}
		var refs []string
		for _, i := range invoices {
			d := &pm.Documents[i]
			dec, err := decideInvoice(tx, rules, pm, d, nil, "", 0)
			if err != nil {
				return err
			}
			ref, err := g.openCase(tx, m, pm, docIDs[i], d, dec)
			if err != nil {
				return err
			}
			opened = append(opened, ref+" "+string(dec.Outcome))
			refs = append(refs, ref)
		}
		if dec, cut := router.DecideLimits(pm); cut {
			// Invoices were found, but part of the message was not read:
			// a person looks at the rest.
			ref, err := g.openCase(tx, m, pm, 0, nil, dec)
			if err != nil {
				return err
			}
			opened = append(opened, ref+" "+string(dec.Outcome))
		}
		return supersedeRequest(tx, pm, refs)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Whatever went wrong, the message must not come back at every
		// pass and hold up the others: it is set aside for a person, with
		// the reason. Only a store that cannot record even that stops the
		// pass.
		log.Error("message could not be handled; set aside for a person", "err", err)
		if ferr := g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return g.failMessage(tx, m.ID, "traitement impossible : "+err.Error())
		}); ferr != nil {
			return fmt.Errorf("gateway: message %d: %w", m.ID, err)
		}
		return nil
	}
	log.Info("message parsed", "from", pm.From.Addr, "documents", len(pm.Documents), "cases", strings.Join(opened, ", "))
	return nil
}

// maxSpoolAttempts bounds the reads of a message missing from the spool.
const maxSpoolAttempts = 5

// failMessage settles a received message that cannot be handled: a held
// case makes it visible to finance staff (`facteur cases`), and the message
// is filed for review.
func (g *Gateway) failMessage(tx *store.Tx, msgID int64, reason string) error {
	c, err := tx.CreateCase(g.o.CasePrefix, msgID, 0, store.CaseFields{})
	if err != nil {
		return err
	}
	if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, reason, store.CaseFields{}); err != nil {
		return err
	}
	return tx.MessageFailed(msgID, store.MessageReceived, reason)
}

// openCase records a case and applies the router's decision to it.
func (g *Gateway) openCase(tx *store.Tx, m store.Message, pm *parser.Message, docID int64, d *parser.Document, dec router.Decision) (string, error) {
	f := store.CaseFields{SupplierEmail: replyAddress(pm).Address, NoReply: g.replyRefusal(pm)}
	if d != nil && d.Invoice != nil {
		inv := d.Invoice
		f.SupplierName, f.SupplierSIRET = inv.Seller.Name, inv.Seller.SIRET
		f.InvoiceNumber, f.InvoiceDate = inv.Number, inv.IssueDate
		f.AmountWithVAT, f.Currency = inv.TotalWithVAT, inv.Currency
		f.IBAN = ident.Compact(inv.IBAN)
		f.InvoiceType = inv.Type
	}
	c, err := tx.CreateCase(g.o.CasePrefix, m.ID, docID, f)
	if err != nil {
		return "", err
	}
	return c.Ref, g.apply(tx, c, pm, dec)
}

// apply moves a case in state new as the router decided.
func (g *Gateway) apply(tx *store.Tx, c store.Case, pm *parser.Message, dec router.Decision) error {
	set := store.CaseFields{Budget: dec.Budget, RecipientSIRET: dec.SIRET, Engagement: dec.Engagement, Syntax: dec.Syntax}
	switch dec.Outcome {
	case router.Deposit:
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseRouted, dec.Reason, set); err != nil {
			return err
		}
		// A corrected invoice replaces the one we asked about.
		return tx.SupersedeAwaiting(c.ID, c.SupplierSIRET, c.InvoiceNumber, "remplacée par le dossier "+c.Ref)
	case router.Ask:
		c.Budget, c.RecipientSIRET = dec.Budget, dec.SIRET
		if c.NoReply != "" {
			// Nobody can be asked: a person takes it up, told so.
			fault := dec.Fault
			if fault == "" {
				fault = dec.Reason
			}
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld,
				fault+" ; aucune demande n'a pu être adressée au fournisseur ("+c.NoReply+") : à traiter par les services financiers", set)
		}
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseAwaitingSupplier, dec.Reason, set); err != nil {
			return err
		}
		switch dec.Missing {
		case router.MissingInvoice:
			return g.enqueueReply(tx, c, pm, notifier.KindNeedInvoice, dec.SupplierReason)
		case router.MissingBudget:
			r := notifier.Reply{Kind: notifier.KindNeedBudget, OtherBuyer: dec.OtherBuyer, OtherBuyerSIRET: dec.OtherBuyerSIRET}
			for _, b := range g.o.Rules.Budgets {
				r.Budgets = append(r.Budgets, notifier.Budget{Name: b.Name, SIRET: b.SIRET})
			}
			return g.enqueue(tx, c, pm, r)
		}
		return g.enqueue(tx, c, pm, notifier.Reply{Kind: notifier.KindNeedEngagement, AnswerDeposits: dec.AnswerDeposits})
	case router.Guide:
		if c.NoReply != "" {
			fault := dec.Fault
			if fault == "" {
				fault = dec.Reason
			}
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld,
				fault+" ; aucune instruction n'a pu être adressée au fournisseur ("+c.NoReply+") : à déposer par les services financiers", set)
		}
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseGuided, dec.Reason, set); err != nil {
			return err
		}
		c.Budget, c.RecipientSIRET, c.Engagement = dec.Budget, dec.SIRET, dec.Engagement
		return g.enqueue(tx, c, pm, notifier.Reply{Kind: notifier.KindGuide, ServiceCode: dec.Service,
			EngagementRequired: dec.EngagementRequired, ServiceRequired: dec.ServiceRequired, ServiceChoices: dec.ServiceChoices})
	case router.Hold:
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, dec.Reason, set); err != nil {
			return err
		}
		if dec.BankCheck {
			// The sender is told the bank details will be checked with
			// the supplier, never which ones are known.
			return g.enqueue(tx, c, pm, notifier.Reply{Kind: notifier.KindBankCheck})
		}
		return nil
	case router.Dup:
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseDuplicate, dec.Reason, set); err != nil {
			return err
		}
		return g.answerDuplicate(tx, c, pm, dec.PriorRef)
	default:
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseIgnored, dec.Reason, set)
	}
}

// notDownloaded is what the router needs of a message not downloaded.
func notDownloaded(nd *store.NotDownloaded) router.NotDownloaded {
	out := router.NotDownloaded{Size: nd.Size, Limit: nd.Limit, Folder: nd.Folder}
	for _, a := range nd.Attachments {
		out.Attachments = append(out.Attachments, router.Attachment{Name: a.Name, MediaType: a.MediaType, Size: a.Size})
	}
	return out
}
