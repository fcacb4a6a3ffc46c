package chorus

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"
)

// Operation names (Error.Op) and paths of the invoice endpoints.
const (
	opDeposerPDF       = "deposer/pdf"
	opAjouterFichier   = "ajouter/fichier"
	opSoumettre        = "soumettre"
	pathDeposerPDF     = "/cpro/factures/v1/deposer/pdf"
	pathAjouterFichier = "/cpro/transverses/v1/ajouter/fichier"
	pathSoumettre      = "/cpro/factures/v1/soumettre"
)

// Values of formatDepot (deposerPdfFacture), modeDepot (soumettreFacture)
// and codeCadreFacturation (reference §2.5, §2.6).
const (
	FormatPDFUnsigned    = "PDF_NON_SIGNE"
	FormatPDFSignedPAdES = "PDF_SIGNE_PADES"
	FormatPDFSignedXAdES = "PDF_SIGNE_XADES"

	ModePDF       = "DEPOT_PDF_API"       // data + a PDF uploaded first (the gateway's case)
	ModePDFSigned = "DEPOT_PDF_SIGNE_API" // same, signed PDF
	ModeEntry     = "SAISIE_API"          // data only; Chorus Pro numbers the invoice

	FrameworkSupplier = "A1_FACTURE_FOURNISSEUR" // invoice deposited by a supplier: the normal case
)

// PDFRequest is a plain PDF invoice for deposerPdfFacture.
type PDFRequest struct {
	File     []byte
	FileName string // nomFichier, ending in .pdf
	Format   string // formatDepot; "" = FormatPDFUnsigned
}

// PDFResult is the answer of deposerPdfFacture: the attachment id to quote
// in Soumettre, and what Chorus Pro's OCR read. Never trust the OCR fields;
// send your own data in Soumettre.
type PDFResult struct {
	AttachmentID int64 // pieceJointeId

	InvoiceNumber, InvoiceDate, RecipientSIRET, ServiceCode, SupplierCode string
	Currency, Type, VATType, Engagement                                   string
	TotalExclVAT, VAT, Payable                                            Amount
}

type deposerPDFRequest struct {
	FichierFacture string `json:"fichierFacture"`
	NomFichier     string `json:"nomFichier"`
	FormatDepot    string `json:"formatDepot"`
}

type deposerPDFResponse struct {
	PieceJointeID        flexInt64  `json:"pieceJointeId"`
	NumeroFacture        flexString `json:"numeroFacture"`
	DateFacture          flexString `json:"dateFacture"`
	CodeDestinataire     flexString `json:"codeDestinataire"`
	CodeServiceExecutant flexString `json:"codeServiceExecutant"`
	CodeFournisseur      flexString `json:"codeFournisseur"`
	CodeDeviseFacture    flexString `json:"codeDeviseFacture"`
	TypeFacture          flexString `json:"typeFacture"`
	TypeTva              flexString `json:"typeTva"`
	NumeroBonCommande    flexString `json:"numeroBonCommande"`
	MontantAPayer        infoAmount `json:"montantAPayer"`
	MontantHtTotal       infoAmount `json:"montantHtTotal"`
	MontantTVA           infoAmount `json:"montantTVA"`
}

func (r *deposerPDFResponse) result() *PDFResult {
	return &PDFResult{
		AttachmentID:   int64(r.PieceJointeID),
		InvoiceNumber:  string(r.NumeroFacture),
		InvoiceDate:    string(r.DateFacture),
		RecipientSIRET: string(r.CodeDestinataire),
		ServiceCode:    string(r.CodeServiceExecutant),
		SupplierCode:   string(r.CodeFournisseur),
		Currency:       string(r.CodeDeviseFacture),
		Type:           string(r.TypeFacture),
		VATType:        string(r.TypeTva),
		Engagement:     string(r.NumeroBonCommande),
		TotalExclVAT:   Amount(r.MontantHtTotal),
		VAT:            Amount(r.MontantTVA),
		Payable:        Amount(r.MontantAPayer),
	}
}

func decodeDeposerPDF(data []byte) (*PDFResult, error) {
	out, err := decodeOK[deposerPDFResponse](opDeposerPDF, data)
	if err != nil {
		return nil, err
	}
	return out.result(), nil
}

// DeposerPDF uploads a plain PDF invoice (POST /cpro/factures/v1/deposer/pdf)
// and returns its attachment id, to be quoted by Soumettre. It creates no
// invoice: retrying it is harmless (at worst an unused attachment).
func (c *Client) DeposerPDF(ctx context.Context, r PDFRequest) (*PDFResult, error) {
	fail := func(format string, args ...any) error {
		return &Error{Op: opDeposerPDF, Label: fmt.Sprintf(format, args...), Err: ErrInvalidRequest}
	}
	if r.Format == "" {
		r.Format = FormatPDFUnsigned
	}
	switch r.Format {
	case FormatPDFUnsigned, FormatPDFSignedPAdES, FormatPDFSignedXAdES:
	default:
		return nil, fail("unknown formatDepot %q", r.Format)
	}
	if err := checkName(r.FileName, MaxFileNameLen); err != nil {
		return nil, fail("%v", err)
	}
	switch {
	case attachmentExtension(r.FileName) != "pdf":
		return nil, fail("nomFichier %q must end in .pdf", r.FileName)
	case len(r.File) == 0:
		return nil, fail("the file is empty")
	case len(r.File) > MaxAttachmentSize:
		return nil, fail("the file is %d bytes, more than the %d allowed", len(r.File), MaxAttachmentSize)
	case !looksLikePDF(r.File):
		return nil, fail("the file is not a PDF")
	}
	in := deposerPDFRequest{
		FichierFacture: base64.StdEncoding.EncodeToString(r.File),
		NomFichier:     r.FileName,
		FormatDepot:    r.Format,
	}
	var out deposerPDFResponse
	if err := c.call(ctx, opDeposerPDF, pathDeposerPDF, in, &out); err != nil {
		return nil, err
	}
	if out.PieceJointeID <= 0 {
		return nil, &Error{Op: opDeposerPDF, HTTPStatus: 200, Transient: true, Label: "answer has no pieceJointeId"}
	}
	return out.result(), nil
}

// Attachment is a file for ajouterFichierDansSysteme.
type Attachment struct {
	File     []byte
	Name     string // pieceJointeNom: at most 50 characters, with an allowed extension
	MIMEType string // "" = derived from the extension
}

type ajouterFichierRequest struct {
	PieceJointeFichier   string `json:"pieceJointeFichier"`
	PieceJointeNom       string `json:"pieceJointeNom"`
	PieceJointeTypeMime  string `json:"pieceJointeTypeMime"`
	PieceJointeExtension string `json:"pieceJointeExtension"`
}

type ajouterFichierResponse struct {
	PieceJointeID flexInt64 `json:"pieceJointeId"`
}

func decodeAjouterFichier(data []byte) (int64, error) {
	out, err := decodeOK[ajouterFichierResponse](opAjouterFichier, data)
	if err != nil {
		return 0, err
	}
	return int64(out.PieceJointeID), nil
}

// AjouterFichier uploads an attachment to the technical user's space
// (POST /cpro/transverses/v1/ajouter/fichier) and returns its pieceJointeId.
// Like DeposerPDF, it creates no invoice.
func (c *Client) AjouterFichier(ctx context.Context, a Attachment) (int64, error) {
	if err := CheckAttachment(a.Name, len(a.File)); err != nil {
		return 0, &Error{Op: opAjouterFichier, Label: err.Error(), Err: ErrInvalidRequest}
	}
	ext := attachmentExtension(a.Name)
	mt := a.MIMEType
	if mt == "" {
		mt = mime.TypeByExtension("." + ext)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		if mt == "" {
			mt = "application/octet-stream"
		}
	}
	in := ajouterFichierRequest{
		PieceJointeFichier:   base64.StdEncoding.EncodeToString(a.File),
		PieceJointeNom:       a.Name,
		PieceJointeTypeMime:  mt,
		PieceJointeExtension: ext,
	}
	var out ajouterFichierResponse
	if err := c.call(ctx, opAjouterFichier, pathAjouterFichier, in, &out); err != nil {
		return 0, err
	}
	if out.PieceJointeID <= 0 {
		return 0, &Error{Op: opAjouterFichier, HTTPStatus: 200, Transient: true, Label: "answer has no pieceJointeId"}
	}
	return int64(out.PieceJointeID), nil
}

// paymentModes are the values of references.modePaiement (reference §2.6).
var paymentModes = map[string]bool{
	"CHEQUE": true, "PRELEVEMENT": true, "VIREMENT": true, "ESPECE": true, "AUTRE": true, "REPORT": true,
}

// Submission is an invoice for soumettreFacture, normally in mode
// DEPOT_PDF_API: the supplier's PDF uploaded first (DeposerPDF or
// AjouterFichier) plus the data Chorus Pro routes on.
type Submission struct {
	Mode          string    // modeDepot; "" = ModePDF
	InvoiceNumber string    // numeroFactureSaisi: the supplier's number, unique per supplier
	InvoiceDate   time.Time // dateFacture (the date only is sent)

	RecipientSIRET string // destinataire.codeDestinataire
	ServiceCode    string // destinataire.codeServiceExecutant, when the recipient requires one

	SupplierID        int64 // fournisseur.idFournisseur (idStructureCPP of the supplier)
	SupplierServiceID int64 // fournisseur.idServiceFournisseur, optional
	BankDetailsID     int64 // fournisseur.codeCoordonneesBancairesFournisseur, optional

	Framework string // cadreDeFacturation.codeCadreFacturation; "" = FrameworkSupplier

	Currency        string // references.deviseFacture; "" = EUR
	Type            string // references.typeFacture: FACTURE (default) or AVOIR
	VATType         string // references.typeTva; "" = TVA_SUR_DEBIT
	VATExemption    string // references.motifExonerationTva, with EXONERATION
	ContractNumber  string // references.numeroMarche
	Engagement      string // references.numeroBonCommande: the engagement number (EJ)
	OriginalInvoice string // references.numeroFactureOrigine, for AVOIR
	// PaymentMode is references.modePaiement (CHEQUE, PRELEVEMENT,
	// VIREMENT, ESPECE, AUTRE, REPORT). "" = VIREMENT when BankDetailsID is
	// set, else AUTRE: a transfer needs the supplier's bank details
	// (codeCoordonneesBancairesFournisseur, reference §2.6).
	PaymentMode string

	Lines    []Line    // lignePoste; optional in DEPOT_PDF_API, at least one in SAISIE_API
	VATLines []VATLine // ligneTva; recommended
	Totals   Totals    // montantTotal

	AttachmentID          int64  // pieceJointePrincipale[0].pieceJointePrincipaleId
	AttachmentDesignation string // its designation, at most 100 characters; "" = "Facture <number>"

	Comment string // commentaire, at most 200 characters
}

// Line is one invoice line (lignePoste).
type Line struct {
	Number      int    // lignePosteNumero; 0 = position in the list
	Reference   string // lignePosteReference
	Designation string // lignePosteDenomination
	Quantity    Amount
	Unit        string // free text, e.g. "forfait"
	UnitPrice   Amount // lignePosteMontantUnitaireHT
	Discount    Amount // lignePosteMontantRemiseHT, optional
	VATCode     string // lignePosteTauxTva (a recupererTauxTva code), or
	VATRate     Amount // lignePosteTauxTvaManuel (e.g. "20")
}

// VATLine is one line of the VAT breakdown (ligneTva).
type VATLine struct {
	VATCode string // ligneTvaTaux, or
	VATRate Amount // ligneTvaTauxManuel
	Base    Amount // ligneTvaMontantBaseHtParTaux
	VAT     Amount // ligneTvaMontantTvaParTaux
}

// Totals is montantTotal.
type Totals struct {
	ExclVAT        Amount // montantHtTotal
	VAT            Amount // montantTVA
	InclVAT        Amount // montantTtcTotal
	Discount       Amount // montantRemiseGlobaleTTC, optional
	DiscountReason string // motifRemiseGlobaleTTC, optional
	Payable        Amount // montantAPayer
}

// SubmitResult is the answer of soumettreFacture.
type SubmitResult struct {
	InvoiceID              int64  // identifiantFactureCPP
	InvoiceNumber          string // numeroFacture
	DepositDate            string // dateDepot, YYYY-MM-DD
	Status                 string // statutFacture, normally DEPOSEE (UNCONFIRMED)
	StructureID            string // identifiantStructure
	CertificateFingerprint string // empreinteCertificatDepot
}

type soumettreRequest struct {
	ModeDepot             string             `json:"modeDepot"`
	NumeroFactureSaisi    string             `json:"numeroFactureSaisi,omitempty"`
	DateFacture           string             `json:"dateFacture,omitempty"`
	Destinataire          wireDestinataire   `json:"destinataire"`
	Fournisseur           wireFournisseur    `json:"fournisseur"`
	CadreDeFacturation    wireCadre          `json:"cadreDeFacturation"`
	References            wireReferences     `json:"references"`
	LignePoste            []wireLignePoste   `json:"lignePoste,omitempty"`
	LigneTva              []wireLigneTva     `json:"ligneTva,omitempty"`
	MontantTotal          wireMontantTotal   `json:"montantTotal"`
	PieceJointePrincipale []wirePieceJointeP `json:"pieceJointePrincipale,omitempty"`
	Commentaire           string             `json:"commentaire,omitempty"`
}

type wireDestinataire struct {
	CodeDestinataire     string `json:"codeDestinataire"`
	CodeServiceExecutant string `json:"codeServiceExecutant,omitempty"`
}

type wireFournisseur struct {
	IDFournisseur                       int64 `json:"idFournisseur"`
	IDServiceFournisseur                int64 `json:"idServiceFournisseur,omitempty"`
	CodeCoordonneesBancairesFournisseur int64 `json:"codeCoordonneesBancairesFournisseur,omitempty"`
}

type wireCadre struct {
	CodeCadreFacturation string `json:"codeCadreFacturation"`
}

type wireReferences struct {
	DeviseFacture        string `json:"deviseFacture"`
	TypeFacture          string `json:"typeFacture"`
	TypeTva              string `json:"typeTva"`
	MotifExonerationTva  string `json:"motifExonerationTva,omitempty"`
	NumeroMarche         string `json:"numeroMarche,omitempty"`
	NumeroBonCommande    string `json:"numeroBonCommande,omitempty"`
	NumeroFactureOrigine string `json:"numeroFactureOrigine,omitempty"`
	ModePaiement         string `json:"modePaiement"`
}

type wireLignePoste struct {
	LignePosteNumero            int    `json:"lignePosteNumero"`
	LignePosteReference         string `json:"lignePosteReference,omitempty"`
	LignePosteDenomination      string `json:"lignePosteDenomination"`
	LignePosteQuantite          Amount `json:"lignePosteQuantite"`
	LignePosteUnite             string `json:"lignePosteUnite,omitempty"`
	LignePosteMontantUnitaireHT Amount `json:"lignePosteMontantUnitaireHT"`
	LignePosteMontantRemiseHT   Amount `json:"lignePosteMontantRemiseHT,omitempty"`
	LignePosteTauxTva           string `json:"lignePosteTauxTva,omitempty"`
	LignePosteTauxTvaManuel     Amount `json:"lignePosteTauxTvaManuel,omitempty"`
}

type wireLigneTva struct {
	LigneTvaTaux                 string `json:"ligneTvaTaux,omitempty"`
	LigneTvaTauxManuel           Amount `json:"ligneTvaTauxManuel,omitempty"`
	LigneTvaMontantBaseHtParTaux Amount `json:"ligneTvaMontantBaseHtParTaux"`
	LigneTvaMontantTvaParTaux    Amount `json:"ligneTvaMontantTvaParTaux"`
}

type wireMontantTotal struct {
	MontantHtTotal          Amount `json:"montantHtTotal"`
	MontantTVA              Amount `json:"montantTVA"`
	MontantTtcTotal         Amount `json:"montantTtcTotal"`
	MontantRemiseGlobaleTTC Amount `json:"montantRemiseGlobaleTTC,omitempty"`
	MotifRemiseGlobaleTTC   string `json:"motifRemiseGlobaleTTC,omitempty"`
	MontantAPayer           Amount `json:"montantAPayer"`
}

type wirePieceJointeP struct {
	PieceJointePrincipaleDesignation string `json:"pieceJointePrincipaleDesignation"`
	PieceJointePrincipaleID          int64  `json:"pieceJointePrincipaleId"`
}

type soumettreResponse struct {
	IdentifiantFactureCPP    flexInt64  `json:"identifiantFactureCPP"`
	NumeroFacture            flexString `json:"numeroFacture"`
	DateDepot                flexString `json:"dateDepot"`
	StatutFacture            flexString `json:"statutFacture"`
	IdentifiantStructure     flexString `json:"identifiantStructure"`
	EmpreinteCertificatDepot flexString `json:"empreinteCertificatDepot"`
}

func (r *soumettreResponse) result() *SubmitResult {
	return &SubmitResult{
		InvoiceID:              int64(r.IdentifiantFactureCPP),
		InvoiceNumber:          string(r.NumeroFacture),
		DepositDate:            string(r.DateDepot),
		Status:                 string(r.StatutFacture),
		StructureID:            string(r.IdentifiantStructure),
		CertificateFingerprint: string(r.EmpreinteCertificatDepot),
	}
}

func decodeSoumettre(data []byte) (*SubmitResult, error) {
	out, err := decodeOK[soumettreResponse](opSoumettre, data)
	if err != nil {
		return nil, err
	}
	return out.result(), nil
}

// Soumettre creates an invoice (POST /cpro/factures/v1/soumettre).
//
// This is an irreversible act, like DeposerFlux: when the error is
// transient, check MaybeDeposited and search the invoice
// (FindSupplierInvoice) before submitting it again.
func (c *Client) Soumettre(ctx context.Context, s Submission) (*SubmitResult, error) {
	in, err := s.wire()
	if err != nil {
		return nil, &Error{Op: opSoumettre, Label: err.Error(), Err: ErrInvalidRequest}
	}
	var out soumettreResponse
	if err := c.call(ctx, opSoumettre, pathSoumettre, in, &out); err != nil {
		return nil, err
	}
	if out.IdentifiantFactureCPP <= 0 {
		// Accepted without an invoice id: the invoice may exist. Transient,
		// so that the caller searches before submitting again.
		return nil, &Error{Op: opSoumettre, HTTPStatus: 200, Transient: true, Label: "answer has no identifiantFactureCPP"}
	}
	res := out.result()
	c.log.Info("chorus invoice submitted", "invoice_id", res.InvoiceID, "number", s.InvoiceNumber, "status", res.Status)
	return res, nil
}

// wire checks s (pre-flight) and builds the request body.
func (s Submission) wire() (*soumettreRequest, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	mode := def(s.Mode, ModePDF)
	pdfMode := mode == ModePDF || mode == ModePDFSigned
	switch {
	case mode != ModePDF && mode != ModePDFSigned && mode != ModeEntry:
		add("unknown modeDepot %q", mode)
	case pdfMode:
		if err := CheckInvoiceNumber(s.InvoiceNumber); err != nil {
			add("%v", err)
		}
		if s.InvoiceDate.IsZero() {
			add("invoice date is missing")
		}
		if s.AttachmentID <= 0 {
			add("the main attachment (pieceJointePrincipale) is missing for %s", mode)
		}
	case mode == ModeEntry && len(s.Lines) == 0:
		add("%s needs at least one line", mode)
	}
	if err := CheckSIRET("recipient SIRET", s.RecipientSIRET); err != nil {
		add("%v", err)
	}
	if utf8.RuneCountInString(s.ServiceCode) > MaxServiceCodeLen {
		add("service code is longer than %d characters", MaxServiceCodeLen)
	}
	if utf8.RuneCountInString(s.Engagement) > MaxEngagementLen {
		add("engagement number %q is longer than %d characters", s.Engagement, MaxEngagementLen)
	}
	if utf8.RuneCountInString(s.Comment) > MaxCommentLen {
		add("comment is longer than %d characters", MaxCommentLen)
	}
	if s.SupplierID <= 0 {
		add("supplier id (idFournisseur) is missing")
	}
	typ := def(s.Type, "FACTURE")
	if typ != "FACTURE" && typ != "AVOIR" {
		add("unknown typeFacture %q", typ)
	}
	vat := def(s.VATType, "TVA_SUR_DEBIT")
	switch vat {
	case "TVA_SUR_DEBIT", "TVA_SUR_ENCAISSEMENT", "SANS_TVA":
	case "EXONERATION":
		if s.VATExemption == "" {
			add("EXONERATION needs an exemption reason (motifExonerationTva)")
		}
	default:
		add("unknown typeTva %q", vat)
	}
	payment := s.PaymentMode
	if payment == "" {
		payment = "AUTRE"
		if s.BankDetailsID > 0 {
			payment = "VIREMENT"
		}
	}
	if !paymentModes[payment] {
		add("unknown modePaiement %q", payment)
	}
	if utf8.RuneCountInString(s.AttachmentDesignation) > MaxDesignationLen {
		add("attachment designation is longer than %d characters", MaxDesignationLen)
	}
	// montantTotal: only the global discount and its reason are optional.
	if s.Totals.ExclVAT == "" || s.Totals.VAT == "" || s.Totals.InclVAT == "" || s.Totals.Payable == "" {
		add("totals excluding VAT, VAT, including VAT and amount payable are required")
	}
	amounts := []Amount{s.Totals.ExclVAT, s.Totals.VAT, s.Totals.InclVAT, s.Totals.Discount, s.Totals.Payable}
	for i, l := range s.Lines {
		if l.Quantity == "" || l.UnitPrice == "" {
			add("line %d: quantity and unit price are required", i+1)
		}
		if l.VATCode == "" && l.VATRate == "" {
			add("line %d: a VAT code or rate is required", i+1)
		}
		amounts = append(amounts, l.Quantity, l.UnitPrice, l.Discount, l.VATRate)
	}
	for i, v := range s.VATLines {
		if v.Base == "" || v.VAT == "" || v.VATCode == "" && v.VATRate == "" {
			add("VAT line %d: base, VAT amount and a VAT code or rate are required", i+1)
		}
		amounts = append(amounts, v.VATRate, v.Base, v.VAT)
	}
	for _, a := range amounts {
		if a != "" && !amountRE.MatchString(string(a)) {
			add("amount %q is not a decimal number", string(a))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}

	in := &soumettreRequest{
		ModeDepot:          mode,
		Destinataire:       wireDestinataire{CodeDestinataire: s.RecipientSIRET, CodeServiceExecutant: s.ServiceCode},
		Fournisseur:        wireFournisseur{IDFournisseur: s.SupplierID, IDServiceFournisseur: s.SupplierServiceID, CodeCoordonneesBancairesFournisseur: s.BankDetailsID},
		CadreDeFacturation: wireCadre{CodeCadreFacturation: def(s.Framework, FrameworkSupplier)},
		References: wireReferences{
			DeviseFacture:        def(s.Currency, "EUR"),
			TypeFacture:          typ,
			TypeTva:              vat,
			MotifExonerationTva:  s.VATExemption,
			NumeroMarche:         s.ContractNumber,
			NumeroBonCommande:    s.Engagement,
			NumeroFactureOrigine: s.OriginalInvoice,
			ModePaiement:         payment,
		},
		MontantTotal: wireMontantTotal{
			MontantHtTotal: s.Totals.ExclVAT, MontantTVA: s.Totals.VAT, MontantTtcTotal: s.Totals.InclVAT,
			MontantRemiseGlobaleTTC: s.Totals.Discount, MotifRemiseGlobaleTTC: s.Totals.DiscountReason,
			MontantAPayer: s.Totals.Payable,
		},
		Commentaire: s.Comment,
	}
	if pdfMode {
		in.NumeroFactureSaisi = s.InvoiceNumber
		in.DateFacture = s.InvoiceDate.Format(time.DateOnly)
		in.PieceJointePrincipale = []wirePieceJointeP{{
			PieceJointePrincipaleDesignation: def(s.AttachmentDesignation, "Facture "+s.InvoiceNumber),
			PieceJointePrincipaleID:          s.AttachmentID,
		}}
	} else if !s.InvoiceDate.IsZero() {
		in.DateFacture = s.InvoiceDate.Format(time.DateOnly)
	}
	for i, l := range s.Lines {
		n := l.Number
		if n == 0 {
			n = i + 1
		}
		in.LignePoste = append(in.LignePoste, wireLignePoste{
			LignePosteNumero: n, LignePosteReference: l.Reference, LignePosteDenomination: l.Designation,
			LignePosteQuantite: l.Quantity, LignePosteUnite: l.Unit, LignePosteMontantUnitaireHT: l.UnitPrice,
			LignePosteMontantRemiseHT: l.Discount, LignePosteTauxTva: l.VATCode, LignePosteTauxTvaManuel: l.VATRate,
		})
	}
	for _, v := range s.VATLines {
		in.LigneTva = append(in.LigneTva, wireLigneTva{
			LigneTvaTaux: v.VATCode, LigneTvaTauxManuel: v.VATRate,
			LigneTvaMontantBaseHtParTaux: v.Base, LigneTvaMontantTvaParTaux: v.VAT,
		})
	}
	return in, nil
}
