package sandbox

import (
	"encoding/base64"
	"strings"
	"testing"
)

// soumettreFacture checks what the reference requires (§2.6): a known
// modePaiement, the bank details id for a transfer, and every total of
// montantTotal except the global discount.
func TestSoumettreRequiredFields(t *testing.T) {
	h := start(t, 0)
	_, att := h.post(pathAjouterFichier, map[string]any{
		"pieceJointeFichier": base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n")), "pieceJointeNom": "F-1.pdf",
		"pieceJointeTypeMime": "application/pdf", "pieceJointeExtension": "pdf",
	}, nil)
	id, ok := att["pieceJointeId"].(float64)
	if !ok {
		t.Fatalf("ajouter/fichier: %v", att)
	}
	body := func(number, mode string, bank int64, totals map[string]any) map[string]any {
		fournisseur := map[string]any{"idFournisseur": 31544902}
		if bank > 0 {
			fournisseur["codeCoordonneesBancairesFournisseur"] = bank
		}
		return map[string]any{
			"modeDepot": "DEPOT_PDF_API", "numeroFactureSaisi": number, "dateFacture": "2026-10-30",
			"destinataire": map[string]any{"codeDestinataire": "20007189200067"}, "fournisseur": fournisseur,
			"cadreDeFacturation": map[string]any{"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
			"references": map[string]any{"deviseFacture": "EUR", "typeFacture": "FACTURE", "typeTva": "TVA_SUR_DEBIT",
				"numeroBonCommande": "EJ-1", "modePaiement": mode},
			"montantTotal":          totals,
			"pieceJointePrincipale": []any{map[string]any{"pieceJointePrincipaleDesignation": "Facture " + number, "pieceJointePrincipaleId": id}},
		}
	}
	full := map[string]any{"montantHtTotal": 100, "montantTVA": 20, "montantTtcTotal": 120, "montantAPayer": 120}
	noVAT := map[string]any{"montantHtTotal": 100, "montantTtcTotal": 120, "montantAPayer": 120}
	for _, tc := range []struct {
		name, number, mode string
		bank               int64
		totals             map[string]any
		refused            string // part of the libelle; "" = accepted
	}{
		{"transfer without bank details", "F-1", "VIREMENT", 0, full, "codeCoordonneesBancairesFournisseur"},
		{"unknown payment mode", "F-2", "CARTE", 0, full, "mode de paiement"},
		{"no VAT total", "F-3", "AUTRE", 0, noVAT, "TVA"},
		{"transfer with bank details", "F-4", "VIREMENT", 187654, full, ""},
		{"other payment mode", "F-5", "AUTRE", 0, full, ""},
	} {
		resp, out := h.post(pathSoumettre, body(tc.number, tc.mode, tc.bank, tc.totals), nil)
		code, _ := out["codeRetour"].(float64)
		libelle, _ := out["libelle"].(string)
		switch {
		case resp.StatusCode != 200:
			t.Errorf("%s: HTTP %d %v", tc.name, resp.StatusCode, out)
		case tc.refused == "" && code != 0:
			t.Errorf("%s: refused: %v", tc.name, out)
		case tc.refused != "" && (code == 0 || !strings.Contains(libelle, tc.refused)):
			t.Errorf("%s: %v, want a refusal naming %s", tc.name, out, tc.refused)
		}
	}
}
