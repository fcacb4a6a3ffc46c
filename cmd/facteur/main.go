// Command facteur turns the invoices suppliers e-mail to a public body into
// invoices deposited on Chorus Pro, and answers each supplier.
//
// Usage:
//
//	facteur run --config FILE        the daemon
//	facteur demo                     the whole flow on embedded defaults
//	facteur check-config FILE        exit 0, or 2 listing every problem
//	facteur inspect [--config FILE] PATH...
//	facteur cases [--config FILE] [list|show REF]
//	facteur sandbox [--listen ADDR]  the Chorus Pro sandbox alone
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
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"facteur/app"
	"facteur/chorus"
	"facteur/config"
	"facteur/register"
)

const usage = `usage: facteur COMMAND [ARGS]

commands:
  run --config FILE           run the daemon
  demo [-v]                   run the whole flow on embedded defaults and print what happened
  check-config FILE           check a configuration file (exit 0, or 2 listing every problem)
  inspect [--config FILE] PATH...
                              parse .eml, .pdf, .xml files; one JSON object per line
  cases [--config FILE] [list [--state S]|show REF]
                              what finance staff ask: the cases and their states
  sandbox [--listen ADDR]     run the Chorus Pro sandbox alone on a loopback port
`

func main() {
	// The version sent in the User-Agent of Chorus Pro calls: the module
	// version when built from a tagged release, else the VCS revision.
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			chorus.Version = v
		} else {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					chorus.Version = "dev-" + s.Value[:12]
				}
			}
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(rest, stderr)
	case "demo":
		return cmdDemo(rest, stdout, stderr)
	case "check-config":
		return cmdCheckConfig(rest, stdout, stderr)
	case "cases":
		return cmdCases(rest, stdout, stderr)
	case "sandbox":
		return cmdSandbox(rest, stdout, stderr)
	case "inspect":
		return cmdInspect(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "facteur: unknown command %q\n\n%s", cmd, usage)
	return 2
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

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dump := fs.Bool("dump", false, "print the effective configuration (defaults applied, secrets redacted)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	args = fs.Args()
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: facteur check-config [--dump] FILE")
		return 2
	}
	cfg, err := config.Load(args[0])
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(stdout, "%s: %d problem(s):\n", args[0], len(ps))
			for _, p := range ps {
				fmt.Fprintf(stdout, "  %s\n", p.String())
			}
			return 2
		}
		fmt.Fprintf(stdout, "%s: %v\n", args[0], err)
		return 2
	}
	if ps := cfg.CheckSecrets(); len(ps) > 0 {
		fmt.Fprintf(stdout, "%s: %d problem(s):\n", args[0], len(ps))
		for _, p := range ps {
			fmt.Fprintf(stdout, "  %s\n", p.String())
		}
		return 2
	}
	if f := cfg.Register.File; f != "" {
		reg, err := (&register.File{Path: f}).Current(time.Now())
		if err != nil {
			fmt.Fprintf(stdout, "%s: 1 problem(s):\n  register.file: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stdout, "engagement register: %d engagement(s)\n", reg.Len())
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if w := app.PasswordWarning(cfg, time.Now()); w != "" {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "%s: OK (%d mailbox(es), %d budget(s))\n", args[0], len(cfg.Mailboxes), len(cfg.Budgets))
	if *dump {
		fmt.Fprintf(stdout, "\n%s\n", cfg.Redacted())
	}
	return 0
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
