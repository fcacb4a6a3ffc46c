package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"facteur/chorus"
	"facteur/guard"
	"facteur/notifier"
	"facteur/parser"
	"facteur/store"
)

// depositCases deposits the routed cases on Chorus Pro. Each case is
// committed as "depositing" before the call (invariant 2), so that a crash
// during the call is found by Recover and never deposited blindly again.
func (g *Gateway) depositCases(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseRouted)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		if err := g.guardCase(ctx, "dépôt sur Chorus Pro", c, g.deposit); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

func (g *Gateway) deposit(ctx context.Context, c store.Case) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID)
	doc, err := g.document(ctx, c)
	if err != nil {
		log.Error("document of case unavailable", "err", err)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseRouted, store.CaseHeld, "document introuvable pour le dépôt : "+err.Error(), store.CaseFields{})
		})
	}
	restored, err := g.o.Store.LastRestore(ctx)
	if err != nil {
		return fmt.Errorf("gateway: case %s: %w", c.Ref, err)
	}
	attempt := fmt.Sprintf("dépôt %s de %s (%.12s)", c.Syntax, doc.Name, doc.SHA256)
	searchFirst := false
	if err := g.o.Store.Update(ctx, func(tx *store.Tx) error {
		if searchFirst, err = tx.CheckOnceAfterRestore(c, restored); err != nil {
			return err
		}
		if searchFirst {
			// The copied daemon may have deposited it after the copy: in
			// doubt, as after a crash during a deposit.
			return tx.MoveCase(c.ID, store.CaseRouted, store.CaseDepositing,
				"données restaurées d'une sauvegarde le "+restored.In(time.Local).Format("02/01/2006 à 15:04")+
					" : recherche sur Chorus Pro avant tout dépôt", store.CaseFields{})
		}
		return tx.MoveCase(c.ID, store.CaseRouted, store.CaseDepositing, attempt, store.CaseFields{})
	}); err != nil {
		return fmt.Errorf("gateway: case %s: %w", c.Ref, err)
	}
	if searchFirst {
		log.Warn("store restored from a backup: Chorus Pro is searched before this case's deposit", "restored", restored)
		return nil
	}
	if c.Syntax == chorus.ModePDF {
		return g.depositPDF(ctx, log, c, doc)
	}

	res, derr := g.o.Chorus.DeposerFlux(ctx, chorus.DepositRequest{
		File: doc.Data, FileName: depositName(doc, c), Syntax: c.Syntax,
		InvoiceNumber: c.InvoiceNumber, SellerSIRET: c.SupplierSIRET, BuyerSIRET: c.RecipientSIRET,
	})
	if derr == nil {
		log.Info("deposited on Chorus Pro", "flow", res.FlowNumber, "siret", c.RecipientSIRET, "engagement", c.Engagement)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseDeposited, "flux "+res.FlowNumber,
				store.CaseFields{FlowNumber: res.FlowNumber, DepositDate: res.DepositDate})
		})
	}
	if ctx.Err() != nil {
		// Shutting down mid-call: the case stays depositing; the next start
		// searches Chorus Pro for it before any new attempt.
		return ctx.Err()
	}
	return g.depositFailed(ctx, log, c, derr)
}

// depositFailed records a failed deposit or submission: refused before any
// call, in doubt (searched before anything else), not sent (retried), or
// refused by Chorus Pro (held).
func (g *Gateway) depositFailed(ctx context.Context, log *slog.Logger, c store.Case, derr error) error {
	switch {
	case errors.Is(derr, chorus.ErrInvalidRequest):
		// Refused before any call: Chorus Pro would reject it.
		log.Error("deposit refused by the pre-flight checks; held", "err", derr)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld, "dépôt impossible, Chorus Pro le refuserait : "+chorusLabel(derr), store.CaseFields{})
		})
	case chorus.MaybeDeposited(derr):
		// The deposit may have reached Chorus Pro: the case stays
		// "depositing" and Chorus Pro is searched before anything else.
		next := g.now().Add(verifyDelay(1))
		log.Warn("deposit outcome unknown; Chorus Pro will be searched before any new attempt", "err", derr, "next", next)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.Note(store.EntityCase, c.ID, string(store.CaseDepositing), "dépôt incertain : "+derr.Error()); err != nil {
				return err
			}
			return tx.Retry(store.EntityCase, c.ID, next, "dépôt incertain : "+derr.Error())
		})
	case chorus.IsTransient(derr):
		// Nothing reached Chorus Pro (token failure, 429): try again later.
		next := g.now().Add(backoff(c.Attempts+1, 30*time.Second, time.Hour))
		log.Warn("deposit failed before reaching Chorus Pro; will retry", "err", derr, "next", next)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MoveCase(c.ID, store.CaseDepositing, store.CaseRouted, "nouvel essai : "+derr.Error(), store.CaseFields{}); err != nil {
				return err
			}
			return tx.Retry(store.EntityCase, c.ID, next, derr.Error())
		})
	default:
		log.Error("deposit refused by Chorus Pro; held", "err", derr)
		reason := "dépôt refusé par Chorus Pro : " + chorusLabel(derr)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld, reason, store.CaseFields{})
		})
	}
}

func chorusLabel(err error) string {
	var e *chorus.Error
	if errors.As(err, &e) && e.Label != "" {
		return e.Label
	}
	return err.Error()
}

// depositName is the file name sent to Chorus Pro: the supplier's, with the
// extension the syntax wants.
func depositName(d *parser.Document, c store.Case) string {
	name := d.Name
	want := ".xml"
	if c.Syntax == chorus.SyntaxFacturX || c.Syntax == chorus.ModePDF {
		want = ".pdf"
	}
	if name == "" {
		name = "facture-" + c.Ref + want
	}
	if !strings.EqualFold(path.Ext(name), want) {
		name += want
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	return name
}

// document re-reads the case's document from the spooled message, checking
// it is byte for byte the one the case was opened for.
func (g *Gateway) document(ctx context.Context, c store.Case) (*parser.Document, error) {
	if c.Document < 0 {
		return nil, errors.New("le dossier n'a pas de document")
	}
	raw, err := g.o.Store.Raw(ctx, c.MessageID)
	if err != nil {
		return nil, err
	}
	pm, err := parser.Parse(raw, g.o.Parser)
	if err != nil {
		return nil, err
	}
	if c.Document >= len(pm.Documents) {
		return nil, fmt.Errorf("document %d absent du message", c.Document)
	}
	d := &pm.Documents[c.Document]
	if d.SHA256 != c.DocumentSHA {
		return nil, fmt.Errorf("document %d du message modifié", c.Document)
	}
	return d, nil
}

// maxUnknownPolls is how many flow reports in a state Facteur does not
// know (and without an invoice found for the flow) are read before the case
// goes to a person: with the back-off capped at two hours, about two days.
const maxUnknownPolls = 30

// pollFlows asks Chorus Pro how the deposited flows were processed.
func (g *Gateway) pollFlows(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseDeposited)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		if err := g.guardCase(ctx, "suivi du flux déposé", c, g.pollFlow); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

func (g *Gateway) pollFlow(ctx context.Context, c store.Case) error {
	log := g.log.With("case", c.Ref, "message", c.MessageID, "flow", c.FlowNumber)
	rep, err := g.o.Chorus.ConsulterCRDetaille(ctx, c.FlowNumber)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !chorus.IsTransient(err) {
			log.Error("flow report refused; held", "err", err)
			return g.o.Store.Update(ctx, func(tx *store.Tx) error {
				return tx.MoveCase(c.ID, store.CaseDeposited, store.CaseHeld, "suivi du flux impossible : "+chorusLabel(err), store.CaseFields{})
			})
		}
		log.Warn("flow report unavailable; will retry", "err", err)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.Retry(store.EntityCase, c.ID, g.now().Add(backoff(c.Attempts+1, time.Minute, 2*time.Hour)), err.Error())
		})
	}
	set := store.CaseFields{FlowState: rep.State}
	outcome := chorus.FlowOutcome(rep.State)
	if outcome == chorus.OutcomeUnknown {
		// IN_TRAITE_SE_CPP, IN_INCIDENTE or a state no source lists: the
		// reference says to confirm with a search by flow number. An
		// invoice found means the flow was integrated.
		found, err := g.o.Chorus.FindInvoiceByFlow(ctx, c.FlowNumber)
		if err == nil && len(found) == 0 {
			found, err = g.recipientSide(ctx, c)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.Warn("search by flow number failed", "state", rep.State, "err", err)
		case len(found) > 0:
			log.Info("flow in an unlisted state, its invoice found on Chorus Pro", "state", rep.State)
			outcome = chorus.OutcomeIntegrated
		}
	}
	switch outcome {
	case "integrated":
		log.Info("flow integrated", "state", rep.State)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MoveCase(c.ID, store.CaseDeposited, store.CaseIntegrated, "flux intégré par Chorus Pro", set); err != nil {
				return err
			}
			c, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			return g.enqueueReply(tx, c, nil, notifier.KindConfirmation, "")
		})
	case "rejected", "partial":
		reason := flowErrors(rep)
		log.Warn("flow rejected", "state", rep.State, "reason", reason)
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MoveCase(c.ID, store.CaseDeposited, store.CaseRejected, "refusée par Chorus Pro : "+reason, set); err != nil {
				return err
			}
			c, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			return g.enqueueReply(tx, c, nil, notifier.KindRejected, reason)
		})
	case chorus.OutcomeUnknown:
		if strings.EqualFold(strings.TrimSpace(rep.State), "IN_INCIDENTE") || c.Attempts+1 >= maxUnknownPolls {
			// An incident on Chorus Pro's side, or a state that lasts: a
			// person must look (the case can be released to resume).
			reason := fmt.Sprintf("flux %s dans l'état « %s » sur Chorus Pro, sans facture trouvée : à vérifier sur Chorus Pro", c.FlowNumber, rep.State)
			log.Warn("flow state needs a person; held", "state", rep.State, "polls", c.Attempts+1)
			return g.o.Store.Update(ctx, func(tx *store.Tx) error {
				return tx.MoveCase(c.ID, store.CaseDeposited, store.CaseHeld, reason, set)
			})
		}
		log.Warn("unknown flow state; will ask again", "state", rep.State)
		next := g.now().Add(backoff(c.Attempts+1, time.Minute, 2*time.Hour))
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.SetCaseFields(c.ID, set); err != nil {
				return err
			}
			return tx.Retry(store.EntityCase, c.ID, next, "flux "+rep.State)
		})
	default:
		next := g.now().Add(backoff(c.Attempts+1, time.Minute, 2*time.Hour))
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.SetCaseFields(c.ID, set); err != nil {
				return err
			}
			return tx.Retry(store.EntityCase, c.ID, next, "flux "+rep.State)
		})
	}
}

// flowErrors renders Chorus Pro's reasons for refusing a flow, in French as
// Chorus Pro wrote them.
func flowErrors(rep *chorus.FlowReport) string {
	var parts []string
	for _, e := range rep.InvoiceErrors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	for _, e := range rep.TechnicalErrors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	if len(parts) == 0 {
		return "flux " + rep.State + " (sans motif détaillé)"
	}
	return strings.Join(parts, " ; ")
}

// sendReplies sends the queued replies, after deciding on those a previous
// attempt left sending.
func (g *Gateway) sendReplies(ctx context.Context) (int, error) {
	recovered, err := g.recoverSends(ctx)
	if err != nil {
		return 0, err
	}
	items, err := g.o.Store.DueOutbox(ctx, batch)
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		if err := g.sendReply(ctx, it); err != nil {
			return 0, err
		}
	}
	return recovered + len(items), nil
}

// sendReply sends one reply once. The attempt is recorded before the SMTP
// session opens, and again, durably, when it reaches DATA: whatever stops
// the process from then on, recoverSends knows whether the reply can have
// gone out.
func (g *Gateway) sendReply(ctx context.Context, it store.OutboxItem) error {
	log := g.log.With("outbox", it.ID, "case_id", it.CaseID, "kind", it.Kind)
	if err := g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.BeginSend(it.ID) }); err != nil {
		return fmt.Errorf("gateway: outbox %d: %w", it.ID, err)
	}
	reachedData := false
	progress := func(p notifier.Phase) error {
		log.Debug("reply attempt", "phase", p)
		if p != notifier.PhaseData {
			return nil
		}
		// Before the body: a reply not known to have reached DATA is
		// one the server cannot have accepted.
		if err := g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.SendReachedData(it.ID) }); err != nil {
			return err
		}
		reachedData = true
		return nil
	}
	err := guard.Call(log, fmt.Sprintf("outbox %d", it.ID), func() error {
		return g.o.Mailer.SendTracked(ctx, it.EnvelopeFrom, it.Recipients, it.Raw, progress)
	})
	if err != nil && ctx.Err() != nil {
		// Shutting down mid-session: the reply stays sending; the next
		// start decides from how far it got.
		return ctx.Err()
	}
	var pe *guard.PanicError
	switch {
	case errors.As(err, &pe) && reachedData:
		log.Error("reply interrupted by an internal error after DATA; marked sent, unconfirmed", "err", err)
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return g.unconfirmed(tx, it, "erreur interne de Facteur pendant la transmission du message ("+panicText(pe)+")")
		})
	case errors.As(err, &pe):
		// Whether it went out cannot be told: never sent again on its
		// own; the digest shows it and a person may retry it.
		serr := errors.New("erreur interne de Facteur pendant l'envoi (" + panicText(pe) + ")")
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.OutboxFailed(it.ID, serr.Error()) })
	case err == nil:
		log.Info("reply sent", "to", strings.Join(it.Recipients, ","))
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.OutboxSent(it.ID) })
	case errors.Is(err, notifier.ErrUnconfirmed):
		log.Warn("reply sent in full, the SMTP server's answer not received; marked sent, unconfirmed", "err", err)
		serr := err
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return g.unconfirmed(tx, it, "message transmis en entier, sans réponse du serveur de messagerie ("+serr.Error()+")")
		})
	case notifier.IsPermanent(err) || it.Attempts+1 >= maxReplyAttempts:
		log.Error("reply refused by the SMTP server, or never accepted", "err", err, "attempts", it.Attempts+1)
		serr := err
		if !notifier.IsPermanent(err) {
			serr = fmt.Errorf("abandon après %d essais : %w", it.Attempts+1, err)
		}
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.OutboxFailed(it.ID, serr.Error()); err != nil {
				return err
			}
			if it.CaseID == 0 {
				return nil // the digest: nothing else to do
			}
			// A request the supplier never received leaves the invoice
			// waiting for nothing: finance staff must take it up.
			c, err := tx.Case(it.CaseID)
			if err != nil || c.State != store.CaseAwaitingSupplier {
				return err
			}
			return tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld,
				"la demande n'a pas pu être envoyée au fournisseur : "+serr.Error(), store.CaseFields{})
		})
	default:
		next := g.now().Add(backoff(it.Attempts+1, time.Minute, time.Hour))
		log.Warn("reply not sent; will retry", "err", err, "next", next)
		serr := err
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.SendNotDone(it.ID, next, serr.Error()) })
	}
	if err != nil {
		return fmt.Errorf("gateway: outbox %d: %w", it.ID, err)
	}
	return nil
}

// recoverSends decides on the replies an earlier attempt left sending: the
// process stopped (or the store failed) during the SMTP session or right
// after it. Steps run one at a time (g.mu) and a reply is sending only
// within sendReply, so none of them is being sent now. An attempt that
// never reached DATA cannot have delivered the reply: it is queued again,
// to be sent now with the same Message-ID. One that reached DATA may have:
// it is marked sent, unconfirmed, and never sent again on its own.
func (g *Gateway) recoverSends(ctx context.Context) (int, error) {
	items, err := g.o.Store.InterruptedSends(ctx)
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		log := g.log.With("outbox", it.ID, "case_id", it.CaseID, "kind", it.Kind)
		begun := it.AttemptAt.In(time.Local).Format("02/01/2006 à 15:04:05")
		err := g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if it.AttemptPhase == store.SendPhaseData {
				return g.unconfirmed(tx, it, "envoi du "+begun+" interrompu après le début de la transmission du message au serveur de messagerie")
			}
			return tx.SendNotDone(it.ID, g.now(), "envoi du "+begun+" interrompu avant la transmission du message : envoyée de nouveau, sous le même identifiant de message")
		})
		if err != nil {
			return 0, fmt.Errorf("gateway: outbox %d: %w", it.ID, err)
		}
		if it.AttemptPhase == store.SendPhaseData {
			log.Warn("reply interrupted after DATA; marked sent, unconfirmed (not sent again)", "attempt_at", it.AttemptAt)
		} else {
			log.Warn("reply interrupted before DATA; sending it again with the same Message-ID", "attempt_at", it.AttemptAt, "message_id", it.HeaderMessageID)
		}
	}
	return len(items), nil
}

// unconfirmed marks a reply sent, unconfirmed, and says so in its case's
// history, where finance staff read it (facteur cases show).
func (g *Gateway) unconfirmed(tx *store.Tx, it store.OutboxItem, why string) error {
	if err := tx.OutboxUnconfirmed(it.ID, why); err != nil {
		return err
	}
	if it.CaseID == 0 {
		return nil
	}
	c, err := tx.Case(it.CaseID)
	if err != nil {
		return err
	}
	return tx.Note(store.EntityCase, c.ID, string(c.State), "réponse « "+it.Subject+" » envoyée sans confirmation du serveur de messagerie : "+why+
		". Le fournisseur l'a probablement reçue ; elle n'est pas renvoyée d'elle-même (« facteur cases retry "+c.Ref+" » la renverrait).")
}

// maxReplyAttempts bounds the attempts to send one reply: with the backoff
// capped at an hour, about two days; then the reply is marked failed and, for
// a request, the case is put in front of finance staff.
const maxReplyAttempts = 48

// depositPDF deposits in PDF mode: the supplier's PDF uploaded
// (deposer/pdf), then the invoice's data submitted (soumettre, modeDepot
// DEPOT_PDF_API) with the engagement number Facteur found. Chorus Pro's OCR
// is never trusted: the data sent is Facteur's, checked by the router.
func (g *Gateway) depositPDF(ctx context.Context, log *slog.Logger, c store.Case, doc *parser.Document) error {
	inv := doc.Invoice
	held := func(reason string) error {
		return g.o.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.MoveCase(c.ID, store.CaseDepositing, store.CaseHeld, reason, store.CaseFields{})
		})
	}
	supplier := g.supplierID(ctx, c.SupplierSIRET)
	if inv == nil || supplier == 0 {
		return held("dépôt en mode PDF impossible : le compte technique n'est pas rattaché au fournisseur " + c.SupplierSIRET)
	}
	sub, err := submission(c, inv, supplier)
	if err != nil {
		return held("dépôt en mode PDF impossible : " + err.Error())
	}
	// A transfer payment needs the supplier's bank details id. With exactly
	// one valid set on Chorus Pro, it is that one; otherwise the payment
	// mode is AUTRE (Facteur does not choose between accounts).
	switch banks, err := g.o.Chorus.RecupererCoordonneesBancairesValides(ctx, supplier); {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		log.Warn("supplier's bank details unavailable; payment mode AUTRE", "err", err)
	case len(banks) == 1:
		sub.BankDetailsID, sub.PaymentMode = banks[0].ID, "VIREMENT"
	}
	up, err := g.o.Chorus.DeposerPDF(ctx, chorus.PDFRequest{File: doc.Data, FileName: depositName(doc, c)})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Only an attachment could have been created: nothing to search for.
		return g.depositFailed(ctx, log, c, err)
	}
	sub.AttachmentID = up.AttachmentID
	res, err := g.o.Chorus.Soumettre(ctx, sub)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return g.depositFailed(ctx, log, c, err)
	}
	log.Info("submitted on Chorus Pro", "invoice_id", res.InvoiceID, "siret", c.RecipientSIRET, "engagement", c.Engagement)
	return g.o.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetInvoiceID(c.ID, res.InvoiceID); err != nil {
			return err
		}
		if err := tx.MoveCase(c.ID, store.CaseDepositing, store.CaseIntegrated,
			fmt.Sprintf("facture soumise sur Chorus Pro (identifiant %d)", res.InvoiceID),
			store.CaseFields{DepositDate: res.DepositDate, Lifecycle: res.Status}); err != nil {
			return err
		}
		c, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		return g.enqueueReply(tx, c, nil, notifier.KindConfirmation, "")
	})
}

// submission builds soumettreFacture's data from what the router checked.
func submission(c store.Case, inv *parser.Invoice, supplierID int64) (chorus.Submission, error) {
	date, err := time.Parse("2006-01-02", inv.IssueDate)
	if err != nil {
		return chorus.Submission{}, fmt.Errorf("date de facture %q illisible", inv.IssueDate)
	}
	amount := func(name, v string) (chorus.Amount, error) {
		a, err := chorus.ParseAmount(v)
		if err != nil {
			return a, fmt.Errorf("%s %q illisible", name, v)
		}
		return a, nil
	}
	var t chorus.Totals
	if t.ExclVAT, err = amount("montant HT", inv.TotalWithoutVAT); err != nil {
		return chorus.Submission{}, err
	}
	if t.VAT, err = amount("TVA", inv.TotalVAT); err != nil {
		return chorus.Submission{}, err
	}
	if t.InclVAT, err = amount("montant TTC", inv.TotalWithVAT); err != nil {
		return chorus.Submission{}, err
	}
	due := inv.AmountDue
	if due == "" {
		due = inv.TotalWithVAT
	}
	if t.Payable, err = amount("net à payer", due); err != nil {
		return chorus.Submission{}, err
	}
	typ := "FACTURE"
	if inv.Type == "credit_note" {
		typ = "AVOIR"
	}
	return chorus.Submission{
		InvoiceNumber: inv.Number, InvoiceDate: date,
		RecipientSIRET: c.RecipientSIRET, ServiceCode: inv.BuyerReference,
		SupplierID: supplierID, Currency: inv.Currency, Type: typ,
		Engagement: c.Engagement, Totals: t,
		AttachmentDesignation: "Facture " + inv.Number,
	}, nil
}
