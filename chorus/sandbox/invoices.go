package sandbox

import (
	"encoding/base64"
	"encoding/json"

	"fmt"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Invoices (reference §2.4 – §2.6, §2.11 – §2.12): attachments, submitted
// invoices, invoices created by integrated flows, their lifecycle, and the
// searches.

const (
	pathDeposerPDF              = "/cpro/factures/v1/deposer/pdf"
	pathAjouterFichier          = "/cpro/transverses/v1/ajouter/fichier"
	pathSoumettre               = "/cpro/factures/v1/soumettre"
	pathRechercherFournisseur   = "/cpro/factures/v1/rechercher/fournisseur"
	pathRechercherRecipiendaire = "/cpro/factures/v1/rechercher/recipiendaire"
	pathHistorique              = "/cpro/factures/v1/consulter/historique"

	maxAttachment = 10 << 20 // 10 MB per attachment (20003 above, corroborated)
)

// Business error codes of these endpoints. 20000/TRA_MSG_00.015 (no
// result) and 20003 (attachment too large) come from the reference; the
// others are illustrative.
const (
	codeNoResult          = 20000
	codeAttachmentTooBig  = 20003
	codeBadAttachment     = 20004 // illustrative
	codeSubmitInvalid     = 20005 // illustrative
	codeDuplicateNumber   = 20006 // illustrative
	codeUnknownSupplier   = 20007 // illustrative
	codeUnknownInvoice    = 20008 // illustrative
	codeUnknownAttachment = 20009 // illustrative
)

// Lifecycle statuses.
const (
	StatusDeposited  = "DEPOSEE"
	StatusAvailable  = "MISE_A_DISPOSITION"
	StatusPaid       = "MISE_EN_PAIEMENT"
	StatusRejected   = "REJETEE"
	StatusSuspended  = "SUSPENDUE"
	StatusToRecycle  = "A_RECYCLER"
	StatusToComplete = "A_COMPLETER"
)

// DefaultLifecycle is the main path of a supplier invoice to a local
// authority whose accounts are kept in Hélios (reference §2.12).
func DefaultLifecycle() []string {
	return []string{StatusDeposited, StatusAvailable, "SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", StatusPaid}
}

// Fate is how an invoice's lifecycle ends instead of the full path: after
// reaching the AfterStep-th status of the path (0-based; 0 means right
// after DEPOSEE, default 1 = after MISE_A_DISPOSITION), the next step is
// Status (e.g. REJETEE, SUSPENDUE, A_RECYCLER) with Comment as
// histoStatutCommentaire, and the invoice stops progressing.
type Fate struct {
	Status    string
	Comment   string // French; a default reason is used when empty
	AfterStep int
}

// DefaultRejection is the comment of a REJETEE fate without one (illustrative).
const DefaultRejection = "Facture rejetée par le service destinataire : le numéro d'engagement juridique ne correspond à aucune commande en cours."

func (f Fate) comment() string {
	if f.Comment != "" {
		return f.Comment
	}
	switch f.Status {
	case StatusRejected:
		return DefaultRejection
	case StatusSuspended:
		return "Facture suspendue : le bon de livraison signé est manquant, merci de le joindre." // illustrative
	case StatusToRecycle:
		return "Facture à recycler : le code service exécutant ne correspond pas au service ayant passé la commande." // illustrative
	}
	return ""
}

// StatusEntry is one change of an invoice's status.
type StatusEntry struct {
	Status  string
	At      time.Time
	Comment string
}

// Invoice is an invoice as the sandbox holds it (inspection API).
type Invoice struct {
	ID                                      int64 // identifiantFactureCPP
	Number                                  string
	SupplierSIRET                           string
	SupplierID                              int64
	RecipientSIRET, ServiceCode, Engagement string
	FlowNumber                              string // "" for soumettreFacture
	Mode                                    string // modeDepot
	PaymentMode                             string // references.modePaiement (submitted invoices)
	BankDetailsID                           int64  // fournisseur.codeCoordonneesBancairesFournisseur
	DepositDate                             string
	Status                                  string
	History                                 []StatusEntry
}

type invoice struct {
	Invoice
	recipientID int64
	invoiceDate string
	typ         string
	ttc, ht     string
	created     time.Time
	step        int  // index in the lifecycle path reached
	frozen      bool // no more automatic progression
}

type attachment struct {
	name string
	size int
}

// SetFate decides how the lifecycle of the invoices numbered number ends
// (see Fate), for invoices already there and to come.
func (s *Server) SetFate(number string, f Fate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fates[number] = f
}

// ForceStatus sets the status of invoice id now, with a comment, and stops
// its automatic progression.
func (s *Server) ForceStatus(id int64, status, comment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.materialize(now)
	for _, inv := range s.invoices {
		if inv.ID == id {
			s.advance(inv, now)
			inv.History = append(inv.History, StatusEntry{Status: status, At: now, Comment: comment})
			inv.Status, inv.frozen = status, true
			return nil
		}
	}
	return fmt.Errorf("sandbox: no invoice %d", id)
}

// Invoices returns copies of the invoices, oldest first, with their status
// at the sandbox's current time.
func (s *Server) Invoices() []Invoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.materialize(now)
	out := make([]Invoice, 0, len(s.invoices))
	for _, inv := range s.invoices {
		s.advance(inv, now)
		c := inv.Invoice
		c.History = slices.Clone(inv.History)
		out = append(out, c)
	}
	return out
}

// materialize creates the invoices of flows integrated by now (the
// invoice exists once its flow is IN_INTEGRE, after ProcessingDelay). Called
// with s.mu held.
func (s *Server) materialize(now time.Time) {
	for _, f := range s.flows {
		if f.verdict != StateIntegrated || f.invoiced || now.Sub(f.at) < s.opts.ProcessingDelay {
			continue
		}
		f.invoiced = true
		sp := s.supplierFor(f.SellerSIRET)
		mode := "EDI_XML_STRUCT" // UNCONFIRMED: modeDepot reported for an API flow
		if f.Syntax == syntaxFacturX {
			mode = "EDI_MIXTE"
		}
		at := f.at.Add(s.opts.ProcessingDelay)
		inv := &invoice{
			Invoice: Invoice{
				Number: f.InvoiceNumber, SupplierSIRET: f.SellerSIRET, SupplierID: sp.ID,
				RecipientSIRET: f.BuyerSIRET, ServiceCode: f.BuyerReference, Engagement: f.OrderReference,
				FlowNumber: f.FlowNumber, Mode: mode, DepositDate: f.DepositDate,
			},
			recipientID: s.services[f.BuyerSIRET].ID, typ: "FACTURE", ttc: "0", ht: "0",
		}
		s.addInvoice(inv, at)
	}
}

// addInvoice records inv, created at at. Called with s.mu held.
func (s *Server) addInvoice(inv *invoice, at time.Time) {
	s.invoiceSeq++
	inv.ID = s.invoiceSeq
	inv.created = at
	inv.Status = s.opts.Lifecycle[0]
	inv.History = []StatusEntry{{Status: inv.Status, At: at}}
	s.invoices = append(s.invoices, inv)
}

// advance moves inv along the lifecycle path up to now. Called with s.mu held.
func (s *Server) advance(inv *invoice, now time.Time) {
	step := s.opts.LifecycleStep
	if inv.frozen || step <= 0 {
		return
	}
	path := s.opts.Lifecycle
	fate, fated := s.fates[inv.Number]
	for inv.step < len(path)-1 {
		at := inv.created.Add(time.Duration(inv.step+1) * step)
		if at.After(now) {
			return
		}
		if fated && inv.step >= fate.AfterStep {
			inv.History = append(inv.History, StatusEntry{Status: fate.Status, At: at, Comment: fate.comment()})
			inv.Status, inv.frozen = fate.Status, true
			return
		}
		inv.step++
		inv.Status = path[inv.step]
		inv.History = append(inv.History, StatusEntry{Status: inv.Status, At: at})
	}
}

// duplicateOf returns a description of an invoice already numbered number
// for the seller, or "". Whether the number of a REJETEE invoice may be
// reused is UNCONFIRMED: the sandbox refuses it too. Called with s.mu held.
func (s *Server) duplicateOf(sellerSIRET, number string) string {
	for _, prev := range s.flows {
		if prev.verdict == StateIntegrated && prev.SellerSIRET == sellerSIRET && prev.InvoiceNumber == number {
			return "flux " + prev.FlowNumber
		}
	}
	for _, inv := range s.invoices {
		if inv.FlowNumber == "" && inv.SupplierSIRET == sellerSIRET && inv.Number == number {
			return fmt.Sprintf("facture %d", inv.ID)
		}
	}
	return ""
}

// allowedExtensions of attachments (reference §3.6).
var allowedExtensions = map[string]bool{
	"bmp": true, "gif": true, "fax": true, "odt": true, "ppt": true, "tiff": true, "xls": true, "bz2": true,
	"gz": true, "jpeg": true, "p7s": true, "rtf": true, "txt": true, "xml": true, "csv": true, "gzip": true,
	"jpg": true, "pdf": true, "svg": true, "xhtml": true, "xlsx": true, "doc": true, "htm": true, "odp": true,
	"png": true, "tgz": true, "xlc": true, "zip": true, "docx": true, "html": true, "ods": true, "pps": true,
	"tif": true, "xlm": true, "pptx": true, "xsd": true, "xsl": true,
}

func (s *Server) newAttachment(name string, size int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attachSeq++
	s.attachments[s.attachSeq] = attachment{name: name, size: size}
	return s.attachSeq
}

func (s *Server) serveAjouterFichier(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		PieceJointeFichier   *string `json:"pieceJointeFichier"`
		PieceJointeNom       *string `json:"pieceJointeNom"`
		PieceJointeTypeMime  *string `json:"pieceJointeTypeMime"`
		PieceJointeExtension *string `json:"pieceJointeExtension"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.PieceJointeFichier == nil || *req.PieceJointeFichier == "" || req.PieceJointeNom == nil || *req.PieceJointeNom == "" {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètres obligatoires absents : pieceJointeFichier, pieceJointeNom"))
		return
	}
	data, err := base64.StdEncoding.DecodeString(*req.PieceJointeFichier)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Le champ pieceJointeFichier n'est pas encodé en base64."))
		return
	}
	name := *req.PieceJointeNom
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	switch {
	case len(data) > maxAttachment:
		writeJSON(w, http.StatusOK, businessError(codeAttachmentTooBig, "La pièce jointe dépasse la taille maximale autorisée (10 Mo)."))
		return
	case utf8Len(name) > 50:
		writeJSON(w, http.StatusOK, businessError(codeBadAttachment, "Le nom de la pièce jointe dépasse 50 caractères."))
		return
	case !allowedExtensions[ext]:
		writeJSON(w, http.StatusOK, businessError(codeBadAttachment, fmt.Sprintf("L'extension « %s » de la pièce jointe n'est pas autorisée.", ext)))
		return
	case req.PieceJointeExtension != nil && *req.PieceJointeExtension != "" && !strings.EqualFold(*req.PieceJointeExtension, ext):
		writeJSON(w, http.StatusOK, businessError(codeBadAttachment, "L'extension déclarée ne correspond pas au nom de la pièce jointe."))
		return
	}
	id := s.newAttachment(name, len(data))
	log.Debug("sandbox: attachment added", "id", id, "name", name)
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "pieceJointeId": id})
}

func (s *Server) serveDeposerPDF(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		FichierFacture *string `json:"fichierFacture"`
		NomFichier     *string `json:"nomFichier"`
		FormatDepot    *string `json:"formatDepot"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.FichierFacture == nil || *req.FichierFacture == "" || req.NomFichier == nil || *req.NomFichier == "" || req.FormatDepot == nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètres obligatoires absents : fichierFacture, nomFichier, formatDepot"))
		return
	}
	data, err := base64.StdEncoding.DecodeString(*req.FichierFacture)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Le champ fichierFacture n'est pas encodé en base64."))
		return
	}
	switch *req.FormatDepot {
	case "PDF_NON_SIGNE", "PDF_SIGNE_PADES", "PDF_SIGNE_XADES":
	default:
		writeJSON(w, http.StatusOK, businessError(codeBadAttachment, fmt.Sprintf("Le format de dépôt %q n'est pas reconnu.", *req.FormatDepot)))
		return
	}
	switch {
	case len(data) > maxAttachment:
		writeJSON(w, http.StatusOK, businessError(codeAttachmentTooBig, "Le fichier dépasse la taille maximale autorisée (10 Mo)."))
		return
	case checkContent(data, syntaxFacturX) != "":
		writeJSON(w, http.StatusOK, businessError(codeBadAttachment, "Le fichier déposé n'est pas un PDF."))
		return
	}
	id := s.newAttachment(*req.NomFichier, len(data))
	// The sandbox does no OCR: only pieceJointeId is returned, which is
	// allowed (every OCR field is optional).
	log.Debug("sandbox: pdf deposited", "id", id)
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "pieceJointeId": id})
}

type submitRequest struct {
	ModeDepot          *string `json:"modeDepot"`
	NumeroFactureSaisi string  `json:"numeroFactureSaisi"`
	DateFacture        string  `json:"dateFacture"`
	Destinataire       *struct {
		CodeDestinataire     string `json:"codeDestinataire"`
		CodeServiceExecutant string `json:"codeServiceExecutant"`
	} `json:"destinataire"`
	Fournisseur *struct {
		IDFournisseur                       int64 `json:"idFournisseur"`
		CodeCoordonneesBancairesFournisseur int64 `json:"codeCoordonneesBancairesFournisseur"`
	} `json:"fournisseur"`
	CadreDeFacturation *struct {
		CodeCadreFacturation  string `json:"codeCadreFacturation"`
		CodeStructureValideur string `json:"codeStructureValideur"`
	} `json:"cadreDeFacturation"`
	References *struct {
		DeviseFacture       string `json:"deviseFacture"`
		TypeFacture         string `json:"typeFacture"`
		TypeTva             string `json:"typeTva"`
		MotifExonerationTva string `json:"motifExonerationTva"`
		NumeroMarche        string `json:"numeroMarche"`
		NumeroBonCommande   string `json:"numeroBonCommande"`
		ModePaiement        string `json:"modePaiement"`
	} `json:"references"`
	LignePoste   []json.RawMessage `json:"lignePoste"`
	MontantTotal *struct {
		MontantHtTotal  json.Number `json:"montantHtTotal"`
		MontantTVA      json.Number `json:"montantTVA"`
		MontantTtcTotal json.Number `json:"montantTtcTotal"`
		MontantAPayer   json.Number `json:"montantAPayer"`
	} `json:"montantTotal"`
	PieceJointePrincipale []struct {
		PieceJointePrincipaleID int64 `json:"pieceJointePrincipaleId"`
	} `json:"pieceJointePrincipale"`
	Commentaire string `json:"commentaire"`
}

// paymentModes are the values of references.modePaiement (reference §2.6).
var paymentModes = map[string]bool{
	"CHEQUE": true, "PRELEVEMENT": true, "VIREMENT": true, "ESPECE": true, "AUTRE": true, "REPORT": true,
}

var invoiceNumberRE = regexp.MustCompile(`^[A-Za-z0-9_/+-]{1,20}$`)

var submitElements = elementNames{
	number: "numeroFactureSaisi", seller: "fournisseur.idFournisseur", buyer: "destinataire.codeDestinataire",
	order: "references.numeroBonCommande", service: "destinataire.codeServiceExecutant",
}

func (s *Server) serveSoumettre(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req submitRequest
	if !decodeRequest(w, body, &req) {
		return
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"modeDepot", req.ModeDepot != nil}, {"destinataire", req.Destinataire != nil}, {"fournisseur", req.Fournisseur != nil},
		{"cadreDeFacturation", req.CadreDeFacturation != nil}, {"references", req.References != nil}, {"montantTotal", req.MontantTotal != nil},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètre(s) obligatoire(s) absent(s) : "+strings.Join(missing, ", ")))
		return
	}
	fail := func(code int, format string, args ...any) {
		log.Debug("sandbox: soumettre refused", "reason", fmt.Sprintf(format, args...))
		writeJSON(w, http.StatusOK, businessError(code, fmt.Sprintf(format, args...)))
	}
	mode, ref := *req.ModeDepot, req.References
	pdfMode := mode == "DEPOT_PDF_API" || mode == "DEPOT_PDF_SIGNE_API"
	if !pdfMode && mode != "SAISIE_API" {
		fail(codeSubmitInvalid, "Le mode de dépôt %q n'est pas autorisé pour une soumission.", mode)
		return
	}
	now := s.opts.Now()
	today := now.In(s.loc).Format(time.DateOnly)
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if pdfMode {
		if !invoiceNumberRE.MatchString(req.NumeroFactureSaisi) {
			add("Le numéro de facture « %s » est absent ou invalide (20 caractères au plus : lettres, chiffres, - _ / +).", req.NumeroFactureSaisi)
		}
		if len(req.PieceJointePrincipale) == 0 {
			add("La pièce jointe principale est obligatoire en mode %s.", mode)
		}
	} else if len(req.LignePoste) == 0 {
		add("Au moins une ligne de poste est obligatoire en mode SAISIE_API.")
	}
	if d, err := time.Parse(time.DateOnly, req.DateFacture); pdfMode && err != nil {
		add("La date de facture « %s » est absente ou invalide (AAAA-MM-JJ).", req.DateFacture)
	} else if err == nil && d.Format(time.DateOnly) > today {
		add("La date de facture %s est postérieure à la date de dépôt.", req.DateFacture)
	}
	switch req.CadreDeFacturation.CodeCadreFacturation {
	case "A1_FACTURE_FOURNISSEUR", "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE":
	case "A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT":
		if req.CadreDeFacturation.CodeStructureValideur == "" {
			add("Le cadre de facturation %s exige une structure valideuse.", req.CadreDeFacturation.CodeCadreFacturation)
		}
	default:
		add("Le cadre de facturation « %s » n'est pas pris en charge.", req.CadreDeFacturation.CodeCadreFacturation)
	}
	switch {
	case ref.DeviseFacture == "" || ref.ModePaiement == "":
		add("La devise et le mode de paiement sont obligatoires.")
	case !paymentModes[ref.ModePaiement]:
		add("Le mode de paiement « %s » n'est pas reconnu.", ref.ModePaiement)
	case ref.ModePaiement == "VIREMENT" && req.Fournisseur.CodeCoordonneesBancairesFournisseur <= 0:
		// reference §2.6: the bank details id is needed for transfer payments.
		add("Les coordonnées bancaires du fournisseur (codeCoordonneesBancairesFournisseur) sont obligatoires pour un paiement par virement.")
	case req.Fournisseur.CodeCoordonneesBancairesFournisseur > 0 && !s.bankDetailsOf(req.Fournisseur.IDFournisseur, req.Fournisseur.CodeCoordonneesBancairesFournisseur):
		add("Les coordonnées bancaires %d ne sont pas des coordonnées valides du fournisseur.", req.Fournisseur.CodeCoordonneesBancairesFournisseur)
	}
	if ref.TypeFacture != "FACTURE" && ref.TypeFacture != "AVOIR" {
		add("Le type de facture « %s » n'est pas reconnu.", ref.TypeFacture)
	}
	switch ref.TypeTva {
	case "TVA_SUR_DEBIT", "TVA_SUR_ENCAISSEMENT", "SANS_TVA":
	case "EXONERATION":
		if ref.MotifExonerationTva == "" {
			add("Le motif d'exonération de TVA est obligatoire.")
		}
	default:
		add("Le type de TVA « %s » n'est pas reconnu.", ref.TypeTva)
	}
	if mt := req.MontantTotal; mt.MontantHtTotal == "" || mt.MontantTVA == "" || mt.MontantTtcTotal == "" || mt.MontantAPayer == "" {
		add("Les montants HT, TVA, TTC et le montant à payer sont obligatoires.")
	}
	if utf8Len(req.Commentaire) > 200 {
		add("Le commentaire dépasse 200 caractères.")
	}
	if len(problems) > 0 {
		fail(codeSubmitInvalid, "%s", strings.Join(problems, " "))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.materialize(now)
	var sp *Supplier
	for _, x := range s.suppliers {
		if x.ID == req.Fournisseur.IDFournisseur && x.attached {
			sp = x
		}
	}
	if sp == nil {
		fail(codeUnknownSupplier, "La structure fournisseur %d n'existe pas ou l'utilisateur technique n'y est pas rattaché.", req.Fournisseur.IDFournisseur)
		return
	}
	for _, p := range req.PieceJointePrincipale {
		if _, ok := s.attachments[p.PieceJointePrincipaleID]; !ok {
			fail(codeUnknownAttachment, "La pièce jointe %d n'existe pas.", p.PieceJointePrincipaleID)
			return
		}
	}
	dest := req.Destinataire
	if reasons := s.routingErrors(dest.CodeDestinataire, ref.NumeroBonCommande, dest.CodeServiceExecutant, submitElements); len(reasons) > 0 {
		fail(codeSubmitInvalid, "%s", strings.Join(reasons, " "))
		return
	}
	number := req.NumeroFactureSaisi
	if !pdfMode {
		number = fmt.Sprintf("SAISIE-%d", s.invoiceSeq+1) // Chorus Pro numbers SAISIE_API invoices itself
	}
	if prev := s.duplicateOf(sp.SIRET, number); prev != "" {
		fail(codeDuplicateNumber, "La facture n° %s du fournisseur %s existe déjà (%s) : le numéro de facture doit être unique par fournisseur.", number, sp.SIRET, prev)
		return
	}
	inv := &invoice{
		Invoice: Invoice{
			Number: number, SupplierSIRET: sp.SIRET, SupplierID: sp.ID, RecipientSIRET: dest.CodeDestinataire,
			ServiceCode: dest.CodeServiceExecutant, Engagement: ref.NumeroBonCommande, Mode: mode, DepositDate: today,
			PaymentMode: ref.ModePaiement, BankDetailsID: req.Fournisseur.CodeCoordonneesBancairesFournisseur,
		},
		recipientID: s.services[dest.CodeDestinataire].ID, invoiceDate: req.DateFacture, typ: ref.TypeFacture,
		ttc: string(req.MontantTotal.MontantTtcTotal), ht: string(req.MontantTotal.MontantHtTotal),
	}
	s.addInvoice(inv, now)
	log.Info("sandbox: invoice submitted", "id", inv.ID, "number", number, "supplier", sp.SIRET)
	writeJSON(w, http.StatusOK, map[string]any{
		"codeRetour": 0, "libelle": okLibelle, "identifiantFactureCPP": inv.ID, "numeroFacture": number,
		"dateDepot": today, "statutFacture": inv.Status, "identifiantStructure": sp.SIRET,
		"empreinteCertificatDepot": fmt.Sprintf("sandbox-%x", inv.ID*2654435761),
	})
}

// facture is a search answer entry.
func (s *Server) facture(inv *invoice, recipientSide bool) map[string]any {
	m := map[string]any{
		"numeroFacture": inv.Number, "statut": inv.Status, "dateDepot": inv.DepositDate, "dateFacture": inv.invoiceDate,
		"codeDestinataire": inv.RecipientSIRET, "idDestinataire": inv.recipientID, "codeServiceExecutant": inv.ServiceCode,
		"codeFournisseur": inv.SupplierSIRET, "typeIdentifiantFournisseur": "SIRET",
		"montantHT": json.Number(nonEmpty(inv.ht, "0")), "montantTTC": json.Number(nonEmpty(inv.ttc, "0")),
		"montantAPayer": json.Number(nonEmpty(inv.ttc, "0")), "devise": "EUR", "numeroBonCommande": inv.Engagement,
		"typeFacture": inv.typ, "typeDemandePaiement": "FACTURE", "modeDepot": inv.Mode,
		"dateHeureEtatCourant": inv.History[len(inv.History)-1].At.In(s.loc).Format("2006-01-02 15:04"),
	}
	if st, ok := s.services[inv.RecipientSIRET]; ok {
		m["designationDestinataire"] = st.Name
	}
	if sp, ok := s.suppliers[inv.SupplierSIRET]; ok {
		m["designationFournisseur"] = sp.Name
	}
	if recipientSide {
		m["idFacture"] = inv.ID
		m["factureTelechargeeParDestinataire"] = false
	} else {
		m["identifiantFactureCPP"] = inv.ID
		m["numeroFluxDepot"] = inv.FlowNumber
		m["rejetTraite"] = false
	}
	return m
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// inWindow reports whether the deposit date d (YYYY-MM-DD) is within [from, to].
func inWindow(d, from, to string) bool {
	return (from == "" || d >= from) && (to == "" || d <= to)
}

func (s *Server) serveRechercherFournisseur(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		NumeroFluxDepot    string       `json:"numeroFluxDepot"`
		NumeroFacture      string       `json:"numeroFacture"`
		IDFournisseur      int64        `json:"idFournisseur"`
		NumeroBonCommande  string       `json:"numeroBonCommande"`
		StatutCourant      []string     `json:"statutCourant"`
		PeriodeDateDepotDu string       `json:"periodeDateDepotDu"`
		PeriodeDateDepotAu string       `json:"periodeDateDepotAu"`
		Pagination         *pageRequest `json:"rechercheFactureParFournisseur"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	// UNCONFIRMED: whether the search is limited to the supplier
	// structures the technical user is attached to; the sandbox limits it
	// only with SupplierSearchAttachedOnly, so that flows deposited for
	// other sellers can be found by default.
	s.mu.Lock()
	now := s.opts.Now()
	s.materialize(now)
	var list []map[string]any
	for _, inv := range s.invoices {
		s.advance(inv, now)
		if s.opts.SupplierSearchAttachedOnly && !s.attached(inv.SupplierSIRET) {
			continue
		}
		if req.NumeroFluxDepot != "" && inv.FlowNumber != req.NumeroFluxDepot ||
			req.NumeroFacture != "" && inv.Number != req.NumeroFacture ||
			req.IDFournisseur != 0 && inv.SupplierID != req.IDFournisseur ||
			req.NumeroBonCommande != "" && inv.Engagement != req.NumeroBonCommande ||
			len(req.StatutCourant) > 0 && !slices.Contains(req.StatutCourant, inv.Status) ||
			!inWindow(inv.DepositDate, req.PeriodeDateDepotDu, req.PeriodeDateDepotAu) {
			continue
		}
		list = append(list, s.facture(inv, false))
	}
	s.mu.Unlock()
	if len(list) == 0 && s.opts.SupplierSearchNoResultCode {
		writeJSON(w, http.StatusOK, businessError(codeNoResult, "TRA_MSG_00.015"))
		return
	}
	page, size := req.Pagination.get(10)
	items, ret := paginate(list, page, size)
	if items == nil {
		items = []map[string]any{}
	}
	log.Debug("sandbox: rechercher fournisseur", "flow", req.NumeroFluxDepot, "number", req.NumeroFacture, "found", len(list))
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeFactures": items, "parametresRetour": ret})
}

// bankDetailsOf reports whether id is a valid bank details id of the
// supplier structure supplierID.
func (s *Server) bankDetailsOf(supplierID, id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.suppliers {
		if sp.ID == supplierID {
			_, ok := sp.BankDetails[id]
			return ok
		}
	}
	return false
}

// attached reports whether the technical user is attached to the supplier
// structure of siret.
func (s *Server) attached(siret string) bool {
	for _, sp := range s.opts.Suppliers {
		if sp.SIRET == siret {
			return true
		}
	}
	return false
}

func (s *Server) serveRechercherRecipiendaire(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		NumeroFacture     string `json:"numeroFacture"`
		ListeFournisseurs []struct {
			IDFournisseur int64 `json:"idFournisseur"`
		} `json:"listeFournisseurs"`
		IDDestinataire     int64        `json:"idDestinataire"`
		StatutCourant      string       `json:"statutCourant"`
		PeriodeDateDepotDu string       `json:"periodeDateDepotDu"`
		PeriodeDateDepotAu string       `json:"periodeDateDepotAu"`
		ParamRecherche     *pageRequest `json:"paramRecherche"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	s.materialize(now)
	var list []map[string]any
	for _, inv := range s.invoices {
		s.advance(inv, now)
		okSupplier := len(req.ListeFournisseurs) == 0
		for _, f := range req.ListeFournisseurs {
			okSupplier = okSupplier || f.IDFournisseur == inv.SupplierID
		}
		if !okSupplier || req.NumeroFacture != "" && inv.Number != req.NumeroFacture ||
			req.IDDestinataire != 0 && inv.recipientID != req.IDDestinataire ||
			req.StatutCourant != "" && inv.Status != req.StatutCourant ||
			!inWindow(inv.DepositDate, req.PeriodeDateDepotDu, req.PeriodeDateDepotAu) {
			continue
		}
		list = append(list, s.facture(inv, true))
	}
	s.mu.Unlock()
	if len(list) == 0 {
		writeJSON(w, http.StatusOK, businessError(codeNoResult, "TRA_MSG_00.015"))
		return
	}
	page, size := req.ParamRecherche.get(100)
	items, ret := paginate(list, page, size)
	resp := map[string]any{"codeRetour": 0, "libelle": okLibelle, "listeFactures": items}
	if items == nil {
		resp["listeFactures"] = []any{}
	}
	for k, v := range ret { // paging at the top level on this service (reference §2.11b)
		resp[k] = v
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) serveHistorique(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req struct {
		IDFacture          *int64 `json:"idFacture"`
		NbResultatsMaximum int    `json:"nbResultatsMaximum"`
	}
	if !decodeRequest(w, body, &req) {
		return
	}
	if req.IDFacture == nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètre obligatoire absent : idFacture"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.materialize(now)
	var inv *invoice
	for _, x := range s.invoices {
		if x.ID == *req.IDFacture {
			inv = x
		}
	}
	if inv == nil {
		writeJSON(w, http.StatusOK, businessError(codeUnknownInvoice, fmt.Sprintf("La facture %d n'existe pas.", *req.IDFacture)))
		return
	}
	s.advance(inv, now)
	hist := make([]map[string]any, 0, len(inv.History))
	for i, h := range inv.History {
		hist = append(hist, map[string]any{
			"histoStatutId": i + 1, "histoStatutCode": h.Status,
			"histoStatutDatePassage": h.At.In(s.loc).Format("2006-01-02 15:04"), "histoStatutCommentaire": h.Comment,
		})
	}
	max := req.NbResultatsMaximum
	if max <= 0 {
		max = 50
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"codeRetour": 0, "libelle": okLibelle, "idFacture": inv.ID, "numeroFacture": inv.Number,
		"modeDepot": inv.Mode, "statutCourantCode": inv.Status,
		"historiquesDesStatuts": map[string]any{
			"pageCouranteHistoStatut": 1, "pagesHistoStatut": 1, "nbResultatsParPageHistoStatut": max,
			"totalHistoStatut": len(hist), "histoStatut": hist,
		},
		"historiquesDesEvenementsComplementaires": map[string]any{"pageCouranteEvenement": 1, "pagesEvenement": 0, "nbResultatsParPageEvenement": max, "totalEvenement": 0, "evenement": []any{}},
		"historiquesDesActionsUtilisateurs":       map[string]any{"pageCouranteHistoAction": 1, "pagesHistoAction": 0, "nbResultatsParPageHistoAction": max, "totalHistoAction": 0, "histoAction": []any{}},
	})
}
