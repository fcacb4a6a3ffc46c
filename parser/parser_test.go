package parser

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, raw []byte) *Message {
	t.Helper()
	m, err := Parse(raw, Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestHeadersAndFacturXInline(t *testing.T) {
	pdf := makePDF(t, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	raw := mimeMessage(stdHeader+"\r\nReply-To: compta@plomberie-picarde.fr\r\nCc: \"Dupont, Jean\" <j.dupont@plomberie-picarde.fr>\r\n"+
		"In-Reply-To: <FAC-2026-000123.x1@casq.fr>\r\nReferences: <a@b> <FAC-2026-000123.x1@casq.fr>\r\nReturn-Path: <f.martin@plomberie-picarde.fr>",
		part{plainPart, "Bonjour,\r\nVeuillez trouver ci-joint notre facture.\r\nCordialement"},
		part{"Content-Type: application/pdf; name=\"facture.pdf\"\r\nContent-Disposition: inline; filename=\"facture.pdf\"\r\nContent-Transfer-Encoding: base64", b64(pdf)},
	)
	m := mustParse(t, raw)
	if m.MessageID != "abc123@plomberie-picarde.fr" || m.InReplyTo != "FAC-2026-000123.x1@casq.fr" {
		t.Errorf("ids: %q %q", m.MessageID, m.InReplyTo)
	}
	if len(m.References) != 2 || m.References[1] != "FAC-2026-000123.x1@casq.fr" {
		t.Errorf("references: %q", m.References)
	}
	if m.From.Name != "Françoise Martin" || m.From.Addr != "f.martin@plomberie-picarde.fr" {
		t.Errorf("from: %+v", m.From)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Addr != "compta@plomberie-picarde.fr" {
		t.Errorf("reply-to: %+v", m.ReplyTo)
	}
	if len(m.Cc) != 1 || m.Cc[0].Name != "Dupont, Jean" {
		t.Errorf("cc: %+v", m.Cc)
	}
	if len(m.To) != 1 || m.To[0].Addr != "accueil.comptabilite@casq.fr" {
		t.Errorf("to: %+v", m.To)
	}
	if m.ReturnPath != "<f.martin@plomberie-picarde.fr>" {
		t.Errorf("return path %q", m.ReturnPath)
	}
	if m.Subject != "Facture FA-2026-0042 – N° d'engagement : 24-00123" {
		t.Errorf("subject %q", m.Subject)
	}
	if want := time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("date %v", m.Date)
	}
	if m.Automatic != "" {
		t.Errorf("automatic %q for a human message", m.Automatic)
	}
	if !strings.HasPrefix(m.BodyText, "Bonjour,") {
		t.Errorf("body %q", m.BodyText)
	}
	if len(m.Documents) != 1 {
		t.Fatalf("documents: %d", len(m.Documents))
	}
	d := m.Documents[0]
	if d.Name != "facture.pdf" || d.ContentType != "application/pdf" || d.Sniffed != typePDF || d.Size != len(pdf) || len(d.SHA256) != 64 {
		t.Errorf("document: %+v", d)
	}
	if d.Format != FormatFacturX || !d.IsInvoice || d.Source != "xml" || d.Profile != "EN16931" || d.Invoice == nil {
		t.Fatalf("factur-x: format %q profile %q invoice %v error %q warnings %q", d.Format, d.Profile, d.IsInvoice, d.Error, d.Warnings)
	}
	inv := d.Invoice
	want := Invoice{
		Number: "FA-2026-0042", Type: "invoice", IssueDate: "2026-11-02", Currency: "EUR",
		Seller:         Party{Name: "Plomberie Picarde SARL", ID: "732 829 320 00074", IDScheme: "0002", SIRET: "73282932000074", VATID: "FR44732829320"},
		Buyer:          Party{Name: "Agglomération du Saint-Quentinois", ID: "200071892", IDScheme: "0002", SIRET: "20007189200026"},
		BuyerReference: "SERV01", OrderReference: "EJ-26-0042",
		TotalWithoutVAT: "100.00", TotalVAT: "20.00", TotalWithVAT: "120.00", AmountDue: "120.00",
		IBAN: "FR7630006000011234567890189",
	}
	if *inv != want {
		t.Errorf("invoice:\n got %+v\nwant %+v", *inv, want)
	}
	if len(d.Candidates) != 1 || d.Candidates[0] != (Candidate{"EJ-26-0042", "xml BT-13"}) {
		t.Errorf("document candidates %+v", d.Candidates)
	}
	if len(m.Engagements) != 1 || m.Engagements[0] != (Candidate{"24-00123", "subject"}) {
		t.Errorf("message engagements %+v", m.Engagements)
	}
}

func TestOctetStreamPDFAndRFC2231Name(t *testing.T) {
	pdf := makePDF(t, nil)
	raw := mimeMessage(stdHeader,
		part{plainPart, "Bonjour"},
		part{"Content-Type: application/octet-stream;\r\n name*=UTF-8''facture_%C3%A9t%C3%A9.pdf\r\n" +
			"Content-Disposition: attachment;\r\n filename*0*=UTF-8''..%2F..%2Fetc%2Ffacture_tr%C3%A8s_;\r\n filename*1*=longue%E2%80%AE.pdf\r\n" +
			"Content-Transfer-Encoding: base64", b64(pdf)},
	)
	m := mustParse(t, raw)
	if len(m.Documents) != 1 {
		t.Fatalf("documents: %d", len(m.Documents))
	}
	d := m.Documents[0]
	if d.Name != "facture_très_longue.pdf" {
		t.Errorf("name %q", d.Name)
	}
	if d.ContentType != "application/octet-stream" || d.Sniffed != typePDF {
		t.Errorf("types %q %q", d.ContentType, d.Sniffed)
	}
	// No XML: the fields come from the visible text.
	if d.Format != FormatPDF || !d.IsInvoice || d.Source != "text" || d.Error != "" || !contains(d.Warnings, warnNoStructuredData) {
		t.Errorf("plain pdf: format %q invoice %v source %q error %q warnings %q", d.Format, d.IsInvoice, d.Source, d.Error, d.Warnings)
	}
	if d.Invoice == nil || d.Invoice.Number != "FA-2026-0042" {
		t.Errorf("plain pdf: invoice %+v", d.Invoice)
	}
}

func TestForwardedMessage(t *testing.T) {
	pdf := makePDF(t, map[string][]byte{"factur-x.xml": []byte(sampleCII)})
	inner := "From: fournisseur@example.fr\r\nTo: mairie@example.fr\r\nSubject: Facture bon de commande n° BC-2026-117\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"INNER\"\r\n\r\n" +
		"--INNER\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVoici la facture de l'=E9t=E9.\r\n" +
		"--INNER\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"inner.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64(pdf) + "\r\n--INNER--\r\n"
	raw := mimeMessage(stdHeader,
		part{plainPart, "Je vous transfère la facture ci-dessous."},
		part{"Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"Fwd.eml\"", inner},
	)
	m := mustParse(t, raw)
	if m.BodyText != "Je vous transfère la facture ci-dessous." {
		t.Errorf("body %q", m.BodyText)
	}
	if len(m.Documents) != 1 {
		t.Fatalf("documents: %+v", m.Documents)
	}
	d := m.Documents[0]
	if d.Name != "inner.pdf" || d.Format != FormatFacturX || d.Invoice == nil || d.Invoice.Number != "FA-2026-0042" {
		t.Errorf("forwarded document: %q %q %v", d.Name, d.Format, d.Invoice)
	}
	var found bool
	for _, c := range m.Engagements {
		if c.Value == "BC-2026-117" && c.Evidence == "forwarded message" {
			found = true
		}
	}
	if !found {
		t.Errorf("engagement from forwarded subject missing: %+v", m.Engagements)
	}
}

func TestAutomaticMessages(t *testing.T) {
	base := "From: supplier@example.fr\r\nTo: accueil.comptabilite@casq.fr\r\nSubject: Re: votre facture\r\nMessage-ID: <x@example.fr>\r\n"
	body := "Content-Type: text/plain\r\n\r\nJe suis absent.\r\n"
	tests := []struct {
		name, header, want string
	}{
		{"human", "", ""},
		{"auto-submitted no", "Auto-Submitted: no\r\n", ""},
		{"auto-replied", "Auto-Submitted: auto-replied (vacation)\r\n", "Auto-Submitted: auto-replied (vacation)"},
		{"auto-generated", "Auto-Submitted: Auto-Generated\r\n", "Auto-Submitted: Auto-Generated"},
		{"precedence bulk", "Precedence: bulk\r\n", "Precedence: bulk"},
		{"precedence junk", "Precedence: JUNK\r\n", "Precedence: junk"},
		{"precedence list", "Precedence: list\r\n", "Precedence: list"},
		{"list-id", "List-Id: <news.example.fr>\r\n", "List-Id present"},
		{"list-unsubscribe", "List-Unsubscribe: <mailto:u@example.fr>\r\n", "List-Unsubscribe present"},
		{"null return path", "Return-Path: <>\r\n", "null return path"},
		{"x-autoreply", "X-Autoreply: yes\r\n", "X-Autoreply present"},
		{"x-autorespond", "X-Autorespond: yes\r\n", "X-Autorespond present"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, []byte(tt.header+base+body))
			if m.Automatic != tt.want {
				t.Errorf("Automatic = %q, want %q", m.Automatic, tt.want)
			}
		})
	}
	senders := map[string]string{
		"MAILER-DAEMON@mx.example.fr": "sender MAILER-DAEMON",
		"listserv@example.fr":         "sender LISTSERV",
		"Majordomo@example.fr":        "sender majordomo",
		"owner-compta@example.fr":     "sender owner-*",
		"compta-request@example.fr":   "sender *-request",
		"postmaster@example.fr":       "",
	}
	for from, want := range senders {
		m := mustParse(t, []byte("From: "+from+"\r\nSubject: x\r\n\r\nbody\r\n"))
		if m.Automatic != want {
			t.Errorf("From %s: Automatic = %q, want %q", from, m.Automatic, want)
		}
	}
}

func TestBounce(t *testing.T) {
	raw := "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@casq.fr>\r\nTo: accueil.comptabilite@casq.fr\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.casq.fr\r\n\r\nFinal-Recipient: rfc822; x@example.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: accueil.comptabilite@casq.fr\r\nSubject: [FAC-2026-000123] Facture\r\n" +
		"--B--\r\n"
	m := mustParse(t, []byte(raw))
	if m.Automatic != "delivery status notification" {
		t.Errorf("Automatic = %q", m.Automatic)
	}
	if m.ReturnPath != "<>" {
		t.Errorf("ReturnPath = %q", m.ReturnPath)
	}
	if len(m.Documents) != 0 {
		t.Errorf("a bounce has no documents, got %+v", m.Documents)
	}
	mdn := strings.Replace(raw, "report-type=delivery-status", "report-type=disposition-notification", 1)
	mdn = strings.Replace(mdn, "Return-Path: <>\r\n", "", 1)
	if m := mustParse(t, []byte(mdn)); m.Automatic != "disposition notification" {
		t.Errorf("MDN: Automatic = %q", m.Automatic)
	}
}

func TestEngagementInSubjectAndBody(t *testing.T) {
	raw := "From: a@example.fr\r\nSubject: Facture 2026-11 EJ : 2026/000123\r\nContent-Type: text/html; charset=windows-1252\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<html><head><style>p{color:red}</style></head><body><p>Bonjour,</p><p>le num=E9ro d=92engagement EJ2026-0042 et " +
		"l'engagement juridique n=B0 1300012345.</p><p>Rappel EJ : 2026/000123</p></body></html>\r\n"
	m := mustParse(t, []byte(raw))
	if !strings.Contains(m.BodyText, "le numéro d’engagement EJ2026-0042") || strings.Contains(m.BodyText, "color") {
		t.Errorf("body text %q", m.BodyText)
	}
	want := []Candidate{
		{"2026/000123", "subject, body"},
		{"EJ2026-0042", "body"},
		{"1300012345", "body"},
	}
	if len(m.Engagements) != len(want) {
		t.Fatalf("engagements %+v, want %+v", m.Engagements, want)
	}
	for i := range want {
		if m.Engagements[i] != want[i] {
			t.Errorf("engagement %d = %+v, want %+v", i, m.Engagements[i], want[i])
		}
	}
}

func TestDefaultEngagementPatterns(t *testing.T) {
	tests := map[string]string{
		"N° d'engagement : 24-00123":                  "24-00123",
		"numéro d’engagement EJ2026-0042":             "EJ2026-0042",
		"engagement juridique n° 1300012345":          "1300012345",
		"bon de commande n° BC-2026-117":              "BC-2026-117",
		"EJ : 2026/000123":                            "2026/000123",
		"le numéro d'engagement est 24-00123.":        "24-00123",
		"N° de commande : 4500012345":                 "4500012345",
		"Purchase order number: PO-2026-9":            "PO-2026-9",
		"Notre engagement de qualité vous est acquis": "",
		"engagement n° ab":                            "",
	}
	for text, want := range tests {
		got := FindEngagements(text, "body", nil)
		switch {
		case want == "" && len(got) != 0:
			t.Errorf("%q: got %+v, want nothing", text, got)
		case want != "" && (len(got) != 1 || got[0].Value != want):
			t.Errorf("%q: got %+v, want %q", text, got, want)
		}
	}
	for _, re := range DefaultEngagementPatterns() {
		if re.NumSubexp() != 1 {
			t.Errorf("pattern %q has %d groups", re, re.NumSubexp())
		}
	}
	custom := []*regexp.Regexp{regexp.MustCompile(`Commande interne ([0-9]{4})`)}
	m, err := Parse([]byte("From: a@b.fr\r\nSubject: Commande interne 1234\r\n\r\nN° d'engagement : 24-00123\r\n"), Options{EngagementPatterns: custom})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Engagements) != 1 || m.Engagements[0].Value != "1234" {
		t.Errorf("custom patterns: %+v", m.Engagements)
	}
}

func TestPNGNamedPDF(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	raw := mimeMessage(stdHeader,
		part{"Content-Type: application/pdf; name=\"facture.pdf\"\r\nContent-Disposition: attachment; filename=\"facture.pdf\"\r\nContent-Transfer-Encoding: base64", b64(png)},
	)
	m := mustParse(t, raw)
	if len(m.Documents) != 1 {
		t.Fatalf("documents: %d", len(m.Documents))
	}
	d := m.Documents[0]
	if d.Sniffed != "image/png" || d.Format != FormatUnsupported || d.IsInvoice || !strings.Contains(d.Error, "image") {
		t.Errorf("png named pdf: sniffed %q format %q invoice %v", d.Sniffed, d.Format, d.IsInvoice)
	}
	if len(d.Warnings) == 0 || !strings.Contains(d.Warnings[0], "named .pdf") {
		t.Errorf("warnings %q", d.Warnings)
	}
}

func TestBoundsAndTolerance(t *testing.T) {
	// Deep nesting is cut at MaxDepth with a warning.
	var b strings.Builder
	b.WriteString("From: a@b.fr\r\nSubject: deep\r\n")
	depth := 30
	for i := 0; i < depth; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=\"b" + string(rune('A'+i%26)) + strings.Repeat("x", i) + "\"\r\n\r\n")
		b.WriteString("--b" + string(rune('A'+i%26)) + strings.Repeat("x", i) + "\r\n")
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nfond\r\n")
	m := mustParse(t, []byte(b.String()))
	if !containsPrefix(m.Warnings, "MIME nesting deeper than") {
		t.Errorf("no depth warning: %q", m.Warnings)
	}
	// Part count.
	var parts []part
	for i := 0; i < 10; i++ {
		parts = append(parts, part{"Content-Type: application/octet-stream; name=\"x.bin\"", "data"})
	}
	m, err := Parse(mimeMessage(stdHeader, parts...), Options{MaxParts: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Documents) != 4 || !containsPrefix(m.Warnings, "more than 5 MIME parts") {
		t.Errorf("part limit: %d documents, warnings %q", len(m.Documents), m.Warnings)
	}
	// Unknown charset: raw text kept, warning.
	m = mustParse(t, []byte("From: a@b.fr\r\nSubject: cs\r\nContent-Type: text/plain; charset=x-unknown-cs\r\n\r\nbonjour\r\n"))
	if m.BodyText != "bonjour" || !containsPrefix(m.Warnings, "unknown charset") {
		t.Errorf("unknown charset: %q %q", m.BodyText, m.Warnings)
	}
	// Nothing readable.
	for _, raw := range []string{"", "   \r\n", "%PDF-1.4 not a mail"} {
		if _, err := Parse([]byte(raw), Options{}); err == nil {
			t.Errorf("Parse(%q) succeeded", raw)
		}
	}
}

func TestParseDocumentXMLKinds(t *testing.T) {
	// BOM and a bogus encoding declaration.
	bogus := "\xef\xbb\xbf" + strings.Replace(sampleCII, `encoding="UTF-8"`, `encoding="bogus-8"`, 1)
	d := ParseDocument("facture.xml", []byte(bogus), Options{})
	if d.Format != FormatCII || d.Invoice == nil || d.Invoice.Buyer.Name != "Agglomération du Saint-Quentinois" {
		t.Errorf("bogus encoding: %q %q %+v", d.Format, d.Error, d.Invoice)
	}
	// Latin-1 bytes declared as such.
	latin := strings.Replace(sampleCII, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	latin = strings.Replace(latin, "Agglomération", "Agglom\xe9ration", 1)
	d = ParseDocument("facture.xml", []byte(latin), Options{})
	if d.Invoice == nil || d.Invoice.Buyer.Name != "Agglomération du Saint-Quentinois" {
		t.Errorf("latin-1: %q %+v", d.Error, d.Invoice)
	}
	// Credit note.
	credit := strings.Replace(sampleCII, "<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode>381</ram:TypeCode>", 1)
	if d := ParseDocument("avoir.xml", []byte(credit), Options{}); d.Invoice == nil || d.Invoice.Type != "credit_note" {
		t.Errorf("credit note: %+v", d.Invoice)
	}
	// Not an invoice.
	order := `<?xml version="1.0"?><rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"><rsm:ExchangedDocument/></rsm:SCRDMCCBDACIOMessageStructure>`
	if d := ParseDocument("order-x.xml", []byte(order), Options{}); d.Format != FormatXML || d.IsInvoice || d.Invoice != nil {
		t.Errorf("order-x: %q %v", d.Format, d.IsInvoice)
	}
	// Broken XML.
	if d := ParseDocument("x.xml", []byte("<?xml version='1.0'?><a><b></a>"), Options{}); d.Error == "" {
		t.Errorf("broken xml: no error")
	}
	// Broken PDF.
	if d := ParseDocument("x.pdf", []byte("%PDF-1.7\n garbage"), Options{}); d.Format != FormatPDF || d.Error == "" || d.IsInvoice {
		t.Errorf("broken pdf: %q %q", d.Format, d.Error)
	}
	// Hostile names.
	if d := ParseDocument("../../etc/pass\x00wd\u202e.pdf", []byte("x"), Options{}); d.Name != "passwd.pdf" {
		t.Errorf("sanitized name %q", d.Name)
	}
}

func TestProfiles(t *testing.T) {
	tests := map[string]string{
		"urn:factur-x.eu:1p0:minimum":                                                "MINIMUM",
		"urn:factur-x.eu:1p0:basicwl":                                                "BASIC WL",
		"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic":                "BASIC",
		"urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic":                    "BASIC",
		"urn:cen.eu:en16931:2017":                                                    "EN16931",
		"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended":            "EXTENDED",
		"urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr":    "EXTENDED",
		"urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.1": "XRECHNUNG",
		"urn:zugferd.de:2p0:minimum":                                                 "MINIMUM",
		"urn:ferd:CrossIndustryDocument:invoice:1p0:comfort":                         "COMFORT",
		"urn:ferd:CrossIndustryDocument:invoice:1p0:komfort":                         "urn:ferd:CrossIndustryDocument:invoice:1p0:komfort",
		"something:else": "something:else",
	}
	for in, want := range tests {
		if got := normProfile(in); got != want {
			t.Errorf("normProfile(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCorpusPDFWithoutTruth checks the PDFs that carry no invoice XML.
func TestCorpusPDFWithoutTruth(t *testing.T) {
	dir := corpusDir(t)
	read := func(name string) Document {
		data, err := os.ReadFile(filepath.Join(dir, "pdf", name))
		if err != nil {
			t.Skip(err)
		}
		return ParseDocument(name, data, Options{})
	}
	if d := read("mustang-lib__ORDER-X_EX01_ORDER_FULL_DATA-COMFORT.pdf"); d.IsInvoice || d.Format != FormatPDF || d.Kind != KindPurchaseOrder ||
		!contains(d.Warnings, "embedded order-x.xml is a purchase order, not an invoice") {
		t.Errorf("order-x pdf: %q %v %q %q %q", d.Format, d.IsInvoice, d.Kind, d.Error, d.Warnings)
	}
	if d := read("mustang-cli__corrupt-factur-x-waytoosmall.pdf"); d.IsInvoice || d.Error == "" && d.Sniffed == typePDF {
		t.Errorf("corrupt pdf: %q %q %q", d.Sniffed, d.Format, d.Error)
	}
	if d := read("horstoeko__pdf_plain.pdf"); d.Format != FormatPDF || d.IsInvoice || !contains(d.Warnings, warnNoStructuredData) {
		t.Errorf("blank pdf: %q %v %q %q", d.Format, d.IsInvoice, d.Error, d.Warnings)
	}
	// Plain invoices: read from their visible text.
	for _, name := range []string{"hetzner__RE-E-974-Hetzner_2016-01-19_R0005532486.pdf", "invoice2data__free_fiber.pdf"} {
		if d := read(name); d.Format != FormatPDF || !d.IsInvoice || d.Source != "text" || d.Invoice == nil || d.Invoice.Number == "" {
			t.Errorf("%s: %q %v %q %q %+v", name, d.Format, d.IsInvoice, d.Error, d.Warnings, d.Invoice)
		}
	}
	if d := read("invoice2data__AzureInterior.pdf"); d.Format != FormatPDF || !d.IsInvoice || d.Source != "xml" {
		t.Errorf("pdf with UBL: %q %v %q", d.Format, d.IsInvoice, d.Source)
	}
}

// TestCorpusFormats checks the detected format of every structured file.
func TestCorpusFormats(t *testing.T) {
	dir := corpusDir(t)
	for sub, allowed := range map[string][]string{
		"cii":     {FormatCII, FormatZUGFeRD1},
		"ubl":     {FormatUBL},
		"facturx": {FormatFacturX, FormatZUGFeRD1},
	} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".truth.json") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d := ParseDocument(filepath.Base(f), data, Options{})
			if !contains(allowed, d.Format) || !d.IsInvoice || d.Profile == "" && sub != "ubl" {
				t.Errorf("%s/%s: format %q profile %q invoice %v", sub, filepath.Base(f), d.Format, d.Profile, d.IsInvoice)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsPrefix(list []string, prefix string) bool {
	for _, x := range list {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}
