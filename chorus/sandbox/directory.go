package sandbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Structures API (reference §2.7 – §2.10) and the technical user's supplier
// structures (§2.14).

const (
	pathRechercherStructure = "/cpro/structures/v1/rechercher"
	pathConsulterStructure  = "/cpro/structures/v1/consulter"
	pathRechercherServices  = "/cpro/structures/v1/rechercher/services"
	pathConsulterService    = "/cpro/structures/v1/consulter/service"
	pathStructuresActives   = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
	pathCoordBanc           = "/cpro/transverses/v1/recuperer/coordbanc/valides"
)

// codeUnknownStructure answers consulter/… for an unknown id (illustrative).
const codeUnknownStructure = 20001

// recipient is a public structure with its services resolved.
type recipient struct {
	Structure
	services []Service
}

func (r *recipient) service(code string) (Service, bool) {
	for _, sv := range r.services {
		if sv.Code == code {
			return sv, true
		}
	}
	return Service{}, false
}

// loadDirectory indexes the recipients and suppliers. Called once, before serving.
func (s *Server) loadDirectory(structs []Structure, suppliers []Supplier) error {
	nextStruct, nextService := int64(27815403), int64(11208870)
	used := map[int64]bool{}
	for _, st := range structs {
		if st.ID != 0 {
			used[st.ID] = true
		}
	}
	for _, st := range structs {
		if _, dup := s.services[st.SIRET]; dup {
			return fmt.Errorf("sandbox: options: structure %s listed twice", st.SIRET)
		}
		st.Services = slices.Clone(st.Services)
		st.ServiceList = slices.Clone(st.ServiceList)
		if st.ID == 0 {
			for used[nextStruct] {
				nextStruct++
			}
			st.ID = nextStruct
			used[st.ID] = true
		}
		r := &recipient{Structure: st}
		add := func(sv Service) {
			if _, dup := r.service(sv.Code); dup {
				return
			}
			if sv.ID == 0 {
				nextService++
				sv.ID = nextService
			}
			r.services = append(r.services, sv)
		}
		for _, sv := range st.ServiceList {
			add(sv)
		}
		for _, code := range st.Services {
			add(Service{Code: code, Name: code})
		}
		s.services[st.SIRET] = st
		s.recipients[st.ID] = r
	}
	for _, sp := range suppliers {
		sp.attached = true
		if sp.ID == 0 || sp.SIRET == "" {
			return fmt.Errorf("sandbox: options: supplier %+v needs an ID and a SIRET", sp)
		}
		s.suppliers[sp.SIRET] = &sp
	}
	return nil
}

// supplierFor returns the supplier structure of a seller SIRET, registering
// it (a private structure, not attached to the technical user) when unseen.
// Called with s.mu held.
func (s *Server) supplierFor(siret string) *Supplier {
	if sp, ok := s.suppliers[siret]; ok {
		return sp
	}
	var max int64 = 31600000
	for _, sp := range s.suppliers {
		if sp.ID > max {
			max = sp.ID
		}
	}
	sp := &Supplier{ID: max + 1, SIRET: siret, Name: "FOURNISSEUR " + siret, attached: false}
	s.suppliers[siret] = sp
	return sp
}

// routingErrors checks that an invoice to siret carrying the engagement ej
// and the service code service satisfies the recipient's rules (reference
// §2.8, §2.10), and returns the French reasons of a rejection.
func (s *Server) routingErrors(siret, ej, service string, el elementNames) []string {
	var reasons []string
	add := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }
	st, known := s.services[siret]
	if !known {
		add("Le destinataire %s n'est pas une structure publique connue de Chorus Pro (élément %s).", siret, el.buyer)
		return reasons
	}
	r := s.recipients[st.ID]
	if st.Inactive {
		add("La structure destinataire %s n'est pas active.", siret)
		return reasons
	}
	switch {
	case st.EJOrService:
		if ej == "" && service == "" {
			add("Le numéro d'engagement juridique ou le code service exécutant est obligatoire pour le destinataire %s ; aucun n'est renseigné (éléments %s, %s).", siret, el.order, el.service)
		}
	default:
		if st.EngagementRequired && ej == "" {
			add("Le numéro d'engagement juridique est obligatoire pour le destinataire %s et n'est pas renseigné (élément %s).", siret, el.order)
		}
		if st.ServiceRequired && service == "" {
			add("Le code service exécutant est obligatoire pour le destinataire %s et n'est pas renseigné (élément %s).", siret, el.service)
		}
	}
	if utf8Len(ej) > 50 {
		add("Le numéro d'engagement juridique « %s » dépasse 50 caractères (élément %s).", ej, el.order)
	}
	if service != "" {
		sv, ok := r.service(service)
		switch {
		case !ok && len(r.services) == 0 && !st.ServiceRequired:
			// UNCONFIRMED: how Chorus Pro treats a service code sent to a
			// structure that declares no services; the sandbox accepts it.
		case !ok || sv.Inactive:
			add("Le code service exécutant « %s » n'existe pas ou n'est pas actif pour le destinataire %s (élément %s).", service, siret, el.service)
		case sv.EngagementRequired && ej == "":
			add("Le numéro d'engagement juridique est obligatoire pour le service %s du destinataire %s et n'est pas renseigné (élément %s).", service, siret, el.order)
		}
	}
	return reasons
}

func (s *Server) serveRechercherStructure(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		Structure *struct {
			IdentifiantStructure     string `json:"identifiantStructure"`
			TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
			RaisonSocialeStructure   string `json:"raisonSocialeStructure"`
		} `json:"structure"`
		Parametres                   *pageRequest `json:"parametres"`
		RestreindreStructuresPrivees *bool        `json:"restreindreStructuresPrivees"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	var id, name string
	if req.Structure != nil {
		id, name = strings.TrimSpace(req.Structure.IdentifiantStructure), strings.ToUpper(req.Structure.RaisonSocialeStructure)
		if t := req.Structure.TypeIdentifiantStructure; t != "" && t != "SIRET" {
			id = "\x00" // the sandbox only knows SIRETs
		}
	}
	// restreindreStructuresPrivees absent/true: public structures and the
	// private structures of the technical user; false: all (reference §2.7).
	restrict := req.RestreindreStructuresPrivees == nil || *req.RestreindreStructuresPrivees
	type item struct {
		IDStructureCPP           int64  `json:"idStructureCPP"`
		IdentifiantStructure     string `json:"identifiantStructure"`
		TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
		DesignationStructure     string `json:"designationStructure"`
		Statut                   string `json:"statut"`
	}
	var list []item
	match := func(siret, n string) bool {
		return (id == "" || id == siret) && (name == "" || strings.Contains(strings.ToUpper(n), name))
	}
	s.mu.Lock()
	for _, r := range s.sortedRecipients() {
		if match(r.SIRET, r.Name) {
			statut := "ACTIVE"
			if r.Inactive {
				statut = "INACTIVE"
			}
			list = append(list, item{r.ID, r.SIRET, "SIRET", r.Name, statut})
		}
	}
	for _, sp := range s.sortedSuppliers() {
		if match(sp.SIRET, sp.Name) && (!restrict || sp.attached) {
			list = append(list, item{sp.ID, sp.SIRET, "SIRET", sp.Name, "ACTIVE"})
		}
	}
	s.mu.Unlock()
	page, size := req.Parametres.get(10)
	items, ret := paginate(list, page, size)
	if items == nil {
		items = []item{}
	}
	log.Debug("sandbox: rechercher structure", "id", id, "found", len(list))
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeStructures": items, "parametresRetour": ret})
}

func (s *Server) serveConsulterStructure(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		IDStructureCPP *int64 `json:"idStructureCPP"`
		CodeLangue     string `json:"codeLangue"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.IDStructureCPP == nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètre obligatoire absent : idStructureCPP"))
		return
	}
	s.mu.Lock()
	r, ok := s.recipients[*req.IDStructureCPP]
	var sp *Supplier
	if !ok {
		for _, x := range s.suppliers {
			if x.ID == *req.IDStructureCPP {
				sp = x
			}
		}
	}
	s.mu.Unlock()
	switch {
	case ok:
		writeJSON(w, http.StatusOK, map[string]any{
			"codeRetour": 0, "libelle": okLibelle,
			"informationGenerales": map[string]any{
				"idStructureCPP": r.ID, "identifiantStructure": r.SIRET, "typeIdentifiantStructure": "SIRET",
				"libelleStructure": r.Name, "raisonSocialeStructure": r.Name, "structurePriveePublique": "PUBLIQUE",
				"estValideurDeleguee": false,
			},
			"parametres": map[string]any{
				"codeServiceDoitEtreRenseigne": r.ServiceRequired, "numeroEJDoitEtreRenseigne": r.EngagementRequired,
				"gestionNumeroEJOuCodeService": r.EJOrService, "statutMiseEnPaiementNestPasRemonte": r.PaymentNotReported,
				"connexionEDI": false, "recevoirDonneesViaEDI": false, "estMoaUniquement": false, "getaMoa": false,
				"estValideurDelegue": false, "nonDiffusibleInsee": false,
			},
		})
	case sp != nil:
		writeJSON(w, http.StatusOK, map[string]any{
			"codeRetour": 0, "libelle": okLibelle,
			"informationGenerales": map[string]any{
				"idStructureCPP": sp.ID, "identifiantStructure": sp.SIRET, "typeIdentifiantStructure": "SIRET",
				"raisonSocialeStructure": sp.Name, "structurePriveePublique": "PRIVEE",
			},
			"parametres": map[string]any{"codeServiceDoitEtreRenseigne": false, "numeroEJDoitEtreRenseigne": false,
				"gestionNumeroEJOuCodeService": false, "statutMiseEnPaiementNestPasRemonte": false},
		})
	default:
		log.Debug("sandbox: unknown structure", "id", *req.IDStructureCPP)
		writeJSON(w, http.StatusOK, businessError(codeUnknownStructure, fmt.Sprintf("La structure %d n'existe pas.", *req.IDStructureCPP)))
	}
}

func (s *Server) serveRechercherServices(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		IDStructure *int64       `json:"idStructure"`
		Parametres  *pageRequest `json:"parametresRechercherServicesStructure"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.IDStructure == nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètre obligatoire absent : idStructure"))
		return
	}
	s.mu.Lock()
	r, ok := s.recipients[*req.IDStructure]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, businessError(codeUnknownStructure, fmt.Sprintf("La structure %d n'existe pas.", *req.IDStructure)))
		return
	}
	type item struct {
		IDService      int64  `json:"idService"`
		CodeService    string `json:"codeService"`
		LibelleService string `json:"libelleService"`
		EstActif       bool   `json:"estActif"`
		StatutService  string `json:"statutService"`
		DateDbtService string `json:"dateDbtService"`
		DateFinService string `json:"dateFinService"`
	}
	var list []item
	for _, sv := range r.services {
		statut := "ACTIF" // UNCONFIRMED values (free string in the Swagger)
		if sv.Inactive {
			statut = "INACTIF"
		}
		name := sv.Name
		if name == "" {
			name = sv.Code
		}
		list = append(list, item{sv.ID, sv.Code, name, !sv.Inactive, statut, "2019-01-07 09:12", "2050-12-31 00:00"})
	}
	slices.SortFunc(list, func(a, b item) int { return strings.Compare(a.CodeService, b.CodeService) })
	page, size := req.Parametres.get(100)
	items, ret := paginate(list, page, size)
	if items == nil {
		items = []item{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeServices": items, "parametresRetour": ret})
}

func (s *Server) serveConsulterService(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		IDStructure *int64 `json:"idStructure"`
		IDService   *int64 `json:"idService"`
		CodeLangue  string `json:"codeLangue"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.IDStructure == nil || req.IDService == nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètres obligatoires absents : idStructure, idService"))
		return
	}
	s.mu.Lock()
	r, ok := s.recipients[*req.IDStructure]
	s.mu.Unlock()
	var sv Service
	found := false
	if ok {
		for _, x := range r.services {
			if x.ID == *req.IDService {
				sv, found = x, true
			}
		}
	}
	if !found {
		writeJSON(w, http.StatusOK, businessError(codeUnknownStructure, fmt.Sprintf("Le service %d de la structure %d n'existe pas.", *req.IDService, *req.IDStructure)))
		return
	}
	name := sv.Name
	if name == "" {
		name = sv.Code
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"codeRetour": 0, "libelle": okLibelle,
		"informationsGenerales": map[string]any{"codeService": sv.Code, "nomService": name, "descriptionService": name},
		"adressePostale":        map[string]any{"adresse": "", "codePostal": "02100", "ville": "SAINT-QUENTIN", "pays": "FR"},
		"parametres": map[string]any{
			"numeroEngagement": sv.EngagementRequired, "miseEnPaiement": !r.PaymentNotReported,
			"dateCreation": "2019-01-07T09:12:00.000Z", "dateDebutValidite": "2019-01-07T00:00:00.000Z",
			"dateFinValidite": "2050-12-31T00:00:00.000Z", "dateModification": "2023-06-15T14:02:11.000Z",
		},
	})
}

func (s *Server) serveStructuresActives(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req map[string]json.RawMessage
	if !decodeRequest(w, body, &req) {
		return
	}
	type item struct {
		IDStructureCPP       int64  `json:"idStructureCPP"`
		Identifiant          string `json:"identifiant"`
		DesignationStructure string `json:"designationStructure"`
	}
	list := []item{}
	s.mu.Lock()
	for _, sp := range s.sortedSuppliers() {
		if sp.attached {
			list = append(list, item{sp.ID, sp.SIRET, sp.Name})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeStructures": list})
}

// serveCoordBanc lists the valid bank details of a supplier structure of
// the technical user (§2.14); none: codeRetour 20000.
func (s *Server) serveCoordBanc(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		IDStructure int64 `json:"idStructure"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	type item struct {
		IDCoordonneeBancaire  int64  `json:"idCoordonneeBancaire"`
		NomCoordonneeBancaire string `json:"nomCoordonneeBancaire"`
	}
	var list []item
	s.mu.Lock()
	for _, sp := range s.sortedSuppliers() {
		if sp.attached && sp.ID == req.IDStructure {
			for id, name := range sp.BankDetails {
				list = append(list, item{id, name})
			}
		}
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b item) int { return cmp.Compare(a.IDCoordonneeBancaire, b.IDCoordonneeBancaire) })
	log.Debug("sandbox: bank details", "structure", req.IDStructure, "found", len(list))
	if len(list) == 0 {
		writeJSON(w, http.StatusOK, businessError(codeNoResult, "TRA_MSG_00.015"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeCoordonneeBancaire": list})
}

// sortedRecipients and sortedSuppliers give a stable order. Called with s.mu held.
func (s *Server) sortedRecipients() []*recipient {
	out := make([]*recipient, 0, len(s.recipients))
	for _, r := range s.recipients {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *recipient) int { return int(a.ID - b.ID) })
	return out
}

func (s *Server) sortedSuppliers() []*Supplier {
	out := make([]*Supplier, 0, len(s.suppliers))
	for _, sp := range s.suppliers {
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b *Supplier) int { return int(a.ID - b.ID) })
	return out
}

// pageRequest is a paging block of a search request.
type pageRequest struct {
	NbResultatsParPage   int `json:"nbResultatsParPage"`
	PageResultatDemandee int `json:"pageResultatDemandee"`
}

func (p *pageRequest) get(defSize int) (page, size int) {
	page, size = 1, defSize
	if p != nil {
		if p.PageResultatDemandee > 0 {
			page = p.PageResultatDemandee
		}
		if p.NbResultatsParPage > 0 {
			size = p.NbResultatsParPage
		}
	}
	return page, min(size, 10000)
}

// paginate cuts list into pages and returns the requested one with the
// parametresRetour block.
func paginate[T any](list []T, page, size int) ([]T, map[string]any) {
	pages := (len(list) + size - 1) / size
	ret := map[string]any{"pageCourante": page, "pages": pages, "nbResultatsParPage": size, "total": len(list)}
	start := (page - 1) * size
	if start >= len(list) {
		return nil, ret
	}
	return list[start:min(start+size, len(list))], ret
}

// decodeRequest decodes a JSON body or answers 400.
func decodeRequest(w http.ResponseWriter, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Requête JSON invalide : "+err.Error()))
		return false
	}
	return true
}

func utf8Len(s string) int { return len([]rune(s)) }
