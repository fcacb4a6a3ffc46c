package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"facteur/chorus/sandbox"
)

func cmdSandbox(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to listen on")
	clientID := fs.String("client-id", "sandbox-client", "PISTE client id accepted by the token endpoint")
	clientSecret := fs.String("client-secret", "sandbox-secret", "PISTE client secret accepted by the token endpoint")
	login := fs.String("login", "TECH_1_sandbox@cpro.fr", "technical account login expected in cpro-account")
	password := fs.String("password", "sandbox-password", "technical account password expected in cpro-account")
	processing := fs.Duration("processing-delay", 0, "time from a deposit to its integration report (IN_RECU → IN_INTEGRE/IN_REJETE)")
	lifecycleStep := fs.Duration("lifecycle-step", time.Minute, "time between two lifecycle statuses of an invoice (0: stays DEPOSEE)")
	seed := fs.Uint64("seed", 1, "seed of the fault-probability generator")
	var faults []sandbox.Fault
	fs.Func("fault", "inject a fault, repeatable: e.g. \"path=/cpro/factures/v1/deposer/flux,kind=commit_drop,count=1\" or \"kind=status,status=503,p=0.3\" (kinds: status, hang, slow, drop, commit_drop)", func(v string) error {
		f, err := sandbox.ParseFault(v)
		if err == nil {
			faults = append(faults, f)
		}
		return err
	})
	var fates = map[string]sandbox.Fate{}
	fs.Func("fate", "end the lifecycle of an invoice number, repeatable: NUMBER=STATUS[:comment], e.g. \"FA-12=REJETEE:Commande inconnue\"", func(v string) error {
		num, rest, ok := strings.Cut(v, "=")
		if !ok || num == "" || rest == "" {
			return fmt.Errorf("want NUMBER=STATUS[:comment]")
		}
		status, comment, _ := strings.Cut(rest, ":")
		fates[num] = sandbox.Fate{Status: status, Comment: comment, AfterStep: 1}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(stderr, slog.LevelInfo)
	srv, err := sandbox.Start(sandbox.Options{
		Addr: *listen, ClientID: *clientID, ClientSecret: *clientSecret, Login: *login, Password: *password,
		Logger: log, ProcessingDelay: *processing, LifecycleStep: *lifecycleStep, Seed: *seed, Faults: faults, Fates: fates,
	})
	if err != nil {
		fmt.Fprintf(stderr, "facteur sandbox: %v\n", err)
		return 1
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "api_url = %q\ntoken_url = %q\n", srv.URL(), srv.TokenURL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return 0
}
