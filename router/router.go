// Package router decides what becomes of an invoice: deposit it on Chorus
// Pro (for which budget, with which engagement number), ask the supplier for
// what is missing, hold it for finance staff, or ignore the message.
//
// Decide is a pure function of what the parser found, the configured
// budgets and what the store already knows; it does no I/O. When anything
// that matters is uncertain it asks or holds: it never guesses (DESIGN.md,
// invariant 3).
package router

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"facteur/ident"
	"facteur/parser"
	"facteur/register"
)

// Outcome is what to do with an invoice or a message.
type Outcome string

// The outcomes of a decision.
const (
	Deposit Outcome = "deposit" // deposit on Chorus Pro
	Ask     Outcome = "ask"     // reply to the supplier asking for what is missing
	Hold    Outcome = "hold"    // finance staff must decide
	Ignore  Outcome = "ignore"  // nothing to do (automatic message, not an invoice)
	Dup     Outcome = "duplicate"
	// Guide: Facteur cannot deposit this invoice itself; the supplier is
	// told exactly what to enter on Chorus Pro to deposit it (DESIGN.md,
	// "guide" deposit mode).
	Guide Outcome = "guide"
)

// Missing names what a supplier is asked for.
type Missing string

// What can be asked of a supplier.
const (
	MissingNone       Missing = ""
	MissingEngagement Missing = "engagement"
	MissingInvoice    Missing = "invoice"
	// MissingBudget: the budget the invoice is for could not be told
	// (no SIRET of ours, no keyword, nothing in the register), or the
	// invoice names another buyer: the supplier is asked, with our
	// budgets and their SIRETs.
	MissingBudget Missing = "budget"
)

// Chorus Pro syntaxeFlux values (chorus-pro-api.md §2.1).
const (
	SyntaxFacturX = "IN_DP_E2_CII_FACTURX"
	SyntaxCII     = "IN_DP_E1_CII_16B"
	SyntaxUBL     = "IN_DP_E1_UBL_INVOICE"
	// ModePDF is the other way to deposit: the PDF uploaded (deposer/pdf)
	// then the invoice's data submitted (soumettre, modeDepot DEPOT_PDF_API).
	ModePDF = "DEPOT_PDF_API"
)

// Budget is one of the public body's budgets, each a Chorus Pro recipient.
type Budget struct {
	Name     string
	SIRET    string
	Keywords []string
	// EngagementRequired: the recipient structure demands an engagement
	// number (numeroEJDoitEtreRenseigne).
	EngagementRequired bool
	// EngagementMandatory: the public body's own rule (configuration)
	// demands an engagement number on every invoice of this budget,
	// whatever Chorus Pro's structure says.
	EngagementMandatory bool
	// ServiceRequired: it demands a service code, BT-10
	// (codeServiceDoitEtreRenseigne).
	ServiceRequired bool
	// EngagementOrService: an engagement number or a service code will do
	// (gestionNumeroEJOuCodeService).
	EngagementOrService bool
	// Services are the structure's active service codes, when known; a
	// service code outside them would be refused by Chorus Pro.
	Services []string
}

// Rules are the configured routing rules.
type Rules struct {
	Budgets       []Budget
	DefaultBudget string // a budget name, or "" to hold when nothing else decides
	// PDFSuppliers are the SIRETs of the supplier structures the Chorus Pro
	// technical account may submit invoices for (soumettre). For them, an
	// invoice Facteur read itself (a plain PDF), or a Factur-X whose
	// engagement number came in the e-mail, is deposited in PDF mode with
	// Facteur's data; for other suppliers it is held for finance staff.
	PDFSuppliers map[string]bool
	// Register is the engagement register, when one is configured: an
	// engagement number must be in it, for the same budget and supplier,
	// and it names the budget an invoice does not.
	Register Engagements
	// Guide: an invoice Facteur may not deposit itself (a PDF without
	// structured data from a supplier outside PDFSuppliers, or a structured
	// file whose engagement number is only in the e-mail) is answered with
	// the details to enter on Chorus Pro, instead of being held for finance
	// staff. The budget must still be certain.
	Guide bool
}

// Engagements is the engagement register as the router uses it (see
// package register).
type Engagements interface {
	Lookup(number string) (register.Entry, bool)
}

// Decision is the router's verdict on one invoice or one message.
type Decision struct {
	Outcome    Outcome
	Mode       string // "flux" for a deposit of the supplier's own file
	Budget     string
	SIRET      string
	Engagement string
	Evidence   string // where the engagement number was found
	Syntax     string
	Missing    Missing
	// Service is the service code (BT-10) to give in a Guide reply, when
	// the invoice names an active one.
	Service string
	// EngagementRequired and ServiceRequired tell, for a Guide reply, what
	// the recipient structure demands (an engagement number, a service
	// code).
	EngagementRequired, ServiceRequired bool
	// ServiceChoices are the recipient's active service codes, for a Guide
	// reply that must ask the supplier to pick one.
	ServiceChoices []string
	// Reason explains the decision in French, for finance staff.
	Reason string
	// Fault, for an Ask or a Guide, is what is wrong, without the request
	// or the instructions: what finance staff read when no reply can be
	// sent.
	Fault string
	// SupplierReason, for an Ask about the invoice itself, tells the
	// supplier in French what was wrong with what was sent.
	SupplierReason string
	// AnswerDeposits, for an Ask of the engagement number: the supplier's
	// answer giving the number is enough for Facteur to deposit the
	// invoice (PDF mode, the technical account being attached to the
	// supplier); else only a corrected invoice carrying it (BT-13) is.
	AnswerDeposits bool
	// PriorRef, for a duplicate, is the case the invoice was first
	// received under.
	PriorRef string
	// BankCheck, for a Hold: the invoice's IBAN differs from the
	// supplier's earlier invoices; the sender is told the bank details
	// will be checked with the supplier through its usual contact.
	BankCheck bool
	// OtherBuyer, for an Ask of the budget: the buyer the invoice names
	// when it is none of ours (its name and SIRET, as read).
	OtherBuyer, OtherBuyerSIRET string
}

// Prior is an earlier case about the same supplier invoice.
type Prior struct {
	Ref   string
	State string // a store case state
	// Amount and Currency are the prior invoice's total with VAT, as
	// read: the same number with another amount is not a duplicate.
	Amount, Currency string
}

// The states of a prior case that a new e-mail of the same invoice can
// take over: its supplier was asked for what was missing, or told how to
// deposit it on Chorus Pro — and sends a depositable invoice instead.
const (
	PriorAwaitingSupplier = "awaiting_supplier"
	PriorGuided           = "guided"
)

// Input is what the router needs to decide on one invoice document.
type Input struct {
	Message  *parser.Message
	Document *parser.Document
	// Supplied are engagement numbers the supplier gave later, answering
	// our request.
	Supplied []parser.Candidate
	// Prior is set when the store already has a live case for the same
	// supplier and invoice number (being deposited, deposited, or waiting
	// for the supplier).
	Prior *Prior
	// Budget is the SIRET of the budget the supplier named in answer to
	// our question; it stands only when the rules cannot tell the budget.
	Budget string
	// KnownIBAN is the IBAN of the supplier's latest invoice that went
	// through (KnownIBANRef its case), "" when none: an invoice asking to
	// be paid elsewhere is held (the "changement de RIB" fraud).
	KnownIBAN, KnownIBANRef string
}

// bounceOrAutoReply reports automatic mail whose attachments are never
// invoices to deposit: delivery and disposition reports (they carry our own
// or the supplier's returned message) and automatic replies (vacation).
func bounceOrAutoReply(automatic string) bool {
	a := strings.ToLower(automatic)
	return strings.Contains(a, "delivery status") || strings.Contains(a, "disposition notification") ||
		strings.HasPrefix(a, "report (") || strings.Contains(a, "auto-replied") ||
		strings.HasPrefix(a, "x-autoreply") || strings.HasPrefix(a, "x-autorespond")
}

// DecideMessage decides on a message in which no invoice document was
// found. Every document counts, not the first one: each attachment that
// may be an invoice Facteur could not read (a photo or a scan, an office
// document, a damaged, encrypted or protected file, an archive it could not
// open) is named in one request for a readable PDF. An archive or a
// winmail.dat that was opened is not itself such a document: its entries
// are. Without any document, a message announcing an invoice ("veuillez
// trouver ci-joint notre facture") gets told that nothing was attached; a
// message asking something is held for a person; only a message that asks
// nothing and announces nothing, or an automatic one, is ignored.
func DecideMessage(m *parser.Message) Decision {
	if m.Automatic != "" {
		return Decision{Outcome: Ignore, Reason: "message automatique (" + m.Automatic + ")"}
	}
	if dec, cut := DecideLimits(m); cut {
		return dec
	}
	var unread []parser.Document
	var hold, containers []string
	for _, d := range m.Documents {
		switch {
		case openedContainer(d):
			containers = append(containers, d.Name)
		case d.Problem != parser.ProblemNone && !logo(d), mayHideInvoice(d):
			unread = append(unread, d)
		case d.Format == "pdf":
			hold = append(hold, fmt.Sprintf("PDF « %s » sans données structurées (Factur-X), qui ne se lit pas comme une facture : à examiner", d.Name))
		case d.Format == "zugferd1":
			hold = append(hold, fmt.Sprintf("« %s » est au format ZUGFeRD 1.0, que Chorus Pro n'accepte pas en dépôt de flux", d.Name))
		}
	}
	switch {
	case len(hold) > 0:
		// A person reads what Facteur cannot judge; the request for the
		// unreadable ones, if any, would be only part of the answer.
		for _, d := range unread {
			hold = append(hold, fmt.Sprintf("pièce jointe « %s » non lue : %s", d.Name, DocumentProblem(d)))
		}
		return Decision{Outcome: Hold, Reason: strings.Join(hold, " ; ")}
	case len(unread) > 0:
		return askForPDFs(unread)
	case len(containers) > 0:
		// Opened, but nothing in it reads as an invoice, nor as a file
		// that could be one: a person looks.
		return Decision{Outcome: Hold, Reason: fmt.Sprintf("archive %s ouverte, sans facture lisible : à examiner", quoteAll(containers))}
	case WordsOnly(m) && announcesAttachment(m):
		return Decision{Outcome: Ask, Missing: MissingInvoice,
			Fault:          "le message annonce une facture mais ne comporte aucune pièce jointe",
			Reason:         "le message annonce une facture mais ne comporte aucune pièce jointe ; la facture est demandée au fournisseur",
			SupplierReason: supplierNothingAttached}
	case WordsOnly(m) && asksSomething(m):
		return Decision{Outcome: Hold, Reason: fmt.Sprintf("message sans pièce jointe (« %s ») : une question ou une demande, à lire", truncate(m.Subject, 120))}
	}
	return Decision{Outcome: Ignore, Reason: "aucune facture dans le message, ni pièce jointe annoncée, ni question"}
}

// WordsOnly reports a message whose documents, if any, are all incidental:
// logos and signature pictures, contact or calendar cards, text files.
// Such a message is its words alone.
func WordsOnly(m *parser.Message) bool {
	for _, d := range m.Documents {
		if !incidental(d) {
			return false
		}
	}
	return true
}

// incidental reports a document that cannot be an invoice and asks
// nothing: a small picture, or a file of no invoice format read without a
// problem (a .vcf, an .ics, a .txt).
func incidental(d parser.Document) bool {
	return logo(d) || d.Problem == parser.ProblemNone && d.Format == parser.FormatOther && !d.IsInvoice && !mayHideInvoice(d)
}

// openedContainer reports an archive or a winmail.dat that was opened: its
// entries follow it as documents of their own.
func openedContainer(d parser.Document) bool {
	return (d.Format == parser.FormatZIP || d.Format == parser.FormatTNEF) && d.Problem == parser.ProblemNone
}

// attachmentWords announce an attachment in the words of a message.
var attachmentWords = regexp.MustCompile(`(?i)\b(ci-?\s?joint|ci-?\s?jointe?s?|pi[èe]ces?\s+jointes?|en\s+p\.?\s?j\b|veuillez\s+trouver|vous\s+trouverez|je\s+vous\s+(?:transmets|adresse|envoie|fais\s+parvenir)|nous\s+vous\s+(?:transmettons|adressons|envoyons|faisons\s+parvenir)|attached|enclosed|please\s+find|anbei|im\s+anhang)`)

// announcesAttachment reports a message whose own words (not the quoted
// ones) announce an attachment or an invoice sent with it.
func announcesAttachment(m *parser.Message) bool {
	return attachmentWords.MatchString(m.Subject + "\n" + ownWords(m.BodyText))
}

// questionWords mark a request a person must answer.
var questionWords = regexp.MustCompile(`(?i)(\?|\bo[uù] en est\b|\brelance\b|\bpaiement\b|\br[èe]glement\b|\bimpay[ée]e?s?\b|\bfacture\b|\bavoir\b|\bRIB\b|\bIBAN\b)`)

// asksSomething reports a message whose own words ask something or speak
// of an invoice, a payment or bank details.
func asksSomething(m *parser.Message) bool {
	return questionWords.MatchString(m.Subject + "\n" + ownWords(m.BodyText))
}

// ownWords is the text of a message without the lines it quotes.
func ownWords(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, ">") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// askForPDFs asks the supplier for a readable PDF of each attachment that
// may be an invoice Facteur could not read, saying for each what was
// wrong.
func askForPDFs(ds []parser.Document) Decision {
	if len(ds) == 1 {
		d := ds[0]
		why := fmt.Sprintf("pièce jointe « %s » illisible : %s", d.Name, DocumentProblem(d))
		if !looksLikeInvoiceFile(d) && d.Problem == parser.ProblemNone {
			kind := d.Sniffed
			if kind == "" {
				kind = d.ContentType
			}
			why = fmt.Sprintf("pièce jointe « %s » (%s) non lue par Facteur", d.Name, kind)
		}
		return askForPDF(d, why)
	}
	var why, toSupplier []string
	for _, d := range ds {
		why = append(why, fmt.Sprintf("« %s » : %s", d.Name, DocumentProblem(d)))
		toSupplier = append(toSupplier, supplierFileProblem(d))
	}
	return Decision{Outcome: Ask, Missing: MissingInvoice,
		Fault:          "pièces jointes illisibles : " + strings.Join(why, " ; "),
		Reason:         "pièces jointes illisibles : " + strings.Join(why, " ; ") + " ; une facture au format PDF est demandée au fournisseur",
		SupplierReason: strings.Join(toSupplier, " ")}
}

// askForPDF asks the supplier for a readable PDF of an attachment Facteur
// could not read (a scan, an office document, a damaged or encrypted
// file): why is for finance staff, the reply tells the supplier in plain
// words.
func askForPDF(d parser.Document, why string) Decision {
	return Decision{Outcome: Ask, Missing: MissingInvoice, Fault: why,
		Reason:         why + " ; une facture au format PDF est demandée au fournisseur",
		SupplierReason: supplierFileProblem(d)}
}

// docProblem is what is wrong with a document Facteur could not read: the
// parser's typed problem, or, for a file it read no problem in but did
// not open (an archive inside an archive, a TNEF stream), what the file
// is. It is then said to finance staff or to the supplier (wording.go).
type docProblem int

const (
	probDamaged   docProblem = iota // the default: a file that does not read
	probUnread                      // no problem: a kind of file Facteur does not open
	probEncrypted                   // an encrypted S/MIME message
	probPassword
	probTimeout
	probTooBig
	probEmpty
	probImage
	probOffice
	probArchive
	probUnsupported
	probFieldTooLong
)

func classify(d parser.Document) docProblem {
	switch d.Problem {
	case parser.ProblemEncrypted:
		return probEncrypted
	case parser.ProblemPassword:
		return probPassword
	case parser.ProblemLimit:
		switch d.Limit {
		case parser.LimitTime:
			return probTimeout
		case parser.LimitField:
			return probFieldTooLong
		}
		return probTooBig
	case parser.ProblemEmpty:
		return probEmpty
	case parser.ProblemImage:
		return probImage
	case parser.ProblemOffice:
		return probOffice
	case parser.ProblemArchive:
		return probArchive
	case parser.ProblemUnsupported:
		return probUnsupported
	case parser.ProblemNone:
		// Read without a problem, but not opened: say what it is.
		n := strings.ToLower(d.Name)
		switch {
		case strings.HasPrefix(d.Sniffed, "image/"):
			return probImage
		case strings.HasSuffix(n, ".msg") || d.ContentType == "application/vnd.ms-outlook":
			return probOffice
		case strings.HasSuffix(n, ".zip") || d.Sniffed == "application/zip" || d.Format == parser.FormatZIP || d.Format == parser.FormatTNEF:
			return probArchive
		}
		return probUnread
	}
	return probDamaged
}

// smallImage is the size up to which an attached picture is taken for a
// logo or a signature rather than a photo of an invoice.
const smallImage = 30 << 10

// logo reports an attached picture small enough to be a logo or a
// signature.
func logo(d parser.Document) bool {
	return strings.HasPrefix(d.Sniffed, "image/") && d.Size <= smallImage && !strings.HasSuffix(strings.ToLower(d.Name), ".pdf")
}

// mayHideInvoice reports an attachment Facteur cannot read but that may be
// an invoice: an archive, an Outlook winmail.dat or .msg, a scanned page.
// Small inline images (logos, signatures) are not.
func mayHideInvoice(d parser.Document) bool {
	n := strings.ToLower(d.Name)
	switch {
	case d.IsInvoice || d.Format == "xml":
		return false
	case strings.HasSuffix(n, ".zip"), strings.HasSuffix(n, ".msg"), strings.HasSuffix(n, ".dat"), strings.HasSuffix(n, ".p7m"),
		strings.Contains(d.ContentType, "pkcs7-mime"),
		strings.HasSuffix(n, ".tif"), strings.HasSuffix(n, ".tiff"),
		d.Sniffed == "application/zip", d.Sniffed == "application/ms-tnef", d.Sniffed == "application/vnd.ms-tnef",
		d.ContentType == "application/ms-tnef", d.ContentType == "application/vnd.ms-outlook":
		return true
	case d.Format != parser.FormatPDF && d.Format != parser.FormatZUGFeRD1 &&
		(strings.HasSuffix(n, ".pdf") || strings.HasPrefix(strings.ToLower(d.ContentType), "application/pdf")):
		// A file that says it is a PDF (by its name or its type) but
		// does not read as one: whatever it holds (a picture, random
		// bytes), it is what the supplier sent as the invoice, never
		// nothing.
		return true
	case strings.HasPrefix(d.Sniffed, "image/"):
		// An attached picture (those the HTML body shows are not
		// documents): a photo or a scan of an invoice, unless it is small
		// enough to be a logo or a signature.
		return d.Size > smallImage
	}
	return false
}

func looksLikeInvoiceFile(d parser.Document) bool {
	n := strings.ToLower(d.Name)
	return strings.HasSuffix(n, ".pdf") || strings.HasSuffix(n, ".xml") || d.Sniffed == "application/pdf"
}

// Decide decides on one invoice document of a message.
func Decide(r Rules, in Input) Decision {
	m, d := in.Message, in.Document
	if bounceOrAutoReply(m.Automatic) {
		return Decision{Outcome: Ignore, Reason: "message automatique (" + m.Automatic + ")"}
	}
	// Other automatic mail (a supplier's billing system, a no-reply sender)
	// carrying an invoice is handled like any other: deposited when complete;
	// the gateway never answers it.
	if d == nil || !d.IsInvoice || d.Invoice == nil {
		return DecideMessage(m)
	}
	inv := d.Invoice
	var syntax string
	switch d.Format {
	case "facturx":
		syntax = SyntaxFacturX
	case "cii":
		syntax = SyntaxCII
	case "ubl":
		syntax = SyntaxUBL
	case "pdf":
		// A PDF whose fields were read from its visible text (or from a
		// non-Factur-X attachment). Deposited in PDF mode only for a supplier
		// the technical account may submit for, and only when every field
		// Chorus Pro needs was read and checked; else finance staff deposit it.
		if !r.PDFSuppliers[inv.Seller.SIRET] {
			if r.Guide {
				return guide(r, in, fmt.Sprintf("facture PDF « %s » sans données structurées (Factur-X), que Facteur ne peut pas déposer pour ce fournisseur", d.Name))
			}
			reason := fmt.Sprintf("facture PDF « %s » sans données structurées (Factur-X) : à déposer par les services financiers", d.Name)
			if strings.TrimSpace(inv.OrderReference) == "" && len(m.Engagements) == 0 {
				reason += " ; aucun numéro d'engagement trouvé"
			}
			return hold(reason)
		}
		if missing := missingForPDF(inv); missing != "" {
			return hold(fmt.Sprintf("facture PDF « %s » : %s non lu(s) avec certitude ; à déposer par les services financiers", d.Name, missing))
		}
		syntax = ModePDF
	default:
		return Decision{Outcome: Hold, Reason: fmt.Sprintf("format %q de « %s » non déposable tel quel sur Chorus Pro", d.Format, d.Name)}
	}
	// The same supplier invoice again: a duplicate, unless it answers our
	// request for what was missing (decided below).
	awaiting := in.Prior != nil && in.Prior.State == PriorAwaitingSupplier
	guided := in.Prior != nil && in.Prior.State == PriorGuided
	if in.Prior != nil && !awaiting && !guided {
		return duplicate(inv, in.Prior)
	}
	if guided {
		// Told how to deposit it, the supplier sent it again: taken over
		// only if Facteur can now deposit it itself.
		if dec := Decide(r, Input{Message: m, Document: d, Supplied: in.Supplied}); dec.Outcome == Deposit {
			return dec
		}
		return Decision{Outcome: Dup, Reason: fmt.Sprintf("facture %s déjà reçue ; les instructions de dépôt sur Chorus Pro ont été envoyées (dossier %s)", inv.Number, in.Prior.Ref)}
	}

	// Checks Chorus Pro would make, made before spending a call (§2.15, §3.6).
	switch {
	case inv.Number == "":
		return hold("la facture n'a pas de numéro")
	case len([]rune(inv.Number)) > 20:
		return hold(fmt.Sprintf("numéro de facture « %s » trop long pour Chorus Pro (20 caractères au plus)", inv.Number))
	case inv.Seller.SIRET == "":
		return hold("SIRET du fournisseur absent ou invalide dans la facture")
	}

	budget, why, ok := decideBudget(r, in)
	if !ok {
		return askBudget(r, inv, why, awaiting, in.Prior)
	}

	dec := Decision{Outcome: Deposit, Mode: "flux", Budget: budget.Name, SIRET: budget.SIRET, Syntax: syntax}
	if syntax != ModePDF && strings.TrimSpace(inv.Buyer.SIRET) == "" {
		// The file names no recipient SIRET (the budget came from a
		// keyword, the register, the default or the supplier's answer):
		// Chorus Pro refuses such a flow, and Facteur may not edit the
		// file. Decided before anything is asked, so that no request
		// promises a deposit of a file that still could not be made: PDF
		// mode with Facteur's data for a supplier it may submit for, else
		// the supplier is told where to deposit it, else a person does.
		switch {
		case r.PDFSuppliers[inv.Seller.SIRET] && missingForPDF(inv) == "" && d.Format == "facturx":
			syntax = ModePDF
			dec.Syntax, dec.Mode = ModePDF, "pdf"
		case r.Guide:
			return guide(r, in, fmt.Sprintf("« %s » ne porte pas le SIRET du destinataire, sans lequel Chorus Pro refuse le dépôt du fichier", d.Name))
		default:
			h := hold(fmt.Sprintf("« %s » ne porte pas le SIRET du destinataire (%s selon les mots-clés ou le registre) : Chorus Pro refuserait le fichier ; à déposer par les services financiers", d.Name, budget.Name))
			h.Budget, h.SIRET = budget.Name, budget.SIRET
			if ej := ChooseEngagement(m, d, in.Supplied); ej.Value != "" {
				h.Engagement = ej.Value
			}
			return h
		}
	}
	service := strings.TrimSpace(inv.BuyerReference)
	switch {
	case service != "" && len(budget.Services) > 0 && !contains(budget.Services, service):
		return hold(fmt.Sprintf("code service « %s » (BT-10) inconnu ou inactif sur Chorus Pro pour le %s", service, budget.Name))
	case service == "" && budget.ServiceRequired && !budget.EngagementOrService:
		return hold(fmt.Sprintf("Chorus Pro exige un code service (BT-10) pour le %s ; la facture n'en porte pas", budget.Name))
	}
	xml := strings.TrimSpace(inv.OrderReference)
	others := otherCandidates(m, d, xml, in.Supplied)
	switch {
	case xml != "" && len(others) > 0:
		return hold(fmt.Sprintf("numéros d'engagement contradictoires : %q dans la facture, %s dans le message", xml, quoteAll(others)))
	case xml != "":
		if len(xml) > 50 {
			return hold(fmt.Sprintf("numéro d'engagement « %s » trop long (50 caractères au plus)", xml))
		}
		dec.Engagement, dec.Evidence = xml, "xml BT-13"
		if d.Source == "text" {
			dec.Evidence = "pdf text"
		}
	case len(others) == 1 && (syntax == ModePDF || syntax == SyntaxFacturX && r.PDFSuppliers[inv.Seller.SIRET] && missingForPDF(inv) == ""):
		// The number is in the e-mail (or printed on a PDF read as text), not
		// in the file's data. Facteur never edits a supplier's file: it
		// deposits the PDF with its own data (PDF mode).
		dec.Syntax, dec.Mode = ModePDF, "pdf"
		dec.Engagement, dec.Evidence = others[0], evidenceOf(m, d, in.Supplied, others[0])
	case len(others) > 1:
		return hold(fmt.Sprintf("numéros d'engagement contradictoires : %s", quoteAll(others)))
	case len(others) > 0 && r.Guide:
		return guide(r, in, fmt.Sprintf("numéro d'engagement %s donné dans le message mais absent de la facture, que Facteur ne peut pas compléter", quoteAll(others)))
	case len(others) > 0:
		// The number is in the e-mail, not in the file. Facteur never edits a
		// supplier's file; depositing it needs the PDF mode with our own data.
		return hold(fmt.Sprintf("numéro d'engagement %s donné dans le message mais absent de la facture : dépôt à compléter par les services financiers", quoteAll(others)))
	case budget.EngagementOrService && service != "" && !budget.EngagementMandatory:
		// The service code suffices for this recipient.
	case (budget.EngagementRequired || budget.EngagementMandatory || budget.EngagementOrService) && awaiting:
		return Decision{Outcome: Dup, Reason: fmt.Sprintf("facture %s déjà reçue sans numéro d'engagement ; celui-ci a déjà été demandé (dossier %s)", inv.Number, in.Prior.Ref)}
	case budget.EngagementRequired || budget.EngagementMandatory || budget.EngagementOrService:
		// What the supplier's answer can achieve is decided now, so that
		// the request promises only that: the number alone is enough when
		// Facteur may deposit the PDF with its own data for this supplier;
		// otherwise only a corrected invoice carrying it (BT-13) is.
		answer := syntax == ModePDF || syntax == SyntaxFacturX && r.PDFSuppliers[inv.Seller.SIRET] && missingForPDF(inv) == ""
		reason := "numéro d'engagement absent de la facture ; demandé au fournisseur"
		if !answer {
			reason += " (une facture rectifiée portant ce numéro, que Facteur ne peut pas compléter pour ce fournisseur)"
		}
		return Decision{Outcome: Ask, Missing: MissingEngagement, Budget: budget.Name, SIRET: budget.SIRET, Syntax: syntax,
			AnswerDeposits: answer, Reason: reason, Fault: "numéro d'engagement absent de la facture"}
	}
	if why := checkRegister(r, budget, inv, dec.Engagement); why != "" {
		return hold(why)
	}
	if syntax == ModePDF {
		dec.Syntax, dec.Mode = ModePDF, "pdf"
	}
	if iban := ident.Compact(inv.IBAN); iban != "" && in.KnownIBAN != "" && iban != ident.Compact(in.KnownIBAN) {
		return Decision{Outcome: Hold, BankCheck: true, Budget: budget.Name, SIRET: budget.SIRET,
			Reason: fmt.Sprintf("coordonnées bancaires différentes de celles des factures précédentes du fournisseur : IBAN de la facture %s, "+
				"IBAN connu %s (dossier %s) ; à vérifier auprès du fournisseur par son interlocuteur habituel avant tout dépôt (fraude au changement de RIB)",
				ident.FormatIBAN(iban), ident.FormatIBAN(in.KnownIBAN), in.KnownIBANRef)}
	}
	dec.Reason = fmt.Sprintf("dépôt pour le %s (SIRET %s)", budget.Name, budget.SIRET)
	if dec.Mode == "pdf" {
		dec.Reason += ", en mode PDF avec les données lues par Facteur"
	}
	return dec
}

// guide decides on an invoice Facteur cannot deposit itself: the supplier
// is told what to enter on Chorus Pro, provided the budget is certain and
// the engagement numbers found do not contradict each other; otherwise the
// case is held. why says why Facteur does not deposit it.
func guide(r Rules, in Input, why string) Decision {
	m, d := in.Message, in.Document
	inv := d.Invoice
	if in.Prior != nil && in.Prior.State != PriorAwaitingSupplier {
		return Decision{Outcome: Dup, Reason: fmt.Sprintf("facture %s déjà reçue (dossier %s)", inv.Number, in.Prior.Ref)}
	}
	budget, whyNot, ok := decideBudget(r, in)
	if !ok {
		return askBudget(r, inv, why+" ; "+whyNot, in.Prior != nil && in.Prior.State == PriorAwaitingSupplier, in.Prior)
	}
	dec := Decision{Outcome: Guide, Mode: "guide", Budget: budget.Name, SIRET: budget.SIRET}
	ej := ChooseEngagement(m, d, in.Supplied)
	xml := strings.TrimSpace(inv.OrderReference)
	switch {
	case len(ej.Conflict) > 0 && xml != "":
		return hold(fmt.Sprintf("%s ; numéros d'engagement contradictoires : %q dans la facture, %s dans le message", why, xml, quoteAll(ej.Conflict[1:])))
	case len(ej.Conflict) > 0:
		return hold(fmt.Sprintf("%s ; numéros d'engagement contradictoires : %s", why, quoteAll(ej.Conflict)))
	}
	dec.Engagement, dec.Evidence = ej.Value, ej.Evidence
	if whyNot := checkRegister(r, budget, inv, dec.Engagement); whyNot != "" {
		return hold(why + " ; " + whyNot)
	}
	// A service code Chorus Pro would refuse is not passed on.
	if s := strings.TrimSpace(inv.BuyerReference); s != "" && (len(budget.Services) == 0 || contains(budget.Services, s)) {
		dec.Service = s
	}
	dec.EngagementRequired = budget.EngagementRequired || budget.EngagementMandatory || budget.EngagementOrService && dec.Service == ""
	dec.ServiceRequired = budget.ServiceRequired && !budget.EngagementOrService
	if dec.ServiceRequired && dec.Service == "" {
		dec.ServiceChoices = budget.Services
	}
	dec.Reason = why + " : instructions de dépôt sur Chorus Pro envoyées au fournisseur (" + budget.Name + ")"
	dec.Fault = why + " (" + budget.Name + ")"
	return dec
}

// missingForPDF names the fields a PDF-mode submission needs that were not
// read ("" when none): Chorus Pro takes them from us, not from the file.
func missingForPDF(inv *parser.Invoice) string {
	var miss []string
	for _, f := range []struct{ name, v string }{
		{"numéro", inv.Number}, {"date", inv.IssueDate}, {"montant HT", inv.TotalWithoutVAT},
		{"TVA", inv.TotalVAT}, {"montant TTC", inv.TotalWithVAT},
	} {
		if strings.TrimSpace(f.v) == "" {
			miss = append(miss, f.name)
		}
	}
	return strings.Join(miss, ", ")
}

// evidenceOf says where an engagement number was found.
func evidenceOf(m *parser.Message, d *parser.Document, supplied []parser.Candidate, v string) string {
	for _, cs := range [][]parser.Candidate{d.Candidates, m.Engagements, supplied} {
		for _, c := range cs {
			if normalizeRef(c.Value) == normalizeRef(v) {
				return c.Evidence
			}
		}
	}
	return ""
}

func hold(reason string) Decision { return Decision{Outcome: Hold, Reason: reason} }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

// decideBudget is chooseBudget, then, when the invoice names none of our
// budgets, the budget the engagement register gives its one engagement
// number.
func decideBudget(r Rules, in Input) (Budget, string, bool) {
	m, d := in.Message, in.Document
	inv := d.Invoice
	budget, why, ok := chooseBudget(r, m, inv, d.Text)
	if !ok && in.Budget != "" && inv.Buyer.SIRET == "" {
		// The supplier answered our question: the budget it names stands
		// for an invoice that names no buyer SIRET (one naming another
		// buyer needs a corrected invoice, not an answer).
		for _, b := range r.Budgets {
			if b.SIRET == in.Budget {
				return b, "", true
			}
		}
	}
	if ok || r.Register == nil || inv.Buyer.SIRET != "" && !sameSIREN(r.Budgets, inv.Buyer.SIRET) {
		return budget, why, ok
	}
	ejs := otherCandidates(m, d, "", in.Supplied)
	if xml := strings.TrimSpace(inv.OrderReference); xml != "" {
		ejs = otherCandidates(m, d, xml, in.Supplied)
		ejs = append(ejs, xml)
	}
	if len(ejs) != 1 {
		return budget, why, false
	}
	if e, found := r.Register.Lookup(ejs[0]); found {
		if b, ok := registerBudget(r, e); ok {
			return b, "", true
		}
	}
	return budget, why, false
}

// registerBudget is the budget a register entry names (by SIRET or name).
func registerBudget(r Rules, e register.Entry) (Budget, bool) {
	for _, b := range r.Budgets {
		if e.RecipientSIRET != "" && b.SIRET == e.RecipientSIRET ||
			e.RecipientSIRET == "" && e.Recipient != "" && fold(b.Name) == fold(e.Recipient) {
			return b, true
		}
	}
	return Budget{}, false
}

// checkRegister checks an engagement number against the register: it must
// be there, for the budget chosen and the invoice's supplier. It returns
// why not, or "".
func checkRegister(r Rules, budget Budget, inv *parser.Invoice, ej string) string {
	if r.Register == nil || ej == "" {
		return ""
	}
	e, ok := r.Register.Lookup(ej)
	if !ok {
		return fmt.Sprintf("numéro d'engagement « %s » absent du registre des engagements (à vérifier ; une fois le registre à jour, le dossier peut être remis à l'examen)", ej)
	}
	if b, ok := registerBudget(r, e); ok && b.SIRET != budget.SIRET {
		return fmt.Sprintf("le numéro d'engagement « %s » relève du %s selon le registre, la facture est adressée au %s", ej, b.Name, budget.Name)
	}
	if e.Recipient != "" {
		if _, ok := registerBudget(r, e); !ok {
			return fmt.Sprintf("le numéro d'engagement « %s » relève, selon le registre, de « %s », qui n'est aucun de nos budgets", ej, e.Recipient)
		}
	}
	if s, seller := e.SupplierSIRET, inv.Seller.SIRET; s != "" && seller != "" && !strings.HasPrefix(seller, s) {
		return fmt.Sprintf("le numéro d'engagement « %s » est attribué à un autre fournisseur (SIRET %s) selon le registre", ej, s)
	}
	return ""
}

// chooseBudget applies the budget rule: the buyer SIRET when it is one of
// ours; else, when the buyer is not another legal entity, the keywords, then
// the default budget.
func chooseBudget(r Rules, m *parser.Message, inv *parser.Invoice, text string) (Budget, string, bool) {
	buyer := inv.Buyer.SIRET
	for _, b := range r.Budgets {
		if buyer != "" && b.SIRET == buyer {
			return b, "", true
		}
	}
	if buyer == "" && text != "" {
		// An invoice read from its visible text: one of our SIRETs printed
		// on it (and only one) names the budget.
		var printed []Budget
		for _, b := range r.Budgets {
			if siretPattern(b.SIRET).MatchString(text) {
				printed = append(printed, b)
			}
		}
		if len(printed) == 1 {
			return printed[0], "", true
		}
	}
	if buyer != "" && !sameSIREN(r.Budgets, buyer) {
		return Budget{}, fmt.Sprintf("le destinataire de la facture (SIRET %s) n'est aucun de nos budgets", buyer), false
	}
	words := fold(strings.Join([]string{m.Subject, m.BodyText, inv.Buyer.Name}, "\n"))
	var matched []Budget
	for _, b := range r.Budgets {
		for _, k := range b.Keywords {
			if k != "" && strings.Contains(words, fold(k)) {
				matched = append(matched, b)
				break
			}
		}
	}
	switch len(matched) {
	case 1:
		return matched[0], "", true
	case 0:
		for _, b := range r.Budgets {
			if b.Name == r.DefaultBudget {
				return b, "", true
			}
		}
		return Budget{}, "budget destinataire indéterminé (SIRET de l'acheteur absent ou inconnu)", false
	default:
		names := make([]string, len(matched))
		for i, b := range matched {
			names[i] = b.Name
		}
		return Budget{}, "budget destinataire ambigu : " + strings.Join(names, ", "), false
	}
}

// siretPattern matches a SIRET as printed: its digits, possibly grouped
// by spaces or dots ("200 071 892 00067"), not inside a longer number.
func siretPattern(siret string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?:^|[^0-9])`)
	for i, d := range siret {
		if i > 0 {
			b.WriteString(`[ .\x{00A0}\x{202F}]?`)
		}
		b.WriteRune(d)
	}
	b.WriteString(`(?:[^0-9]|$)`)
	return regexp.MustCompile(b.String())
}

func sameSIREN(budgets []Budget, siret string) bool {
	for _, b := range budgets {
		if len(b.SIRET) >= 9 && len(siret) >= 9 && b.SIRET[:9] == siret[:9] {
			return true
		}
	}
	return false
}

// otherCandidates returns the engagement numbers found outside the XML
// (subject, body, other evidence) that differ from the XML's own.
func otherCandidates(m *parser.Message, d *parser.Document, xml string, supplied []parser.Candidate) []string {
	seen := map[string]bool{}
	var out []string
	add := func(cs []parser.Candidate) {
		for _, c := range cs {
			v := strings.TrimSpace(c.Value)
			if v == "" || c.Evidence == "xml BT-13" || normalizeRef(v) == normalizeRef(xml) || seen[normalizeRef(v)] {
				continue
			}
			seen[normalizeRef(v)] = true
			out = append(out, v)
		}
	}
	add(d.Candidates)
	add(m.Engagements)
	add(supplied)
	return out
}

func normalizeRef(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "« " + v + " »"
	}
	return strings.Join(q, ", ")
}

// fold lower-cases s and strips accents, so that keywords match "Eau
// potable" as well as "EAU POTABLE" or "eau  potable".
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			if !space {
				b.WriteRune(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// EngagementChoice is the engagement number the router takes for an
// invoice, and where it was found; Conflict lists the numbers found when
// they disagree (the invoice is then held, never deposited with one of
// them).
type EngagementChoice struct {
	Value, Evidence string
	Conflict        []string
}

// ChooseEngagement applies the router's rule for the engagement number of
// an invoice: BT-13 of its data, else the one number found elsewhere (the
// e-mail, the PDF's text, the file name, the supplier's answer); none when
// nothing was found, a conflict when two numbers disagree. Decide and
// guide take the number this way; whether it can be used (deposited in
// flux or PDF mode, or given in a guide) is theirs to decide.
func ChooseEngagement(m *parser.Message, d *parser.Document, supplied []parser.Candidate) EngagementChoice {
	var xml string
	if d.Invoice != nil {
		xml = strings.TrimSpace(d.Invoice.OrderReference)
	}
	others := otherCandidates(m, d, xml, supplied)
	switch {
	case xml != "" && len(others) > 0:
		return EngagementChoice{Conflict: append([]string{xml}, others...)}
	case xml != "":
		ev := "xml BT-13"
		if d.Source == "text" {
			ev = "pdf text"
		}
		return EngagementChoice{Value: xml, Evidence: ev}
	case len(others) == 1:
		return EngagementChoice{Value: others[0], Evidence: evidenceOf(m, d, supplied, others[0])}
	case len(others) > 1:
		return EngagementChoice{Conflict: others}
	}
	return EngagementChoice{}
}

// duplicate is the verdict on an invoice whose supplier and number are
// those of a live case: a duplicate only with the same amount; the same
// number with another amount (a credit note read with the corrected
// invoice's number, a corrected invoice) is held for a person, never
// dropped.
func duplicate(inv *parser.Invoice, p *Prior) Decision {
	if p.Amount != "" && inv.TotalWithVAT != "" && !sameAmount(p.Amount, inv.TotalWithVAT) {
		return hold(fmt.Sprintf("même fournisseur et même numéro (%s) qu'une facture déjà reçue (dossier %s), mais un autre montant TTC (%s au lieu de %s) : à examiner",
			inv.Number, p.Ref, inv.TotalWithVAT, p.Amount))
	}
	return Decision{Outcome: Dup, Reason: fmt.Sprintf("facture %s déjà reçue (dossier %s)", inv.Number, p.Ref), PriorRef: p.Ref}
}

// sameAmount compares two decimal amounts as numbers ("120" = "120.00").
func sameAmount(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(strings.TrimSpace(a))
	y, ok2 := new(big.Rat).SetString(strings.TrimSpace(b))
	return ok1 && ok2 && x.Cmp(y) == 0 || strings.TrimSpace(a) == strings.TrimSpace(b)
}

// askBudget asks the supplier which of our budgets an invoice is for (the
// reply lists them with their SIRETs) when the rules cannot tell; when the
// invoice names a buyer SIRET that is none of ours, the supplier is told
// which buyer it names and asked for a corrected invoice. A request
// already pending makes the invoice sent again a duplicate of it.
func askBudget(r Rules, inv *parser.Invoice, why string, awaiting bool, p *Prior) Decision {
	if awaiting {
		return Decision{Outcome: Dup, Reason: fmt.Sprintf("facture %s déjà reçue ; son budget destinataire a déjà été demandé (dossier %s)", inv.Number, p.Ref)}
	}
	if len(r.Budgets) == 0 {
		return hold(why)
	}
	dec := Decision{Outcome: Ask, Missing: MissingBudget, Fault: why, Reason: why + " ; le budget destinataire est demandé au fournisseur"}
	if s := inv.Buyer.SIRET; s != "" && !ourSIRET(r.Budgets, s) {
		dec.OtherBuyer, dec.OtherBuyerSIRET = inv.Buyer.Name, s
		dec.Reason = why + " ; une facture rectifiée, adressée à l'un de nos budgets, est demandée au fournisseur"
	}
	return dec
}

func ourSIRET(budgets []Budget, siret string) bool {
	for _, b := range budgets {
		if b.SIRET == siret {
			return true
		}
	}
	return false
}

// AnsweredBudget is the budget a supplier's answer names, by its SIRET
// (as printed, spaces or dots allowed) or its name or one of its keywords;
// ok only when exactly one budget is named.
func AnsweredBudget(r Rules, text string) (Budget, bool) {
	words := fold(text)
	var named []Budget
	for _, b := range r.Budgets {
		hit := siretPattern(b.SIRET).MatchString(text) || strings.Contains(words, fold(b.Name))
		for _, k := range b.Keywords {
			hit = hit || k != "" && strings.Contains(words, fold(k))
		}
		if hit {
			named = append(named, b)
		}
	}
	if len(named) != 1 {
		return Budget{}, false
	}
	return named[0], true
}

// AsksSomething reports a message whose own words (not those it quotes)
// ask something, or speak of an invoice, a payment or bank details.
func AsksSomething(m *parser.Message) bool { return asksSomething(m) }

// AnnouncesAttachment reports a message whose own words announce an
// attachment ("veuillez trouver ci-joint notre facture").
func AnnouncesAttachment(m *parser.Message) bool { return announcesAttachment(m) }

// DecideLimits holds for a person a message that went over a limit while
// it was read (MIME parts, nesting, a header section's size): part of it
// was not read, so whatever was found, a person must look; a limit is
// never "no invoice". cut is false when no limit was reached.
func DecideLimits(m *parser.Message) (Decision, bool) {
	if len(m.Limits) == 0 {
		return Decision{}, false
	}
	var what []string
	for _, l := range m.Limits {
		what = append(what, messageLimitWords[l])
	}
	return hold("message lu en partie seulement (" + strings.Join(what, " ; ") + ") : des pièces jointes ont pu ne pas être lues, à examiner dans la boîte aux lettres"), true
}
