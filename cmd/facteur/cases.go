package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

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
	}
	return string(s)
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
		if err := lf.Parse(rest); err != nil {
			return 2
		}
		f := store.CaseFilter{Limit: *limit}
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
	}
	fmt.Fprintf(stderr, "facteur cases: unknown subcommand %q (list, show)\n", sub)
	return 2
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
	row("Date de facture", c.InvoiceDate)
	row("Montant TTC", amount(c.AmountWithVAT, c.Currency))
	row("Budget", c.Budget)
	row("SIRET destinataire", c.RecipientSIRET)
	row("Numéro d'engagement", c.Engagement)
	row("Flux Chorus Pro", c.FlowNumber)
	row("Date de dépôt", c.DepositDate)
	row("État du flux", c.FlowState)
	row("Dernière erreur", c.LastError)
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
	if v == "" {
		return ""
	}
	if currency == "" || currency == "EUR" {
		return v + " €"
	}
	return v + " " + currency
}
