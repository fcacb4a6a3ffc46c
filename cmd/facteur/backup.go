package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"facteur/store"
)

// The operator's backup and restore of the data directory (English, as
// every operator's command):
//
//	facteur backup  [--config FILE] DIR   a consistent copy, the daemon running
//	facteur restore [--config FILE] DIR   into the configured data_dir, absent or empty

const backupUsage = `usage: facteur backup [--config FILE] DIR

Writes a consistent copy of the data directory (the database and the raw
messages it names) into DIR, which must be absent or empty. The daemon may
keep running meanwhile.

Options:
`

const restoreUsage = `usage: facteur restore [--config FILE] DIR

Restores the backup in DIR (made by facteur backup) into the configured
data_dir, which must be absent or empty: stop the daemon and move the old
directory aside first. Facteur refuses to restore while a Facteur process
has the data directory open. Run it as the user the daemon runs as, or give
the files to that user afterwards.

Options:
`

// cmdBackup runs `facteur backup` (restore false) or `facteur restore`:
// flags before, between or after DIR; -h/--help prints the usage.
func cmdBackup(restore bool, args []string, stdout, stderr io.Writer) int {
	name, usage := "backup", backupUsage
	if restore {
		name, usage = "restore", restoreUsage
	}
	fs := flag.NewFlagSet("facteur "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	run := backupCommand(restore, fs)
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		var rows [][2]string
		fs.VisitAll(func(f *flag.Flag) {
			arg, text := flag.UnquoteUsage(f)
			rows = append(rows, [2]string{"--" + f.Name + " " + arg, fmt.Sprintf("%s (default %s)", text, f.DefValue)})
		})
		printRows(w, append(rows, [2]string{"-h, --help", "show this help"}))
	}
	dirs, err := backupArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "facteur %s: %v\n", name, err)
		printUsage(stderr)
		return 2
	}
	return run(dirs, stdout, stderr)
}

// backupCommand declares the flags of `facteur backup` (restore false) or
// `facteur restore` on fs, and returns what runs the command once they are
// parsed, with the arguments left: the backup directory.
func backupCommand(restore bool, fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	name := "backup"
	if restore {
		name = "restore"
	}
	path := configFlag(fs, english)
	return func(args []string, stdout, stderr io.Writer) int {
		if len(args) != 1 {
			fmt.Fprintf(stderr, "usage: facteur %s [--config FILE] DIR\n", name)
			return 2
		}
		dir := args[0]
		cfg, ok := loadConfig(*path, stderr)
		if !ok {
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		dataDir := cfg.Instance.DataDir
		if restore {
			info, err := store.Restore(ctx, dir, dataDir)
			if err != nil {
				fmt.Fprintf(stderr, "facteur restore: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "restored %s into %s: %s (backup made %s)\n", dir, dataDir, describeBackup(info),
				info.CreatedAt.Format("2006-01-02 15:04:05 MST"))
			if info.InFlight() {
				fmt.Fprintf(stdout, "note: %s in flight when the backup was made; the daemon carries them on when it starts.\n", inFlight(info))
			}
			fmt.Fprintf(stdout, "The daemon searches Chorus Pro before the first deposit of every invoice it knew before this restore "+
				"or reads in the %d hours after it, so that none the backed-up daemon deposited after the backup is deposited twice. "+
				"Replies it sent after the backup may be sent again.\n", int(store.DoubtAfterRestore.Hours()))
			return 0
		}
		st, err := store.Open(ctx, dataDir, store.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "facteur backup: %v\n", err)
			return 1
		}
		defer st.Close()
		info, err := st.Backup(ctx, dir)
		if err != nil {
			fmt.Fprintf(stderr, "facteur backup: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "backup of %s written to %s: %s\n", dataDir, dir, describeBackup(info))
		if info.InFlight() {
			fmt.Fprintf(stdout, "note: %s in flight at the instant of the copy\n", inFlight(info))
		}
		return 0
	}
}

func describeBackup(info store.BackupInfo) string {
	return fmt.Sprintf("%d message(s), %d case(s), %d raw message file(s) (%s), database %s, schema version %d",
		info.Messages, info.Cases, info.SpoolFiles, humanBytes(info.SpoolBytes), humanBytes(info.DatabaseBytes), info.SchemaVersion)
}

func inFlight(info store.BackupInfo) string {
	return fmt.Sprintf("%d message(s) not settled, %d case(s) not yet deposited and %d reply(ies) not sent were",
		info.PendingMessages, info.PendingCases, info.QueuedReplies)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// backupArgs parses flags placed before, between or after the
// positional arguments, which it returns.
func backupArgs(fs *flag.FlagSet, args []string) (positional []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional, args = append(positional, args[0]), args[1:]
	}
}
