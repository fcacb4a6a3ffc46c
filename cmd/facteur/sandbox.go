package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(stderr, slog.LevelInfo)
	srv, err := sandbox.Start(sandbox.Options{
		Addr: *listen, ClientID: *clientID, ClientSecret: *clientSecret, Login: *login, Password: *password,
		Logger: log,
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
