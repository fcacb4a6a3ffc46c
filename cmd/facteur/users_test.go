package main

import (
	"strings"
	"testing"
)

// TestCasesGivenByHand: facteur cases engagement, budget and handled run
// the gateway's actions, in French, the ledger naming the person.
func TestCasesGivenByHand(t *testing.T) {
	cfgPath, ref := casesEnv(t)
	t.Setenv("SUDO_USER", "mdupont")
	if code, _, errOut := runCLI(t, "cases", "engagement", ref, "--config", cfgPath); code != 2 || !strings.Contains(errOut, "indiquez le numéro d'engagement") {
		t.Errorf("engagement without a number: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "cases", "budget", ref, "Budget des fêtes", "--config", cfgPath); code != 1 ||
		!strings.Contains(errOut, "budget inconnu") || !strings.Contains(errOut, "« Budget eau potable »") {
		t.Errorf("unknown budget: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "cases", "budget", ref, "200 071 892 00067", "--config", cfgPath); code != 0 || !strings.Contains(out, "budget enregistré") {
		t.Errorf("budget by SIRET: exit %d %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "cases", "engagement", ref, "EJ-2026-000078", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "action impossible sur un dossier « reçue »") {
		t.Errorf("engagement of a case being decided: exit %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "cases", "show", ref, "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "budget « Budget principal » choisi par mdupont") {
		t.Errorf("show after budget: exit %d %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "cases", "handled", ref, "--config", cfgPath); code != 1 || !strings.Contains(errOut, "--reason est obligatoire : dites comment") {
		t.Errorf("handled without --reason: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "cases", "handled", ref, "--reason", "déposée à la main", "--config", cfgPath); code != 0 || !strings.Contains(out, "traité hors de Facteur") {
		t.Errorf("handled: exit %d %s\n%s", code, errOut, out)
	}
	if code, out, _ := runCLI(t, "cases", "show", ref, "--config", cfgPath); code != 0 || !strings.Contains(out, "traité hors de Facteur, selon mdupont : déposée à la main") {
		t.Errorf("show after handled:\n%s", out)
	}
}

// TestUsers: facteur users adds, lists, changes and removes the people
// of the web page; the password is read from stdin, never an argument.
func TestUsers(t *testing.T) {
	cfgPath, _ := casesEnv(t)
	withStdin := func(s string) {
		old := stdin
		stdin = strings.NewReader(s)
		t.Cleanup(func() { stdin = old })
	}
	withStdin("un mot de passe solide\n")
	if code, out, errOut := runCLI(t, "users", "add", "mdupont", "--role", "gestion", "--config", cfgPath); code != 0 || !strings.Contains(out, "mdupont ajouté(e), rôle gestion") {
		t.Fatalf("add: exit %d %s\n%s", code, errOut, out)
	}
	withStdin("un mot de passe solide\n")
	if code, _, errOut := runCLI(t, "users", "add", "mdupont", "--role", "lecture", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "existe déjà") {
		t.Errorf("add twice: exit %d %s", code, errOut)
	}
	withStdin("court\n")
	if code, _, errOut := runCLI(t, "users", "add", "lbernard", "--role", "lecture", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "trop court") {
		t.Errorf("short password: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "users", "add", "lbernard", "--config", cfgPath); code != 2 || !strings.Contains(errOut, "--role lecture ou --role gestion") {
		t.Errorf("no role: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "users", "add", "lbernard", "secret123456", "--role", "lecture", "--config", cfgPath); code != 2 || !strings.Contains(errOut, "jamais donné en argument") {
		t.Errorf("password as an argument: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "users", "add", "agent@casq.fr", "--role", "lecture", "--externe", "--config", cfgPath); code != 0 || !strings.Contains(out, "ajouté(e)") {
		t.Errorf("add external: exit %d %s", code, errOut)
	}
	code, out, _ := runCLI(t, "users", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "agent@casq.fr") || !strings.Contains(out, "externe") || !strings.Contains(out, "mdupont") || !strings.Contains(out, "mot de passe") {
		t.Errorf("list:\n%s", out)
	}
	if code, out, errOut := runCLI(t, "users", "passwd", "agent@casq.fr", "--role", "gestion", "--config", cfgPath); code != 0 || !strings.Contains(out, "rôle gestion") {
		t.Errorf("role of an external person: exit %d %s", code, errOut)
	}
	withStdin("un autre mot de passe solide\n")
	if code, out, errOut := runCLI(t, "users", "passwd", "mdupont", "--config", cfgPath); code != 0 || !strings.Contains(out, "sessions sont fermées") {
		t.Errorf("passwd: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "users", "remove", "inconnu", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "personne du nom de inconnu") {
		t.Errorf("remove unknown: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "users", "remove", "mdupont", "--config", cfgPath); code != 0 || !strings.Contains(out, "retiré(e)") {
		t.Errorf("remove: exit %d %s", code, errOut)
	}
	if code, out, _ := runCLI(t, "users", "list", "--config", cfgPath); code != 0 || strings.Contains(out, "mdupont") {
		t.Errorf("list after remove:\n%s", out)
	}
}
