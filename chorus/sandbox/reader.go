package sandbox

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// The sandbox reads deposited files on its own, independently of Facteur's
// parser, and only as far as Chorus Pro routes on them: invoice number,
// seller and buyer SIRETs, service code (BT-10), engagement (BT-13).

// invoiceData is what the sandbox reads from a deposited invoice.
type invoiceData struct {
	Number         string
	SellerSIRET    string
	BuyerSIRET     string
	BuyerReference string // BT-10
	OrderReference string // BT-13
	UBL            bool   // element paths in messages follow UBL names
}

const maxXMLSize = 10 << 20

var pdfcpuOnce sync.Once

// pdfConfig returns a fresh pdfcpu configuration that never touches $HOME,
// with decoding limits sized for invoices.
func pdfConfig() *model.Configuration {
	pdfcpuOnce.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Limits.MaxStreamBytes = 32 << 20
	conf.Limits.MaxDecodeBytes = 32 << 20
	conf.Limits.MaxImageBytes = 32 << 20
	conf.Limits.MaxObjectCount = 1_000_000
	conf.Limits.MaxXRefEntries = 1_000_000
	conf.Limits.MaxObjectStreamCount = 100_000
	return conf
}

// facturXNames are the embedded file names accepted as the invoice XML, in
// order of preference (reference §4.4).
var facturXNames = []string{"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"}

// extractFacturX returns the embedded invoice XML of a Factur-X PDF.
func extractFacturX(pdf []byte) (xmlData []byte, err error) {
	defer func() {
		// pdfcpu is third-party code reading untrusted input: a panic in it
		// must not bring the fake server down.
		if r := recover(); r != nil {
			err = fmt.Errorf("lecture du PDF impossible (%v)", r)
		}
	}()
	atts, err := api.ExtractAttachmentsRaw(bytes.NewReader(pdf), "", nil, pdfConfig())
	if err != nil {
		return nil, fmt.Errorf("le PDF ne contient pas de pièce jointe lisible (%v)", err)
	}
	for _, want := range facturXNames {
		for _, a := range atts {
			if strings.EqualFold(a.FileName, want) || strings.EqualFold(a.ID, want) {
				data, err := io.ReadAll(io.LimitReader(a.Reader, maxXMLSize+1))
				if err != nil {
					return nil, fmt.Errorf("lecture de la pièce jointe %s impossible (%v)", want, err)
				}
				if len(data) > maxXMLSize {
					return nil, fmt.Errorf("la pièce jointe %s dépasse %d octets", want, maxXMLSize)
				}
				return data, nil
			}
		}
	}
	return nil, errors.New("le PDF ne contient pas de pièce jointe factur-x.xml")
}

// readInvoice reads the routing data of a deposited file of the given syntax.
// An error means the flow is not receivable (QP_IRRECEVABLE); its text is French.
func readInvoice(syntax string, data []byte) (invoiceData, error) {
	switch syntax {
	case syntaxFacturX:
		x, err := extractFacturX(data)
		if err != nil {
			return invoiceData{}, err
		}
		return readCII(x)
	case syntaxCII:
		return readCII(data)
	case syntaxUBL:
		return readUBL(data)
	}
	return invoiceData{}, fmt.Errorf("la syntaxe %s n'est pas prise en charge par ce bac à sable", syntax)
}

const (
	nsCII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsUBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsUBC = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

type schemedID struct {
	Scheme string `xml:"schemeID,attr"`
	Value  string `xml:",chardata"`
}

type ciiParty struct {
	GlobalID []schemedID `xml:"GlobalID"`
	LegalID  string      `xml:"SpecifiedLegalOrganization>ID"`
}

type ciiInvoice struct {
	XMLName   xml.Name
	Number    string `xml:"ExchangedDocument>ID"`
	Agreement struct {
		BuyerReference string   `xml:"BuyerReference"`
		Seller         ciiParty `xml:"SellerTradeParty"`
		Buyer          ciiParty `xml:"BuyerTradeParty"`
		Order          string   `xml:"BuyerOrderReferencedDocument>IssuerAssignedID"`
	} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeAgreement"`
}

func decodeXML(data []byte, v any) error {
	if len(data) > maxXMLSize {
		return fmt.Errorf("le fichier XML dépasse %d octets", maxXMLSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	// Non-UTF-8 declarations are rare in e-invoices; accept ISO-8859-1 and
	// US-ASCII-compatible ones byte for byte rather than fail.
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "us-ascii", "ascii":
			return r, nil
		case "iso-8859-1", "latin1", "iso-8859-15", "windows-1252":
			return latin1Reader(r)
		}
		return nil, fmt.Errorf("encodage %q non pris en charge", label)
	}
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("le fichier XML n'a pas pu être lu (%v)", err)
	}
	return nil
}

func latin1Reader(r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxXMLSize))
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return strings.NewReader(sb.String()), nil
}

func readCII(data []byte) (invoiceData, error) {
	var inv ciiInvoice
	if err := decodeXML(data, &inv); err != nil {
		return invoiceData{}, err
	}
	if inv.XMLName.Local != "CrossIndustryInvoice" || inv.XMLName.Space != nsCII {
		return invoiceData{}, fmt.Errorf("l'élément racine %s n'est pas une facture CII (rsm:CrossIndustryInvoice attendu)", rootName(inv.XMLName))
	}
	return invoiceData{
		Number:         strings.TrimSpace(inv.Number),
		SellerSIRET:    ciiSIRET(inv.Agreement.Seller),
		BuyerSIRET:     ciiSIRET(inv.Agreement.Buyer),
		BuyerReference: strings.TrimSpace(inv.Agreement.BuyerReference),
		OrderReference: strings.TrimSpace(inv.Agreement.Order),
	}, nil
}

// ciiSIRET picks SpecifiedLegalOrganization/ID when it is 14 digits, else a
// GlobalID of scheme 0009, else whatever legal id there is (reference §4.2).
func ciiSIRET(p ciiParty) string {
	legal := compact(p.LegalID)
	if isSIRETShape(legal) {
		return legal
	}
	for _, g := range p.GlobalID {
		if strings.TrimSpace(g.Scheme) == "0009" {
			return compact(g.Value)
		}
	}
	return legal
}

type ublParty struct {
	Identification []schemedID `xml:"Party>PartyIdentification>ID"`
	CompanyID      []schemedID `xml:"Party>PartyLegalEntity>CompanyID"`
	Endpoint       schemedID   `xml:"Party>EndpointID"`
}

type ublInvoice struct {
	XMLName        xml.Name
	Number         string   `xml:"ID"`
	BuyerReference string   `xml:"BuyerReference"`
	Order          string   `xml:"OrderReference>ID"`
	Supplier       ublParty `xml:"AccountingSupplierParty"`
	Customer       ublParty `xml:"AccountingCustomerParty"`
}

func readUBL(data []byte) (invoiceData, error) {
	var inv ublInvoice
	if err := decodeXML(data, &inv); err != nil {
		return invoiceData{}, err
	}
	ok := (inv.XMLName.Local == "Invoice" && inv.XMLName.Space == nsUBL) ||
		(inv.XMLName.Local == "CreditNote" && inv.XMLName.Space == nsUBC)
	if !ok {
		return invoiceData{}, fmt.Errorf("l'élément racine %s n'est pas une facture UBL (Invoice attendu)", rootName(inv.XMLName))
	}
	return invoiceData{
		Number:         strings.TrimSpace(inv.Number),
		SellerSIRET:    ublSIRET(inv.Supplier),
		BuyerSIRET:     ublSIRET(inv.Customer),
		BuyerReference: strings.TrimSpace(inv.BuyerReference),
		OrderReference: strings.TrimSpace(inv.Order),
		UBL:            true,
	}, nil
}

// ublSIRET tries PartyIdentification/ID (scheme 0009 first, then any
// 14-digit value), then PartyLegalEntity/CompanyID, then EndpointID 0009.
func ublSIRET(p ublParty) string {
	for _, list := range [][]schemedID{p.Identification, p.CompanyID} {
		for _, id := range list {
			if strings.TrimSpace(id.Scheme) == "0009" {
				return compact(id.Value)
			}
		}
		for _, id := range list {
			if v := compact(id.Value); isSIRETShape(v) {
				return v
			}
		}
	}
	if strings.TrimSpace(p.Endpoint.Scheme) == "0009" {
		return compact(p.Endpoint.Value)
	}
	if len(p.Identification) > 0 {
		return compact(p.Identification[0].Value)
	}
	return ""
}

func compact(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func isSIRETShape(s string) bool {
	if len(s) != 14 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func rootName(n xml.Name) string {
	if n.Local == "" {
		return "(absent)"
	}
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}
