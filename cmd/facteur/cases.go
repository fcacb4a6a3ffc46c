package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"facteur/app"
	"facteur/clerk"
	"facteur/config"
	"facteur/gateway"
	"facteur/store"
)

// casesCommand is what finance staff use; it speaks French, its help and
// its errors alike.
var casesCommand = &command{
	name:     "cases",
	lang:     french,
	synopsis: "[--config FICHIER] COMMANDE [OPTIONS]",
	summary:  "what finance staff ask, in French: list, show, release, reject, retry, engagement, budget, handled",
	text: `Les dossiers de Facteur, pour les services financiers : un dossier par facture reçue
par courriel, avec son état et, quand il attend une personne, le motif. Un dossier se
désigne par son numéro, par exemple FAC-2026-000123. Sans COMMANDE : list.

Chaque action (release, reject, retry, engagement, budget, handled) est enregistrée dans l'historique du dossier avec le
nom de la personne qui l'a faite ; Facteur la prend en compte à son passage suivant, en
général dans la minute. Les options peuvent suivre la commande : facteur cases list
--config FICHIER. Code de sortie : 0 si la commande a abouti, 1 si elle a échoué (dossier
inconnu, action impossible dans l'état du dossier), 2 si elle est mal écrite.`,
	defaultSub: "list",
	setup: func(c *command, fs *flag.FlagSet) runner {
		configFlag(fs, french)
		return nil
	},
	subs: []*command{casesList, casesShow, casesRelease, casesReject, casesRetry, casesEngagement, casesBudget, casesHandled},
}

var casesList = &command{
	name:     "list",
	lang:     french,
	synopsis: "[--state ÉTAT]... [--search TEXTE] [--limit N]",
	summary:  "les dossiers, du plus récent au plus ancien",
	text: `Liste les dossiers, du plus récent au plus ancien : numéro, date de réception,
fournisseur, numéro de facture, montant TTC, budget, état, et le motif ou le numéro du flux
Chorus Pro. --state s'écrit avec le nom de l'état ou son libellé, sans souci des
majuscules ni des accents (--state held, --state "à examiner") ; répétée, elle liste les
dossiers de chacun de ces états. Les états :

` + stateTable(),
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		var states multiFlag
		fs.Var(&states, "state", "seulement les dossiers dans cet `ÉTAT` (nom ou libellé) ; répétable")
		search := fs.String("search", "", "seulement les dossiers qui mentionnent ce `TEXTE` : nom, SIRET ou adresse du fournisseur, numéro de facture ou d'engagement, numéro de dossier (majuscules, accents et espaces ignorés)")
		limit := fs.Int("limit", 200, "au plus `N` dossiers")
		return func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				return c.usageError(stderr, fmt.Sprintf("argument inattendu « %s »", args[0]))
			}
			if *limit < 1 {
				return c.usageError(stderr, "--limit doit être un nombre de dossiers, au moins 1")
			}
			f := store.CaseFilter{Limit: *limit, Search: strings.TrimSpace(*search)}
			for _, v := range states.values {
				s, ok := clerk.ParseState(v)
				if !ok {
					return c.usageError(stderr, fmt.Sprintf("état inconnu « %s ». Les états, par leur nom ou leur libellé :\n%s", v, stateTable()))
				}
				f.States = append(f.States, s)
			}
			ctx := context.Background()
			st, _, code := openCases(ctx, c, *path, stderr)
			if st == nil {
				return code
			}
			defer st.Close()
			cases, err := st.Cases(ctx, f)
			if errors.Is(err, store.ErrSearchTooShort) {
				return c.usageError(stderr, fmt.Sprintf("--search demande au moins %d lettres ou chiffres (les espaces ne comptent pas)", store.MinSearch))
			}
			if err != nil {
				return casesFailure(c, stderr, "les dossiers n'ont pas pu être lus", err)
			}
			slow, err := st.SlowDeposits(ctx, time.Now().Add(-gateway.SlowDepositAfter))
			if err != nil {
				return casesFailure(c, stderr, "les dossiers n'ont pas pu être lus", err)
			}
			return printCases(stdout, cases, slow)
		}
	},
}

var casesShow = &command{
	name:     "show",
	lang:     french,
	synopsis: "DOSSIER",
	summary:  "un dossier en détail : facture, pièces jointes, réponses, historique",
	text: `Affiche un dossier en détail : son état et son motif, le message reçu, le fournisseur,
la facture, le budget, le numéro d'engagement, le dépôt sur Chorus Pro, les pièces jointes
(et pourquoi l'une d'elles n'a pas pu être lue), les réponses envoyées et l'historique de
ses états.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		return caseRunner(c, path, func(ctx context.Context, st *store.Store, _ *config.Config, ref string, stdout, stderr io.Writer) int {
			return showCase(ctx, stdout, stderr, st, ref)
		})
	},
}

var casesRelease = &command{
	name:     "release",
	lang:     french,
	synopsis: "DOSSIER [--flow NUMÉRO]",
	summary:  "remettre un dossier à l'examen, ou reprendre le suivi d'une facture déposée",
	text: `Remet à l'examen un dossier « à examiner », « refusée par Chorus Pro », « ignorée »
ou « à déposer par le fournisseur », une fois la cause levée (configuration corrigée,
registre des engagements à jour, ou Chorus Pro montre qu'un dépôt incertain n'a pas eu
lieu) : Facteur le décide à nouveau.

Avec --flow : la facture a été trouvée déposée sur Chorus Pro sous ce numéro de flux ;
Facteur ne la dépose pas une seconde fois et reprend son suivi.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		flow := fs.String("flow", "", "la facture a été trouvée déposée sur Chorus Pro sous ce `NUMÉRO` de flux")
		return actionRunner(c, path, "release", flow, new(string))
	},
}

var casesReject = &command{
	name:     "reject",
	lang:     french,
	synopsis: "DOSSIER --reason MOTIF",
	summary:  "écarter un dossier : sa facture ne sera pas déposée",
	text: `Écarte un dossier : Facteur ne déposera pas cette facture et n'en parlera plus. Le motif
est obligatoire ; il figure dans l'historique du dossier.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		reason := fs.String("reason", "", "pourquoi le dossier est écarté (obligatoire) : `MOTIF`, entre guillemets")
		return actionRunner(c, path, "reject", new(string), reason)
	},
}

var casesRetry = &command{
	name:     "retry",
	lang:     french,
	synopsis: "DOSSIER",
	summary:  "renvoyer les réponses qui n'ont pas pu être envoyées",
	text: `Remet en file d'envoi les réponses de ce dossier dont l'envoi a échoué, et celles envoyées sans
confirmation du serveur de messagerie (le fournisseur les a probablement reçues : vérifiez
auprès de lui avant de les renvoyer) ; Facteur les envoie à son passage suivant.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		return actionRunner(c, path, "retry", new(string), new(string))
	},
}

var casesEngagement = &command{
	name:     "engagement",
	lang:     french,
	synopsis: "DOSSIER NUMÉRO",
	summary:  "donner à un dossier son numéro d'engagement, puis le décider à nouveau",
	text: `Donne au dossier le numéro d'engagement (bon de commande) que la facture ou le
fournisseur n'a pas donné, trouvé par exemple dans le logiciel financier : Facteur décide à
nouveau le dossier avec ce numéro et, si rien d'autre ne s'y oppose, dépose la facture sur
Chorus Pro à son passage suivant. Possible pour un dossier « à examiner », « en attente du
fournisseur », « à déposer par le fournisseur », « ignorée » ou « refusée par Chorus Pro »,
jamais pour une facture déjà déposée (elle ne l'est jamais deux fois).`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		return valueRunner(c, configFlag(fs, french), "engagement", "le numéro d'engagement")
	},
}

var casesBudget = &command{
	name:     "budget",
	lang:     french,
	synopsis: "DOSSIER BUDGET",
	summary:  "choisir le budget destinataire d'un dossier, puis le décider à nouveau",
	text: `Choisit le budget destinataire de la facture, par son nom (entre guillemets) ou son
SIRET, quand la facture n'en désigne aucun des nôtres : Facteur décide à nouveau le dossier
pour ce budget à son passage suivant. Les budgets sont ceux du fichier de configuration.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		return valueRunner(c, configFlag(fs, french), "budget", "le budget (son nom entre guillemets, ou son SIRET)")
	},
}

var casesHandled = &command{
	name:     "handled",
	lang:     french,
	synopsis: "DOSSIER --reason COMMENT",
	summary:  "noter qu'un dossier a été traité hors de Facteur",
	text: `Note que la facture a été traitée hors de Facteur (déposée à la main sur Chorus Pro,
renvoyée au fournisseur par courrier...) : Facteur n'en fait plus rien. Dire comment est
obligatoire ; c'est écrit dans l'historique du dossier.`,
	setup: func(c *command, fs *flag.FlagSet) runner {
		path := configFlag(fs, french)
		reason := fs.String("reason", "", "comment la facture a été traitée (obligatoire) : `COMMENT`, entre guillemets")
		return actionRunner(c, path, "handled", new(string), reason)
	},
}

// actionRunner runs release, reject or retry on the case named in args.
func actionRunner(c *command, path *string, action string, flow, reason *string) runner {
	return caseRunner(c, path, func(ctx context.Context, st *store.Store, cfg *config.Config, ref string, stdout, stderr io.Writer) int {
		return actOnCase(ctx, action, ref, *flow, *reason, stdout, stderr, st, cfg)
	})
}

// caseRunner runs f on the case named in args, over the store of the
// configuration at *path.
func caseRunner(c *command, path *string, f func(ctx context.Context, st *store.Store, cfg *config.Config, ref string, stdout, stderr io.Writer) int) runner {
	return func(args []string, stdout, stderr io.Writer) int {
		ref, ok := oneRef(c, args, stderr)
		if !ok {
			return 2
		}
		ctx := context.Background()
		st, cfg, code := openCases(ctx, c, *path, stderr)
		if st == nil {
			return code
		}
		defer st.Close()
		return f(ctx, st, cfg, ref, stdout, stderr)
	}
}

// valueRunner runs an action giving a case a value: its arguments are the
// case and the value (what names the value, in French, for the refusal
// of a missing one).
func valueRunner(c *command, path *string, action, what string) runner {
	return func(args []string, stdout, stderr io.Writer) int {
		switch {
		case len(args) == 1:
			return c.usageError(stderr, "indiquez "+what+" après le numéro du dossier")
		case len(args) == 0 || len(args) > 2:
			return c.usageError(stderr, fmt.Sprintf("indiquez le numéro du dossier puis %s, par exemple %s", what, c.synopsis))
		}
		ctx := context.Background()
		st, cfg, code := openCases(ctx, c, *path, stderr)
		if st == nil {
			return code
		}
		defer st.Close()
		return actOnCase(ctx, action, args[0], "", args[1], stdout, stderr, st, cfg)
	}
}

// oneRef returns the one argument of a command on a case: its reference.
func oneRef(c *command, args []string, stderr io.Writer) (string, bool) {
	switch len(args) {
	case 1:
		return args[0], true
	case 0:
		c.usageError(stderr, "indiquez le numéro du dossier, par exemple FAC-2026-000123")
	default:
		c.usageError(stderr, fmt.Sprintf("un seul numéro de dossier, pas %d (%s)", len(args), strings.Join(args, " ")))
	}
	return "", false
}

// stateTable lists the states, their names and labels, for the help and
// the refusal of an unknown one.
func stateTable() string {
	var b strings.Builder
	for _, s := range clerk.States {
		fmt.Fprintf(&b, "  %-19s %s\n", s, clerk.StateLabel(s))
	}
	return strings.TrimRight(b.String(), "\n")
}

// openCases opens the store of the configuration at path for a cases
// command, or says in French why it cannot: nil then, with the exit status.
// It never creates a database: the daemon does.
func openCases(ctx context.Context, c *command, path string, stderr io.Writer) (*store.Store, *config.Config, int) {
	if code, ok := configGiven(c, path, stderr); !ok {
		return nil, nil, code
	}
	if _, err := os.ReadFile(path); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, nil, casesFailure(c, stderr, fmt.Sprintf("accès refusé au fichier de configuration %s. %s", path, asServiceUser), nil)
		}
		return nil, nil, casesFailure(c, stderr, fmt.Sprintf("le fichier de configuration %s ne peut pas être lu", path), err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s : le fichier de configuration %s est incorrect ; le service informatique peut le vérifier avec « facteur check-config %s ».\n", c.path(), path, path)
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintln(stderr, "Détail pour le service informatique :")
			for _, p := range ps {
				fmt.Fprintf(stderr, "  %s\n", p)
			}
		}
		return nil, nil, 2
	}
	dir := cfg.Instance.DataDir
	if _, err := os.Stat(filepath.Join(dir, store.DatabaseFile)); err != nil {
		switch {
		case errors.Is(err, fs.ErrPermission):
			return nil, nil, casesFailure(c, stderr, fmt.Sprintf("accès refusé aux données de Facteur (%s). %s", dir, asServiceUser), nil)
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, casesFailure(c, stderr, fmt.Sprintf("aucune base de données dans %s : Facteur n'y a encore rien enregistré "+
				"(le service a-t-il démarré ?), ou instance.data_dir ne désigne pas le bon répertoire", dir), nil)
		}
		return nil, nil, casesFailure(c, stderr, fmt.Sprintf("les données de Facteur (%s) ne peuvent pas être lues", dir), err)
	}
	st, err := store.Open(ctx, dir, store.Options{})
	switch {
	case err == nil:
		return st, cfg, 0
	case errors.Is(err, store.ErrNewerSchema):
		return nil, nil, casesFailure(c, stderr, fmt.Sprintf("la base de données de %s a été écrite par une version plus récente de Facteur "+
			"que cette commande (facteur --version) ; utilisez la commande de la version installée avec le service", dir), nil)
	case errors.Is(err, fs.ErrPermission):
		return nil, nil, casesFailure(c, stderr, fmt.Sprintf("accès refusé aux données de Facteur (%s). %s", dir, asServiceUser), nil)
	}
	return nil, nil, casesFailure(c, stderr, fmt.Sprintf("les données de Facteur (%s) ne peuvent pas être ouvertes", dir), err)
}

// asServiceUser says how to run a command with the service's rights.
const asServiceUser = "Lancez la commande avec les droits du service : sudo -u facteur facteur cases …"

// casesFailure prints what failed, in French, and the technical detail
// for the IT department when there is one; the exit status is 1.
func casesFailure(c *command, stderr io.Writer, what string, err error) int {
	fmt.Fprintf(stderr, "%s : %s.\n", c.path(), strings.TrimSuffix(what, "."))
	if err != nil {
		fmt.Fprintf(stderr, "Détail pour le service informatique : %s\n", clerk.Technical(err))
	}
	return 1
}

// actOnCase carries out what a finance clerk decided about a case:
//
//	release REF               examine it again (after a configuration fix, or
//	                          once Chorus Pro shows an uncertain deposit did not happen)
//	release REF --flow NUM    Chorus Pro shows the invoice was deposited as flow NUM
//	reject REF --reason TEXT  set it aside; Facteur will not deposit it
//	retry REF                 send again the replies that could not be sent
//	engagement REF NUM        give it its engagement number, decide it again
//	budget REF BUDGET         give it its budget (name or SIRET), decide it again
//	handled REF --reason HOW  it was dealt with outside Facteur
//
// value is the reason, the engagement number or the budget. The daemon picks the change up at its next pass; the ledger records who
// made it.
func actOnCase(ctx context.Context, action, ref, flow, value string, stdout, stderr io.Writer, st *store.Store, cfg *config.Config) int {
	g := gateway.New(gateway.Options{Store: st, Rules: app.Rules(cfg)})
	who := operator()
	var (
		a   gateway.Acted
		err error
	)
	switch action {
	case "release":
		a, err = g.Release(ctx, ref, who, flow)
	case "reject":
		a, err = g.Reject(ctx, ref, who, value)
	case "engagement":
		a, err = g.SetEngagement(ctx, ref, who, value)
	case "budget":
		a, err = g.SetBudget(ctx, ref, who, value)
	case "handled":
		a, err = g.MarkHandled(ctx, ref, who, value)
	default: // retry
		a, err = g.RetryReplies(ctx, ref, who)
	}
	if err != nil {
		why := clerk.ActionError(err, a.Case.State, g.BudgetNames())
		if errors.Is(err, gateway.ErrReasonRequired) {
			why = "--reason est obligatoire : dites pourquoi le dossier est écarté"
			if action == "handled" {
				why = "--reason est obligatoire : dites comment la facture a été traitée"
			}
		}
		fmt.Fprintf(stderr, "facteur cases %s : dossier %s : %s.\n", action, ref, why)
		return 1
	}
	fmt.Fprintf(stdout, "Dossier %s : %s.\n", ref, clerk.Acted(action, a, flow != ""))
	return 0
}

// operator names the person acting, for the ledger.
func operator() string {
	for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return "un opérateur"
}

// printCases prints the list; the cases of slow (depositing for more than
// gateway.SlowDepositAfter) are marked, and counted below the table.
func printCases(w io.Writer, cases []store.Case, slow []store.SlowDeposit) int {
	if len(cases) == 0 {
		fmt.Fprintln(w, "Aucun dossier.")
		return 0
	}
	since := map[int64]time.Time{}
	for _, d := range slow {
		since[d.Case.ID] = d.Since
	}
	marked := 0
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOSSIER\tREÇU LE\tFOURNISSEUR\tFACTURE\tMONTANT TTC\tBUDGET\tÉTAT\tMOTIF / FLUX")
	for _, c := range cases {
		supplier := c.SupplierName
		if supplier == "" {
			supplier = c.From
		}
		detail := c.Reason
		if c.FlowNumber != "" {
			detail = "flux " + c.FlowNumber
		}
		state := clerk.StateLabel(c.State)
		if t, ok := since[c.ID]; ok {
			marked++
			state += " (> 1 h)"
			detail = "en cours depuis le " + t.Local().Format("02/01/2006 15:04") + " : " + detail
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Ref, c.CreatedAt.Local().Format("02/01/2006 15:04"),
			clerk.OneLine(supplier, 32), dash(c.InvoiceNumber), dash(clerk.Amount(c.AmountWithVAT, c.Currency)), dash(c.Budget),
			state, clerk.OneLine(detail, 90))
	}
	tw.Flush()
	if n := len(slow); n > 0 {
		fmt.Fprintf(w, "\n%s depuis plus d'une heure (%d dans cette liste, marqué(s) « > 1 h ») : Chorus Pro n'a pas encore "+
			"confirmé le dépôt. Facteur continue de vérifier sur Chorus Pro avant tout nouveau dépôt ; au-delà de 24 heures "+
			"de recherches sans réponse, le dossier est mis à examiner.\n",
			plural(n, "dossier en cours de dépôt", "dossiers en cours de dépôt"), marked)
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func showCase(ctx context.Context, w, stderr io.Writer, st *store.Store, ref string) int {
	c, err := st.CaseByRef(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "facteur cases show : aucun dossier %s.\n", ref)
		return 1
	}
	if err != nil {
		return showFailure(stderr, ref, err)
	}
	row := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-30s %s\n", label, v)
		}
	}
	row("Dossier", c.Ref)
	row("État", clerk.StateLabel(c.State))
	row("Motif", c.Reason)
	for _, f := range clerk.CaseFields(c) {
		row(f.Label, f.Value)
	}
	docs, err := st.DocumentsOfMessage(ctx, c.MessageID)
	if err != nil {
		return showFailure(stderr, ref, err)
	}
	for _, d := range docs {
		row("Pièce jointe", clerk.DocumentLabel(d))
	}
	items, err := st.OutboxOfCase(ctx, c.ID)
	if err != nil {
		return showFailure(stderr, ref, err)
	}
	for _, it := range items {
		row("Réponse", fmt.Sprintf("« %s » – %s", it.Subject, clerk.ReplyStatus(it)))
	}
	ledger, err := st.Ledger(ctx, store.EntityCase, c.ID)
	if err != nil {
		return showFailure(stderr, ref, err)
	}
	fmt.Fprintln(w, "\nHistorique :")
	for _, e := range ledger {
		from := clerk.StateLabel(store.CaseState(e.From))
		if e.From == "" {
			from = "—"
		}
		fmt.Fprintf(w, "  %s  %s → %s  %s\n", e.At.Local().Format(time.DateTime), from, clerk.StateLabel(store.CaseState(e.To)), e.Note)
	}
	return 0
}

// showFailure says that the case ref could not be read, and why for the
// IT department; the exit status is 1.
func showFailure(stderr io.Writer, ref string, err error) int {
	fmt.Fprintf(stderr, "facteur cases show : le dossier %s n'a pas pu être lu.\nDétail pour le service informatique : %s\n", ref, clerk.Technical(err))
	return 1
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
