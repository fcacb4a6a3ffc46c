package chorus_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"facteur/chorus"
)

// Contract tests of the endpoints added for issue 5, driven by
// chorus-pro-examples.json: each client call must send a body with exactly
// the example's field names and JSON types (recursively), and decode the
// example's answer.

func loadRaw(t *testing.T) map[string]map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "reference", "chorus-pro-examples.json"))
	if err != nil {
		t.Skipf("examples: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]json.RawMessage{}
	for k, v := range m {
		var sub map[string]json.RawMessage
		if json.Unmarshal(v, &sub) == nil {
			out[k] = sub
		}
	}
	return out
}

// deepShape maps every key path of a JSON value to its JSON kind; arrays
// contribute the shape of their first element.
func deepShape(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			out[prefix] = "object"
			for k, e := range x {
				walk(prefix+"."+k, e)
			}
		case []any:
			out[prefix] = "array"
			if len(x) > 0 {
				walk(prefix+"[]", x[0])
			}
		default:
			out[prefix] = reflect.TypeOf(v).String()
		}
	}
	walk("", v)
	return out
}

func sameShape(t *testing.T, name string, sent, example []byte) {
	t.Helper()
	got, want := deepShape(t, sent), deepShape(t, example)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: example field %q (%s): sent %q", name, k, v, got[k])
		}
	}
	for k, v := range got {
		if want[k] == "" {
			t.Errorf("%s: sent field %q (%s) not in the example", name, k, v)
		}
	}
}

func str(t *testing.T, raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return s
}

func TestExamplesAllEndpoints(t *testing.T) {
	ex := loadRaw(t)
	oauth := ex["oauth_token"]["response_200"]
	ctx := context.Background()
	pdf := []byte("%PDF-1.4\n%test\n")
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		key, request, response string
		call                   func(c *chorus.Client) (any, error)
		check                  func(t *testing.T, got any)
	}{
		{"deposer_pdf_facture", "request", "response", func(c *chorus.Client) (any, error) {
			return c.DeposerPDF(ctx, chorus.PDFRequest{File: pdf, FileName: "AVP-2025-0142.pdf"})
		}, func(t *testing.T, got any) {
			r := got.(*chorus.PDFResult)
			if r.AttachmentID != 90412378 || r.InvoiceNumber != "AVP-2025-0142" || r.Payable != "3000.0" || r.Engagement != "2025-BC-004512" {
				t.Errorf("%+v", r)
			}
		}},
		{"ajouter_fichier_dans_systeme", "request", "response", func(c *chorus.Client) (any, error) {
			return c.AjouterFichier(ctx, chorus.Attachment{File: pdf, Name: "AVP-2025-0142.pdf"})
		}, func(t *testing.T, got any) {
			if got.(int64) != 90412377 {
				t.Errorf("%v", got)
			}
		}},
		{"soumettre_facture", "request", "response", func(c *chorus.Client) (any, error) {
			return c.Soumettre(ctx, chorus.Submission{
				InvoiceNumber: "AVP-2025-0142", InvoiceDate: date("2025-03-31"),
				RecipientSIRET: "20007189200067", ServiceCode: "DST-VOIRIE",
				SupplierID: 31544902, BankDetailsID: 187654,
				VATType: "TVA_SUR_DEBIT", ContractNumber: "2024-MAPA-017", Engagement: "2025-BC-004512",
				Lines: []chorus.Line{{Reference: "ENT-EV-03", Designation: "Entretien des espaces verts - mars 2025",
					Quantity: "1", Unit: "forfait", UnitPrice: "2500.0", Discount: "0", VATRate: "20"}},
				VATLines:     []chorus.VATLine{{VATRate: "20", Base: "2500.0", VAT: "500.0"}},
				Totals:       chorus.Totals{ExclVAT: "2500.0", VAT: "500.0", InclVAT: "3000.0", Discount: "0", Payable: "3000.0"},
				AttachmentID: 90412377, AttachmentDesignation: "Facture AVP-2025-0142",
				Comment: "Marche 2024-MAPA-017 - lot 2",
			})
		}, func(t *testing.T, got any) {
			r := got.(*chorus.SubmitResult)
			if r.InvoiceID != 142987655 || r.Status != "DEPOSEE" || r.DepositDate != "2025-04-02" || r.CertificateFingerprint == "" {
				t.Errorf("%+v", r)
			}
		}},
		{"rechercher_structure", "request", "response", func(c *chorus.Client) (any, error) {
			return c.RechercherStructure(ctx, "20007189200067")
		}, func(t *testing.T, got any) {
			l := got.([]chorus.StructureSummary)
			if len(l) != 1 || l[0].ID != 27815403 || l[0].Status != "ACTIVE" || l[0].Identifier != "20007189200067" {
				t.Errorf("%+v", l)
			}
		}},
		{"consulter_structure", "request", "response", func(c *chorus.Client) (any, error) {
			return c.ConsulterStructure(ctx, 27815403)
		}, func(t *testing.T, got any) {
			d := got.(*chorus.StructureDetails)
			if !d.ServiceRequired || d.EngagementRequired || d.EJOrService || d.PublicPrivate != "PUBLIQUE" || d.ID != 27815403 {
				t.Errorf("%+v", d)
			}
		}},
		{"rechercher_services_structure", "request", "response", func(c *chorus.Client) (any, error) {
			return c.RechercherServicesStructure(ctx, 27815403)
		}, func(t *testing.T, got any) {
			l := got.([]chorus.ServiceSummary)
			if len(l) != 3 || l[0].Code != "DST-VOIRIE" || l[0].ID != 11208871 || !l[0].Active {
				t.Errorf("%+v", l)
			}
		}},
		{"consulter_service_structure", "request", "response", func(c *chorus.Client) (any, error) {
			return c.ConsulterServiceStructure(ctx, 27815403, 11208871)
		}, func(t *testing.T, got any) {
			d := got.(*chorus.ServiceDetails)
			if !d.EngagementRequired || d.Code != "DST-VOIRIE" {
				t.Errorf("%+v", d)
			}
		}},
		{"rechercher_facture_par_fournisseur", "request_by_flow", "response_found", func(c *chorus.Client) (any, error) {
			return c.FindInvoiceByFlow(ctx, "CPP0011117000000000731942")
		}, func(t *testing.T, got any) {
			l := got.([]chorus.InvoiceSummary)
			if len(l) != 1 || l[0].ID != 142987655 || l[0].Status != "MISE_A_DISPOSITION" || l[0].InclVAT != "3000.0" || l[0].RecipientID != 27815403 {
				t.Errorf("%+v", l)
			}
		}},
		{"rechercher_facture_par_fournisseur", "request_duplicate_check", "response_not_found", func(c *chorus.Client) (any, error) {
			return c.FindSupplierInvoice(ctx, "AVP-2025-0142", 31544902, "", date("2025-01-01"), date("2025-12-31"))
		}, func(t *testing.T, got any) {
			if l := got.([]chorus.InvoiceSummary); len(l) != 0 {
				t.Errorf("%+v", l)
			}
		}},
		{"rechercher_facture_par_recipiendaire", "request", "response_found", func(c *chorus.Client) (any, error) {
			return c.RechercherFactureParRecipiendaire(ctx, chorus.RecipientSearch{InvoiceNumber: "AVP-2025-0142", SupplierIDs: []int64{31544902}, RecipientID: 27815403})
		}, func(t *testing.T, got any) {
			r := got.(*chorus.SearchResult)
			if len(r.Invoices) != 1 || r.Invoices[0].ID != 142987655 || r.Total != 1 || r.Pages != 1 {
				t.Errorf("%+v", r)
			}
		}},
		{"rechercher_facture_par_recipiendaire", "request", "response_not_found", func(c *chorus.Client) (any, error) {
			return c.RechercherFactureParRecipiendaire(ctx, chorus.RecipientSearch{InvoiceNumber: "AVP-2025-0142", SupplierIDs: []int64{31544902}, RecipientID: 27815403})
		}, func(t *testing.T, got any) {
			if r := got.(*chorus.SearchResult); len(r.Invoices) != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"consulter_historique_facture", "request", "response", func(c *chorus.Client) (any, error) {
			return c.ConsulterHistoriqueFacture(ctx, 142987655)
		}, func(t *testing.T, got any) {
			h := got.(*chorus.InvoiceHistory)
			if h.Status != "MISE_EN_PAIEMENT" || len(h.Changes) != 5 || h.Changes[2].User != "Claire DUPONT" || chorus.LifecycleOutcome(h.Status) != chorus.LifecyclePaid || h.LastAction != "TELECHARGEMENT_FACTURE" {
				t.Errorf("%+v", h)
			}
			if at, ok := chorus.ParseTime(h.Changes[4].At); !ok || at.Day() != 22 {
				t.Errorf("date %q", h.Changes[4].At)
			}
		}},
		{"recuperer_structures_actives_pour_fournisseur", "request", "response", func(c *chorus.Client) (any, error) {
			return c.RecupererStructuresActivesPourFournisseur(ctx)
		}, func(t *testing.T, got any) {
			l := got.([]chorus.SupplierStructure)
			if len(l) != 1 || l[0].ID != 31544902 || l[0].SIRET != "84512367800011" {
				t.Errorf("%+v", l)
			}
		}},
		{"recuperer_coordonnees_bancaires_valides", "request", "response", func(c *chorus.Client) (any, error) {
			return c.RecupererCoordonneesBancairesValides(ctx, 31544902)
		}, func(t *testing.T, got any) {
			l := got.([]chorus.BankDetails)
			if len(l) != 1 || l[0].ID != 187654 || l[0].Name != "Compte principal" {
				t.Errorf("%+v", l)
			}
		}},
	} {
		t.Run(tc.key+"/"+tc.response, func(t *testing.T) {
			e := ex[tc.key]
			if e == nil || e[tc.request] == nil || e[tc.response] == nil {
				t.Fatalf("example %s lacks %s or %s", tc.key, tc.request, tc.response)
			}
			path := str(t, e["path"])
			s := newStub(t, oauth)
			s.set(path, 200, nil, e[tc.response])
			got, err := tc.call(s.client(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
			s.mu.Lock()
			bodies := s.bodies[path]
			s.mu.Unlock()
			if len(bodies) == 0 {
				t.Fatal("nothing sent")
			}
			sameShape(t, tc.key, bodies[0], e[tc.request])
		})
	}
}
