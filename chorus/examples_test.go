package chorus_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/samples"
)

// Contract tests driven by shared/reference/chorus-pro-examples.json: the
// client must send requests shaped like the examples and decode the example
// answers.

type examples struct {
	Meta struct {
		CommonHeaders map[string]string `json:"common_headers"`
		CproAccountOf string            `json:"cpro_account_is_base64_of"`
	} `json:"_meta"`
	OAuth struct {
		RequestForm string          `json:"request_form"`
		Response200 json.RawMessage `json:"response_200"`
		Response400 json.RawMessage `json:"response_400_bad_client"`
	} `json:"oauth_token"`
	Deposer struct {
		Path          string          `json:"path"`
		Request       json.RawMessage `json:"request"`
		Response      json.RawMessage `json:"response"`
		BusinessError json.RawMessage `json:"response_business_error_example"`
	} `json:"deposer_flux_facture"`
	CR     map[string]json.RawMessage `json:"consulter_cr_detaille"`
	Errors struct {
		Business json.RawMessage `json:"business_error_http_200"`
		HTTP401  struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
		} `json:"http_401_bad_technical_account"`
		HTTP403 struct {
			Status int `json:"status"`
		} `json:"http_403_api_not_subscribed"`
	} `json:"errors"`
}

func loadExamples(t *testing.T) *examples {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "reference", "chorus-pro-examples.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not found", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ex examples
	if err := json.Unmarshal(data, &ex); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &ex
}

// stub is a tiny Chorus Pro stand-in serving canned answers and recording
// what the client sent.
type stub struct {
	mu        sync.Mutex
	token     json.RawMessage
	answers   map[string]func(w http.ResponseWriter) // by path
	forms     []url.Values
	bodies    map[string][]json.RawMessage
	headers   []http.Header
	srv       *httptest.Server
	tokenHits int
}

func newStub(t *testing.T, token json.RawMessage) *stub {
	s := &stub{token: token, answers: map[string]func(http.ResponseWriter){}, bodies: map[string][]json.RawMessage{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		if r.URL.Path == "/api/oauth/token" {
			form, _ := url.ParseQuery(string(body))
			s.forms = append(s.forms, form)
			s.headers = append(s.headers, r.Header.Clone())
			s.tokenHits++
			tok := s.token
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(tok)
			return
		}
		s.bodies[r.URL.Path] = append(s.bodies[r.URL.Path], body)
		s.headers = append(s.headers, r.Header.Clone())
		answer := s.answers[r.URL.Path]
		s.mu.Unlock()
		if answer == nil {
			http.NotFound(w, r)
			return
		}
		answer(w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) set(path string, status int, hdr map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[path] = func(w http.ResponseWriter) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		if len(body) > 0 {
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func (s *stub) client(t *testing.T, mod func(*chorus.Config)) *chorus.Client {
	t.Helper()
	cfg := chorus.Config{
		APIURL: s.srv.URL, TokenURL: s.srv.URL + "/api/oauth/token",
		ClientID: "3f1c2a9e-5b7d-4c21-9e0a-7d2b8c4f6a10", ClientSecret: "<secret>",
		Login: "TECH_1_x@cpro.fr", Password: "pw", Timeout: 5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := chorus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// shape maps each top-level key of a JSON object to its JSON kind.
func shape(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = reflect.TypeOf(v).String()
	}
	return out
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestExamplesDeposerFlux(t *testing.T) {
	ex := loadExamples(t)
	s := newStub(t, ex.OAuth.Response200)
	s.set(ex.Deposer.Path, 200, nil, ex.Deposer.Response)
	login, pw, _ := strings.Cut(ex.Meta.CproAccountOf, ":")
	c := s.client(t, func(cfg *chorus.Config) { cfg.Login, cfg.Password = login, pw })

	var req struct{ NomFichier, SyntaxeFlux string }
	if err := json.Unmarshal(ex.Deposer.Request, &req); err != nil {
		t.Fatal(err)
	}
	pdf, err := samples.PlainPDF(sample("EX-1"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.DeposerFlux(context.Background(), chorus.DepositRequest{File: pdf, FileName: req.NomFichier, Syntax: req.SyntaxeFlux})
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ NumeroFluxDepot, DateDepot, SyntaxeFlux string }
	_ = json.Unmarshal(ex.Deposer.Response, &want)
	if res.FlowNumber != want.NumeroFluxDepot || res.DepositDate != want.DateDepot || res.Syntax != want.SyntaxeFlux {
		t.Fatalf("decoded %+v from %s", res, ex.Deposer.Response)
	}

	// The request has the example's fields, with the same JSON types.
	sent := s.bodies[ex.Deposer.Path][0]
	if got, want := shape(t, sent), shape(t, ex.Deposer.Request); !reflect.DeepEqual(got, want) {
		t.Fatalf("request shape %v, example %v", got, want)
	}
	var sentReq map[string]any
	_ = json.Unmarshal(sent, &sentReq)
	if sentReq["avecSignature"] != false || sentReq["nomFichier"] != req.NomFichier || sentReq["syntaxeFlux"] != req.SyntaxeFlux ||
		!strings.HasPrefix(sentReq["fichierFlux"].(string), "JVBERi0") {
		t.Fatalf("request %v", sentReq)
	}

	// Headers as in _meta.common_headers (cpro-account = base64 of the example login:password).
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(ex.OAuth.Response200, &tok)
	h := s.headers[len(s.headers)-1]
	for name, v := range ex.Meta.CommonHeaders {
		if name == "Authorization" {
			v = "Bearer " + tok.AccessToken
		}
		if got := h.Get(name); got != v {
			t.Errorf("header %s = %q, want %q", name, got, v)
		}
	}
	if ua := h.Get("User-Agent"); ua != "facteur/"+chorus.Version {
		t.Errorf("User-Agent %q", ua)
	}

	// The token request has the example's form fields.
	wantForm, _ := url.ParseQuery(ex.OAuth.RequestForm)
	gotForm := s.forms[0]
	for k := range wantForm {
		if gotForm.Get(k) == "" {
			t.Errorf("token form lacks %s", k)
		}
	}
	if len(gotForm) != len(wantForm) || gotForm.Get("grant_type") != wantForm.Get("grant_type") || gotForm.Get("scope") != wantForm.Get("scope") ||
		gotForm.Get("client_id") != wantForm.Get("client_id") {
		t.Errorf("token form %v, example %v", gotForm, wantForm)
	}

	// The business-error example is a permanent error carrying codeRetour and libelle.
	s.set(ex.Deposer.Path, 200, nil, ex.Deposer.BusinessError)
	_, err = c.DeposerFlux(context.Background(), chorus.DepositRequest{File: pdf, FileName: req.NomFichier, Syntax: req.SyntaxeFlux})
	var e *chorus.Error
	if !errors.As(err, &e) || e.Code != 20001 || e.Label != "GDP_MSG_11.022" || chorus.IsTransient(err) || chorus.MaybeDeposited(err) {
		t.Fatalf("business error: %#v", err)
	}
	if s.tokenHits != 1 {
		t.Fatalf("%d token requests", s.tokenHits)
	}
}

func TestExamplesConsulterCRDetaille(t *testing.T) {
	ex := loadExamples(t)
	var path string
	_ = json.Unmarshal(ex.CR["path"], &path)
	var request json.RawMessage = ex.CR["request"]
	var req struct{ NumeroFluxDepot string }
	_ = json.Unmarshal(request, &req)

	s := newStub(t, ex.OAuth.Response200)
	c := s.client(t, nil)
	outcomes := map[string]string{
		"response_pending":     chorus.OutcomePending,
		"response_integrated":  chorus.OutcomeIntegrated,
		"response_rejected":    chorus.OutcomeRejected,
		"response_irrecevable": chorus.OutcomeRejected,
	}
	seen := 0
	for name, raw := range ex.CR {
		if !strings.HasPrefix(name, "response_") {
			continue
		}
		seen++
		variants := map[string][]byte{"": raw}
		// The official example renders listeErreurDP as a single object.
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if l, ok := m["listeErreurDP"].([]any); ok && len(l) == 1 {
			m["listeErreurDP"] = l[0]
			variants[" (object)"], _ = json.Marshal(m)
		}
		for suffix, body := range variants {
			s.set(path, 200, nil, body)
			rep, err := c.ConsulterCRDetaille(context.Background(), req.NumeroFluxDepot)
			if err != nil {
				t.Fatalf("%s%s: %v", name, suffix, err)
			}
			var want struct {
				Etat      string `json:"etatCourantDepotFlux"`
				DateDepot string `json:"dateDepotFlux"`
				DateEtat  string `json:"dateHeureEtatCourantFlux"`
				DP        []struct {
					F string `json:"identifiantFournisseur"`
					D string `json:"identifiantDestinataire"`
					N string `json:"numeroDP"`
					L string `json:"libelleErreurDP"`
				} `json:"listeErreurDP"`
				Tech []struct {
					C string `json:"codeErreur"`
					L string `json:"libelleErreur"`
					N string `json:"natureErreur"`
				} `json:"listeErreurTechnique"`
			}
			_ = json.Unmarshal(raw, &want)
			if rep.State != want.Etat || rep.DepositedAt != want.DateDepot || rep.StateAt != want.DateEtat ||
				len(rep.InvoiceErrors) != len(want.DP) || len(rep.TechnicalErrors) != len(want.Tech) {
				t.Fatalf("%s%s: decoded %+v", name, suffix, rep)
			}
			for i, d := range want.DP {
				if got := rep.InvoiceErrors[i]; got != (chorus.InvoiceError{SupplierID: d.F, RecipientID: d.D, InvoiceNumber: d.N, Message: d.L}) {
					t.Fatalf("%s%s: invoice error %+v", name, suffix, got)
				}
			}
			for i, d := range want.Tech {
				if got := rep.TechnicalErrors[i]; got != (chorus.TechnicalError{Code: d.C, Message: d.L, Nature: d.N}) {
					t.Fatalf("%s%s: technical error %+v", name, suffix, got)
				}
			}
			if o, ok := outcomes[name]; ok && chorus.FlowOutcome(rep.State) != o {
				t.Errorf("%s: FlowOutcome(%s) = %s, want %s", name, rep.State, chorus.FlowOutcome(rep.State), o)
			}
		}
	}
	if seen < 4 {
		t.Fatalf("only %d response examples", seen)
	}
	for _, sent := range s.bodies[path] {
		if got, want := shape(t, sent), shape(t, request); !reflect.DeepEqual(got, want) {
			t.Fatalf("request shape %v (%v), example %v", got, keys(got), want)
		}
		if !strings.Contains(string(sent), req.NumeroFluxDepot) {
			t.Fatalf("request %s", sent)
		}
	}
}

func TestExamplesErrors(t *testing.T) {
	ex := loadExamples(t)
	const path = "/cpro/transverses/v1/consulterCRDetaille"
	s := newStub(t, ex.OAuth.Response200)
	c := s.client(t, nil)

	s.set(path, 200, nil, ex.Errors.Business)
	_, err := c.ConsulterCRDetaille(context.Background(), "CPP0011117000000000731942")
	var e *chorus.Error
	if !errors.As(err, &e) || e.Code != 20002 || e.Label != "GDP_MSG_11.033" || chorus.IsTransient(err) {
		t.Fatalf("business error: %#v", err)
	}

	s.set(path, ex.Errors.HTTP401.Status, ex.Errors.HTTP401.Headers, nil)
	before := len(s.bodies[path])
	_, err = c.ConsulterCRDetaille(context.Background(), "CPP0011117000000000731942")
	if !errors.As(err, &e) || e.HTTPStatus != 401 || chorus.IsTransient(err) ||
		!strings.Contains(err.Error(), "cpro-account") || !strings.Contains(err.Error(), "login or password incorrects") {
		t.Fatalf("401: %v", err)
	}
	if n := len(s.bodies[path]) - before; n != 2 {
		t.Fatalf("401: %d attempts, want 2 (one retry)", n)
	}

	s.set(path, ex.Errors.HTTP403.Status, nil, nil)
	_, err = c.ConsulterCRDetaille(context.Background(), "CPP0011117000000000731942")
	if !errors.As(err, &e) || e.HTTPStatus != 403 || chorus.IsTransient(err) {
		t.Fatalf("403: %v", err)
	}

	// The bad-client token example: permanent, with the OAuth error.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write(ex.OAuth.Response400)
	}))
	defer bad.Close()
	c2 := s.client(t, func(cfg *chorus.Config) { cfg.TokenURL = bad.URL + "/api/oauth/token" })
	_, err = c2.ConsulterCRDetaille(context.Background(), "CPP0011117000000000731942")
	if !errors.As(err, &e) || e.Op != "token" || e.HTTPStatus != 400 || !strings.Contains(e.Label, "invalid_client") || chorus.IsTransient(err) {
		t.Fatalf("bad client: %v", err)
	}
}
