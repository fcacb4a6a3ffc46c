package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"facteur/store"
	"facteur/web"
)

// usersCommand manages who may use the finance staff's web page. It
// speaks French: the IT department runs it with finance staff.
var usersCommand = &command{
	name:     "users",
	lang:     french,
	synopsis: "[--config FICHIER] COMMANDE [OPTIONS]",
	summary:  "who may use the finance staff's web page, in French: add, remove, passwd, list",
	text: `Les personnes qui peuvent utiliser la page web des services financiers, et leur rôle :
lecture (voir les dossiers) ou gestion (voir et agir : remettre à l'examen, écarter,
renvoyer une réponse, donner un numéro d'engagement ou un budget, noter un dossier traité
hors de Facteur). Un compte local a un mot de passe (au moins 12 caractères), demandé au
terminal sans être affiché, ou lu sur l'entrée standard, jamais en argument. Une personne
identifiée par le fournisseur d'identité (OpenID Connect) ou par le mandataire inverse
s'ajoute avec --externe : sans mot de passe, avec son identifiant (adresse ou nom).
Sans COMMANDE : list.`,
	defaultSub: "list",
	setup: func(c *command, fs *flag.FlagSet) runner {
		configFlag(fs, french)
		return nil
	},
	subs: []*command{usersList, usersAdd, usersRemove, usersPasswd},
}

var usersList = &command{
	name:    "list",
	lang:    french,
	summary: "les personnes et leur rôle",
	text:    `Liste les personnes qui peuvent utiliser la page web, leur rôle et leur façon de se connecter.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		return func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				return c.usageError(stderr, fmt.Sprintf("argument inattendu « %s »", args[0]))
			}
			ctx := context.Background()
			st, _, code := openCases(ctx, c, *path, stderr)
			if st == nil {
				return code
			}
			defer st.Close()
			users, err := st.Users(ctx)
			if err != nil {
				return casesFailure(c, stderr, "les personnes n'ont pas pu être lues", err)
			}
			if len(users) == 0 {
				fmt.Fprintln(stdout, "Personne : ajoutez une personne avec « facteur users add NOM --role gestion ».")
				return 0
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PERSONNE\tRÔLE\tCONNEXION")
			for _, u := range users {
				how := "mot de passe"
				if u.PasswordHash == "" {
					how = "externe (fournisseur d'identité ou mandataire)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, how)
			}
			tw.Flush()
			return 0
		}
	},
}

var usersAdd = &command{
	name:     "add",
	lang:     french,
	synopsis: "NOM --role lecture|gestion [--externe]",
	summary:  "ajouter une personne",
	text: `Ajoute une personne avec son rôle. Sans --externe, son mot de passe est demandé (deux
fois au terminal, ou une ligne lue sur l'entrée standard).`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		role := fs.String("role", "", "le `RÔLE` : lecture (voir) ou gestion (voir et agir) ; obligatoire")
		external := fs.Bool("externe", false, "personne identifiée par le fournisseur d'identité ou le mandataire inverse : sans mot de passe")
		return userRunner(c, path, func(ctx context.Context, st *store.Store, name string, stdin io.Reader, stdout, stderr io.Writer) int {
			if !web.ValidRole(*role) {
				return c.usageError(stderr, "--role lecture ou --role gestion est obligatoire")
			}
			if !web.ValidUserName(name) {
				return c.usageError(stderr, "nom invalide : de 1 à 200 caractères, sans espace ni caractère de contrôle")
			}
			hash := ""
			if !*external {
				var ok bool
				if hash, ok = readNewPassword(c, stdin, stderr); !ok {
					return 1
				}
			}
			err := st.AddUser(ctx, store.User{Name: name, PasswordHash: hash, Role: *role})
			if errors.Is(err, store.ErrUserExists) {
				return casesFailure(c, stderr, fmt.Sprintf("%s existe déjà ; « facteur users passwd %s » change son mot de passe", name, name), nil)
			}
			if err != nil {
				return casesFailure(c, stderr, name+" n'a pas pu être ajouté(e)", err)
			}
			fmt.Fprintf(stdout, "%s ajouté(e), rôle %s.\n", name, *role)
			return 0
		})
	},
}

var usersRemove = &command{
	name:     "remove",
	lang:     french,
	synopsis: "NOM",
	summary:  "retirer une personne",
	text:     `Retire une personne : elle ne peut plus se connecter, et ses sessions ouvertes sont fermées.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		return userRunner(c, path, func(ctx context.Context, st *store.Store, name string, _ io.Reader, stdout, stderr io.Writer) int {
			err := st.RemoveUser(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return casesFailure(c, stderr, "personne du nom de "+name, nil)
			}
			if err != nil {
				return casesFailure(c, stderr, name+" n'a pas pu être retiré(e)", err)
			}
			fmt.Fprintf(stdout, "%s retiré(e) ; ses sessions sont fermées.\n", name)
			return 0
		})
	},
}

var usersPasswd = &command{
	name:     "passwd",
	lang:     french,
	synopsis: "NOM [--role lecture|gestion]",
	summary:  "changer le mot de passe (ou le rôle) d'une personne",
	text: `Change le mot de passe d'un compte local (demandé au terminal, ou lu sur l'entrée
standard) ; avec --role, change aussi son rôle. Les sessions ouvertes de la personne sont
fermées.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		role := fs.String("role", "", "le nouveau `RÔLE` : lecture ou gestion (inchangé sans --role)")
		return userRunner(c, path, func(ctx context.Context, st *store.Store, name string, stdin io.Reader, stdout, stderr io.Writer) int {
			if *role != "" && !web.ValidRole(*role) {
				return c.usageError(stderr, "--role : lecture ou gestion")
			}
			u, err := st.User(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return casesFailure(c, stderr, "personne du nom de "+name, nil)
			}
			if err != nil {
				return casesFailure(c, stderr, name+" n'a pas pu être lu(e)", err)
			}
			if *role != "" {
				u.Role = *role
			}
			// An external person given a role keeps no password: only the
			// role changes.
			if u.PasswordHash != "" || *role == "" {
				hash, ok := readNewPassword(c, stdin, stderr)
				if !ok {
					return 1
				}
				u.PasswordHash = hash
			}
			if err := st.SetUser(ctx, name, u.PasswordHash, u.Role); err != nil {
				return casesFailure(c, stderr, name+" n'a pas pu être modifié(e)", err)
			}
			fmt.Fprintf(stdout, "%s modifié(e), rôle %s ; ses sessions sont fermées.\n", name, u.Role)
			return 0
		})
	},
}

// stdin is where users add and passwd read a password; tests replace it.
var stdin io.Reader = os.Stdin

// userRunner runs f on the person named in args, over the store of the
// configuration at *path.
func userRunner(c *command, path *string, f func(ctx context.Context, st *store.Store, name string, stdin io.Reader, stdout, stderr io.Writer) int) runner {
	return func(args []string, stdout, stderr io.Writer) int {
		switch len(args) {
		case 1:
		case 0:
			return c.usageError(stderr, "indiquez le nom de la personne")
		default:
			return c.usageError(stderr, fmt.Sprintf("un seul nom, pas %d (%s) ; le mot de passe n'est jamais donné en argument", len(args), strings.Join(args, " ")))
		}
		ctx := context.Background()
		st, _, code := openCases(ctx, c, *path, stderr)
		if st == nil {
			return code
		}
		defer st.Close()
		return f(ctx, st, args[0], stdin, stdout, stderr)
	}
}

// readNewPassword reads a new password, twice without echo from a
// terminal, else one line of in, and hashes it; false (the reason
// printed) when it cannot be read or is too short.
func readNewPassword(c *command, in io.Reader, stderr io.Writer) (string, bool) {
	var password string
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Mot de passe : ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", casesFailure(c, stderr, "le mot de passe n'a pas pu être lu", err) == 0
		}
		fmt.Fprint(stderr, "Le même, à nouveau : ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", casesFailure(c, stderr, "le mot de passe n'a pas pu être lu", err) == 0
		}
		if string(p1) != string(p2) {
			return "", casesFailure(c, stderr, "les deux saisies diffèrent ; rien n'est changé", nil) == 0
		}
		password = string(p1)
	} else {
		line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", casesFailure(c, stderr, "le mot de passe n'a pas pu être lu sur l'entrée standard", err) == 0
		}
		password = strings.TrimRight(line, "\r\n")
	}
	hash, err := web.HashPassword(password)
	if errors.Is(err, web.ErrWeakPassword) {
		return "", casesFailure(c, stderr, fmt.Sprintf("mot de passe trop court : %d caractères au moins ; rien n'est changé", web.MinPasswordLength), nil) == 0
	}
	if err != nil {
		return "", casesFailure(c, stderr, "le mot de passe n'a pas pu être chiffré", err) == 0
	}
	return hash, true
}
