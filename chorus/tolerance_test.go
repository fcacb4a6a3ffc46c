package chorus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Answers a server faithful to the reference may send, in shapes the
// examples do not show: each must decode (reference §2, "be tolerant").
func TestDecodersTolerateVariants(t *testing.T) {
	t.Run("byte order mark", func(t *testing.T) {
		rep, err := decodeCRDetaille([]byte("\xef\xbb\xbf" + `{"codeRetour":0,"libelle":"TRA_MSG_00.000","etatCourantDepotFlux":"IN_INTEGRE"}`))
		if err != nil || rep.State != "IN_INTEGRE" {
			t.Fatalf("%+v %v", rep, err)
		}
	})
	t.Run("consulterCR state name", func(t *testing.T) {
		rep, err := decodeCRDetaille([]byte(`{"codeRetour":0,"etatCourantFlux":"IN_REJETE","listeErreurDP":"","listeErreurTechnique":""}`))
		if err != nil || rep.State != "IN_REJETE" || rep.InvoiceErrors != nil || rep.TechnicalErrors != nil {
			t.Fatalf("%+v %v", rep, err)
		}
	})
	t.Run("empty blocks as []", func(t *testing.T) {
		h, err := decodeHistorique([]byte(`{"codeRetour":0,"idFacture":"7","statutCourantCode":"DEPOSEE","historiquesDesStatuts":[],"derniereAction":[]}`))
		if err != nil || h.Status != "DEPOSEE" || h.InvoiceID != 7 || len(h.Changes) != 0 {
			t.Fatalf("%+v %v", h, err)
		}
		d, err := decodeConsulterStructure([]byte(`{"codeRetour":0,"informationGenerales":{"idStructureCPP":5},"parametres":[]}`))
		if err != nil || d.ID != 5 || d.ServiceRequired {
			t.Fatalf("%+v %v", d, err)
		}
		sd, err := decodeConsulterService([]byte(`{"codeRetour":0,"informationsGenerales":[],"parametres":{"numeroEngagement":"true"}}`))
		if err != nil || !sd.EngagementRequired {
			t.Fatalf("%+v %v", sd, err)
		}
		r, err := decodeSearch(opRechercherFournisseur, []byte(`{"codeRetour":0,"listeFactures":[],"parametresRetour":[]}`))
		if err != nil || len(r.Invoices) != 0 {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("history newest first, no current status", func(t *testing.T) {
		h, err := decodeHistorique([]byte(`{"codeRetour":0,"historiquesDesStatuts":{"histoStatut":[
			{"histoStatutId":3,"histoStatutCode":"SUSPENDUE","histoStatutDatePassage":"2025-04-20 10:00","histoStatutCommentaire":"second motif"},
			{"histoStatutId":2,"histoStatutCode":"SUSPENDUE","histoStatutDatePassage":"2025-04-10 10:00","histoStatutCommentaire":"premier motif"},
			{"histoStatutId":1,"histoStatutCode":"DEPOSEE","histoStatutDatePassage":"2025-04-02 10:16"}]}}`))
		if err != nil || h.Status != "SUSPENDUE" || h.Reason() != "second motif" || h.Changes[0].Status != "DEPOSEE" {
			t.Fatalf("%+v %v", h, err)
		}
		// Same minute: the id orders them.
		h, err = decodeHistorique([]byte(`{"codeRetour":0,"historiquesDesStatuts":{"histoStatut":[
			{"histoStatutId":2,"histoStatutCode":"MISE_A_DISPOSITION","histoStatutDatePassage":"2025-04-02 10:16"},
			{"histoStatutId":1,"histoStatutCode":"DEPOSEE","histoStatutDatePassage":"2025-04-02 10:16"}]}}`))
		if err != nil || h.Status != "MISE_A_DISPOSITION" {
			t.Fatalf("%+v %v", h, err)
		}
	})
	t.Run("service activity without estActif", func(t *testing.T) {
		l, err := decodeRechercherServices([]byte(`{"codeRetour":0,"listeServices":[
			{"idService":1,"codeService":"A","statutService":"ACTIF"},
			{"idService":2,"codeService":"B","statutService":"INACTIF"},
			{"idService":3,"codeService":"C"},
			{"idService":4,"codeService":"D","estActif":false,"statutService":"ACTIF"}]}`))
		if err != nil || len(l) != 4 || !l[0].Active || l[1].Active || !l[2].Active || l[3].Active {
			t.Fatalf("%+v %v", l, err)
		}
	})
	t.Run("unreadable informational amounts", func(t *testing.T) {
		r, err := decodeDeposerPDF([]byte(`{"codeRetour":0,"pieceJointeId":9,"montantAPayer":"3 000,00 EUR","montantHtTotal":2500.0,"montantTVA":{}}`))
		if err != nil || r.AttachmentID != 9 || r.Payable != "" || r.TotalExclVAT != "2500.0" || r.VAT != "" {
			t.Fatalf("%+v %v", r, err)
		}
		s, err := decodeSearch(opRechercherFournisseur, []byte(`{"codeRetour":0,"listeFactures":[{"identifiantFactureCPP":1,"numeroFacture":"A-1","montantTTC":"n/a"}]}`))
		if err != nil || len(s.Invoices) != 1 || s.Invoices[0].ID != 1 || s.Invoices[0].InclVAT != "" {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("paging split between parametresRetour and top level", func(t *testing.T) {
		r, err := decodeSearch(opRechercherFournisseur, []byte(`{"codeRetour":0,"listeFactures":[{"identifiantFactureCPP":1}],"parametresRetour":{},"pageCourante":1,"pages":3,"total":25}`))
		if err != nil || r.Pages != 3 || r.Total != 25 || r.Page != 1 {
			t.Fatalf("%+v %v", r, err)
		}
	})
}

// A token answer is usable as long as it has an access_token: odd
// expires_in or scope values, or a byte order mark, must not stop every call.
func TestTokenAnswerTolerance(t *testing.T) {
	for _, body := range []string{
		`{"access_token":"t","token_type":"Bearer","expires_in":3599.5,"scope":"openid"}`,
		`{"access_token":"t","token_type":"Bearer","expires_in":"3600","scope":["openid"]}`,
		"\xef\xbb\xbf" + `{"access_token":"t","expires_in":"soon"}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		c, err := New(Config{APIURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "s",
			Login: "l", Password: "p", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.getToken(context.Background())
		if err != nil || tok != "t" {
			t.Errorf("%q: %q %v", body, tok, err)
		}
		srv.Close()
	}
}
