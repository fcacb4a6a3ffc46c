package gateway

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"facteur/chorus"
	"facteur/notifier"
	"facteur/parser"
	"facteur/register"
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
		if err := g.parseMessage(ctx, m); err != nil {
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
	auth := authFailure(raw)
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
			ref, err := g.openCase(tx, m, pm, auth, 0, nil, dec)
			opened = append(opened, ref+" "+string(dec.Outcome))
			return err
		}
		if len(invoices) == 0 {
			if handled, err := g.supplierAnswer(tx, m, pm, &opened); handled || err != nil {
				return err
			}
			dec := router.DecideMessage(pm)
			if dec.Outcome == router.Ignore && pm.Automatic == "" {
				// A person answering one of our replies (a confirmation, a
				// guide) with words only: someone must read it.
				if c, err := repliedCase(tx, pm); err != nil {
					return err
				} else if c != nil {
					dec = router.Decision{Outcome: router.Hold,
						Reason: fmt.Sprintf("réponse de l'expéditeur au dossier %s (« %s ») : à lire", c.Ref, truncateRunes(pm.Subject, 120))}
				}
			}
			ref, err := g.openCase(tx, m, pm, auth, 0, nil, dec)
			opened = append(opened, ref+" "+string(dec.Outcome))
			return err
		}
		var refs []string
		for _, i := range invoices {
			d := &pm.Documents[i]
			prior, err := tx.LiveCaseFor(d.Invoice.Seller.SIRET, d.Invoice.Number)
			if err != nil {
				return err
			}
			in := router.Input{Message: pm, Document: d}
			if prior != nil {
				in.Prior = &router.Prior{Ref: prior.Ref, State: string(prior.State)}
			}
			dec := router.Decide(rules, in)
			ref, err := g.openCase(tx, m, pm, auth, docIDs[i], d, dec)
			if err != nil {
				return err
			}
			opened = append(opened, ref+" "+string(dec.Outcome))
			refs = append(refs, ref)
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

// routingRules are the configured routing rules, refined by what Chorus Pro
// says each budget's structure requires (cached, refreshed daily). When
// Chorus Pro cannot be asked, the configured rules stand: they require an
// engagement number, the safe side.
func (g *Gateway) routingRules(ctx context.Context) router.Rules {
	r := g.o.Rules
	if g.o.Register != nil {
		r.Register = g.register()
	}
	r.PDFSuppliers = map[string]bool{}
	for _, s := range g.supplierStructures(ctx) {
		r.PDFSuppliers[s.SIRET] = true
	}
	if g.o.Structures == nil {
		return r
	}
	r.Budgets = append([]router.Budget(nil), r.Budgets...)
	for i, b := range r.Budgets {
		sr, err := g.o.Structures.Get(ctx, b.SIRET)
		switch {
		case err != nil:
			g.log.Warn("structure rules unavailable; configured rules apply", "siret", b.SIRET, "err", err)
			continue
		case !sr.Known:
			g.log.Warn("budget SIRET unknown to Chorus Pro; configured rules apply", "siret", b.SIRET, "budget", b.Name)
			continue
		}
		b.EngagementRequired, b.ServiceRequired, b.EngagementOrService = sr.EngagementRequired, sr.ServiceRequired, sr.EJOrService
		b.Services = nil
		for _, s := range sr.Services {
			if s.Active {
				b.Services = append(b.Services, s.Code)
			}
		}
		r.Budgets[i] = b
	}
	return r
}

// register returns the engagement register as last read. Before any
// successful read it is empty: every engagement number is then held, since
// none can be checked. A failed read is logged once, and the last good
// register stands.
func (g *Gateway) register() *register.Register {
	reg, err := g.o.Register.Current(g.now())
	state := fmt.Sprintf("%d engagements", reg.Len())
	if err != nil {
		state = err.Error()
	}
	if state != g.registerState {
		g.registerState = state
		if err != nil {
			g.log.Error("engagement register unreadable; the last one read stands", "err", err, "engagements", reg.Len())
		} else {
			g.log.Info("engagement register read", "engagements", reg.Len())
		}
	}
	if reg == nil {
		reg = &register.Register{}
	}
	return reg
}

// supplierStructures returns the supplier structures the Chorus Pro
// technical account is attached to (it may submit invoices for them), asked
// at most once a day; when Chorus Pro cannot be asked, the last list known
// (or none: no PDF-mode deposit) stands.
func (g *Gateway) supplierStructures(ctx context.Context) []chorus.SupplierStructure {
	c := &g.suppliers
	c.Lock()
	defer c.Unlock()
	if !c.at.IsZero() && g.now().Sub(c.at) < 24*time.Hour {
		return c.list
	}
	list, err := g.o.Chorus.RecupererStructuresActivesPourFournisseur(ctx)
	if err != nil {
		g.log.Warn("supplier structures of the technical account unavailable; no PDF-mode deposit meanwhile", "err", err)
		c.at = g.now().Add(-23 * time.Hour) // ask again in an hour
		return c.list
	}
	c.list, c.at = list, g.now()
	return list
}

// supplierID is the idFournisseur of a supplier SIRET for soumettre: the
// configured one, else the technical account's structure of that SIRET.
func (g *Gateway) supplierID(ctx context.Context, siret string) int64 {
	if g.o.SupplierID != 0 {
		return g.o.SupplierID
	}
	for _, s := range g.supplierStructures(ctx) {
		if s.SIRET == siret {
			return s.ID
		}
	}
	return 0
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
func (g *Gateway) openCase(tx *store.Tx, m store.Message, pm *parser.Message, auth string, docID int64, d *parser.Document, dec router.Decision) (string, error) {
	f := store.CaseFields{SupplierEmail: replyAddress(pm).Address, NoReply: g.replyRefusal(tx, pm, auth)}
	if d != nil && d.Invoice != nil {
		inv := d.Invoice
		f.SupplierName, f.SupplierSIRET = inv.Seller.Name, inv.Seller.SIRET
		f.InvoiceNumber, f.InvoiceDate = inv.Number, inv.IssueDate
		f.AmountWithVAT, f.Currency = inv.TotalWithVAT, inv.Currency
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
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, dec.Reason+" ; "+c.NoReply, set)
		}
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseAwaitingSupplier, dec.Reason, set); err != nil {
			return err
		}
		if dec.Missing == router.MissingInvoice {
			return g.enqueueReply(tx, c, pm, notifier.KindNeedInvoice, dec.SupplierReason)
		}
		return g.enqueueReply(tx, c, pm, notifier.KindNeedEngagement, "")
	case router.Guide:
		if c.NoReply != "" {
			return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, dec.Reason+" ; "+c.NoReply, set)
		}
		if err := tx.MoveCase(c.ID, store.CaseNew, store.CaseGuided, dec.Reason, set); err != nil {
			return err
		}
		c.Budget, c.RecipientSIRET, c.Engagement = dec.Budget, dec.SIRET, dec.Engagement
		return g.enqueue(tx, c, pm, notifier.Reply{Kind: notifier.KindGuide, ServiceCode: dec.Service,
			EngagementRequired: dec.EngagementRequired, ServiceRequired: dec.ServiceRequired, ServiceChoices: dec.ServiceChoices})
	case router.Hold:
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, dec.Reason, set)
	case router.Dup:
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseDuplicate, dec.Reason, set)
	default:
		return tx.MoveCase(c.ID, store.CaseNew, store.CaseIgnored, dec.Reason, set)
	}
}

// decideCases decides again on the cases put back in state new by a person
// (`facteur cases release`): the message is parsed again and the router
// decides with what the store knows now.
func (g *Gateway) decideCases(ctx context.Context) (int, error) {
	cases, err := g.o.Store.DueCases(ctx, batch, store.CaseNew)
	if err != nil {
		return 0, err
	}
	for _, c := range cases {
		log := g.log.With("case", c.Ref, "message", c.MessageID)
		raw, err := g.o.Store.Raw(ctx, c.MessageID)
		var pm *parser.Message
		if err == nil {
			pm, err = parser.Parse(raw, g.o.Parser)
		}
		var d *parser.Document
		if err == nil && c.Document >= 0 {
			if c.Document >= len(pm.Documents) || pm.Documents[c.Document].SHA256 != c.DocumentSHA {
				err = fmt.Errorf("document %d du message introuvable", c.Document)
			} else {
				d = &pm.Documents[c.Document]
			}
		}
		rules := g.routingRules(ctx)
		err = g.o.Store.Update(ctx, func(tx *store.Tx) error {
			if err != nil {
				return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "nouvel examen impossible : "+err.Error(), store.CaseFields{})
			}
			var dec router.Decision
			if d == nil || !d.IsInvoice || d.Invoice == nil {
				dec = router.DecideMessage(pm)
			} else {
				in := router.Input{Message: pm, Document: d}
				if c.Engagement != "" && c.Engagement != d.Invoice.OrderReference {
					in.Supplied = []parser.Candidate{{Value: c.Engagement, Evidence: "réponse du fournisseur"}}
				}
				prior, err := tx.LiveCaseFor(d.Invoice.Seller.SIRET, d.Invoice.Number)
				if err != nil {
					return err
				}
				if prior != nil && prior.ID != c.ID {
					in.Prior = &router.Prior{Ref: prior.Ref, State: string(prior.State)}
				}
				dec = router.Decide(rules, in)
			}
			return g.apply(tx, c, pm, dec)
		})
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			// As for a new message: held with the reason, not retried at
			// every pass ahead of the rest.
			log.Error("case could not be decided again; held", "err", err)
			if herr := g.o.Store.Update(ctx, func(tx *store.Tx) error {
				return tx.MoveCase(c.ID, store.CaseNew, store.CaseHeld, "nouvel examen impossible : "+err.Error(), store.CaseFields{})
			}); herr != nil {
				return 0, fmt.Errorf("gateway: case %s: %w", c.Ref, err)
			}
			continue
		}
		log.Info("case decided again")
	}
	return len(cases), nil
}

var caseRefPattern = regexp.MustCompile(`\[([A-Z]{2,8}-\d{4}-\d{6})\]`)

// supplierAnswer handles a message without invoice that answers one of our
// requests (matched by In-Reply-To/References, else by the case reference
// in the subject): the engagement number the supplier gives is recorded on
// the case, which goes to finance staff to complete the deposit, since
// Facteur never edits a supplier's file.
func (g *Gateway) supplierAnswer(tx *store.Tx, m store.Message, pm *parser.Message, opened *[]string) (bool, error) {
	if pm.Automatic != "" {
		return false, nil
	}
	c, err := repliedCase(tx, pm)
	if err != nil || c == nil || c.State != store.CaseAwaitingSupplier {
		return false, err
	}
	given := g.answeredEngagements(pm)
	switch len(given) {
	case 0:
		// An answer Facteur cannot use by itself ("je n'ai pas de bon de
		// commande", a question): a person reads it.
		*opened = append(*opened, c.Ref+" held")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld,
			fmt.Sprintf("le fournisseur a répondu (« %s ») sans ce qui lui était demandé : réponse à lire", truncateRunes(pm.Subject, 120)),
			store.CaseFields{})
	case 1:
		// Decided again (decideCases) with the number given: deposited in
		// PDF mode when the supplier allows it, else held for finance staff.
		ej := given[0].Value
		*opened = append(*opened, c.Ref+" new")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseNew,
			fmt.Sprintf("le fournisseur a répondu : numéro d'engagement « %s »", ej), store.CaseFields{Engagement: ej})
	default:
		var vs []string
		for _, e := range given {
			vs = append(vs, e.Value)
		}
		reason := "le fournisseur a répondu avec plusieurs numéros d'engagement : " + strings.Join(vs, ", ")
		*opened = append(*opened, c.Ref+" held")
		return true, tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseHeld, reason, store.CaseFields{})
	}
}

// repliedCase is the case a message answers: the one of the reply it
// refers to (In-Reply-To, References), else the case reference in its
// subject; nil when none.
func repliedCase(tx *store.Tx, pm *parser.Message) (*store.Case, error) {
	c, err := tx.CaseRepliedTo(append([]string{pm.InReplyTo}, pm.References...))
	if err != nil || c != nil {
		return c, err
	}
	if sm := caseRefPattern.FindStringSubmatch(pm.Subject); sm != nil {
		return tx.CaseByRef(sm[1])
	}
	return nil, nil
}

// supersedeRequest closes the request for an invoice (a case awaiting the
// supplier, with no invoice read) that a message carrying invoices answers.
func supersedeRequest(tx *store.Tx, pm *parser.Message, by []string) error {
	c, err := repliedCase(tx, pm)
	if err != nil || c == nil || c.State != store.CaseAwaitingSupplier || c.InvoiceNumber != "" || len(by) == 0 {
		return err
	}
	return tx.MoveCase(c.ID, store.CaseAwaitingSupplier, store.CaseIgnored,
		"le fournisseur a envoyé sa facture : dossier(s) "+strings.Join(by, ", "), store.CaseFields{})
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// quoteStart finds where a reply starts quoting the message it answers.
var quoteStart = regexp.MustCompile(`(?m)^(?:-{2,} ?(?:Original Message|Message d'origine|Message original) ?-{2,}|_{10,}|(?:De|From) ?: .*\n(?:.*\n){0,3}?(?:Envoyé|Sent|Date) ?: |Le .{6,120} a écrit ?:|On .{6,120} wrote ?:)`)

// answeredEngagements are the engagement numbers a supplier's answer gives:
// those of its own words, not of the request it quotes (nor the request's
// example number).
func (g *Gateway) answeredEngagements(pm *parser.Message) []parser.Candidate {
	body := pm.BodyText
	if loc := quoteStart.FindStringIndex(body); loc != nil {
		body = body[:loc[0]]
	}
	var own []string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), ">") {
			own = append(own, line)
		}
	}
	var out []parser.Candidate
	for _, c := range parser.FindEngagements(pm.Subject+"\n"+strings.Join(own, "\n"), "réponse du fournisseur", g.o.Parser.EngagementPatterns) {
		if c.Value != notifier.EngagementExample {
			out = append(out, c)
		}
	}
	return out
}

// replyAddress is where a reply goes: Reply-To when the sender set one (an
// e-mail-driven service answers it, RFC 3834 §4), else From.
func replyAddress(pm *parser.Message) mail.Address {
	if len(pm.ReplyTo) > 0 && pm.ReplyTo[0].Addr != "" {
		return mail.Address{Name: pm.ReplyTo[0].Name, Address: pm.ReplyTo[0].Addr}
	}
	return mail.Address{Name: pm.From.Name, Address: pm.From.Addr}
}

// replyRefusal says why no reply may be sent to a message ("" when one may):
// RFC 3834 and our own rules against loops and backscatter.
func (g *Gateway) replyRefusal(tx *store.Tx, pm *parser.Message, auth string) string {
	to := replyAddress(pm)
	switch {
	case pm.Automatic != "":
		return "message automatique : pas de réponse"
	case auth != "":
		return "authentification de l'expéditeur en échec (" + auth + ") : pas de réponse, l'adresse a pu être usurpée"
	case pm.ReturnPath == "<>":
		return "expéditeur nul : pas de réponse"
	case to.Address == "" || !strings.Contains(to.Address, "@"):
		return "adresse de l'expéditeur absente : pas de réponse possible"
	case notifier.CheckRecipient(to.Address) != nil:
		return "adresse de l'expéditeur « " + to.Address + " » inutilisable pour une réponse (caractères non ASCII ou forme invalide)"
	case g.isOwn(to.Address):
		return "message venant de notre propre adresse : pas de réponse"
	}
	n, err := tx.RepliesTo(to.Address, g.now().Add(-24*time.Hour))
	if err == nil && n >= g.o.RepliesPerSenderPerDay {
		return fmt.Sprintf("limite de %d réponses par jour atteinte pour %s", g.o.RepliesPerSenderPerDay, to.Address)
	}
	return ""
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
	raw, msgID, err := notifier.Compose(r, g.now())
	if err != nil {
		return fmt.Errorf("compose %s reply for %s: %w", kind, c.Ref, err)
	}
	_, _, err = tx.Enqueue(store.OutboxItem{
		CaseID: c.ID, Kind: string(kind), HeaderMessageID: msgID, EnvelopeFrom: g.o.EnvelopeFrom,
		Recipients: r.Recipients(), Subject: subjectOf(raw), Raw: raw,
	})
	return err
}

// notDownloaded is what the router needs of a message not downloaded.
func notDownloaded(nd *store.NotDownloaded) router.NotDownloaded {
	out := router.NotDownloaded{Size: nd.Size, Limit: nd.Limit, Folder: nd.Folder}
	for _, a := range nd.Attachments {
		out.Attachments = append(out.Attachments, router.Attachment{Name: a.Name, MediaType: a.MediaType, Size: a.Size})
	}
	return out
}

// authFailure returns the failed check ("dmarc=fail", "compauth=fail")
// when the topmost Authentication-Results field, the one our own receiving
// server added, says the sender's domain did not authenticate the message;
// "" otherwise. Answering such a message could send our reply to the victim
// of a forgery (backscatter). Fields further down were written by other
// servers, possibly the forger's, and are not trusted.
func authFailure(raw []byte) string {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	fields := msg.Header["Authentication-Results"]
	if len(fields) == 0 {
		return ""
	}
	top := strings.ToLower(fields[0])
	for _, check := range []string{"dmarc=fail", "compauth=fail"} {
		if i := strings.Index(top, check); i >= 0 && (i == 0 || !isTokenChar(top[i-1])) {
			return check
		}
	}
	return ""
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

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
