package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facteur/app"
	"facteur/config"
	"facteur/demo"
	"facteur/store"
)

// TestBackupAndRestore is what an operator does: back up the data
// directory while the daemon runs, fail to restore over it, restore into a
// new data directory and start Facteur there: every case is there, and
// nothing is deposited or answered again.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	env, err := demo.Start(dataDir, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	cfgPath := filepath.Join(dir, "facteur.toml")
	if err := os.WriteFile(cfgPath, []byte(env.ConfigTOML()), 0o600); err != nil {
		t.Fatal(err)
	}
	mails, err := demo.Samples(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if err := env.Deliver(m.Mail.Bytes()); err != nil {
			t.Fatal(err)
		}
	}

	// The daemon, in its own process, settles the mail and keeps running.
	daemon := startRun(t, cfgPath)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st := openWhenReady(waitCtx, t, dataDir)
	if err := demo.WaitSettled(waitCtx, st, env, len(mails)); err != nil {
		t.Fatalf("%v\ndaemon stderr:\n%s", err, daemon.stderr)
	}
	st.Close()
	deposits, replies := len(env.Sandbox.Deposits()), len(env.SMTP.Messages())
	if deposits == 0 || replies == 0 {
		t.Fatalf("the demo mail made %d deposits and %d replies", deposits, replies)
	}
	_, listed, _ := runCLI(t, "cases", "--config", cfgPath, "list")

	bk := filepath.Join(dir, "backup-2026-11-26")
	code, out, errOut := runCLI(t, "backup", "--config", cfgPath, bk)
	if code != 0 || !strings.Contains(out, "backup of "+dataDir+" written to "+bk) || strings.Contains(out, "in flight") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	// The daemon is running: its data directory is not restored over.
	code, _, errOut = runCLI(t, "restore", bk, "--config", cfgPath)
	if code != 1 || !strings.Contains(errOut, "in use by a running Facteur") {
		t.Errorf("restore into the running daemon's directory: exit %d\n%s", code, errOut)
	}
	daemon.stop(t)
	// Stopped, its directory still holds a store.
	code, _, errOut = runCLI(t, "restore", "--config", cfgPath, bk)
	if code != 1 || !strings.Contains(errOut, "holds a database") {
		t.Errorf("restore over a store: exit %d\n%s", code, errOut)
	}

	// Restored into a new data directory, on another "machine": the same
	// peers (the mailbox, Chorus Pro, the SMTP server), another data_dir.
	restored := filepath.Join(dir, "restored")
	cfg2 := strings.Replace(env.ConfigTOML(), "data_dir = \""+dataDir+"\"", "data_dir = \""+restored+"\"", 1)
	if cfg2 == env.ConfigTOML() {
		t.Fatal("data_dir not found in the demo configuration")
	}
	cfg2Path := filepath.Join(dir, "restored.toml")
	if err := os.WriteFile(cfg2Path, []byte(cfg2), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "restore", "--config", cfg2Path, bk)
	if code != 0 || !strings.Contains(out, "restored "+bk+" into "+restored) || strings.Contains(out, "warning") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if _, got, _ := runCLI(t, "cases", "--config", cfg2Path, "list"); got != listed {
		t.Errorf("cases after the restore:\n%s\nbefore:\n%s", got, listed)
	}

	// Facteur started over the restored store finds nothing to do...
	cfg, err := config.Parse([]byte(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, app.Options{GatewayPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if worked, err := a.Gateway().Step(ctx); err != nil || worked {
		t.Errorf("first gateway pass over the restored store: worked %v, %v; want nothing due", worked, err)
	}
	// ...and, running for a while (the mailbox read, the gateway's
	// polls), deposits nothing and answers no one again.
	runCtx, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	if err := a.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	p, err := a.Store().Pending(ctx)
	if err != nil || !p.Idle() {
		t.Errorf("pending after the restore: %+v, %v", p, err)
	}
	a.Close()
	if n, m := len(env.Sandbox.Deposits()), len(env.SMTP.Messages()); n != deposits || m != replies {
		t.Errorf("after the restore: %d deposits and %d replies, want still %d and %d", n, m, deposits, replies)
	}
	rs, err := store.Open(ctx, restored, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	msgs, err := rs.Messages(ctx, 100)
	if err != nil || len(msgs) != len(mails) {
		t.Fatalf("restored messages: %d, %v; want %d", len(msgs), err, len(mails))
	}
	for _, m := range msgs {
		if _, err := rs.Raw(ctx, m.ID); err != nil {
			t.Errorf("message %d: %v", m.ID, err)
		}
	}
}

// TestBackupUsage: the commands' help, and their refusals of a bad call.
func TestBackupUsage(t *testing.T) {
	for _, c := range []string{"backup", "restore"} {
		code, out, _ := runCLI(t, c, "--help")
		if code != 0 || !strings.Contains(out, "usage: facteur "+c+" [--config FILE] DIR") || !strings.Contains(out, "-config") {
			t.Errorf("%s --help: exit %d\n%s", c, code, out)
		}
		if code, _, errOut := runCLI(t, c); code != 2 || !strings.Contains(errOut, "usage: facteur "+c) {
			t.Errorf("%s without DIR: exit %d\n%s", c, code, errOut)
		}
		if code, _, _ := runCLI(t, c, "--bogus", "x"); code != 2 {
			t.Errorf("%s --bogus: exit %d", c, code)
		}
	}
}
