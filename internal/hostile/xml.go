package hostile

import (
	"bytes"
	"fmt"
	"strings"

	"facteur/samples"
)

// entityDTDs are the document type declarations of the XML attacks, each
// defining the entity &x; that replaces the invoice number.
var entityDTDs = map[string]string{
	// Billion laughs: &x; expands to 10^9 "lol".
	"laughs": func() string {
		var b strings.Builder
		b.WriteString(`<!ENTITY l0 "lol">`)
		for i := 1; i <= 9; i++ {
			fmt.Fprintf(&b, `<!ENTITY l%d "%s">`, i, strings.Repeat(fmt.Sprintf("&l%d;", i-1), 10))
		}
		b.WriteString(`<!ENTITY x "&l9;">`)
		return b.String()
	}(),
	// XXE: an external entity naming a local file (an attacker would
	// read it back in our reply) and a parameter entity fetching a
	// remote DTD (only a loopback address: nothing may be fetched).
	"xxe": `<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;`,
}

// withDTD inserts a DOCTYPE defining &x; into xml and puts &x; in place of
// the invoice number.
func withDTD(xml []byte, root, number, kind string) []byte {
	doctype := "<!DOCTYPE " + root + " [" + entityDTDs[kind] + "]>\n"
	out := xml
	if i := bytes.Index(out, []byte("?>")); i >= 0 {
		out = append(append(append([]byte{}, out[:i+2]...), '\n'), append([]byte(doctype), out[i+2:]...)...)
	} else {
		out = append([]byte(doctype), out...)
	}
	return bytes.ReplaceAll(out, []byte(">"+number+"<"), []byte(">&x;<"))
}

func xmlMessage(id, subject, name string, xml []byte) []byte {
	return withAttachments(id, subject, attachment(`application/xml; name="`+name+`"`, `attachment; filename="`+name+`"`, xml))
}

func xmls() []File {
	var out []File
	for _, kind := range []string{"laughs", "xxe"} {
		what := map[string]string{"laughs": "billion laughs (10^9 expansions)", "xxe": "an external entity on /etc/passwd and a remote DTD"}[kind]
		n := map[string]string{"laughs": "1", "xxe": "2"}[kind]
		out = append(out,
			File{Name: "cii-" + kind + ".eml", Want: Answered, Note: "a CII invoice with " + what + " as its number",
				build: func() ([]byte, error) {
					num := "FH-CII-" + n
					return xmlMessage("cii-"+kind, "Facture "+num, num+".xml", withDTD(samples.CII(invoiceData(num)), "rsm:CrossIndustryInvoice", num, kind)), nil
				}},
			File{Name: "ubl-" + kind + ".eml", Want: Answered, Note: "a UBL invoice with " + what + " as its number",
				build: func() ([]byte, error) {
					num := "FH-UBL-" + n
					return xmlMessage("ubl-"+kind, "Facture "+num, num+".xml", withDTD(samples.UBL(invoiceData(num)), "Invoice", num, kind)), nil
				}},
			File{Name: "facturx-" + kind + ".eml", Want: Answered, Note: "a Factur-X whose embedded XML has " + what + " as its number",
				build: func() ([]byte, error) {
					num := "FH-FX-" + n
					inv := invoiceData(num)
					pdf, err := samples.FacturXWithXML(inv, withDTD(samples.CII(inv), "rsm:CrossIndustryInvoice", num, kind), "factur-x.xml")
					if err != nil {
						return nil, err
					}
					return pdfMessage("facturx-"+kind, "Facture "+num, num+".pdf", pdf), nil
				}},
		)
	}
	return out
}
