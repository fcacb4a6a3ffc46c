// Package casebook is the casebook of issue 10: supplier e-mails written
// by the team, shaped like real clients' mail (Outlook with its logo and
// winmail.dat, Gmail, Apple Mail, Thunderbird, phones, billing systems, a
// colleague forwarding, answers quoting our reply), each with what a
// careful clerk expects of it: the final state of each case, what reached
// Chorus Pro, the reply and the facts it must mention, what finance staff
// read.
//
// It is test data: the messages are built in code (with package samples
// for the invoices), so that they carry today's dates and the exact
// identifiers of the table. cmd/facteur's TestCasebook runs them all
// through `facteur run` against a real Dovecot, a real mailpit and the
// Chorus Pro sandbox (see README.md, "Casebook").
//
// Every identifier is fictitious: names, addresses and bank accounts are
// invented, and the SIRETs, VAT numbers and IBANs are computed to pass the
// checks a real one passes, so one may by chance belong to a real company.
package casebook

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Case is one e-mail of the casebook.
type Case struct {
	// Name is unique and short ("outlook-facturx-principal").
	Name string
	// Kind is the kind of message it stands for (one of Kinds).
	Kind string
	// Client is the mail client or system that wrote it.
	Client string
	// Note says in one line what it is and why the outcome is right.
	Note string
	// After names a case that must be settled before this one is
	// delivered ("" → delivered at once).
	After string
	// Answers is the kind of Facteur's reply (about After's case, or its
	// case about AnswersInvoice) this message needs to be written: the
	// reply is given to Build, which answers or quotes it as the supplier
	// would. "" → Build gets nil.
	Answers        string
	AnswersInvoice string
	// Build writes the raw message, at the time it is delivered.
	Build func(r *Reply) []byte
	// Want lists the cases Facteur should open for this message, in the
	// order of its documents, as they stand at the end of the run (after
	// the answers to them). A message that answers one of our requests
	// opens none: its effect is in the Want of the case it answers.
	Want []Want
	// Gap, when set, says in one line what the product does not do yet:
	// the case runs and is shown as a known gap; it must not pass (the
	// mark is removed once the product is fixed).
	Gap string
}

// Want is what a careful clerk expects of one case.
type Want struct {
	// Invoice is the number of the invoice the case is about; "" for a
	// case about the message as a whole.
	Invoice string
	// State is its final state (store.CaseState).
	State string
	// Deposit is what must have reached Chorus Pro for it; nil: nothing.
	Deposit *Deposit
	// Reply is the kind of the last reply sent about the case
	// (notifier.Kind); "" → no reply at all.
	Reply string
	// Earlier are the kinds of the replies sent before it, in order.
	Earlier []string
	// To is where the replies go, when not the message's sender.
	To string
	// Says are phrases the last reply must contain (compared without
	// regard to case, white space and line breaks folded); Never,
	// phrases no reply of the case may contain. "{ref:CASE}" and "{flow:CASE}" stand for the
	// reference and the Chorus Pro flow number of another case's first
	// case (or, with "{ref:CASE/INVOICE}", of its case about INVOICE).
	Says, Never []string
	// Finance is a phrase of the reason finance staff read on the case;
	// FinanceNever, phrases it must not contain (a claim that is untrue).
	Finance      string
	FinanceNever []string
}

// Deposit is what reached Chorus Pro.
type Deposit struct {
	SIRET      string // the recipient
	Engagement string // "" → none
	Number     string
	Type       string // "invoice" or "credit_note"
	Mode       string // "flux" (the supplier's file) or "pdf" (deposer/pdf + soumettre)
}

// Reply is one of Facteur's replies, as the supplier received it.
type Reply struct {
	MessageID string // without angle brackets
	Subject   string
	Text      string // the text/plain part
	Date      time.Time
	From      string // our address
	FromName  string
	To        string // the supplier's
	Ref       string // the case reference, FAC-2026-000123
}

// The kinds of message the casebook covers: those of issue 10 and those
// DESIGN.md names.
const (
	KindArchive          = "archive (ZIP)"
	KindCreditNote       = "avoir"
	KindForgotten        = "pièce jointe oubliée"
	KindPhoto            = "photo ou PDF image"
	KindOtherBuyer       = "autre acheteur"
	KindNoBudget         = "budget indéterminé"
	KindResent           = "facture renvoyée"
	KindNoEJNotAttached  = "sans engagement, fournisseur non rattaché"
	KindNoEJAttached     = "sans engagement, fournisseur rattaché"
	KindIBAN             = "changement d'IBAN"
	KindBodyRule         = "engagement exigé par la collectivité"
	KindStatus           = "où en est ma facture ?"
	KindSeveral          = "plusieurs factures"
	KindAutoReply        = "réponse automatique"
	KindBounce           = "rejet de remise (DSN)"
	KindDMARC            = "DMARC en échec"
	KindOwnAddress       = "notre propre adresse"
	KindUnreadable       = "PDF endommagé, chiffré ou protégé"
	KindOffice           = "document bureautique"
	KindUBL              = "UBL"
	KindCII              = "CII"
	KindFacturX          = "Factur-X complète"
	KindKeyword          = "mot-clé (budget)"
	KindEJInMail         = "engagement dans le courriel"
	KindEJConflict       = "engagements contradictoires"
	KindAnswerEJ         = "réponse avec le numéro"
	KindWordsOnly        = "réponse sans pièce jointe"
	KindBillingSystem    = "logiciel de facturation"
	KindForwarded        = "transfert par un collègue"
	KindOutlookTNEF      = "Outlook winmail.dat"
	KindInlinePDF        = "PDF en ligne (Apple Mail)"
	KindAnswerInvoice    = "réponse avec la facture"
	KindAnswerBudget     = "réponse avec le budget"
	KindAnswerAutomatic  = "réponse automatique à une demande"
	KindSameNumberOthers = "même numéro, autre montant"
)

// Kinds are every kind, in the order of the table of the test.
var Kinds = []string{
	KindFacturX, KindUBL, KindCII, KindKeyword, KindEJInMail, KindBodyRule,
	KindArchive, KindSeveral, KindCreditNote, KindForgotten, KindPhoto, KindUnreadable, KindOffice,
	KindOtherBuyer, KindNoBudget, KindAnswerBudget, KindResent, KindSameNumberOthers,
	KindNoEJNotAttached, KindNoEJAttached, KindAnswerEJ, KindAnswerInvoice, KindEJConflict, KindIBAN,
	KindStatus, KindWordsOnly, KindAutoReply, KindAnswerAutomatic, KindBounce, KindDMARC, KindOwnAddress,
	KindBillingSystem, KindForwarded, KindOutlookTNEF, KindInlinePDF,
}

// The public body, as the test configures it: the CASQ's four budgets on
// Chorus Pro (engagement number mandatory), and a fifth whose structure
// leaves it optional while the body's own rule requires it.
const (
	Organisation = "Agglomération du Saint-Quentinois"
	Mailbox      = "accueil.comptabilite@casq.fr"

	SIRETPrincipal      = "20007189200067"
	SIRETEauPotable     = "20007189200026"
	SIRETAssainissement = "20007189200034"
	SIRETCircuit        = "20007189200059"
)

// Budget is one budget of the public body.
type Budget struct {
	Name, SIRET string
	Keywords    []string
	// OptionalOnChorus: its Chorus Pro structure does not require an
	// engagement number (the body's rule still does).
	OptionalOnChorus bool
}

// SIRETTransports is the fifth budget's SIRET (same SIREN as the CASQ).
var SIRETTransports = siret("20007189", "0008")

// Budgets are the budgets of the test's configuration, in its order.
func Budgets() []Budget {
	return []Budget{
		{Name: "Budget principal", SIRET: SIRETPrincipal},
		{Name: "Budget eau potable", SIRET: SIRETEauPotable, Keywords: []string{"eau potable"}},
		{Name: "Budget assainissement", SIRET: SIRETAssainissement, Keywords: []string{"assainissement"}},
		{Name: "Budget circuit automobile", SIRET: SIRETCircuit, Keywords: []string{"circuit"}},
		{Name: "Budget transports urbains", SIRET: SIRETTransports, OptionalOnChorus: true},
	}
}

// Other buyers: public bodies that are none of ours (fictitious SIRETs of
// other SIRENs), and a SIRET of the CASQ's SIREN that is no budget.
var (
	VilleSIRET       = siret("21020691", "0001")
	DepartementSIRET = siret("22020001", "0003")
	FormerCASQSIRET  = siret("20007189", "0004")
)

// siret returns the SIRET of the SIREN base8+key and the establishment
// nic4+key, both keys computed (Luhn).
func siret(base8, nic4 string) string {
	siren := base8 + luhnKey(base8)
	return siren + nic4 + luhnKey(siren+nic4)
}

// luhnKey is the digit that makes digits+key pass the Luhn check.
func luhnKey(digits string) string {
	for k := 0; k < 10; k++ {
		if luhnOK(digits + fmt.Sprint(k)) {
			return fmt.Sprint(k)
		}
	}
	panic("casebook: no Luhn key for " + digits)
}

func luhnOK(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// vat is the French VAT number of a SIREN.
func vat(siren string) string {
	n, _ := new(big.Int).SetString(siren, 10)
	key := (12 + 3*new(big.Int).Mod(n, big.NewInt(97)).Int64()) % 97
	return fmt.Sprintf("FR%02d%s", key, siren)
}

// iban is the French IBAN of a bank, branch and account (digits only),
// with its RIB key and check digits computed.
func iban(bank, branch, account string) string {
	num := func(s string) *big.Int { n, _ := new(big.Int).SetString(s, 10); return n }
	r := new(big.Int).Mul(big.NewInt(89), num(bank))
	r.Add(r, new(big.Int).Mul(big.NewInt(15), num(branch)))
	r.Add(r, new(big.Int).Mul(big.NewInt(3), num(account)))
	key := 97 - new(big.Int).Mod(r, big.NewInt(97)).Int64()
	bban := fmt.Sprintf("%s%s%s%02d", bank, branch, account, key)
	check := 98 - new(big.Int).Mod(num(bban+"152700"), big.NewInt(97)).Int64()
	return fmt.Sprintf("FR%02d%s", check, bban)
}

// formatIBAN groups an IBAN by four, as printed.
func formatIBAN(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

// formatSIRET is "200 071 892 00067".
func formatSIRET(s string) string {
	if len(s) != 14 {
		return s
	}
	return s[:3] + " " + s[3:6] + " " + s[6:9] + " " + s[9:]
}

// FormatSIRET is the SIRET as replies print it.
func FormatSIRET(s string) string { return formatSIRET(s) }
