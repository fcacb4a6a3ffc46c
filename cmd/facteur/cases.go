package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"facteur/gateway"
	"facteur/notifier"
	"facteur/parser"
	"facteur/router"
	"facteur/store"
)

// stateLabel is how finance staff read a case's state.
func stateLabel(s store.CaseState) string {
	switch s {
	case store.CaseNew:
		return "reçue"
	case store.CaseRouted:
		return "prête à déposer"
	case store.CaseDepositing:
		return "dépôt en cours"
	case store.CaseDeposited:
		return "déposée, en traitement"
	case store.CaseIntegrated:
		return "déposée et intégrée"
	case store.CasePaid:
		return "mise en paiement"
	case store.CaseRejected:
		return "refusée par Chorus Pro"
	case store.CaseAwaitingSupplier:
		return "en attente du fournisseur"
	case store.CaseHeld:
		return "à examiner"
	case store.CaseIgnored:
		return "ignorée"
	case store.CaseDuplicate:
		return "doublon"
	case store.CaseGuided:
		return "à déposer par le fournisseur"
	}
	return string(s)
}

// documentLabel describes a document of a message for a finance clerk:
// « facture.pdf » (Factur-X, facture) or « scan.jpg » (illisible : …).
func documentLabel(d store.DocumentInfo) string {
	kind := map[string]string{
		"facturx": "Factur-X", "zugferd1": "ZUGFeRD 1.0", "ubl": "UBL", "cii": "CII", "pdf": "PDF",
		"xml": "XML", "zip": "archive ZIP", "tnef": "winmail.dat", "unsupported": "format non pris en charge",
	}[d.Format]
	if kind == "" {
		kind = "autre fichier"
	}
	if d.IsInvoice {
		kind += ", facture"
	}
	if d.Problem != "" {
		kind += " ; illisible : " + oneLine(router.DocumentProblem(parser.Document{
			Name: d.Name, ContentType: d.ContentType, Format: d.Format,
			Problem: parser.Problem(d.Problem), Limit: parser.Limit(d.Limit), Error: d.Error,
		}), 200)
	}
	return "« " + d.Name + " » (" + kind + ")"
}

func cmdCases(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cases", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/facteur/facteur.toml", "configuration file (TOML)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 2
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Instance.DataDir, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %v\n", err)
		return 1
	}
	defer st.Close()

	rest := fs.Args()
	sub := "list"
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	switch sub {
	case "list":
		lf := flag.NewFlagSet("cases list", flag.ContinueOnError)
		lf.SetOutput(stderr)
		state := lf.String("state", "", "only the cases in this state (e.g. held, awaiting_supplier)")
		limit := lf.Int("limit", 200, "at most this many cases, newest first")
		search := lf.String("search", "", "only the cases mentioning this text (supplier, SIRET, invoice or engagement number, reference...)")
		if err := lf.Parse(rest); err != nil {
			return 2
		}
		f := store.CaseFilter{Limit: *limit, Search: *search}
		if *state != "" {
			f.States = []store.CaseState{store.CaseState(*state)}
		}
		cases, err := st.Cases(ctx, f)
		if err != nil {
			fmt.Fprintf(stderr, "facteur cases: %v\n", err)
			return 1
		}
		return printCases(stdout, cases)
	case "show":
		if len(rest) != 1 {
			fmt.Fprintln(stderr, "usage: facteur cases show REF")
			return 2
		}
		return showCase(ctx, stdout, stderr, st, rest[0])
	case "release", "reject", "retry":
		return actOnCase(ctx, sub, rest, stdout, stderr, st)
	}
	fmt.Fprintf(stderr, "facteur cases: unknown subcommand %q (list, show, release, reject, retry)\n", sub)
	return 2
}

// actOnCase carries out what a finance clerk decided about a case:
//
//	release REF               examine it again (after a configuration fix, or
//	                          once Chorus Pro shows an uncertain deposit did not happen)
//	release REF --flow NUM    Chorus Pro shows the invoice was deposited as flow NUM
//	reject REF --reason TEXT  set it aside; Facteur will not deposit it
//	retry REF                 send again the replies that could not be sent
//
// The daemon picks the change up at its next pass; the ledger records who
// made it.
func actOnCase(ctx context.Context, action string, args []string, stdout, stderr io.Writer, st *store.Store) int {
	fs := flag.NewFlagSet("cases "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	flow := fs.String("flow", "", "with release: the Chorus Pro flow number under which the invoice was found deposited")
	reason := fs.String("reason", "", "with reject: why the case is set aside (required)")
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: facteur cases %s REF [options]\n", action)
		return 2
	}
	ref := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	g := gateway.New(gateway.Options{Store: st})
	who := operator()
	var (
		a   gateway.Acted
		err error
	)
	switch action {
	case "release":
		a, err = g.Release(ctx, ref, who, *flow)
	case "reject":
		a, err = g.Reject(ctx, ref, who, *reason)
	default: // retry
		a, err = g.RetryReplies(ctx, ref, who)
	}
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %s : %s\n", ref, frenchActionError(err, a.Case.State))
		return 1
	}
	switch {
	case action == "retry":
		fmt.Fprintf(stdout, "Dossier %s : %d réponse(s) remise(s) en file d'envoi.\n", ref, a.Requeued)
	case a.To == store.CaseDeposited && *flow != "":
		fmt.Fprintf(stdout, "Dossier %s : déposé sur Chorus Pro sous le flux %s ; son suivi reprend.\n", ref, a.Flow)
	case a.To == store.CaseDeposited:
		fmt.Fprintf(stdout, "Dossier %s : le suivi sur Chorus Pro (flux %s) reprend.\n", ref, a.Flow)
	case a.To == store.CaseNew:
		fmt.Fprintf(stdout, "Dossier %s : remis à l'examen.\n", ref)
	default:
		fmt.Fprintf(stdout, "Dossier %s : écarté.\n", ref)
	}
	return 0
}

// frenchActionError explains a refused action to a finance clerk.
func frenchActionError(err error, from store.CaseState) string {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "aucun dossier de ce numéro"
	case errors.Is(err, store.ErrTransition):
		return fmt.Sprintf("action impossible sur un dossier « %s »", stateLabel(from))
	case errors.Is(err, gateway.ErrReasonRequired):
		return "--reason est obligatoire : dites pourquoi le dossier est écarté"
	case errors.Is(err, gateway.ErrNoFailedReply):
		return "aucune réponse en échec pour ce dossier"
	}
	return "erreur : " + err.Error()
}

// operator names the person acting, for the ledger.
func operator() string {
	for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return "un opérateur"
}

func printCases(w io.Writer, cases []store.Case) int {
	if len(cases) == 0 {
		fmt.Fprintln(w, "Aucun dossier.")
		return 0
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOSSIER\tREÇU LE\tFOURNISSEUR\tFACTURE\tMONTANT TTC\tBUDGET\tÉTAT\tMOTIF / FLUX")
	for _, c := range cases {
		supplier := c.SupplierName
		if supplier == "" {
			supplier = c.From
		}
		detail := c.Reason
		if c.FlowNumber != "" {
			detail = "flux " + c.FlowNumber
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Ref, c.CreatedAt.Local().Format("02/01/2006 15:04"),
			oneLine(supplier, 32), dash(c.InvoiceNumber), dash(amount(c.AmountWithVAT, c.Currency)), dash(c.Budget),
			stateLabel(c.State), oneLine(detail, 90))
	}
	tw.Flush()
	return 0
}

func showCase(ctx context.Context, w, stderr io.Writer, st *store.Store, ref string) int {
	c, err := st.CaseByRef(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "facteur cases: aucun dossier %s\n", ref)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %v\n", err)
		return 1
	}
	row := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-28s %s\n", label, v)
		}
	}
	row("Dossier", c.Ref)
	row("État", stateLabel(c.State))
	row("Motif", c.Reason)
	row("Message", c.Subject)
	row("Expéditeur", c.From)
	row("Fournisseur", c.SupplierName)
	row("SIRET du fournisseur", c.SupplierSIRET)
	row("Facture n°", c.InvoiceNumber)
	row("Date de facture", notifier.FrenchDate(c.InvoiceDate))
	row("Montant TTC", amount(c.AmountWithVAT, c.Currency))
	row("Budget", c.Budget)
	row("SIRET destinataire", c.RecipientSIRET)
	row("Numéro d'engagement", c.Engagement)
	row("Flux Chorus Pro", c.FlowNumber)
	row("Date de dépôt", notifier.FrenchDate(c.DepositDate))
	row("État du flux", c.FlowState)
	row("Dernière erreur", c.LastError)
	docs, err := st.DocumentsOfMessage(ctx, c.MessageID)
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %v\n", err)
		return 1
	}
	for _, d := range docs {
		row("Pièce jointe", documentLabel(d))
	}
	items, err := st.OutboxOfCase(ctx, c.ID)
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %v\n", err)
		return 1
	}
	for _, it := range items {
		status := map[store.OutboxState]string{store.OutboxQueued: "en attente d'envoi", store.OutboxSent: "envoyée", store.OutboxFailed: "échec de l'envoi"}[it.State]
		row("Réponse", fmt.Sprintf("« %s » – %s", it.Subject, status))
	}
	ledger, err := st.Ledger(ctx, store.EntityCase, c.ID)
	if err != nil {
		fmt.Fprintf(stderr, "facteur cases: %v\n", err)
		return 1
	}
	fmt.Fprintln(w, "\nHistorique :")
	for _, e := range ledger {
		from := stateLabel(store.CaseState(e.From))
		if e.From == "" {
			from = "—"
		}
		fmt.Fprintf(w, "  %s  %s → %s  %s\n", e.At.Local().Format(time.DateTime), from, stateLabel(store.CaseState(e.To)), e.Note)
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func amount(v, currency string) string {
	if currency == "" {
		currency = "EUR"
	}
	return notifier.FrenchAmount(v, currency)
}
