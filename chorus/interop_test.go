package chorus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
)

// Interoperability with a server that follows the reference but is not our
// sandbox.

// recordingListener keeps a copy of every byte the server reads.
type recordingListener struct {
	net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, l: l}, nil
}

func (l *recordingListener) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.l.buf.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

// The header name goes on the wire as the reference spells it (§1.3):
// "cpro-account", not Go's canonical "Cpro-Account".
func TestCproAccountHeaderNameOnTheWire(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingListener{Listener: ln}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/oauth/token" {
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		_, _ = w.Write([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","etatCourantDepotFlux":"IN_INTEGRE"}`))
	}))
	srv.Listener = rec
	srv.Start()
	defer srv.Close()
	c, err := chorus.New(chorus.Config{APIURL: srv.URL, TokenURL: srv.URL + "/api/oauth/token", ClientID: "id", ClientSecret: "s",
		Login: "TECH_1_x@cpro.fr", Password: "pw", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConsulterCRDetaille(context.Background(), "CPP0011117000000000731942"); err != nil {
		t.Fatal(err)
	}
	raw := rec.bytes()
	if !bytes.Contains(raw, []byte("\r\ncpro-account: ")) || bytes.Contains(raw, []byte("Cpro-Account")) {
		t.Fatalf("request headers on the wire:\n%s", raw)
	}
}

// rechercherServicesStructure paging given at the top level of the answer,
// or only by a total larger than the page the server chose to send.
func TestServicesPagingVariants(t *testing.T) {
	for _, tc := range []struct {
		name   string
		paging func(page int) string
	}{
		{"top level", func(page int) string { return fmt.Sprintf(`"pageCourante":%d,"pages":2,"total":3`, page) }},
		{"total only", func(int) string { return `"parametresRetour":{"total":3}` }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/api/oauth/token" {
					_, _ = w.Write([]byte(`{"access_token":"tok","expires_in":3600}`))
					return
				}
				var req struct {
					P struct {
						Page int `json:"pageResultatDemandee"`
					} `json:"parametresRechercherServicesStructure"`
				}
				_ = json.NewDecoder(r.Body).Decode(&req)
				// Two services on page 1, one on page 2, whatever was asked.
				list := `[{"idService":1,"codeService":"A","estActif":true},{"idService":2,"codeService":"B","estActif":true}]`
				switch req.P.Page {
				case 1:
				case 2:
					list = `[{"idService":3,"codeService":"C","estActif":true}]`
				default:
					list = `[]`
				}
				fmt.Fprintf(w, `{"codeRetour":0,"libelle":"TRA_MSG_00.000","listeServices":%s,%s}`, list, tc.paging(req.P.Page))
			}))
			defer srv.Close()
			c, err := chorus.New(chorus.Config{APIURL: srv.URL, TokenURL: srv.URL + "/api/oauth/token", ClientID: "id", ClientSecret: "s",
				Login: "l", Password: "p", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.RechercherServicesStructure(context.Background(), 27815403)
			if err != nil || len(l) != 3 || l[2].Code != "C" {
				t.Fatalf("%+v %v", l, err)
			}
		})
	}
}

// modePaiement VIREMENT needs codeCoordonneesBancairesFournisseur
// (reference §2.6): without bank details the client must not declare a
// transfer by default; the sandbox refuses such a submission.
func TestSubmissionPaymentMode(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	ctx := context.Background()
	up, err := p.client.AjouterFichier(ctx, chorus.Attachment{File: []byte("%PDF-1.4\n"), Name: "PM-1.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	sub := chorus.Submission{
		InvoiceNumber: "PM-1", InvoiceDate: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC),
		RecipientSIRET: "20007189200067", SupplierID: supplierID, Engagement: "EJ-1",
		Totals:       chorus.Totals{ExclVAT: "100.00", VAT: "20.00", InclVAT: "120.00", Payable: "120.00"},
		AttachmentID: up,
	}
	if _, err := p.client.Soumettre(ctx, sub); err != nil {
		t.Fatalf("default payment mode without bank details: %v", err)
	}
	s := sub
	s.InvoiceNumber, s.PaymentMode = "PM-2", "VIREMENT"
	var e *chorus.Error
	if _, err := p.client.Soumettre(ctx, s); !errors.As(err, &e) || e.Code == 0 || !strings.Contains(e.Label, "codeCoordonneesBancairesFournisseur") {
		t.Fatalf("transfer without bank details: %v", err)
	}
	s.BankDetailsID = bankDetailsID
	if _, err := p.client.Soumettre(ctx, s); err != nil {
		t.Fatalf("transfer with bank details: %v", err)
	}

	// Pre-flight: nothing sent.
	before := p.calls.Load()
	for name, mod := range map[string]func(*chorus.Submission){
		"no total excl. VAT": func(s *chorus.Submission) { s.Totals.ExclVAT = "" },
		"no VAT total":       func(s *chorus.Submission) { s.Totals.VAT = "" },
		"unknown mode":       func(s *chorus.Submission) { s.PaymentMode = "CARTE" },
		"long designation":   func(s *chorus.Submission) { s.AttachmentDesignation = strings.Repeat("x", 101) },
		"bad line amount": func(s *chorus.Submission) {
			s.Lines = []chorus.Line{{Designation: "x", Quantity: "1", UnitPrice: "1,5 €", VATRate: "20"}}
		},
		"line without VAT": func(s *chorus.Submission) { s.Lines = []chorus.Line{{Designation: "x", Quantity: "1", UnitPrice: "1"}} },
		"bad VAT line":     func(s *chorus.Submission) { s.VATLines = []chorus.VATLine{{VATRate: "20", Base: "x", VAT: "1"}} },
	} {
		s := sub
		s.InvoiceNumber = "PM-3"
		mod(&s)
		if _, err := p.client.Soumettre(ctx, s); !errors.Is(err, chorus.ErrInvalidRequest) {
			t.Errorf("pre-flight %s: %v", name, err)
		}
	}
	if n := p.calls.Load(); n != before {
		t.Fatalf("pre-flight failures made %d calls", n-before)
	}
}

// A structure whose statut comes in another case is still active.
func TestRulesStatusCase(t *testing.T) {
	rc := chorus.NewRulesCache(lowerCaseDir{}, time.Hour, nil)
	r, err := rc.Get(context.Background(), "20007189200067")
	if err != nil || !r.Known || !r.Active || r.Check("EJ-1", "") != nil {
		t.Fatalf("%+v %v", r, err)
	}
}

type lowerCaseDir struct{ chorus.StructureDirectory }

func (lowerCaseDir) RechercherStructure(_ context.Context, siret string) ([]chorus.StructureSummary, error) {
	return []chorus.StructureSummary{{ID: 1, Identifier: siret, Status: "active"}}, nil
}

func (lowerCaseDir) ConsulterStructure(context.Context, int64) (*chorus.StructureDetails, error) {
	return &chorus.StructureDetails{ID: 1}, nil
}

func (lowerCaseDir) RechercherServicesStructure(context.Context, int64) ([]chorus.ServiceSummary, error) {
	return nil, nil
}
