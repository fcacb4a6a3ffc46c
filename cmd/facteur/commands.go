package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"facteur/chorus/sandbox"
)

// root is facteur itself: its subcommands are the commands of the table.
var root = &command{
	synopsis: "COMMAND [OPTIONS] [ARGUMENTS]",
	text: `Facteur reads the supplier invoices e-mailed to a public body's accounting mailbox,
deposits them on Chorus Pro, the State's e-invoicing portal, and answers every supplier in
French: deposited, with the Chorus Pro reference, or what is missing. What it cannot decide
on is held for finance staff, who see every case with facteur cases.

The commands that read the configuration (run, check-config, cases) read
/etc/facteur/facteur.toml unless --config names another file. Flags may be written before or
after the arguments.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		version := fs.Bool("version", false, "print the version of facteur and of its database schema")
		return func(args []string, stdout, stderr io.Writer) int {
			if *version {
				printVersion(stdout)
				return 0
			}
			c.help(stderr)
			return 2
		}
	},
}

// The commands, in the order of the help. A new command is one more entry.
func init() {
	root.subs = []*command{
		runCommand, demoCommand, checkConfigCommand, inspectCommand, casesCommand, usersCommand, sandboxCommand,
		backupEntry, restoreEntry, versionCommand, helpCommand, manCommand,
	}
	link(root)
}

// link sets the parent of every subcommand below c.
func link(c *command) {
	for _, s := range c.subs {
		s.parent = c
		link(s)
	}
}

var runCommand = &command{
	name:     "run",
	synopsis: "[--config FILE]",
	summary:  "run the daemon",
	text: `Run the daemon: watch the mailboxes, deposit the invoices on Chorus Pro, answer the
suppliers, follow the deposited invoices, send the digest to finance staff; until SIGINT or
SIGTERM, which stop it cleanly. It logs to stderr, one line per event, without timestamps
(journald adds them). Exit status: 0 once stopped, 1 when it cannot start or stops on an
error, 2 when the configuration is wrong.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, english)
		return func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", args[0]))
			}
			if code, ok := configGiven(c, *path, stderr); !ok {
				return code
			}
			return cmdRun([]string{"--config", *path}, stderr)
		}
	},
}

var checkConfigCommand = &command{
	name:     "check-config",
	synopsis: "[--dump] [FILE]",
	summary:  "check a configuration file: exit 0, or 2 listing every problem",
	text: `Check the configuration file FILE (or --config FILE; by default
/etc/facteur/facteur.toml) and what it names on this machine, and list every problem at
once, each with its key: TOML syntax (with its line), unknown keys, values, the secrets
(files, environment variables; a systemd credential, only visible to the service, is a
warning here), CA files, the data directory (it must exist and be writable, or be
creatable), the engagement register. Run it as the service's user (sudo -u facteur) to
check what the service may read and write. Exit status: 0 when the file is right, 2
otherwise.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, english)
		dump := fs.Bool("dump", false, "also print the effective configuration (defaults applied, secrets redacted)")
		return func(args []string, stdout, stderr io.Writer) int {
			p := *path
			switch {
			case len(args) > 1:
				return c.usageError(stderr, "name one configuration file")
			case len(args) == 1 && isSet(fs, "config") && args[0] != p:
				return c.usageError(stderr, "name the configuration file once: FILE or --config FILE")
			case len(args) == 1:
				p = args[0]
			}
			if code, ok := configGiven(c, p, stderr); !ok {
				return code
			}
			return checkConfig(p, *dump, stdout)
		}
	},
}

// isSet reports whether the flag name was given.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// The commands below parse their own flags (demo.go, inspect.go,
// sandbox.go); their entries here declare the same flags, for their help,
// for the man page and so that flags may follow the arguments, and hand
// them over already checked. TestMirroredFlags keeps the two in step.

var demoCommand = &command{
	name:     "demo",
	synopsis: "[-v] [--keep]",
	summary:  "run the whole flow on embedded defaults and print what happened",
	text: `Start, in-process and on loopback ports, an IMAP server holding a mailbox, an SMTP
server capturing the replies and the Chorus Pro sandbox; generate sample supplier e-mails;
run exactly the code of facteur run over them until everything is settled; print what
became of each message and exit 0. It reads no configuration file.

With --keep, the demo's data directory is kept (its path is printed, with the facteur cases
command that reads it), and the finance staff's web page is served over the demo's cases on a
loopback port, with a one-time account (role gestion), until SIGINT or SIGTERM: its address,
the account's name and its password are printed.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		fs.Bool("v", false, "log every step to stderr")
		fs.Bool("keep", false, "keep the demo's data directory and serve the finance staff's page over it until interrupted (their address is printed)")
		return handOver(c, fs, cmdDemo, false)
	},
}

var inspectCommand = &command{
	name:     "inspect",
	synopsis: "[--text-only] [--config FILE] PATH...",
	summary:  "parse .eml, .pdf, .xml files; one JSON object per line",
	text: `Parse each .eml, .pdf or .xml file and print what Facteur reads in it, one JSON object
per file and line (JSON Lines): the documents, their format, the invoice's fields, the
engagement number and where it was found. With --config (here it has no default: without
it, nothing is decided), also the routing decision the daemon would take, with what it
uses: Chorus Pro's structure rules, the engagement register, the cases already known. Exit
status: 0, 1 when a file cannot be read, 2 on a usage or configuration error.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		fs.String("config", "", "configuration `FILE`: adds the routing decision")
		fs.Bool("text-only", false, "ignore the XML embedded in PDFs: read their visible text")
		return handOver(c, fs, cmdInspect, true)
	},
}

var sandboxCommand = &command{
	name:     "sandbox",
	synopsis: "[--listen ADDRESS] [--fault SPEC]... [--fate NUMBER=STATUS]... [OPTIONS]",
	summary:  "run the Chorus Pro sandbox alone on a loopback port",
	text: `Run the Chorus Pro sandbox (the PISTE token endpoint and the API Facteur uses) alone,
for trying a configuration end to end; it prints the api_url and token_url to put in
[chorus] (environment = "custom") and runs until SIGINT or SIGTERM. Faults and invoice
outcomes can be injected.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		fs.String("listen", "127.0.0.1:0", "loopback `ADDRESS` to listen on")
		fs.String("client-id", "sandbox-client", "PISTE client `ID` accepted by the token endpoint")
		fs.String("client-secret", "sandbox-secret", "PISTE client `SECRET` accepted by the token endpoint")
		fs.String("login", "TECH_1_sandbox@cpro.fr", "technical account `LOGIN` expected in cpro-account")
		fs.String("password", "sandbox-password", "technical account `PASSWORD` expected in cpro-account")
		fs.Duration("processing-delay", 0, "`TIME` from a deposit to its integration report (IN_RECU → IN_INTEGRE/IN_REJETE)")
		fs.Duration("lifecycle-step", time.Minute, "`TIME` between two lifecycle statuses of an invoice (0: stays DEPOSEE)")
		fs.Uint64("seed", 1, "`SEED` of the fault-probability generator")
		fs.Var(&multiFlag{check: func(v string) error { _, err := sandbox.ParseFault(v); return err }}, "fault",
			"inject a fault, repeatable: `SPEC` such as \"path=/cpro/factures/v1/deposer/flux,kind=commit_drop,count=1\" or \"kind=status,status=503,p=0.3\" (kinds: status, hang, slow, drop, commit_drop)")
		fs.Var(&multiFlag{check: checkFate}, "fate",
			"end the lifecycle of the invoice NUMBER with STATUS, repeatable: `NUMBER=STATUS[:COMMENT]`, e.g. \"FA-12=REJETEE:Commande inconnue\"")
		return handOver(c, fs, cmdSandbox, false)
	},
}

// checkFate checks a --fate value as cmdSandbox reads it.
func checkFate(v string) error {
	num, rest, ok := strings.Cut(v, "=")
	if !ok || num == "" || rest == "" {
		return fmt.Errorf("want NUMBER=STATUS[:comment]")
	}
	return nil
}

// handOver returns the runner of a command that parses its own flags: it
// is given the flags parsed here first, then "--" and the arguments.
// withArgs says whether the command takes arguments.
func handOver(c *command, fs *flag.FlagSet, fn runner, withArgs bool) runner {
	return func(args []string, stdout, stderr io.Writer) int {
		if !withArgs && len(args) > 0 {
			return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", args[0]))
		}
		var out []string
		fs.Visit(func(f *flag.Flag) {
			if m, ok := f.Value.(*multiFlag); ok {
				for _, v := range m.values {
					out = append(out, "--"+f.Name+"="+v)
				}
				return
			}
			out = append(out, "--"+f.Name+"="+f.Value.String())
		})
		out = append(out, "--")
		return fn(append(out, args...), stdout, stderr)
	}
}

// backup and restore parse their own flags and print their own help
// (backup.go); their entries give the man page their synopsis, the text of
// their help and their flags.
var (
	backupEntry = &command{
		name:     "backup",
		synopsis: "[--config FILE] DIR",
		summary:  "write a consistent copy of the data directory into DIR, the daemon running",
		text:     usageText(backupUsage),
		setup:    func(c *command, fs *flag.FlagSet) runner { return backupCommand(false, fs) },
		raw:      func(args []string, stdout, stderr io.Writer) int { return cmdBackup(false, args, stdout, stderr) },
	}
	restoreEntry = &command{
		name:     "restore",
		synopsis: "[--config FILE] DIR",
		summary:  "restore the backup in DIR into the configured data directory",
		text:     usageText(restoreUsage),
		setup:    func(c *command, fs *flag.FlagSet) runner { return backupCommand(true, fs) },
		raw:      func(args []string, stdout, stderr io.Writer) int { return cmdBackup(true, args, stdout, stderr) },
	}
)

// usageText is the text of a usage message, without its first line (the
// usage line) and its last (the "flags:" heading).
func usageText(usage string) string {
	lines := strings.Split(strings.TrimSpace(usage), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "usage:") {
		lines = lines[1:]
	}
	if n := len(lines); n > 0 && strings.HasSuffix(lines[n-1], ":") {
		lines = lines[:n-1]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

var versionCommand = &command{
	name:    "version",
	summary: "print the version of facteur and of its database schema (also: facteur --version)",
	text: `Print the version of facteur (set at build time, else the VCS revision it was built
from, else "dev"), the database schema version it writes (the number of migrations it
knows; a database of a higher version, written by a newer Facteur, is refused) and the Go
version it was built with.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		return func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", args[0]))
			}
			printVersion(stdout)
			return 0
		}
	},
}

var helpCommand = &command{
	name:     "help",
	synopsis: "[COMMAND [SUBCOMMAND]]",
	summary:  "describe a command (as COMMAND --help does)",
	setup: func(c *command, fs *flag.FlagSet) runner {
		return func(args []string, stdout, stderr io.Writer) int {
			cur := root
			for _, name := range args {
				next := cur.sub(name)
				if next == nil {
					return c.usageError(stderr, fmt.Sprintf("no command %q", strings.Join(args, " ")))
				}
				cur = next
			}
			cur.help(stdout)
			return 0
		}
	},
}

var manCommand = &command{
	name:    "man",
	hidden:  true,
	summary: "write the manual page facteur(1), in roff, to stdout",
	setup: func(c *command, fs *flag.FlagSet) runner {
		return func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", args[0]))
			}
			writeMan(stdout)
			return 0
		}
	},
}
