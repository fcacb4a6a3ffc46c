package chorus

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// DepositRequest is one file to deposit as a flow.
type DepositRequest struct {
	File     []byte
	FileName string // nomFichier, with its extension (.pdf, .xml)
	Syntax   string // syntaxeFlux, e.g. SyntaxFacturX

	// Optional routing data read from the file by the caller. When set,
	// they are checked before the call (CheckInvoiceNumber, CheckSIRET):
	// Chorus Pro would reject the flow later, after a wasted deposit.
	InvoiceNumber string
	SellerSIRET   string
	BuyerSIRET    string
}

// DepositResult is the acknowledgement of deposerFluxFacture. It only means
// Chorus Pro received the flow; the verdict comes from ConsulterCRDetaille.
type DepositResult struct {
	FlowNumber  string // numeroFluxDepot: persist it before anything else
	DepositDate string // dateDepot, YYYY-MM-DD
	Syntax      string // syntaxeFlux echoed
}

type deposerFluxRequest struct {
	FichierFlux   string `json:"fichierFlux"`
	NomFichier    string `json:"nomFichier"`
	SyntaxeFlux   string `json:"syntaxeFlux"`
	AvecSignature bool   `json:"avecSignature"`
}

type deposerFluxResponse struct {
	NumeroFluxDepot flexString `json:"numeroFluxDepot"`
	DateDepot       flexString `json:"dateDepot"`
	SyntaxeFlux     flexString `json:"syntaxeFlux"`
}

// DeposerFlux deposits one invoice file (POST /cpro/factures/v1/deposer/flux).
//
// The request is checked first (file name, syntax, size, PDF or XML content);
// a failure wraps ErrInvalidRequest and costs no call. When the error is
// transient, check MaybeDeposited before trying again: a flow may have been
// created even though no answer came back.
func (c *Client) DeposerFlux(ctx context.Context, r DepositRequest) (*DepositResult, error) {
	if err := c.checkDeposit(r); err != nil {
		return nil, err
	}
	in := deposerFluxRequest{
		FichierFlux:   base64.StdEncoding.EncodeToString(r.File),
		NomFichier:    r.FileName,
		SyntaxeFlux:   r.Syntax,
		AvecSignature: false,
	}
	var out deposerFluxResponse
	if err := c.call(ctx, opDeposer, pathDeposerFlux, in, &out); err != nil {
		return nil, err
	}
	if out.NumeroFluxDepot == "" {
		// Accepted without a flow number: the flow may exist, but it cannot be
		// followed. Transient, so that the caller searches before re-depositing.
		return nil, &Error{Op: opDeposer, HTTPStatus: 200, Transient: true, Label: "answer has no numeroFluxDepot"}
	}
	res := &DepositResult{
		FlowNumber:  string(out.NumeroFluxDepot),
		DepositDate: string(out.DateDepot),
		Syntax:      string(out.SyntaxeFlux),
	}
	if res.Syntax == "" {
		res.Syntax = r.Syntax
	}
	c.log.Info("chorus flow deposited", "flow", res.FlowNumber, "file", r.FileName, "syntax", r.Syntax, "size", len(r.File))
	return res, nil
}

// checkDeposit runs the pre-flight checks of reference §2.1 and §3.6.
func (c *Client) checkDeposit(r DepositRequest) error {
	fail := func(format string, args ...any) error {
		return &Error{Op: opDeposer, Label: fmt.Sprintf(format, args...), Err: ErrInvalidRequest}
	}
	xmlFlow, known := knownSyntaxes[r.Syntax]
	if !known {
		return fail("unknown syntaxeFlux %q", r.Syntax)
	}
	name := r.FileName
	switch {
	case name == "":
		return fail("nomFichier is empty")
	case !utf8.ValidString(name):
		return fail("nomFichier is not valid UTF-8")
	case utf8.RuneCountInString(name) > 200:
		return fail("nomFichier is longer than 200 characters")
	case strings.ContainsAny(name, `/\`):
		return fail("nomFichier %q contains a path separator", name)
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fail("nomFichier contains control characters")
	}
	ext := strings.ToLower(path.Ext(name))
	if ext == "" || ext == "." || len(name) == len(ext) {
		return fail("nomFichier %q has no extension", name)
	}
	if len(r.File) == 0 {
		return fail("the file is empty")
	}
	if int64(len(r.File)) > c.maxFileSize {
		return fail("the file is %d bytes, more than the %d allowed", len(r.File), c.maxFileSize)
	}
	if r.InvoiceNumber != "" {
		if err := CheckInvoiceNumber(r.InvoiceNumber); err != nil {
			return fail("%v", err)
		}
	}
	for _, s := range []struct{ what, v string }{{"seller SIRET", r.SellerSIRET}, {"buyer SIRET", r.BuyerSIRET}} {
		if s.v != "" {
			if err := CheckSIRET(s.what, s.v); err != nil {
				return fail("%v", err)
			}
		}
	}
	// One invoice per flow: archives (.zip, .tar.gz) are not sent by this client.
	if xmlFlow {
		if ext != ".xml" {
			return fail("nomFichier %q must end in .xml for %s", name, r.Syntax)
		}
		if !looksLikeXML(r.File) {
			return fail("the file is not XML, as %s requires", r.Syntax)
		}
	} else {
		if ext != ".pdf" {
			return fail("nomFichier %q must end in .pdf for %s", name, r.Syntax)
		}
		if !looksLikePDF(r.File) {
			return fail("the file is not a PDF, as %s requires", r.Syntax)
		}
	}
	return nil
}

// looksLikePDF accepts the %PDF- header within the first 1024 bytes, as PDF
// readers do.
func looksLikePDF(b []byte) bool {
	if len(b) > 1024 {
		b = b[:1024]
	}
	return bytes.Contains(b, []byte("%PDF-"))
}

// looksLikeXML accepts an optional UTF-8 byte order mark and white space
// followed by '<'.
func looksLikeXML(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 1 && b[0] == '<'
}

// FlowReport is the detailed integration report of a flow.
type FlowReport struct {
	State           string // etatCourantDepotFlux, see FlowOutcome
	DepositedAt     string // dateDepotFlux, ISO-8601 as sent
	StateAt         string // dateHeureEtatCourantFlux, ISO-8601 as sent
	InvoiceErrors   []InvoiceError
	TechnicalErrors []TechnicalError
}

// InvoiceError is one entry of listeErreurDP: an invoice of the flow refused.
type InvoiceError struct {
	SupplierID, RecipientID, InvoiceNumber, Message string
}

// TechnicalError is one entry of listeErreurTechnique: the flow itself refused.
type TechnicalError struct {
	Code, Message, Nature string
}

type crDetailleRequest struct {
	NumeroFluxDepot string `json:"numeroFluxDepot"`
}

type crDetailleResponse struct {
	EtatCourantDepotFlux flexString `json:"etatCourantDepotFlux"`
	// etatCourantFlux is consulterCR's name for the same state (reference
	// §2.3); read when etatCourantDepotFlux is absent.
	EtatCourantFlux          flexString                 `json:"etatCourantFlux"`
	CodeInterfaceDepotFlux   flexString                 `json:"codeInterfaceDepotFlux"`
	DateDepotFlux            flexString                 `json:"dateDepotFlux"`
	DateHeureEtatCourantFlux flexString                 `json:"dateHeureEtatCourantFlux"`
	NomFichier               flexString                 `json:"nomFichier"`
	ListeErreurDP            oneOrMany[erreurDP]        `json:"listeErreurDP"`
	ListeErreurTechnique     oneOrMany[erreurTechnique] `json:"listeErreurTechnique"`
}

type erreurDP struct {
	IdentifiantFournisseur  flexString `json:"identifiantFournisseur"`
	IdentifiantDestinataire flexString `json:"identifiantDestinataire"`
	NumeroDP                flexString `json:"numeroDP"`
	LibelleErreurDP         flexString `json:"libelleErreurDP"`
}

type erreurTechnique struct {
	CodeErreur    flexString `json:"codeErreur"`
	LibelleErreur flexString `json:"libelleErreur"`
	NatureErreur  flexString `json:"natureErreur"`
}

// ConsulterCRDetaille fetches the integration report of a flow
// (POST /cpro/transverses/v1/consulterCRDetaille).
func (c *Client) ConsulterCRDetaille(ctx context.Context, flowNumber string) (*FlowReport, error) {
	if strings.TrimSpace(flowNumber) == "" {
		return nil, &Error{Op: opConsulte, Label: "numeroFluxDepot is empty", Err: ErrInvalidRequest}
	}
	var out crDetailleResponse
	if err := c.call(ctx, opConsulte, pathCRDetaille, crDetailleRequest{NumeroFluxDepot: flowNumber}, &out); err != nil {
		return nil, err
	}
	rep := out.report()
	if rep.State == "" {
		return nil, &Error{Op: opConsulte, HTTPStatus: 200, Transient: true, Label: "answer has no etatCourantDepotFlux"}
	}
	if FlowOutcome(rep.State) == OutcomeUnknown {
		c.log.Warn("chorus flow in an unknown state", "flow", flowNumber, "state", rep.State)
	}
	return rep, nil
}

func (r *crDetailleResponse) report() *FlowReport {
	state := strings.TrimSpace(string(r.EtatCourantDepotFlux))
	if state == "" {
		state = strings.TrimSpace(string(r.EtatCourantFlux))
	}
	rep := &FlowReport{
		State:       state,
		DepositedAt: string(r.DateDepotFlux),
		StateAt:     string(r.DateHeureEtatCourantFlux),
	}
	for _, e := range r.ListeErreurDP {
		rep.InvoiceErrors = append(rep.InvoiceErrors, InvoiceError{
			SupplierID:    string(e.IdentifiantFournisseur),
			RecipientID:   string(e.IdentifiantDestinataire),
			InvoiceNumber: string(e.NumeroDP),
			Message:       string(e.LibelleErreurDP),
		})
	}
	for _, e := range r.ListeErreurTechnique {
		rep.TechnicalErrors = append(rep.TechnicalErrors, TechnicalError{
			Code:    string(e.CodeErreur),
			Message: string(e.LibelleErreur),
			Nature:  string(e.NatureErreur),
		})
	}
	return rep
}

// decodeCRDetaille decodes a consulterCRDetaille answer body as the client
// does after a 200 (used by the fuzz target).
func decodeCRDetaille(data []byte) (*FlowReport, error) {
	var out crDetailleResponse
	if err := decodeAnswer(opConsulte, 200, nil, data, &out); err != nil {
		return nil, err
	}
	return out.report(), nil
}

// Outcomes returned by FlowOutcome.
const (
	OutcomePending    = "pending"    // keep polling
	OutcomeIntegrated = "integrated" // terminal success
	OutcomeRejected   = "rejected"   // terminal failure
	OutcomePartial    = "partial"    // some invoices integrated, others refused (read InvoiceErrors)
	OutcomeUnknown    = "unknown"    // not a verdict: keep polling with back-off, alert a human after a deadline
)

// FlowOutcome maps a flow state (etatCourantDepotFlux) to what the gateway
// does with it (reference §2.2).
//
// Choices:
//   - IN_INCIDENTE is "unknown": the flow is stuck on an incident that Chorus
//     Pro may still resolve; it is no verdict on the invoice, and a human must
//     look at it (Tryton counts it as a failure, which would make Facteur tell
//     the supplier the invoice was refused while it may still be integrated).
//   - IN_TRAITE_SE_CPP is "unknown": Tryton counts it as a success but its
//     semantics are UNCONFIRMED; Facteur does not announce a deposit on it.
//   - IN_RECU is pending, not a success (Tryton counts it as one: it is not).
//   - QP_RECEVABLE_AVEC_ERREUR is "partial", like IN_INTEGRE_PARTIEL.
//   - Any other value is "unknown" (no source lists every state).
//
// The comparison ignores case and surrounding spaces.
func FlowOutcome(state string) string {
	switch strings.ToUpper(strings.TrimSpace(state)) {
	case "IN_RECU",
		"IN_EN_ATTENTE_TRAITEMENT_CPP",
		"IN_EN_ATTENTE_RETRAITEMENT_CPP",
		"IN_EN_COURS_TRAITEMENT_CPP",
		"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", // UNCONFIRMED: one live observation
		"QP_RECEVABLE":
		return OutcomePending
	case "IN_INTEGRE":
		return OutcomeIntegrated
	case "IN_REJETE", "QP_IRRECEVABLE":
		return OutcomeRejected
	case "IN_INTEGRE_PARTIEL", "QP_RECEVABLE_AVEC_ERREUR":
		return OutcomePartial
	}
	return OutcomeUnknown
}

// flexInt decodes a JSON number, or a string holding one, or null (0),
// like flexInt64 (codeRetour is sometimes sent as a string).
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var v flexInt64
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = flexInt(v)
	return nil
}

// flexString decodes a JSON string, or a number or boolean as its text, or
// null (""). Identifiers such as SIRETs are sometimes sent as numbers.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case string(b) == "true" || string(b) == "false":
		*s = flexString(b)
	default:
		var v json.Number
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("expected a string: %w", err)
		}
		*s = flexString(v.String())
	}
	return nil
}

// oneOrMany decodes a JSON array, a single object (the official
// consulterCRDetaille example renders listeErreurDP as one object), or null
// or an empty string (an empty list).
type oneOrMany[T any] []T

func (l *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null", string(b) == `""`:
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var v []T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = v
		return nil
	case len(b) > 0 && b[0] == '{':
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = []T{v}
		return nil
	}
	return fmt.Errorf("expected an array or an object, got %.20q", b)
}
