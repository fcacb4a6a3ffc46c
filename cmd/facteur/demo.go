package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
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
	"facteur/config"
	"facteur/demo"
	"facteur/store"
	"facteur/web"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "log every step to stderr")
	keep := fs.Bool("keep", false, "keep the demo's data directory and serve the finance staff's page over it until interrupted (their address is printed)")
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
	err = printDemoReport(ctx, stdout, st, env)
	st.Close()
	if err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	if !*keep {
		return 0
	}
	// The configuration is kept so that `facteur cases` can read the
	// demo's store; the peers and the page live until the demo is
	// stopped.
	cfgPath := filepath.Join(dir, "facteur.toml")
	if err := os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600); err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nDonnées conservées dans %s ; pour consulter les dossiers :\n  facteur cases --config %s list\n", dir, cfgPath)
	if err := serveDemoPage(ctx, env, stdout, app.Options{Logger: log, GatewayPoll: 200 * time.Millisecond}); err != nil {
		fmt.Fprintf(stderr, "facteur demo: %v\n", err)
		return 1
	}
	return 0
}

// demoUser is the account of the demo's page.
const demoUser = "demo"

// serveDemoPage runs Facteur over the demo's peers with the finance staff's
// page on a loopback port, prints its address and a one-time account
// (role gestion), and serves it until ctx is done.
func serveDemoPage(ctx context.Context, env *demo.Env, stdout io.Writer, o app.Options) error {
	cfg, err := config.Parse([]byte(env.ConfigTOML() + "\n[web]\nlisten = \"127.0.0.1:0\"\n"))
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, o)
	if err != nil {
		return err
	}
	defer a.Close()
	password := demoPassword()
	hash, err := web.HashPassword(password)
	if err != nil {
		return err
	}
	err = a.Store().AddUser(ctx, store.User{Name: demoUser, PasswordHash: hash, Role: web.RoleManage})
	if errors.Is(err, store.ErrUserExists) {
		err = a.Store().SetUser(ctx, demoUser, hash, web.RoleManage)
	}
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	for a.WebAddr() == "" {
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
	fmt.Fprintf(stdout, "\nLa page des services financiers : http://%s/\n  identifiant : %s ; mot de passe : %s\nCtrl-C pour arrêter la démonstration.\n",
		a.WebAddr(), demoUser, password)
	return <-done
}

// demoPassword is a random password for the demo's page, valid while it
// runs.
func demoPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
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
