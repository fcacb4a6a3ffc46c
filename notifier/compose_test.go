package notifier

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

var paris = time.FixedZone("CET", 3600)

func sampleReply(kind Kind) Reply {
	return Reply{
		Kind:               kind,
		CaseRef:            "FAC-2026-000123",
		Organisation:       "Agglomération du Saint-Quentinois",
		From:               netmail.Address{Name: "Agglomération du Saint-Quentinois", Address: "accueil.comptabilite@casq.fr"},
		To:                 netmail.Address{Name: "Société Dupont & Fils", Address: "compta@dupont-fils.example"},
		Bcc:                []string{"finances@casq.fr"},
		OriginalMessageID:  "CAF1234.5678@mail.dupont-fils.example",
		OriginalReferences: []string{"first@dupont-fils.example", "second@dupont-fils.example"},
		OriginalSubject:    "Facture FA-2026-0042",
		InvoiceNumber:      "FA-2026-0042",
		InvoiceDate:        "2026-11-02",
		SupplierName:       "Dupont & Fils",
		AmountWithVAT:      "1234.5",
		Currency:           "EUR",
		BudgetName:         "Budget principal",
		RecipientSIRET:     "20007189200067",
		Engagement:         "2026-000123",
		FlowNumber:         "CPP0011117000000000731942",
		DepositDate:        "2026-11-05",
	}
}

// parsed is a composed message read back with go-message.
type parsed struct {
	raw    []byte
	header mail.Header
	parts  map[string]string // media type → decoded body
	cte    map[string]string // media type → Content-Transfer-Encoding
	params map[string]map[string]string
}

func parse(t testing.TB, raw []byte) *parsed {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read composed message: %v", err)
	}
	p := &parsed{raw: raw, header: mr.Header, parts: map[string]string{}, cte: map[string]string{},
		params: map[string]map[string]string{}}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		h, ok := part.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("unexpected attachment part %v", part.Header)
		}
		ct, params, err := h.ContentType()
		if err != nil {
			t.Fatalf("part content type: %v", err)
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("read %s part: %v", ct, err)
		}
		p.parts[ct] = string(body)
		p.cte[ct] = h.Get("Content-Transfer-Encoding")
		p.params[ct] = params
	}
	if err := mr.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func compose(t testing.TB, r Reply) (*parsed, string) {
	t.Helper()
	raw, id, err := Compose(r, time.Date(2026, 11, 5, 10, 30, 0, 0, paris))
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	return parse(t, raw), id
}

func TestComposeConfirmation(t *testing.T) {
	r := sampleReply(KindConfirmation)
	now := time.Date(2026, 11, 5, 10, 30, 0, 0, paris)
	raw, id, err := Compose(r, now)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	h := p.header

	if !regexp.MustCompile(`^FAC-2026-000123\.[0-9a-f]{16}@casq\.fr$`).MatchString(id) {
		t.Errorf("message id = %q", id)
	}
	if got, err := h.MessageID(); err != nil || got != id {
		t.Errorf("Message-ID header = %q (%v), want %q", got, err, id)
	}
	if got, _ := h.MsgIDList("In-Reply-To"); !reflect.DeepEqual(got, []string{r.OriginalMessageID}) {
		t.Errorf("In-Reply-To = %q", got)
	}
	wantRefs := []string{"first@dupont-fils.example", "second@dupont-fils.example", r.OriginalMessageID}
	if got, _ := h.MsgIDList("References"); !reflect.DeepEqual(got, wantRefs) {
		t.Errorf("References = %q, want %q", got, wantRefs)
	}
	for k, want := range map[string]string{
		"Auto-Submitted":           "auto-replied",
		"X-Auto-Response-Suppress": "All",
		"Content-Language":         "fr",
		"MIME-Version":             "1.0",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got, err := h.Subject(); err != nil || got != "[FAC-2026-000123] Facture FA-2026-0042 déposée sur Chorus Pro" {
		t.Errorf("Subject = %q (%v)", got, err)
	}
	if !strings.Contains(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject not RFC 2047-encoded: %q", h.Get("Subject"))
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 ||
		from[0].Name != "Agglomération du Saint-Quentinois" || from[0].Address != "accueil.comptabilite@casq.fr" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 ||
		to[0].Name != "Société Dupont & Fils" || to[0].Address != "compta@dupont-fils.example" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date = %v (%v), want %v", d, err, now)
	}
	if h.Has("Bcc") || bytes.Contains(raw, []byte("finances@casq.fr")) {
		t.Errorf("Bcc recipient visible in the message")
	}
	if ct, _, _ := h.ContentType(); ct != "multipart/alternative" {
		t.Errorf("Content-Type = %q", ct)
	}
	checkWireFormat(t, raw)

	for _, ct := range []string{"text/plain", "text/html"} {
		if _, ok := p.parts[ct]; !ok {
			t.Fatalf("no %s part; parts: %v", ct, p.parts)
		}
		if p.cte[ct] != "quoted-printable" || !strings.EqualFold(p.params[ct]["charset"], "utf-8") {
			t.Errorf("%s: encoding %q, charset %q", ct, p.cte[ct], p.params[ct]["charset"])
		}
	}
	text, html := p.parts["text/plain"], p.parts["text/html"]
	for _, want := range []string{
		"Madame, Monsieur,",
		"votre facture n°\u00a0FA-2026-0042 du 2 novembre 2026",
		"1\u00a0234,50\u00a0€ TTC",
		"déposée sur Chorus Pro",
		"le 5 novembre 2026",
		"CPP0011117000000000731942",
		"200 071 892 00067",
		"2026-000123",
		"Budget principal",
		"Il est inutile de nous adresser de nouveau cette facture",
		"https://chorus-pro.gouv.fr",
		"Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos",
		"Direction des Finances et de l'Achat Public\r\nAgglomération du Saint-Quentinois",
		"[FAC-2026-000123]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{
		`<html lang="fr">`,
		"CPP0011117000000000731942",
		"200 071 892 00067",
		"2026-000123",
		"Dupont &amp; Fils",
		"Nous vous prions d&#39;agréer, Madame, Monsieur, l&#39;expression de nos salutations distinguées.",
		"Direction des Finances et de l&#39;Achat Public<br>Agglomération du Saint-Quentinois",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html part lacks %q:\n%s", want, html)
		}
	}
	checkNoPlaceholder(t, text+html)
}

// checkWireFormat checks CRLF line endings and line lengths (RFC 5322 §2.1.1:
// 78 recommended; our headers and quoted-printable bodies keep to it).
func checkWireFormat(t *testing.T, raw []byte) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d: bare CR or LF: %q", i+1, line)
		}
		if len(line) > 78 {
			t.Errorf("line %d: %d characters: %q", i+1, len(line), line)
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Errorf("line %d: 8-bit byte in a 7-bit message: %q", i+1, line)
				break
			}
		}
	}
}

// flat joins the lines of a text part, so that assertions do not depend on
// where the text was wrapped.
func flat(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\r' || r == '\n' }), " ")
}

func checkNoPlaceholder(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{"<nil>", "%!", "{{", "n°\u00a0 ", " du ,", "  :", "\u00a0: \r\n"} {
		if strings.Contains(s, bad) {
			t.Errorf("text contains %q:\n%s", bad, s)
		}
	}
}

func TestComposeKinds(t *testing.T) {
	for _, c := range []struct {
		kind    Kind
		subject string
		want    []string
	}{
		{KindConfirmation, "[FAC-2026-000123] Facture FA-2026-0042 déposée sur Chorus Pro",
			[]string{"Numéro de flux Chorus Pro"}},
		{KindNeedEngagement, "[FAC-2026-000123] Numéro d'engagement manquant – facture FA-2026-0042",
			[]string{"numéro d'engagement juridique", "bon de commande", "Numéro d'engagement\u00a0: 2026-000123",
				"«\u00a0référence de commande\u00a0» (BT-13)", "répondre à ce courriel",
				"aucune autre démarche"}},
		{KindNeedInvoice, "[FAC-2026-000123] Facture non reçue ou illisible",
			[]string{"aucune facture", "Le fichier «\u00a0scan.pdf\u00a0» est protégé par un mot de passe.",
				"au format PDF (de préférence au format Factur-X)", "Facture FA-2026-0042"}},
		{KindRejected, "[FAC-2026-000123] Facture FA-2026-0042 refusée par Chorus Pro",
			[]string{"la plateforme l'a refusée", "Motif indiqué par Chorus Pro\u00a0:",
				"«\u00a0Le fichier «\u00a0scan.pdf\u00a0» est protégé par un mot de passe\u00a0»",
				"corriger", "CPP0011117000000000731942"}},
		{KindGuide, "[FAC-2026-000123] Facture FA-2026-0042 à déposer sur Chorus Pro",
			[]string{"déposer vous-même sur Chorus Pro (https://chorus-pro.gouv.fr)",
				"Informations à indiquer sur Chorus Pro\u00a0:", "SIRET du destinataire\u00a0: 200 071 892 00067",
				"Numéro d'engagement\u00a0: 2026-000123", "Il est inutile de nous", "Un code service est obligatoire",
				"(codes actifs\u00a0: DST-VOIRIE, DST-EAU)."}},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			r := sampleReply(c.kind)
			r.Reason = "Le fichier «\u00a0scan.pdf\u00a0» est protégé par un mot de passe"
			r.AnswerDeposits = true
			if c.kind == KindGuide {
				// With the service code known, nothing is said to be
				// missing; without it, the reply says it is required.
				r.ServiceCode, r.ServiceRequired, r.EngagementRequired = "SERV-TECH", true, true
				p, _ := compose(t, r)
				text := flat(p.parts["text/plain"])
				if strings.Contains(text, "obligatoire") || !strings.Contains(text, "Code service\u00a0: SERV-TECH") {
					t.Errorf("guide with the service code and the engagement number:\n%s", text)
				}
				r.ServiceCode = ""
				r.ServiceChoices = []string{"DST-VOIRIE", "DST-EAU"}
			}
			p, _ := compose(t, r)
			if got, _ := p.header.Subject(); got != c.subject {
				t.Errorf("subject = %q, want %q", got, c.subject)
			}
			text := flat(p.parts["text/plain"])
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, common := range []string{"Madame, Monsieur,", "salutations distinguées",
				"Référence du dossier\u00a0: FAC-2026-000123", "message vous est adressé automatiquement"} {
				if !strings.Contains(text, common) {
					t.Errorf("text lacks %q", common)
				}
			}
			if title := "Récapitulatif"; c.kind != KindGuide && !strings.Contains(text, title) {
				t.Errorf("text lacks %q", title)
			}
			checkNoPlaceholder(t, text+p.parts["text/html"])
		})
	}
}

// A reply that knows almost nothing still reads well: no empty labels, no
// placeholders, subjects without a number.
func TestComposeMinimal(t *testing.T) {
	subjects := map[Kind]string{
		KindConfirmation:   "[FAC-2026-000001] Facture déposée sur Chorus Pro",
		KindNeedEngagement: "[FAC-2026-000001] Numéro d'engagement manquant",
		KindNeedInvoice:    "[FAC-2026-000001] Facture non reçue ou illisible",
		KindRejected:       "[FAC-2026-000001] Facture refusée par Chorus Pro",
		KindGuide:          "[FAC-2026-000001] Facture à déposer sur Chorus Pro",
	}
	for kind, subject := range subjects {
		r := Reply{
			Kind:    kind,
			CaseRef: "FAC-2026-000001",
			From:    netmail.Address{Address: "factures@ville.example"},
			To:      netmail.Address{Address: "fournisseur@example.org"},
		}
		p, id := compose(t, r)
		if got, _ := p.header.Subject(); got != subject {
			t.Errorf("%s: subject = %q, want %q", kind, got, subject)
		}
		if !strings.HasSuffix(id, "@ville.example") {
			t.Errorf("%s: message id %q", kind, id)
		}
		if p.header.Has("In-Reply-To") || p.header.Has("References") {
			t.Errorf("%s: In-Reply-To/References without an original message", kind)
		}
		text := p.parts["text/plain"]
		checkNoPlaceholder(t, text+p.parts["text/html"])
		for _, absent := range []string{"Numéro de facture", "Montant", "SIRET", "Destinataire", "Fournisseur",
			"Numéro de flux", "Motif", "Date de"} {
			if strings.Contains(text, absent) {
				t.Errorf("%s: text mentions %q with no value:\n%s", kind, absent, text)
			}
		}
		if !strings.Contains(text, "votre facture") && kind != KindNeedInvoice {
			t.Errorf("%s: text:\n%s", kind, text)
		}
		if !strings.Contains(text, "Direction des Finances et de l'Achat Public\r\n\r\n-- \r\n") {
			t.Errorf("%s: signature without organisation:\n%s", kind, text)
		}
	}
}

func TestComposeErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Reply){
		"unknown kind":       func(r *Reply) { r.Kind = "reminder" },
		"empty kind":         func(r *Reply) { r.Kind = "" },
		"no case ref":        func(r *Reply) { r.CaseRef = "" },
		"case ref with @":    func(r *Reply) { r.CaseRef = "FAC@2026" },
		"case ref with CRLF": func(r *Reply) { r.CaseRef = "FAC-1\r\nBcc: x@y" },
		"no from":            func(r *Reply) { r.From.Address = "" },
		"from with name":     func(r *Reply) { r.From.Address = "Compta <c@casq.fr>" },
		"from IP literal":    func(r *Reply) { r.From.Address = "c@[127.0.0.1]" },
		"no to":              func(r *Reply) { r.To.Address = "" },
		"to not an address":  func(r *Reply) { r.To.Address = "dupont" },
	} {
		r := sampleReply(KindConfirmation)
		mutate(&r)
		if raw, _, err := Compose(r, time.Now()); err == nil {
			t.Errorf("%s: Compose succeeded:\n%s", name, raw)
		}
	}
}

func TestComposeHTMLEscaping(t *testing.T) {
	r := sampleReply(KindRejected)
	r.SupplierName = `<script>alert("x")</script> & Cie`
	r.InvoiceNumber = `F<1>`
	r.Reason = `<img src=x onerror=alert(1)> refusée`
	p, _ := compose(t, r)
	html := p.parts["text/html"]
	for _, bad := range []string{"<script>", "<img", "<1>"} {
		if strings.Contains(html, bad) {
			t.Errorf("html part contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Cie", "F&lt;1&gt;",
		"&lt;img src=x onerror=alert(1)&gt; refusée"} {
		if !strings.Contains(html, want) {
			t.Errorf("html part lacks %q:\n%s", want, html)
		}
	}
	// The text part shows the name as written.
	if !strings.Contains(p.parts["text/plain"], `<script>alert("x")</script> & Cie`) {
		t.Errorf("text part lost the supplier name")
	}
	if got, _ := p.header.Subject(); got != "[FAC-2026-000123] Facture F<1> refusée par Chorus Pro" {
		t.Errorf("subject = %q", got)
	}
}

func TestComposeReferencesBounded(t *testing.T) {
	r := sampleReply(KindNeedEngagement)
	r.OriginalReferences = nil
	for i := 1; i <= 15; i++ {
		r.OriginalReferences = append(r.OriginalReferences, fmt.Sprintf("<ref%d@example.org>", i))
	}
	r.OriginalReferences = append(r.OriginalReferences, "not an id", "", "ref15@example.org", "a@b@c")
	r.OriginalMessageID = "<orig@example.org>"
	p, _ := compose(t, r)
	refs, err := p.header.MsgIDList("References")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 7; i <= 15; i++ {
		want = append(want, fmt.Sprintf("ref%d@example.org", i))
	}
	want = append(want, "orig@example.org")
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("References = %q, want %q", refs, want)
	}
	if irt, _ := p.header.MsgIDList("In-Reply-To"); !reflect.DeepEqual(irt, []string{"orig@example.org"}) {
		t.Errorf("In-Reply-To = %q", irt)
	}
	checkWireFormat(t, p.raw)
}

// Values carrying line breaks or header syntax cannot add header fields.
func TestComposeHeaderInjection(t *testing.T) {
	r := sampleReply(KindConfirmation)
	r.InvoiceNumber = "F1\r\nBcc: victim@example.com"
	r.To.Name = "Dupont\r\nBcc: victim@example.com"
	r.From.Name = "CASQ\nX-Evil: 1"
	r.OriginalMessageID = "x@y>\r\nBcc: <victim@example.com"
	p, _ := compose(t, r)
	if p.header.Has("Bcc") || p.header.Has("X-Evil") {
		t.Fatalf("injected header field:\n%s", p.raw)
	}
	if got, _ := p.header.Subject(); got != "[FAC-2026-000123] Facture F1 Bcc: victim@example.com déposée sur Chorus Pro" {
		t.Errorf("subject = %q", got)
	}
	if p.header.Has("In-Reply-To") {
		t.Errorf("invalid original message id used: %q", p.header.Get("In-Reply-To"))
	}
}

// A long non-ASCII subject and display name are split into encoded-words
// that decode back exactly.
func TestComposeLongEncodedHeaders(t *testing.T) {
	r := sampleReply(KindNeedEngagement)
	r.InvoiceNumber = "FACTURE-ÉNERGIE-2026-ÉTÉ-000000000042-ÉCHÉANCE"
	r.From.Name = "Communauté d'agglomération du Saint-Quentinois – Direction des Finances et de l'Achat Public"
	p, _ := compose(t, r)
	want := "[FAC-2026-000123] Numéro d'engagement manquant – facture FACTURE-ÉNERGIE-2026-ÉTÉ-000000000042-ÉCHÉANCE"
	if got, _ := p.header.Subject(); got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != r.From.Name {
		t.Errorf("From = %v (%v)", from, err)
	}
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(p.header.Get("Subject")); err != nil || got != want {
		t.Errorf("net/mime decodes the subject as %q (%v)", got, err)
	}
	checkWireFormat(t, p.raw)
}

func TestRecipients(t *testing.T) {
	r := sampleReply(KindConfirmation)
	r.Bcc = []string{"finances@casq.fr", " ", "COMPTA@dupont-fils.example", "dfap@casq.fr", "Finances@casq.fr"}
	want := []string{"compta@dupont-fils.example", "finances@casq.fr", "dfap@casq.fr"}
	if got := r.Recipients(); !reflect.DeepEqual(got, want) {
		t.Errorf("Recipients = %q, want %q", got, want)
	}
}

func FuzzCompose(f *testing.F) {
	f.Add("FA-2026-0042", "Dupont & Fils", "2026-11-02", "1234.50", "Motif", "Facture", "orig@example.org")
	f.Add("", "", "", "", "", "", "")
	f.Add("F\r\n1", "<script>", "2026-13-40", "1,2,3", "«\u00a0x\u00a0»\x00", "=?utf-8?q?x?=", "a@[1.2.3.4]")
	f.Add(strings.Repeat("É", 300), strings.Repeat("x ", 500), "2025-04-01T10:00:00Z", "-0.1", "\xff\xfe", "", "<>")
	f.Fuzz(func(t *testing.T, number, supplier, date, amount, reason, subject, origID string) {
		for _, kind := range []Kind{KindConfirmation, KindNeedEngagement, KindNeedInvoice, KindRejected, KindGuide} {
			r := sampleReply(kind)
			r.InvoiceNumber, r.SupplierName, r.InvoiceDate, r.AmountWithVAT = number, supplier, date, amount
			r.Reason, r.OriginalSubject, r.OriginalMessageID = reason, subject, origID
			r.To.Name = supplier
			raw, id, err := Compose(r, time.Date(2026, 11, 5, 10, 30, 0, 0, paris))
			if err != nil {
				t.Fatalf("Compose(%s): %v", kind, err)
			}
			l, err := newLetter(r)
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, raw)
			if got, err := p.header.Subject(); err != nil || got != l.Subject {
				t.Fatalf("%s: subject %q (%v), want %q", kind, got, err, l.Subject)
			}
			if got, _ := p.header.MessageID(); got != id {
				t.Fatalf("%s: Message-ID %q, want %q", kind, got, id)
			}
			if p.header.Has("Bcc") || len(p.parts) != 2 {
				t.Fatalf("%s: Bcc header or parts %d", kind, len(p.parts))
			}
			if strings.Contains(p.parts["text/html"], "<script>") {
				t.Fatalf("%s: unescaped html", kind)
			}
			for i, line := range bytes.Split(raw, []byte("\r\n")) {
				if len(line) > 998 || bytes.ContainsAny(line, "\r\n") {
					t.Fatalf("%s: line %d malformed (%d bytes)", kind, i+1, len(line))
				}
			}
		}
	})
}

// TestComposeNewKinds: the request that promises only a corrected
// invoice, the question of the budget (our budgets listed as the public
// body lists them; another buyer named), the answer to an invoice sent
// again.
func TestComposeNewKinds(t *testing.T) {
	budgets := []Budget{{"Budget principal", "20007189200067"}, {"Budget eau potable", "20007189200026"},
		{"Budget assainissement", "20007189200034"}, {"Budget circuit automobile", "20007189200059"}}
	for _, c := range []struct {
		name    string
		edit    func(*Reply)
		subject string
		want    []string
		not     []string
	}{
		{"engagement, corrected invoice only", func(r *Reply) { r.Kind = KindNeedEngagement },
			"[FAC-2026-000123] Numéro d'engagement manquant – facture FA-2026-0042",
			[]string{"une facture rectifiée qui porte ce numéro", "Dès réception de la facture rectifiée, nous la déposerons"},
			[]string{"Il vous suffit de répondre", "2026-000123\n"}},
		{"budget", func(r *Reply) { r.Kind, r.Budgets = KindNeedBudget, budgets },
			"[FAC-2026-000123] Budget destinataire à préciser – facture FA-2026-0042",
			[]string{"auquel de nos budgets elle est destinée", "Budget principal\u00a0: 200 071 892 00067",
				"Budget eau potable\u00a0: 200 071 892 00026", "Budget assainissement\u00a0: 200 071 892 00034",
				"Budget circuit automobile\u00a0: 200 071 892 00059", "nous reprendrons alors l'examen"},
			[]string{"nous la déposerons"}},
		{"other buyer", func(r *Reply) {
			r.Kind, r.Budgets, r.OtherBuyer, r.OtherBuyerSIRET = KindNeedBudget, budgets, "Ville de Laon", "21002001800011"
		},
			"[FAC-2026-000123] Facture FA-2026-0042 adressée à un autre destinataire",
			[]string{"adressée à «\u00a0Ville de Laon\u00a0» (SIRET 210 020 018 00011)", "une facture rectifiée qui porte le SIRET du budget concerné",
				"Budget principal\u00a0: 200 071 892 00067"}, nil},
		{"already received", func(r *Reply) {
			r.Kind, r.PriorRef, r.PriorReceived, r.PriorStatus = KindAlreadyReceived, "FAC-2026-000100", "2026-11-03", "intégrée par le destinataire"
		},
			"[FAC-2026-000123] Facture FA-2026-0042 déjà reçue",
			[]string{"déjà parvenue le 3 novembre 2026", "sous la référence FAC-2026-000100", "déposée sur Chorus Pro le 5 novembre 2026",
				"CPP0011117000000000731942", "État actuel\u00a0: intégrée par le destinataire", "aucune autre démarche"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sampleReply("")
			c.edit(&r)
			p, _ := compose(t, r)
			if got, _ := p.header.Subject(); got != c.subject {
				t.Errorf("subject = %q, want %q", got, c.subject)
			}
			text := flat(p.parts["text/plain"])
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("text promises %q:\n%s", w, text)
				}
			}
			checkNoPlaceholder(t, text+p.parts["text/html"])
		})
	}
	// The bank check never writes an IBAN.
	bc := sampleReply(KindBankCheck)
	p, _ := compose(t, bc)
	if text := flat(p.parts["text/plain"]); !strings.Contains(text, "interlocuteur habituel") || strings.Contains(text, "FR76") || strings.Contains(text, "IBAN") {
		t.Errorf("bank check:\n%s", text)
	}
	r := sampleReply(KindNeedBudget)
	if _, _, err := Compose(r, time.Now()); err == nil {
		t.Error("a budget question without budgets was composed")
	}
}

// TestCreditNoteWording: a credit note is an avoir in the reply, with the
// agreement French asks for, and the guide says to deposit it as one.
func TestCreditNoteWording(t *testing.T) {
	for _, c := range []struct {
		kind    Kind
		subject string
		want    []string
	}{
		{KindConfirmation, "[FAC-2026-000123] Avoir FA-2026-0042 déposé sur Chorus Pro", []string{"votre avoir n°", "nous l'avons déposé sur Chorus Pro"}},
		{KindGuide, "[FAC-2026-000123] Avoir FA-2026-0042 à déposer sur Chorus Pro", []string{"déposer celui-ci", "de le déposer vous-même", "comme un avoir"}},
		{KindAlreadyReceived, "[FAC-2026-000123] Avoir FA-2026-0042 déjà reçu", []string{"Il nous était déjà parvenu", "il est suivi sous la référence", "Il a été déposé sur Chorus Pro"}},
	} {
		r := sampleReply(c.kind)
		r.CreditNote, r.PriorRef = true, "FAC-2026-000100"
		p, _ := compose(t, r)
		if got, _ := p.header.Subject(); got != c.subject {
			t.Errorf("%s: subject %q, want %q", c.kind, got, c.subject)
		}
		text := flat(p.parts["text/plain"])
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: text lacks %q:\n%s", c.kind, w, text)
			}
		}
		if strings.Contains(text, "votre facture") {
			t.Errorf("%s: a credit note called a facture:\n%s", c.kind, text)
		}
	}
}

// TestComposeDailySummary: the summary of a day's sendings says why the
// replies were held back, lists each invoice with where it stands, and
// bounds the list.
func TestComposeDailySummary(t *testing.T) {
	r := sampleReply(KindDailySummary)
	r.CaseRef, r.SummaryDay, r.SummaryLimit = "RECAP-20261104", "2026-11-04", 10
	r.Summary = []SummaryLine{
		{CaseRef: "FAC-2026-000120", InvoiceNumber: "FA-2026-0040", AmountWithVAT: "1234.5", Currency: "EUR", Status: "transmise au destinataire sur Chorus Pro"},
		{CaseRef: "FAC-2026-000121", Status: "en cours d'examen par nos services"},
	}
	p, _ := compose(t, r)
	if got, _ := p.header.Subject(); got != "[RECAP-20261104] Situation de vos envois du 4 novembre 2026" {
		t.Errorf("subject = %q", got)
	}
	text := flat(p.parts["text/plain"])
	for _, w := range []string{"pas plus de 10 réponses automatiques par jour", "Vos envois du 4 novembre 2026\u00a0:",
		"Facture n° FA-2026-0040 (1\u00a0234,50\u00a0€ TTC), dossier FAC-2026-000120\u00a0: transmise au destinataire sur Chorus Pro",
		"Envoi sans numéro de facture lisible, dossier FAC-2026-000121\u00a0: en cours d'examen par nos services",
		"salutations distinguées"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	checkNoPlaceholder(t, text+p.parts["text/html"])
	if v, _ := p.header.Text("Auto-Submitted"); v != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", v)
	}

	r.Summary = nil
	for i := range maxSummaryLines + 5 {
		r.Summary = append(r.Summary, SummaryLine{CaseRef: fmt.Sprintf("FAC-2026-%06d", i+1), Status: "mise en paiement"})
	}
	p, _ = compose(t, r)
	text = flat(p.parts["text/plain"])
	if strings.Contains(text, fmt.Sprintf("FAC-2026-%06d", maxSummaryLines+1)) || !strings.Contains(text, "Autres envois\u00a0: 5, non détaillés ici") {
		t.Errorf("list not bounded:\n%.400s", text[len(text)-400:])
	}
	r.Summary = nil
	if _, _, err := Compose(r, time.Now()); err == nil {
		t.Error("a summary of nothing was composed")
	}
}
