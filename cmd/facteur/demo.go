package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"facteur/app"
	"facteur/clerk"
	"facteur/demo"
	"facteur/store"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "log every step to stderr")
	keep := fs.Bool("keep", false, "keep the demo's data directory (its path is printed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level)

	dir, err := os.MkdirTemp("", "facteur-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env, err := demo.Start(dir, demo.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	defer env.Close()
	sams, err := demo.Tour(time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	for _, s := range sams {
		if err := env.Deliver(s.Mail.Bytes()); err != nil {
			fmt.Fprintf(stderr, "facteur demo: deliver: %v\n", err)
			return 1
		}
	}

	if err := demo.Run(ctx, env, len(sams), 45*time.Second, app.Options{Logger: log, GatewayPoll: 200 * time.Millisecond}); err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	defer st.Close()
	if *keep {
		// The peers are gone once the demo ends; the configuration is kept
		// so that `facteur cases` can read the demo's store.
		cfgPath := filepath.Join(dir, "facteur.toml")
		if err := os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600); err != nil {
			fmt.Fprintf(stderr, "facteur demo: %v\n", err)
			return 1
		}
		defer fmt.Fprintf(stdout, "\nDonnées conservées dans %s ; pour consulter les dossiers :\n  facteur cases --config %s list\n", dir, cfgPath)
	}
	if err := printDemoReport(ctx, stdout, st, env); err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	return 0
}

func printDemoReport(ctx context.Context, w io.Writer, st *store.Store, env *demo.Env) error {
	msgs, err := st.Messages(ctx, 100)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Démonstration Facteur — %d messages reçus dans %s\n\n", len(msgs), demo.MailboxUser)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE\tDOSSIER\tRÉSULTAT\tFLUX CHORUS PRO / DEMANDE\tRÉPONSE ENVOYÉE")
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		cases, err := st.CasesOfMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, c := range cases {
			detail := c.FlowNumber
			switch {
			case c.State == store.CaseGuided:
				detail = "instructions envoyées (" + c.Budget
				if c.Engagement != "" {
					detail += ", EJ " + c.Engagement
				}
				detail += ")"
			case detail == "":
				detail = c.Reason
			case c.Engagement != "":
				detail += " (" + c.Budget + ", EJ " + c.Engagement + ")"
			}
			reply := "—"
			items, err := st.OutboxOfCase(ctx, c.ID)
			if err != nil {
				return err
			}
			for _, it := range items {
				reply = it.Subject
				if it.State != store.OutboxSent {
					reply += " (" + string(it.State) + ")"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", clerk.OneLine(m.Subject, 48), c.Ref, clerk.StateLabel(c.State), clerk.OneLine(detail, 70), clerk.OneLine(reply, 80))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	deps := env.Sandbox.Deposits()
	fmt.Fprintf(w, "\nChorus Pro (bac à sable) : %d flux déposé(s) ; SMTP : %d réponse(s) reçue(s) ; boîte INBOX : %d message(s) restant(s).\n",
		len(deps), len(env.SMTP.Messages()), env.Count("INBOX"))
	return nil
}
