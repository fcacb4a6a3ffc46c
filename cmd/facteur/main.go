// Command facteur turns the invoices suppliers e-mail to a public body into
// invoices deposited on Chorus Pro, and answers each supplier.
//
// Usage (facteur --help, facteur COMMAND --help, man facteur):
//
//	facteur run [--config FILE]          the daemon
//	facteur demo                         the whole flow on embedded defaults
//	facteur check-config [FILE]          exit 0, or 2 listing every problem
//	facteur inspect [--config FILE] PATH...
//	facteur cases [--config FILE] list|show|release|reject|retry ...
//	facteur sandbox [--listen ADDR]      the Chorus Pro sandbox alone
//	facteur backup|restore [--config FILE] DIR
//	facteur version                      also facteur --version
//
// The commands and their help are the table of commands.go, parsed and
// printed by cli.go; --config is /etc/facteur/facteur.toml by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"facteur/app"
	"facteur/chorus"
	"facteur/config"
	"facteur/register"
)

func main() {
	// The version sent in the User-Agent of Chorus Pro calls.
	chorus.Version = buildVersion()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return root.execute(args, nil, stdout, stderr)
}

// newLogger logs to stderr without timestamps: journald adds them.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "facteur: %s:\n%v\n", path, err)
		return nil, false
	}
	return cfg, true
}

func cmdRun(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (TOML)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "facteur run: --config FILE is required")
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 2
	}
	log := newLogger(stderr, parseLevel(cfg.Instance.LogLevel))
	for _, w := range cfg.Warnings() {
		log.Warn("configuration", "warning", w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer a.Close()
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped on error", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// checkConfig prints every problem of the configuration file at path, and
// what is worth a look; 0 when it is right, 2 otherwise.
func checkConfig(path string, dump bool, stdout io.Writer) int {
	cfg, ps, warnings := config.Check(path)
	var notes []string
	if cfg != nil && cfg.Register.File != "" && !hasKey(ps, "register.file") {
		reg, err := (&register.File{Path: cfg.Register.File}).Current(time.Now())
		if err != nil {
			ps = append(ps, config.Problem{Key: "register.file", Message: err.Error()})
		} else {
			notes = append(notes, fmt.Sprintf("engagement register: %d engagement(s)", reg.Len()))
		}
	}
	if len(ps) > 0 {
		fmt.Fprintf(stdout, "%s: %d problem(s):\n", path, len(ps))
		for _, p := range ps {
			fmt.Fprintf(stdout, "  %s\n", p.String())
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if len(ps) > 0 {
		return 2
	}
	if w := app.PasswordWarning(cfg, time.Now()); w != "" {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	fmt.Fprintf(stdout, "%s: OK (%d mailbox(es), %d budget(s))\n", path, len(cfg.Mailboxes), len(cfg.Budgets))
	if dump {
		fmt.Fprintf(stdout, "\n%s\n", cfg.Redacted())
	}
	return 0
}

// hasKey reports whether one of ps is about key or a key inside it.
func hasKey(ps config.Problems, key string) bool {
	for _, p := range ps {
		if p.Key == key || strings.HasPrefix(p.Key, key+".") {
			return true
		}
	}
	return false
}
