// Package sandbox is an in-process fake of the Chorus Pro API behind PISTE,
// faithful to shared/reference/chorus-pro-api.md as far as Facteur uses it:
// the OAuth2 token endpoint, deposerFluxFacture, consulterCRDetaille,
// deposerPdfFacture, ajouterFichierDansSysteme, soumettreFacture, the four
// structure operations, the supplier- and recipient-side invoice searches,
// consulterHistoriqueFacture and recupererStructuresActivesPourFournisseur.
//
// Integrated flows and submitted invoices become invoices with a lifecycle
// that progresses on the sandbox clock (Options.LifecycleStep), with
// configurable fates (Options.Fates, SetFate, ForceStatus). Faults can be
// injected per endpoint, by count or by seeded probability (Inject): HTTP
// errors, hangs, slow answers, dropped connections, and "commit then drop".
//
// The sandbox reads the deposited invoices itself (Factur-X PDF, CII, UBL),
// processes them asynchronously in simulated time (Options.ProcessingDelay,
// Options.Now) and integrates or rejects them with French reasons, as Chorus
// Pro would for an unknown recipient, a missing engagement or service code, or
// a duplicate invoice number. It serves on 127.0.0.1 only.
//
// Message keys and codes that the reference does not give are invented and
// marked "illustrative" in the code.
package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Syntaxes (syntaxeFlux). The sandbox does not import the client package: it
// is an independent implementation of the other side of the wire.
const (
	syntaxFacturX = "IN_DP_E2_CII_FACTURX"
	syntaxCII     = "IN_DP_E1_CII_16B"
	syntaxUBL     = "IN_DP_E1_UBL_INVOICE"
)

// otherSyntaxes are valid syntaxeFlux values this sandbox does not process.
var otherSyntaxes = map[string]bool{
	"IN_DP_E2_UBL_INVOICE_MIN": true, "IN_DP_E2_CII_MIN_16B": true, "IN_DP_E2_CII_MIN": true,
	"IN_DP_E2_CPP_FACTURE_MIN": true, "IN_DP_E1_CII": true, "IN_DP_E1_XCBL": true,
	"IN_DP_E1_PES_FACTURE": true, "IN_DP_E2_PES_FACTURE_MIN": true,
}

// Flow interface codes per syntax: FSO1117A Factur-X (E2), FSO1110A CII,
// FSO1100A UBL (reference §2.1; corroborated, not confirmed for API deposits).
var interfaces = map[string]string{
	syntaxFacturX: "1117",
	syntaxCII:     "1110",
	syntaxUBL:     "1100",
}

// Paths.
const (
	pathToken   = "/api/oauth/token"
	pathDeposer = "/cpro/factures/v1/deposer/flux"
	pathCR      = "/cpro/transverses/v1/consulterCRDetaille"
)

// Flow states (reference §2.2).
const (
	StateReceived     = "IN_RECU"
	StateProcessing   = "IN_EN_COURS_TRAITEMENT_CPP"
	StateIntegrated   = "IN_INTEGRE"
	StateRejected     = "IN_REJETE"
	StateInadmissible = "QP_IRRECEVABLE"
)

const (
	defaultMaxFileSize = 10 << 20 // 10 MiB (UNCONFIRMED limit for flows, reference §3.6)
	tokenLifetime      = 3600 * time.Second
	jsonContentType    = "application/json;charset=utf-8"
	okLibelle          = "TRA_MSG_00.000"
	wwwAuthAccount     = `Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"`
	// illustrative: the exact header for an expired PISTE token is not documented.
	wwwAuthToken = `Bearer realm="PISTE",error="invalid_token",error_description="access token unknown or expired"`
)

// Structure is a public recipient known to the sandbox, with its routing rules.
type Structure struct {
	SIRET, Name        string
	EngagementRequired bool     // numeroEJDoitEtreRenseigne: BT-13 mandatory
	ServiceRequired    bool     // codeServiceDoitEtreRenseigne: BT-10 mandatory
	Services           []string // active service codes; when not empty, a BT-10 must be one of them

	ID                 int64     // idStructureCPP; 0 = assigned by the sandbox
	EJOrService        bool      // gestionNumeroEJOuCodeService: an EJ or a service code
	PaymentNotReported bool      // statutMiseEnPaiementNestPasRemonte
	Inactive           bool      // statut INACTIVE
	ServiceList        []Service // services with their own flags, in addition to Services
}

// Service is a service of a recipient structure.
type Service struct {
	Code, Name         string
	ID                 int64 // idService; 0 = assigned by the sandbox
	Inactive           bool
	EngagementRequired bool // consulterServiceStructure parametres.numeroEngagement
}

// Supplier is a supplier structure the technical user is attached to
// (recupererStructuresActivesPourFournisseur, soumettreFacture's idFournisseur).
type Supplier struct {
	ID          int64 // idStructureCPP = idFournisseur
	SIRET, Name string
	// BankDetails are its valid bank details (idCoordonneeBancaire →
	// nomCoordonneeBancaire), for transfer payments.
	BankDetails map[int64]string

	attached bool // false for sellers only seen in deposited flows
}

// DefaultSuppliers returns the supplier of the reference's examples.
func DefaultSuppliers() []Supplier {
	return []Supplier{{ID: 31544902, SIRET: "84512367800011", Name: "ATELIER VERT PAYSAGE SARL",
		BankDetails: map[int64]string{187654: "Compte principal"}}}
}

// CASQStructures returns the four budgets of the Agglomération du
// Saint-Quentinois. A communauté d'agglomération typically requires the
// engagement number (EJ) on every invoice: EngagementRequired is true, and no
// service code is required.
func CASQStructures() []Structure {
	const name = "COMMUNAUTE D'AGGLOMERATION DU SAINT-QUENTINOIS"
	return []Structure{
		{SIRET: "20007189200067", Name: name + " - BUDGET PRINCIPAL", EngagementRequired: true},
		{SIRET: "20007189200026", Name: name + " - BUDGET EAU POTABLE", EngagementRequired: true},
		{SIRET: "20007189200034", Name: name + " - BUDGET ASSAINISSEMENT", EngagementRequired: true},
		{SIRET: "20007189200059", Name: name + " - BUDGET CIRCUIT AUTOMOBILE", EngagementRequired: true},
	}
}

// Options configures a sandbox.
type Options struct {
	ClientID, ClientSecret string           // PISTE application credentials accepted by the token endpoint
	Login, Password        string           // technical account expected in cpro-account
	Structures             []Structure      // nil → CASQStructures()
	ProcessingDelay        time.Duration    // deposit → terminal state (0 → immediate); IN_RECU for the first half, then IN_EN_COURS_TRAITEMENT_CPP
	Now                    func() time.Time // nil → time.Now
	Logger                 *slog.Logger     // nil → discard
	Addr                   string           // listen address, loopback only; default "127.0.0.1:0"
	MaxFileSize            int64            // largest deposited file; default 10 MiB (codeRetour 20001 above)

	Suppliers []Supplier // the technical user's supplier structures; nil → DefaultSuppliers()
	// Lifecycle is the path of invoice statuses; nil → DefaultLifecycle().
	// An invoice moves one step every LifecycleStep of sandbox time; 0
	// keeps it at the first status (unless forced).
	Lifecycle     []string
	LifecycleStep time.Duration
	Fates         map[string]Fate // by invoice number: how its lifecycle ends (see SetFate)
	Faults        []Fault         // injected from the start (see Inject)
	Seed          uint64          // seed of the fault-probability generator; 0 → 1
	// SupplierSearchNoResultCode makes rechercher/fournisseur answer
	// codeRetour 20000 (TRA_MSG_00.015) when nothing matches, instead of
	// an empty list: which one Chorus Pro does is UNCONFIRMED.
	SupplierSearchNoResultCode bool
	// SupplierSearchAttachedOnly limits rechercher/fournisseur to the
	// invoices of the supplier structures the technical user is attached
	// to (Suppliers): whether Chorus Pro does so is UNCONFIRMED.
	SupplierSearchAttachedOnly bool
	// FinalStates, by invoice number, is the flow state reported once
	// processing is over, in place of IN_INTEGRE or IN_REJETE: a state the
	// reference leaves unconfirmed (IN_TRAITE_SE_CPP) or that needs a
	// person (IN_INCIDENTE). Whether an invoice is created still follows
	// the validation of the file.
	FinalStates map[string]string
}

// Deposit is a flow as the sandbox recorded it.
type Deposit struct {
	FlowNumber, FileName, Syntax, DepositDate string
	Data                                      []byte
	// Read from the file by the sandbox itself.
	InvoiceNumber, SellerSIRET, BuyerSIRET, OrderReference, BuyerReference string
	State                                                                  string   // current state: IN_RECU … IN_INTEGRE / IN_REJETE / QP_IRRECEVABLE
	Errors                                                                 []string // rejection reasons (French) once the state is terminal
}

type dpError struct{ supplier, recipient, number, message string }

type techError struct{ code, message, nature string }

type flow struct {
	Deposit
	invoiced bool // its invoice was created (see materialize)
	at       time.Time
	iface    string
	verdict  string // terminal state decided at deposit time
	dpErrors []dpError
	techErrs []techError
}

// Server is a running sandbox.
type Server struct {
	opts     Options
	loc      *time.Location
	handler  http.Handler
	ln       net.Listener
	srv      *http.Server
	url      string
	services map[string]Structure // recipients by SIRET
	routes   map[string]func(http.ResponseWriter, []byte, *slog.Logger)

	mu            sync.Mutex
	tokens        map[string]time.Time // access token → expiry
	flows         []*flow
	byNum         map[string]*flow
	counter       int64
	faults        []Fault
	faultsApplied int
	rng           *mrand.Rand

	recipients  map[int64]*recipient // by idStructureCPP
	suppliers   map[string]*Supplier // by SIRET: configured, plus sellers seen in flows
	invoices    []*invoice
	invoiceSeq  int64
	attachments map[int64]attachment
	attachSeq   int64
	fates       map[string]Fate
}

// Start checks opts, listens on a loopback address and serves the API.
func Start(opts Options) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("sandbox: listen address %q: only a loopback IP is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("sandbox server stopped", "err", err)
		}
	}()
	s.opts.Logger.Info("chorus pro sandbox listening", "url", s.url)
	return s, nil
}

func newServer(opts Options) (*Server, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"client id", opts.ClientID}, {"client secret", opts.ClientSecret},
		{"login", opts.Login}, {"password", opts.Password},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sandbox: options: empty %s", strings.Join(missing, ", "))
	}
	if opts.ProcessingDelay < 0 {
		return nil, errors.New("sandbox: options: negative processing delay")
	}
	if opts.MaxFileSize < 0 {
		return nil, errors.New("sandbox: options: negative max file size")
	}
	if opts.MaxFileSize == 0 {
		opts.MaxFileSize = defaultMaxFileSize
	}
	if opts.Structures == nil {
		opts.Structures = CASQStructures()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Suppliers == nil {
		opts.Suppliers = DefaultSuppliers()
	}
	if opts.Lifecycle == nil {
		opts.Lifecycle = DefaultLifecycle()
	}
	if opts.LifecycleStep < 0 {
		return nil, errors.New("sandbox: options: negative lifecycle step")
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s := &Server{
		opts:        opts,
		loc:         parisLocation(),
		services:    make(map[string]Structure),
		tokens:      make(map[string]time.Time),
		byNum:       make(map[string]*flow),
		counter:     0,
		rng:         mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		recipients:  make(map[int64]*recipient),
		suppliers:   make(map[string]*Supplier),
		attachments: make(map[int64]attachment),
		attachSeq:   90412376,
		invoiceSeq:  142987654,
		fates:       make(map[string]Fate),
	}
	if err := s.loadDirectory(opts.Structures, opts.Suppliers); err != nil {
		return nil, err
	}
	for num, f := range opts.Fates {
		s.fates[num] = f
	}
	for _, f := range opts.Faults {
		if err := f.normalize(); err != nil {
			return nil, err
		}
		s.faults = append(s.faults, f)
	}
	s.routes = map[string]func(http.ResponseWriter, []byte, *slog.Logger){
		pathDeposer:                 s.serveDeposer,
		pathCR:                      s.serveCR,
		pathDeposerPDF:              s.serveDeposerPDF,
		pathAjouterFichier:          s.serveAjouterFichier,
		pathSoumettre:               s.serveSoumettre,
		pathRechercherStructure:     s.serveRechercherStructure,
		pathConsulterStructure:      s.serveConsulterStructure,
		pathRechercherServices:      s.serveRechercherServices,
		pathConsulterService:        s.serveConsulterService,
		pathRechercherFournisseur:   s.serveRechercherFournisseur,
		pathRechercherRecipiendaire: s.serveRechercherRecipiendaire,
		pathHistorique:              s.serveHistorique,
		pathStructuresActives:       s.serveStructuresActives,
		pathCoordBanc:               s.serveCoordBanc,
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// parisLocation is the time zone of Chorus Pro's dates; a fixed +01:00 when
// the time zone database is missing.
func parisLocation() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

// URL is the API base, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// TokenURL is the OAuth2 token endpoint.
func (s *Server) TokenURL() string { return s.url + pathToken }

// Handler serves the token endpoint and the API (usable without Start's listener).
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the listener and open connections.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// ExpireTokens makes every issued access token invalid, as if an hour had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Deposits returns copies of the recorded flows, oldest first, with their
// current state.
func (s *Server) Deposits() []Deposit {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	out := make([]Deposit, 0, len(s.flows))
	for _, f := range s.flows {
		d := f.Deposit
		d.Data = bytes.Clone(f.Data)
		d.State = s.stateOf(f, now)
		d.Errors = nil
		if d.State == f.verdict {
			d.Errors = append([]string(nil), f.Errors...)
		}
		out = append(out, d)
	}
	return out
}

// stateOf computes the state of f at now: IN_RECU during the first half of
// the processing delay, IN_EN_COURS_TRAITEMENT_CPP during the second, then
// the verdict.
func (s *Server) stateOf(f *flow, now time.Time) string {
	elapsed := now.Sub(f.at)
	d := s.opts.ProcessingDelay
	switch {
	case elapsed >= d:
		if st, ok := s.opts.FinalStates[f.InvoiceNumber]; ok {
			return st
		}
		return f.verdict
	case elapsed < d/2:
		return StateReceived
	}
	return StateProcessing
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	log := s.opts.Logger.With("method", r.Method, "path", r.URL.Path)
	if r.URL.Path == pathToken {
		s.serveToken(w, r, log)
		return
	}
	route, known := s.routes[r.URL.Path]
	if !known {
		log.Debug("sandbox: unknown route")
		writeJSON(w, http.StatusNotFound, map[string]any{"httpCode": "404", "httpMessage": "Not Found", "moreInformation": "no resource at this path"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"httpCode": "405", "httpMessage": "Method Not Allowed"})
		return
	}
	if !s.checkToken(r) {
		log.Debug("sandbox: bad or expired token")
		w.Header().Set("WWW-Authenticate", wwwAuthToken)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !s.checkAccount(r) {
		log.Debug("sandbox: bad cpro-account")
		w.Header().Set("WWW-Authenticate", wwwAuthAccount)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fault, faulty := s.takeFault(r.URL.Path)
	out := w
	var commitDrop bool
	if faulty {
		log.Debug("sandbox: injected fault", "kind", fault.Kind, "status", fault.Status, "delay", fault.Delay)
		switch fault.Kind {
		case FaultStatus:
			writeJSON(w, fault.Status, map[string]any{"httpCode": fmt.Sprint(fault.Status), "httpMessage": http.StatusText(fault.Status)})
			return
		case FaultHang:
			t := time.NewTimer(fault.Delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
			}
			writeJSON(w, http.StatusGatewayTimeout, map[string]any{"httpCode": "504", "httpMessage": "Gateway Timeout"})
			return
		case FaultDrop:
			dropConnection(w)
			return
		case FaultSlow:
			// The request is processed even if the client has given up.
			time.Sleep(fault.Delay)
		case FaultCommitDrop:
			commitDrop = true
			out = httptest.NewRecorder()
		}
	}
	if commitDrop {
		defer dropConnection(w)
	}
	w = out
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"httpCode": "415", "httpMessage": "Unsupported Media Type"})
		return
	}
	// Room for the base64 of the largest file (4/3) plus the JSON around it;
	// a file just above the limit still gets the business error 20001.
	limit := s.opts.MaxFileSize
	if (r.URL.Path == pathAjouterFichier || r.URL.Path == pathDeposerPDF) && limit < maxAttachment {
		limit = maxAttachment
	}
	maxBody := limit/3*4 + 1<<20
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, businessError(codeTooLarge, "GDP_MSG_11.022"))
			return
		}
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Lecture de la requête impossible."))
		return
	}
	route(w, body, log)
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, log *slog.Logger) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, oauthError("invalid_request", "POST required"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "malformed form body"))
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id == "" && secret == "" {
		id, secret, _ = r.BasicAuth()
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "grant_type must be client_credentials"))
		return
	}
	if !equal(id, s.opts.ClientID) || !equal(secret, s.opts.ClientSecret) {
		log.Debug("sandbox: invalid client")
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_client", "client authentication failed (unknown client_id or wrong client_secret)"))
		return
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	s.mu.Lock()
	s.tokens[tok] = s.opts.Now().Add(tokenLifetime)
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(tokenLifetime / time.Second), "scope": "openid",
	})
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

func (s *Server) checkToken(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(auth) <= len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return false
	}
	tok := strings.TrimSpace(auth[len(prefix):])
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if !ok {
		return false
	}
	if !s.opts.Now().Before(exp) {
		delete(s.tokens, tok)
		return false
	}
	return true
}

func (s *Server) checkAccount(r *http.Request) bool {
	want := base64.StdEncoding.EncodeToString([]byte(s.opts.Login + ":" + s.opts.Password))
	return equal(r.Header.Get("cpro-account"), want)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func businessError(code int, libelle string) map[string]any {
	return map[string]any{"codeRetour": code, "libelle": libelle}
}

// Business error codes of deposerFluxFacture. 20001/GDP_MSG_11.022 (file too
// large) comes from the reference (UNCONFIRMED); the others are illustrative:
// the real keys are in the AIFE error annex, which was not available.
const (
	codeTooLarge      = 20001
	codeBadSyntax     = 20002 // illustrative
	codeBadFileName   = 20003 // illustrative
	codeBadContent    = 20004 // illustrative
	codeUnknownFlow   = 20000 // illustrative, consulterCRDetaille
	codeMalformedBody = 10001 // illustrative, HTTP 400
)

type deposerRequest struct {
	FichierFlux   *string `json:"fichierFlux"`
	NomFichier    *string `json:"nomFichier"`
	SyntaxeFlux   *string `json:"syntaxeFlux"`
	AvecSignature *bool   `json:"avecSignature"`
	IDUtilisateur *int64  `json:"idUtilisateurCourant"`
}

func (s *Server) serveDeposer(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req deposerRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Requête JSON invalide : "+err.Error()))
		return
	}
	var missing []string
	if req.FichierFlux == nil || *req.FichierFlux == "" {
		missing = append(missing, "fichierFlux")
	}
	if req.NomFichier == nil || *req.NomFichier == "" {
		missing = append(missing, "nomFichier")
	}
	if req.SyntaxeFlux == nil || *req.SyntaxeFlux == "" {
		missing = append(missing, "syntaxeFlux")
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody,
			"Paramètre(s) obligatoire(s) absent(s) : "+strings.Join(missing, ", ")))
		return
	}
	data, err := base64.StdEncoding.DecodeString(*req.FichierFlux)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody,
			"Le champ fichierFlux n'est pas encodé en base64 : "+err.Error()))
		return
	}
	name, syntax := *req.NomFichier, *req.SyntaxeFlux
	if _, ok := interfaces[syntax]; !ok {
		msg := fmt.Sprintf("La syntaxe de flux %q n'est pas reconnue.", syntax)
		if otherSyntaxes[syntax] {
			msg = fmt.Sprintf("La syntaxe de flux %q n'est pas prise en charge par ce bac à sable.", syntax)
		}
		writeJSON(w, http.StatusOK, businessError(codeBadSyntax, msg))
		return
	}
	if msg := checkFileName(name, syntax); msg != "" {
		writeJSON(w, http.StatusOK, businessError(codeBadFileName, msg))
		return
	}
	if int64(len(data)) > s.opts.MaxFileSize {
		writeJSON(w, http.StatusOK, businessError(codeTooLarge, "GDP_MSG_11.022"))
		return
	}
	if msg := checkContent(data, syntax); msg != "" {
		writeJSON(w, http.StatusOK, businessError(codeBadContent, msg))
		return
	}

	// Read the file outside the lock; decide the verdict under it.
	inv, readErr := readInvoice(syntax, data)

	s.mu.Lock()
	now := s.opts.Now()
	s.counter++
	iface := interfaces[syntax]
	f := &flow{
		Deposit: Deposit{
			FlowNumber:     fmt.Sprintf("CPP001%s%015d", iface, s.counter),
			FileName:       name,
			Syntax:         syntax,
			DepositDate:    now.In(s.loc).Format("2006-01-02"),
			Data:           bytes.Clone(data),
			InvoiceNumber:  inv.Number,
			SellerSIRET:    inv.SellerSIRET,
			BuyerSIRET:     inv.BuyerSIRET,
			OrderReference: inv.OrderReference,
			BuyerReference: inv.BuyerReference,
		},
		at:    now,
		iface: "FSO" + iface + "A",
	}
	s.judge(f, inv, readErr)
	s.flows = append(s.flows, f)
	s.byNum[f.FlowNumber] = f
	s.mu.Unlock()

	log.Info("sandbox: flow deposited", "flow", f.FlowNumber, "file", name, "syntax", syntax,
		"invoice", inv.Number, "buyer", inv.BuyerSIRET, "verdict", f.verdict)
	writeJSON(w, http.StatusOK, map[string]any{
		"codeRetour":      0,
		"libelle":         okLibelle,
		"numeroFluxDepot": f.FlowNumber,
		"dateDepot":       f.DepositDate,
		"syntaxeFlux":     syntax,
	})
}

func checkFileName(name, syntax string) string {
	switch {
	case !utf8.ValidString(name):
		return "Le nom du fichier n'est pas encodé en UTF-8."
	case utf8.RuneCountInString(name) > 200:
		return "Le nom du fichier dépasse 200 caractères."
	case strings.ContainsAny(name, `/\`):
		return "Le nom du fichier ne doit pas contenir de chemin."
	}
	ext := strings.ToLower(path.Ext(name))
	if ext == "" || ext == "." || ext == strings.ToLower(name) {
		return "Le nom du fichier doit comporter une extension."
	}
	want := ".xml"
	if syntax == syntaxFacturX {
		want = ".pdf"
	}
	if ext != want {
		return fmt.Sprintf("L'extension %s du fichier ne correspond pas à la syntaxe %s (%s attendu).", ext, syntax, want)
	}
	return ""
}

func checkContent(data []byte, syntax string) string {
	if syntax == syntaxFacturX {
		head := data
		if len(head) > 1024 {
			head = head[:1024]
		}
		if !bytes.Contains(head, []byte("%PDF-")) {
			return "Le fichier déposé n'est pas un PDF, alors que la syntaxe IN_DP_E2_CII_FACTURX l'exige."
		}
		return ""
	}
	b := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) == 0 || b[0] != '<' {
		return fmt.Sprintf("Le fichier déposé n'est pas un fichier XML, alors que la syntaxe %s l'exige.", syntax)
	}
	return ""
}

// judge decides the terminal state of f. Called with s.mu held. Flows are
// processed in deposit order with the same delay, so a duplicate is an
// invoice number already integrated (or about to be) for the same seller.
func (s *Server) judge(f *flow, inv invoiceData, readErr error) {
	if readErr != nil {
		f.verdict = StateInadmissible
		f.techErrs = []techError{{code: "ERR_LECTURE_FLUX", message: capitalize(readErr.Error()) + ".", nature: "FLUX"}} // illustrative code and nature
		f.Errors = []string{f.techErrs[0].message}
		return
	}
	el := ciiElements
	if inv.UBL {
		el = ublElements
	}
	var reasons []string
	add := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }

	switch n := utf8.RuneCountInString(inv.Number); {
	case n == 0:
		add("Le numéro de la facture n'est pas renseigné (élément %s).", el.number)
	case n > 20:
		add("Le numéro de la facture « %s » dépasse 20 caractères (élément %s).", inv.Number, el.number)
	}
	if inv.SellerSIRET == "" {
		add("L'identifiant du fournisseur n'est pas renseigné (élément %s).", el.seller)
	}
	if inv.BuyerSIRET == "" {
		add("L'identifiant du destinataire n'est pas renseigné (élément %s).", el.buyer)
	} else {
		reasons = append(reasons, s.routingErrors(inv.BuyerSIRET, inv.OrderReference, inv.BuyerReference, el)...)
	}
	if inv.Number != "" && inv.SellerSIRET != "" {
		if prev := s.duplicateOf(inv.SellerSIRET, inv.Number); prev != "" {
			add("La facture n° %s du fournisseur %s a déjà été déposée (%s) : le numéro de facture doit être unique par fournisseur (élément %s).",
				inv.Number, inv.SellerSIRET, prev, el.number)
		}
	}
	if len(reasons) == 0 {
		f.verdict = StateIntegrated
		return
	}
	f.verdict = StateRejected
	f.Errors = reasons
	for _, msg := range reasons {
		f.dpErrors = append(f.dpErrors, dpError{supplier: inv.SellerSIRET, recipient: inv.BuyerSIRET, number: inv.Number, message: msg})
	}
}

type elementNames struct{ number, seller, buyer, order, service string }

var ciiElements = elementNames{
	number:  "ExchangedDocument/ID",
	seller:  "SellerTradeParty/SpecifiedLegalOrganization/ID",
	buyer:   "BuyerTradeParty/SpecifiedLegalOrganization/ID",
	order:   "BuyerOrderReferencedDocument/IssuerAssignedID",
	service: "ApplicableHeaderTradeAgreement/BuyerReference",
}

var ublElements = elementNames{
	number:  "Invoice/ID",
	seller:  "AccountingSupplierParty/Party/PartyIdentification/ID",
	buyer:   "AccountingCustomerParty/Party/PartyIdentification/ID",
	order:   "OrderReference/ID",
	service: "BuyerReference",
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

type crRequest struct {
	NumeroFluxDepot *string `json:"numeroFluxDepot"`
	SyntaxeFlux     *string `json:"syntaxeFlux"`
}

type crErreurDP struct {
	IdentifiantFournisseur  string `json:"identifiantFournisseur"`
	IdentifiantDestinataire string `json:"identifiantDestinataire"`
	NumeroDP                string `json:"numeroDP"`
	LibelleErreurDP         string `json:"libelleErreurDP"`
}

type crErreurTechnique struct {
	CodeErreur    string `json:"codeErreur"`
	LibelleErreur string `json:"libelleErreur"`
	NatureErreur  string `json:"natureErreur"`
}

type crResponse struct {
	CodeRetour               int                 `json:"codeRetour"`
	Libelle                  string              `json:"libelle"`
	CodeInterfaceDepotFlux   string              `json:"codeInterfaceDepotFlux"`
	DateDepotFlux            string              `json:"dateDepotFlux"`
	DateHeureEtatCourantFlux string              `json:"dateHeureEtatCourantFlux"`
	EtatCourantDepotFlux     string              `json:"etatCourantDepotFlux"`
	NomFichier               string              `json:"nomFichier"`
	ListeErreurDP            []crErreurDP        `json:"listeErreurDP"`
	ListeErreurTechnique     []crErreurTechnique `json:"listeErreurTechnique"`
}

const isoMillis = "2006-01-02T15:04:05.000-07:00"

func (s *Server) serveCR(w http.ResponseWriter, body []byte, log *slog.Logger) {
	var req crRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Requête JSON invalide : "+err.Error()))
		return
	}
	if req.NumeroFluxDepot == nil || *req.NumeroFluxDepot == "" {
		writeJSON(w, http.StatusBadRequest, businessError(codeMalformedBody, "Paramètre obligatoire absent : numeroFluxDepot"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.byNum[*req.NumeroFluxDepot]
	if !ok {
		writeJSON(w, http.StatusOK, businessError(codeUnknownFlow,
			fmt.Sprintf("Aucun flux ne correspond au numéro %q.", *req.NumeroFluxDepot)))
		return
	}
	now := s.opts.Now()
	state := s.stateOf(f, now)
	// The state changed at the deposit, at half the delay, then at its end.
	changed := f.at
	switch {
	case state == f.verdict:
		changed = f.at.Add(s.opts.ProcessingDelay)
	case state == StateProcessing:
		changed = f.at.Add(s.opts.ProcessingDelay / 2)
	}
	resp := crResponse{
		CodeRetour:               0,
		Libelle:                  okLibelle,
		CodeInterfaceDepotFlux:   f.iface,
		DateDepotFlux:            f.at.In(s.loc).Format(isoMillis),
		DateHeureEtatCourantFlux: changed.In(s.loc).Format(isoMillis),
		EtatCourantDepotFlux:     state,
		NomFichier:               f.iface + "_CPP001_" + f.FlowNumber,
		ListeErreurDP:            []crErreurDP{},
		ListeErreurTechnique:     []crErreurTechnique{},
	}
	if state == f.verdict {
		for _, e := range f.dpErrors {
			resp.ListeErreurDP = append(resp.ListeErreurDP, crErreurDP{e.supplier, e.recipient, e.number, e.message})
		}
		for _, e := range f.techErrs {
			resp.ListeErreurTechnique = append(resp.ListeErreurTechnique, crErreurTechnique{e.code, e.message, e.nature})
		}
	}
	log.Debug("sandbox: report", "flow", f.FlowNumber, "state", state)
	writeJSON(w, http.StatusOK, resp)
}

// Shutdown stops the server gracefully, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}
