package clerk

import (
	"errors"
	"fmt"
	"strings"

	"facteur/gateway"
	"facteur/store"
)

// ActionError explains to a finance clerk why an action on a case was
// refused (from is the state the case was in, budgets the configured
// budgets' names); an unforeseen error is given for the IT department.
func ActionError(err error, from store.CaseState, budgets []string) string {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "aucun dossier de ce numéro"
	case errors.Is(err, store.ErrTransition):
		return fmt.Sprintf("action impossible sur un dossier « %s »", StateLabel(from))
	case errors.Is(err, store.ErrConflict):
		return "le dossier a changé entre-temps ; consultez-le à nouveau avant d'agir"
	case errors.Is(err, gateway.ErrReasonRequired):
		return "le motif est obligatoire : dites pourquoi"
	case errors.Is(err, gateway.ErrNoFailedReply):
		return "aucune réponse en échec ou sans confirmation pour ce dossier"
	case errors.Is(err, gateway.ErrBadEngagement):
		return "numéro d'engagement vide, trop long (50 caractères au plus) ou sur plusieurs lignes"
	case errors.Is(err, gateway.ErrUnknownBudget):
		return "budget inconnu ; les budgets : « " + strings.Join(budgets, " », « ") + " » (ou leur SIRET)"
	case errors.Is(err, gateway.ErrOnChorus):
		return "la facture est déjà sur Chorus Pro : elle n'est jamais déposée deux fois ; " +
			"voyez son état sur Chorus Pro, puis remettez le dossier à l'examen ou notez qu'il est traité hors de Facteur"
	}
	return "erreur technique, à transmettre au service informatique : " + Technical(err)
}

// Acted says what an action did, after "Dossier REF : " (foundFlow: a
// person gave the flow under which the invoice was found deposited).
func Acted(action string, a gateway.Acted, foundFlow bool) string {
	switch {
	case action == "retry":
		return fmt.Sprintf("%d réponse(s) remise(s) en file d'envoi", a.Requeued)
	case action == "engagement":
		return "numéro d'engagement enregistré ; le dossier va être examiné à nouveau"
	case action == "budget":
		return "budget enregistré ; le dossier va être examiné à nouveau"
	case action == "handled":
		return "noté comme traité hors de Facteur"
	case a.To == store.CaseDeposited && foundFlow:
		return fmt.Sprintf("déposé sur Chorus Pro sous le flux %s ; son suivi reprend", a.Flow)
	case a.To == store.CaseDeposited:
		return fmt.Sprintf("le suivi sur Chorus Pro (flux %s) reprend", a.Flow)
	case a.To == store.CaseNew:
		return "remis à l'examen"
	}
	return "écarté"
}

// Technical is an error's text for the IT department, without the names
// of Facteur's packages that prefix it (store:, gateway:, config:).
func Technical(err error) string {
	return strings.NewReplacer("store: ", "", "gateway: ", "", "config: ", "").Replace(err.Error())
}
