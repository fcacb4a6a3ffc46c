package chorus

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"facteur/ident"
)

// decoders are the client's decodings of untrusted answer bodies (after a
// 200), one per endpoint.
var decoders = map[string]func([]byte) (any, error){
	"consulterCRDetaille":      func(b []byte) (any, error) { return decodeCRDetaille(b) },
	"deposer/pdf":              func(b []byte) (any, error) { return decodeDeposerPDF(b) },
	"ajouter/fichier":          func(b []byte) (any, error) { return decodeAjouterFichier(b) },
	"soumettre":                func(b []byte) (any, error) { return decodeSoumettre(b) },
	"structures/rechercher":    func(b []byte) (any, error) { return decodeRechercherStructure(b) },
	"structures/consulter":     func(b []byte) (any, error) { return decodeConsulterStructure(b) },
	"rechercher/services":      func(b []byte) (any, error) { return decodeRechercherServices(b) },
	"consulter/service":        func(b []byte) (any, error) { return decodeConsulterService(b) },
	"rechercher/fournisseur":   func(b []byte) (any, error) { return decodeSearch(opRechercherFournisseur, b) },
	"rechercher/recipiendaire": func(b []byte) (any, error) { return decodeSearch(opRechercherRecipiendaire, b) },
	"consulter/historique":     func(b []byte) (any, error) { return decodeHistorique(b) },
	"structures/actives":       func(b []byte) (any, error) { return decodeStructuresActives(b) },
}

// FuzzResponseDecoders feeds arbitrary bodies to every decoder: each must
// return a value or a lone *Error (a business error or a transient one),
// never panic. Seeds: every response of chorus-pro-examples.json and a few
// malformed variants.
func FuzzResponseDecoders(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "shared", "reference", "chorus-pro-examples.json")); err == nil {
		var ex map[string]map[string]json.RawMessage
		_ = json.Unmarshal(data, &ex)
		for _, ep := range ex {
			for k, v := range ep {
				if len(k) >= 8 && k[:8] == "response" {
					f.Add([]byte(v))
				}
			}
		}
	}
	for _, s := range []string{
		`{"codeRetour":20000,"libelle":"TRA_MSG_00.015"}`,
		`{"codeRetour":0,"listeFactures":{"identifiantFactureCPP":"12","montantTTC":"1e400"}}`,
		`{"codeRetour":0,"listeStructures":[null,{"idStructureCPP":9223372036854775807}]}`,
		`{"codeRetour":0,"parametres":{"numeroEJDoitEtreRenseigne":"oui"},"historiquesDesStatuts":{"histoStatut":{}}}`,
		`{"codeRetour":0,"pieceJointeId":1.5}`, `null`, `[]`, `<html>`, `{"codeRetour":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, dec := range decoders {
			_, err := dec(data)
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: error %v is not an *Error", name, err)
			}
			if e.Code == 0 && !e.Transient {
				t.Fatalf("%s: decoding failure neither business nor transient: %v", name, err)
			}
		}
	})
}

func TestAmountAndFlexDecoding(t *testing.T) {
	for in, want := range map[string]Amount{`3000.0`: "3000.0", `"12,5"`: "", `"12.50"`: "12.50", `null`: "", `-0.000001`: "-0.000001"} {
		var a Amount
		err := json.Unmarshal([]byte(in), &a)
		if want == "" && in == `"12,5"` {
			if err == nil {
				t.Errorf("%s accepted as %q", in, a)
			}
			continue
		}
		if err != nil || a != want {
			t.Errorf("%s: %q %v", in, a, err)
		}
	}
	if a, err := ParseAmount(" 12,5 "); err != nil || a != "12.5" {
		t.Errorf("ParseAmount: %q %v", a, err)
	}
	if _, err := json.Marshal(Amount("1e3")); err == nil {
		t.Error("1e3 marshalled")
	}
	var b struct {
		A flexBool  `json:"a"`
		N flexInt64 `json:"n"`
	}
	if err := json.Unmarshal([]byte(`{"a":"true","n":"142987655000"}`), &b); err != nil || !bool(b.A) || b.N != 142987655000 {
		t.Errorf("%+v %v", b, err)
	}
	for _, s := range []string{"2025-04-02", "2025-04-14 08:02", "2025-04-02T10:14:03.512+02:00", "2019-01-07T09:12:00.000Z"} {
		if _, ok := ParseTime(s); !ok {
			t.Errorf("ParseTime(%q)", s)
		}
	}
}

func TestPreflightHelpers(t *testing.T) {
	for n, ok := range map[string]bool{"AVP-2025-0142": true, "A/B_C+D": true, "": false, "123456789012345678901": false, "FA 1": false, "FAé1": false} {
		if (CheckInvoiceNumber(n) == nil) != ok {
			t.Errorf("CheckInvoiceNumber(%q)", n)
		}
	}
	for s, ok := range map[string]bool{"20007189200067": true, "84512367800011": true, "35600000000048": true, "20007189200068": false, "2000718920006": false, "2000718920006A": false} {
		if ident.ValidSIRET(s) != ok {
			t.Errorf("ident.ValidSIRET(%q)", s)
		}
	}
	for _, tc := range []struct {
		name string
		size int
		ok   bool
	}{{"f.pdf", 10, true}, {"F.PDF", MaxAttachmentSize, true}, {"f.pdf", MaxAttachmentSize + 1, false}, {"f.exe", 10, false},
		{"f", 10, false}, {"f.pdf", 0, false}, {"a/f.pdf", 10, false}} {
		if (CheckAttachment(tc.name, tc.size) == nil) != tc.ok {
			t.Errorf("CheckAttachment(%q, %d)", tc.name, tc.size)
		}
	}
}
