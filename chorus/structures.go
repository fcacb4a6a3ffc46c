package chorus

import (
	"context"
	"strings"
	"time"
)

// Operation names and paths of the structure endpoints.
const (
	opRechercherStructure   = "structures/rechercher"
	opConsulterStructure    = "structures/consulter"
	opRechercherServices    = "structures/rechercher/services"
	opConsulterService      = "structures/consulter/service"
	opStructuresActives     = "recuperer/structures/actives/fournisseur"
	opCoordBanc             = "recuperer/coordbanc/valides"
	pathRechercherStructure = "/cpro/structures/v1/rechercher"
	pathConsulterStructure  = "/cpro/structures/v1/consulter"
	pathRechercherServices  = "/cpro/structures/v1/rechercher/services"
	pathConsulterService    = "/cpro/structures/v1/consulter/service"
	pathStructuresActives   = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
	pathCoordBanc           = "/cpro/transverses/v1/recuperer/coordbanc/valides"
)

// StructureSummary is one structure found by rechercherStructure.
type StructureSummary struct {
	ID             int64  // idStructureCPP
	Identifier     string // identifiantStructure, e.g. the SIRET
	IdentifierType string // typeIdentifiantStructure, e.g. SIRET
	Name           string // designationStructure
	Status         string // statut: ACTIVE | INACTIVE
}

type rechercherStructureRequest struct {
	Structure struct {
		IdentifiantStructure     string `json:"identifiantStructure"`
		TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
	} `json:"structure"`
	Parametres                   pageParams `json:"parametres"`
	RestreindreStructuresPrivees bool       `json:"restreindreStructuresPrivees"`
}

type rechercherStructureResponse struct {
	ListeStructures oneOrMany[struct {
		IDStructureCPP           flexInt64  `json:"idStructureCPP"`
		IdentifiantStructure     flexString `json:"identifiantStructure"`
		TypeIdentifiantStructure flexString `json:"typeIdentifiantStructure"`
		DesignationStructure     flexString `json:"designationStructure"`
		Statut                   flexString `json:"statut"`
	}] `json:"listeStructures"`
}

func (r *rechercherStructureResponse) list() []StructureSummary {
	var out []StructureSummary
	for _, s := range r.ListeStructures {
		out = append(out, StructureSummary{
			ID: int64(s.IDStructureCPP), Identifier: strings.TrimSpace(string(s.IdentifiantStructure)),
			IdentifierType: string(s.TypeIdentifiantStructure), Name: string(s.DesignationStructure),
			Status: strings.TrimSpace(string(s.Statut)),
		})
	}
	return out
}

func decodeRechercherStructure(data []byte) ([]StructureSummary, error) {
	out, err := decodeOK[rechercherStructureResponse](opRechercherStructure, data)
	if err != nil {
		if noResult(err) {
			return nil, nil
		}
		return nil, err
	}
	return out.list(), nil
}

// RechercherStructure looks a SIRET up (POST /cpro/structures/v1/rechercher),
// among all structures (restreindreStructuresPrivees false). No match is an
// empty list.
func (c *Client) RechercherStructure(ctx context.Context, siret string) ([]StructureSummary, error) {
	if err := CheckSIRET("SIRET", siret); err != nil {
		return nil, &Error{Op: opRechercherStructure, Label: err.Error(), Err: ErrInvalidRequest}
	}
	var in rechercherStructureRequest
	in.Structure.IdentifiantStructure = siret
	in.Structure.TypeIdentifiantStructure = "SIRET"
	in.Parametres = pageParams{NbResultatsParPage: 10, PageResultatDemandee: 1}
	var out rechercherStructureResponse
	if err := c.call(ctx, opRechercherStructure, pathRechercherStructure, in, &out); err != nil {
		if noResult(err) {
			return nil, nil
		}
		return nil, err
	}
	return out.list(), nil
}

// StructureDetails is the answer of consulterStructure: identity and the
// routing flags of reference §2.8.
type StructureDetails struct {
	ID                 int64
	Identifier         string // identifiantStructure (SIRET)
	Name               string // raisonSocialeStructure, else libelleStructure
	PublicPrivate      string // structurePriveePublique: PUBLIQUE | PRIVEE
	PasswordExpiration string // dateExpirationMotPasseCompteTech, when filled (UNCONFIRMED)

	ServiceRequired    bool // codeServiceDoitEtreRenseigne
	EngagementRequired bool // numeroEJDoitEtreRenseigne
	EJOrService        bool // gestionNumeroEJOuCodeService
	PaymentNotReported bool // statutMiseEnPaiementNestPasRemonte (semantics UNCONFIRMED)
}

type consulterStructureRequest struct {
	IDStructureCPP int64  `json:"idStructureCPP"`
	CodeLangue     string `json:"codeLangue"`
}

type consulterStructureResponse struct {
	InformationGenerales block[struct {
		IDStructureCPP                   flexInt64  `json:"idStructureCPP"`
		IdentifiantStructure             flexString `json:"identifiantStructure"`
		LibelleStructure                 flexString `json:"libelleStructure"`
		RaisonSocialeStructure           flexString `json:"raisonSocialeStructure"`
		StructurePriveePublique          flexString `json:"structurePriveePublique"`
		DateExpirationMotPasseCompteTech flexString `json:"dateExpirationMotPasseCompteTech"`
	}] `json:"informationGenerales"`
	Parametres block[struct {
		CodeServiceDoitEtreRenseigne       flexBool `json:"codeServiceDoitEtreRenseigne"`
		NumeroEJDoitEtreRenseigne          flexBool `json:"numeroEJDoitEtreRenseigne"`
		GestionNumeroEJOuCodeService       flexBool `json:"gestionNumeroEJOuCodeService"`
		StatutMiseEnPaiementNestPasRemonte flexBool `json:"statutMiseEnPaiementNestPasRemonte"`
	}] `json:"parametres"`
}

func (r *consulterStructureResponse) details() *StructureDetails {
	g, p := r.InformationGenerales.V, r.Parametres.V
	d := &StructureDetails{
		ID: int64(g.IDStructureCPP), Identifier: strings.TrimSpace(string(g.IdentifiantStructure)),
		Name: string(g.RaisonSocialeStructure), PublicPrivate: string(g.StructurePriveePublique),
		PasswordExpiration: string(g.DateExpirationMotPasseCompteTech),
		ServiceRequired:    bool(p.CodeServiceDoitEtreRenseigne), EngagementRequired: bool(p.NumeroEJDoitEtreRenseigne),
		EJOrService: bool(p.GestionNumeroEJOuCodeService), PaymentNotReported: bool(p.StatutMiseEnPaiementNestPasRemonte),
	}
	if d.Name == "" {
		d.Name = string(g.LibelleStructure)
	}
	return d
}

func decodeConsulterStructure(data []byte) (*StructureDetails, error) {
	out, err := decodeOK[consulterStructureResponse](opConsulterStructure, data)
	if err != nil {
		return nil, err
	}
	return out.details(), nil
}

// ConsulterStructure returns a structure's routing flags (POST
// /cpro/structures/v1/consulter). The request field is idStructureCPP (not
// idStructure, which one library sends by mistake).
func (c *Client) ConsulterStructure(ctx context.Context, structureID int64) (*StructureDetails, error) {
	if structureID <= 0 {
		return nil, &Error{Op: opConsulterStructure, Label: "idStructureCPP must be positive", Err: ErrInvalidRequest}
	}
	var out consulterStructureResponse
	if err := c.call(ctx, opConsulterStructure, pathConsulterStructure, consulterStructureRequest{IDStructureCPP: structureID, CodeLangue: "fr"}, &out); err != nil {
		return nil, err
	}
	d := out.details()
	if d.ID == 0 {
		d.ID = structureID
	}
	return d, nil
}

// ServiceSummary is one service of a structure.
type ServiceSummary struct {
	ID         int64
	Code       string // codeService
	Name       string // libelleService
	Active     bool   // estActif
	Status     string // statutService (free text, UNCONFIRMED values)
	Start, End string // dateDbtService, dateFinService ("YYYY-MM-DD HH:MM")
}

type rechercherServicesRequest struct {
	IDStructure int64      `json:"idStructure"`
	Parametres  pageParams `json:"parametresRechercherServicesStructure"`
}

type rechercherServicesResponse struct {
	ListeServices oneOrMany[struct {
		IDService      flexInt64  `json:"idService"`
		CodeService    flexString `json:"codeService"`
		LibelleService flexString `json:"libelleService"`
		EstActif       *flexBool  `json:"estActif"`
		StatutService  flexString `json:"statutService"`
		DateDbtService flexString `json:"dateDbtService"`
		DateFinService flexString `json:"dateFinService"`
	}] `json:"listeServices"`
	ParametresRetour block[pageReturn] `json:"parametresRetour"`
	pageReturn                         // paging at the top level ("accept both", reference §2.11)
}

func (r *rechercherServicesResponse) list() []ServiceSummary {
	var out []ServiceSummary
	for _, s := range r.ListeServices {
		out = append(out, ServiceSummary{
			ID: int64(s.IDService), Code: strings.TrimSpace(string(s.CodeService)), Name: string(s.LibelleService),
			Active: serviceActive(s.EstActif, string(s.StatutService)), Status: string(s.StatutService),
			Start: string(s.DateDbtService), End: string(s.DateFinService),
		})
	}
	return out
}

// serviceActive reads estActif; without it, statutService (ACTIF / INACTIF,
// UNCONFIRMED values); without either, the listed service is taken as active
// (Chorus Pro would still refuse an inactive one, visibly).
func serviceActive(estActif *flexBool, statut string) bool {
	if estActif != nil {
		return bool(*estActif)
	}
	switch strings.ToUpper(strings.TrimSpace(statut)) {
	case "INACTIF", "INACTIVE":
		return false
	}
	return true
}

func decodeRechercherServices(data []byte) ([]ServiceSummary, error) {
	out, err := decodeOK[rechercherServicesResponse](opRechercherServices, data)
	if err != nil {
		if noResult(err) {
			return nil, nil
		}
		return nil, err
	}
	return out.list(), nil
}

// maxServicePages bounds the paging of RechercherServicesStructure.
const maxServicePages = 50

// RechercherServicesStructure lists every service of a structure (POST
// /cpro/structures/v1/rechercher/services), reading all pages.
func (c *Client) RechercherServicesStructure(ctx context.Context, structureID int64) ([]ServiceSummary, error) {
	if structureID <= 0 {
		return nil, &Error{Op: opRechercherServices, Label: "idStructure must be positive", Err: ErrInvalidRequest}
	}
	var all []ServiceSummary
	seen := map[ServiceSummary]bool{}
	for page := 1; page <= maxServicePages; page++ {
		in := rechercherServicesRequest{IDStructure: structureID, Parametres: pageParams{
			NbResultatsParPage: 100, PageResultatDemandee: page, TriColonne: "CodeService", TriSens: "Ascendant"}}
		var out rechercherServicesResponse
		if err := c.call(ctx, opRechercherServices, pathRechercherServices, in, &out); err != nil {
			if noResult(err) {
				break
			}
			return nil, err
		}
		fresh := 0
		for _, sv := range out.list() {
			if !seen[sv] {
				seen[sv] = true
				all = append(all, sv)
				fresh++
			}
		}
		// Another page when the answer says so: by its page count, or by a
		// total larger than what was read (a server capping the page size);
		// never when a page brought nothing new (a server ignoring paging).
		p := out.ParametresRetour.V.or(out.pageReturn)
		if fresh == 0 || int(p.Pages) <= page && int(p.Total) <= len(all) {
			break
		}
	}
	return all, nil
}

// ServiceDetails is the answer of consulterServiceStructure.
type ServiceDetails struct {
	Code, Name, Description string
	EngagementRequired      bool   // parametres.numeroEngagement
	PaymentReported         bool   // parametres.miseEnPaiement
	ValidFrom, ValidTo      string // dateDebutValidite, dateFinValidite
}

type consulterServiceRequest struct {
	IDStructure int64  `json:"idStructure"`
	IDService   int64  `json:"idService"`
	CodeLangue  string `json:"codeLangue"`
}

type consulterServiceResponse struct {
	InformationsGenerales block[struct {
		CodeService        flexString `json:"codeService"`
		NomService         flexString `json:"nomService"`
		DescriptionService flexString `json:"descriptionService"`
	}] `json:"informationsGenerales"`
	Parametres block[struct {
		NumeroEngagement  flexBool   `json:"numeroEngagement"`
		MiseEnPaiement    flexBool   `json:"miseEnPaiement"`
		DateDebutValidite flexString `json:"dateDebutValidite"`
		DateFinValidite   flexString `json:"dateFinValidite"`
	}] `json:"parametres"`
}

func (r *consulterServiceResponse) details() *ServiceDetails {
	g, p := r.InformationsGenerales.V, r.Parametres.V
	return &ServiceDetails{
		Code: strings.TrimSpace(string(g.CodeService)), Name: string(g.NomService), Description: string(g.DescriptionService),
		EngagementRequired: bool(p.NumeroEngagement), PaymentReported: bool(p.MiseEnPaiement),
		ValidFrom: string(p.DateDebutValidite), ValidTo: string(p.DateFinValidite),
	}
}

func decodeConsulterService(data []byte) (*ServiceDetails, error) {
	out, err := decodeOK[consulterServiceResponse](opConsulterService, data)
	if err != nil {
		return nil, err
	}
	return out.details(), nil
}

// ConsulterServiceStructure returns a service's flags, notably whether it
// requires an engagement number (POST /cpro/structures/v1/consulter/service).
func (c *Client) ConsulterServiceStructure(ctx context.Context, structureID, serviceID int64) (*ServiceDetails, error) {
	if structureID <= 0 || serviceID <= 0 {
		return nil, &Error{Op: opConsulterService, Label: "idStructure and idService must be positive", Err: ErrInvalidRequest}
	}
	var out consulterServiceResponse
	in := consulterServiceRequest{IDStructure: structureID, IDService: serviceID, CodeLangue: "fr"}
	if err := c.call(ctx, opConsulterService, pathConsulterService, in, &out); err != nil {
		return nil, err
	}
	return out.details(), nil
}

// SupplierStructure is a supplier structure the technical user may invoice for.
type SupplierStructure struct {
	ID    int64  // idStructureCPP: the idFournisseur of Soumettre and searches
	SIRET string // identifiant
	Name  string // designationStructure
}

type structuresActivesResponse struct {
	ListeStructures oneOrMany[struct {
		IDStructureCPP       flexInt64  `json:"idStructureCPP"`
		Identifiant          flexString `json:"identifiant"`
		DesignationStructure flexString `json:"designationStructure"`
	}] `json:"listeStructures"`
}

func (r *structuresActivesResponse) list() []SupplierStructure {
	var out []SupplierStructure
	for _, s := range r.ListeStructures {
		out = append(out, SupplierStructure{ID: int64(s.IDStructureCPP), SIRET: strings.TrimSpace(string(s.Identifiant)), Name: string(s.DesignationStructure)})
	}
	return out
}

func decodeStructuresActives(data []byte) ([]SupplierStructure, error) {
	out, err := decodeOK[structuresActivesResponse](opStructuresActives, data)
	if err != nil {
		return nil, err
	}
	return out.list(), nil
}

// RecupererStructuresActivesPourFournisseur lists the supplier structures
// of the technical user (POST
// /cpro/transverses/v1/recuperer/structures/actives/fournisseur, body {}):
// the way to learn idFournisseur when the configuration does not give it.
func (c *Client) RecupererStructuresActivesPourFournisseur(ctx context.Context) ([]SupplierStructure, error) {
	var out structuresActivesResponse
	if err := c.call(ctx, opStructuresActives, pathStructuresActives, struct{}{}, &out); err != nil {
		if noResult(err) {
			return nil, nil
		}
		return nil, err
	}
	return out.list(), nil
}

// BankDetails are a supplier's valid bank details on Chorus Pro: their id
// is the codeCoordonneesBancairesFournisseur a transfer payment needs.
type BankDetails struct {
	ID   int64  // idCoordonneeBancaire
	Name string // nomCoordonneeBancaire
}

type coordBancResponse struct {
	ListeCoordonneeBancaire oneOrMany[struct {
		IDCoordonneeBancaire  flexInt64  `json:"idCoordonneeBancaire"`
		NomCoordonneeBancaire flexString `json:"nomCoordonneeBancaire"`
	}] `json:"listeCoordonneeBancaire"`
}

// RecupererCoordonneesBancairesValides lists the valid bank details of a
// supplier structure (POST /cpro/transverses/v1/recuperer/coordbanc/valides,
// {idStructure}, reference §2.14); codeRetour 20000 is an empty list.
func (c *Client) RecupererCoordonneesBancairesValides(ctx context.Context, structureID int64) ([]BankDetails, error) {
	if structureID <= 0 {
		return nil, &Error{Op: opCoordBanc, Label: "idStructure is missing", Err: ErrInvalidRequest}
	}
	var out coordBancResponse
	in := struct {
		IDStructure int64 `json:"idStructure"`
	}{structureID}
	if err := c.call(ctx, opCoordBanc, pathCoordBanc, in, &out); err != nil {
		if noResult(err) {
			return nil, nil
		}
		return nil, err
	}
	var list []BankDetails
	for _, b := range out.ListeCoordonneeBancaire {
		if b.IDCoordonneeBancaire > 0 {
			list = append(list, BankDetails{ID: int64(b.IDCoordonneeBancaire), Name: string(b.NomCoordonneeBancaire)})
		}
	}
	return list, nil
}

// The technical password of the cpro-account header must be changed every
// 424 days (reference §1.3).
const (
	PasswordLifetimeDays = 424
	PasswordWarningDays  = 30
)

// PasswordExpiry returns when a technical password changed on setOn expires:
// 424 days later (calendar days, in setOn's location).
func PasswordExpiry(setOn time.Time) time.Time {
	return setOn.AddDate(0, 0, PasswordLifetimeDays)
}

// PasswordNeedsWarning reports whether, at now, the technical password
// changed on setOn expires within 30 days (or has expired), and when it
// expires. A zero setOn (date unknown) never warns.
func PasswordNeedsWarning(setOn, now time.Time) (warn bool, expiry time.Time) {
	if setOn.IsZero() {
		return false, time.Time{}
	}
	expiry = PasswordExpiry(setOn)
	return !now.Before(expiry.AddDate(0, 0, -PasswordWarningDays)), expiry
}
