package notifier

import (
	"bytes"
	"fmt"
	"html/template"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// KindDigest is the daily digest to finance staff (an outbox item about no
// case).
const KindDigest Kind = "digest"

// Digest is what the daily digest to finance staff tells: what Facteur did
// since the previous digest, and the cases that need a person.
type Digest struct {
	Organisation string
	Department   string          // "" → DefaultDepartment
	From         netmail.Address // header From; its domain names the Message-ID
	To           []string        // finance staff
	Mailboxes    []string        // the addresses suppliers write to
	Since        time.Time       // start of the period told (zero: the beginning)

	Counts DigestCounts
	// Held are the cases a person must decide on; Rejected the invoices
	// Chorus Pro refused, until a corrected one arrives; Waiting the
	// requests a supplier has not answered for long; FailedReplies the
	// replies that could not be sent since the previous digest.
	Held, Rejected, Waiting, FailedReplies []DigestCase
	// SlowDeposits are the cases being deposited for more than an hour
	// (Since: when the deposit began), oldest first.
	SlowDeposits      []DigestCase
	SlowDepositsTotal int // how many in all (0: the list is whole)
	// PageURL is the address of the finance staff's page, ending with
	// "/" ("" when it has none): each case is linked to its page
	// (PageURL/dossiers/REF).
	PageURL string
	// HeldTotal, RejectedTotal and WaitingTotal are how many such cases
	// there are in all when the lists hold only the first DigestListed
	// (0: the list is whole).
	HeldTotal, RejectedTotal, WaitingTotal int
}

// DigestCounts are the changes of the period, by kind.
type DigestCounts struct {
	Received  int // messages received
	Deposited int // invoices deposited on Chorus Pro
	Paid      int // invoices put in payment (MISE_EN_PAIEMENT)
	Asked     int // requests sent to suppliers
	Guided    int // suppliers told how to deposit on Chorus Pro
	Rejected  int // invoices refused by Chorus Pro
	Held      int // cases put in front of a person
}

// DigestCase is one case listed in a digest.
type DigestCase struct {
	Ref, Supplier, InvoiceNumber, Amount, Currency string
	Since                                          time.Time // when it entered its state
	Reason                                         string    // French
}

// DigestListed bounds each list of a digest; the rest is counted.
const DigestListed = 50

// maxDigestCases is DigestListed, for this package's own use.
const maxDigestCases = DigestListed

// total is how many cases a list stands for: its total when one is given.
func total(listed []DigestCase, all int) int {
	return max(len(listed), all)
}

// digestView is a Digest laid out for both renderings.
type digestView struct {
	Subject   string
	Intro     string
	Period    string
	Counts    []row
	Sections  []digestSection
	Closing   string
	Signature []string
}

type digestSection struct {
	Title string
	Empty string
	Items []digestItem
	More  string
	Hint  string
}

type digestItem struct {
	Head   string
	Detail string
	Link   string // the case's page, "" without one
}

// ComposeDigest writes the digest as a complete RFC 5322 message (French,
// text and HTML, CRLF line endings) dated now, and returns it with its
// Message-ID. It is marked Auto-Submitted: auto-generated (RFC 3834).
func ComposeDigest(d Digest, now time.Time) (raw []byte, messageID string, err error) {
	domain, err := checkAddress("from", d.From.Address)
	if err != nil {
		return nil, "", err
	}
	var to []string
	for _, a := range DigestRecipients(d) {
		if _, err := checkAddress("to", a); err != nil {
			return nil, "", err
		}
		to = append(to, formatAddress(netmail.Address{Address: a}))
	}
	if len(to) == 0 {
		return nil, "", fmt.Errorf("notifier: digest without recipient")
	}
	if now.IsZero() {
		now = time.Now()
	}
	nonce, err := randomHex(8)
	if err != nil {
		return nil, "", err
	}
	messageID = "digest-" + now.Format("20060102") + "." + nonce + "@" + domain
	v := newDigestView(d, now)

	from := d.From
	from.Name = clean(from.Name, maxName)
	if from.Name == "" {
		from.Name = clean(d.Organisation, maxName)
	}
	var f mail.Header
	f.SetDate(now)
	f.SetMessageID(messageID)
	htmlBody, err := v.html()
	if err != nil {
		return nil, "", err
	}
	raw, err = assemble([][2]string{
		{"From", formatAddress(from)},
		{"To", strings.Join(to, ", ")},
		{"Subject", encodeText(v.Subject)},
		{"Date", f.Get("Date")},
		{"Message-Id", f.Get("Message-Id")},
		{"Auto-Submitted", "auto-generated"},
		{"X-Auto-Response-Suppress", "All"},
	}, v.text(), htmlBody)
	if err != nil {
		return nil, "", err
	}
	return raw, messageID, nil
}

// DigestRecipients returns the envelope recipients of a digest, blanks and
// repeats left out.
func DigestRecipients(d Digest) []string {
	return Reply{Bcc: d.To}.Recipients()
}

func newDigestView(d Digest, now time.Time) digestView {
	department := clean(d.Department, maxName)
	if department == "" {
		department = DefaultDepartment
	}
	v := digestView{
		Closing:   "Ce message est envoyé automatiquement par Facteur ; il n'appelle pas de réponse.",
		Signature: []string{"Facteur – " + department},
	}
	if org := clean(d.Organisation, maxName); org != "" {
		v.Signature = append(v.Signature, org)
	}
	held := total(d.Held, d.HeldTotal)
	v.Subject = "[Facteur] Point du " + frenchDay(now) + " : "
	switch held {
	case 0:
		v.Subject += "aucun dossier à examiner"
	case 1:
		v.Subject += "1 dossier à examiner"
	default:
		v.Subject += strconv.Itoa(held) + " dossiers à examiner"
	}
	where := "les factures reçues"
	if len(d.Mailboxes) > 0 {
		var boxes []string
		for _, m := range d.Mailboxes {
			boxes = append(boxes, clean(m, maxShort))
		}
		where += " à l'adresse " + strings.Join(boxes, ", ")
	}
	v.Intro = typo.Replace("Voici le point de Facteur sur " + where + ".")
	if !d.Since.IsZero() {
		v.Period = typo.Replace("Depuis le point précédent (" + frenchDateTime(d.Since) + ") :")
	} else {
		v.Period = typo.Replace("Depuis la mise en service :")
	}
	c := d.Counts
	for _, r := range []struct {
		label string
		n     int
	}{
		{"Messages reçus", c.Received},
		{"Factures déposées sur Chorus Pro", c.Deposited},
		{"Factures mises en paiement", c.Paid},
		{"Demandes envoyées aux fournisseurs", c.Asked},
		{"Fournisseurs invités à déposer eux-mêmes sur Chorus Pro", c.Guided},
		{"Factures refusées par Chorus Pro", c.Rejected},
		{"Dossiers mis à examiner", c.Held},
	} {
		v.Counts = append(v.Counts, row{Label: r.label, Value: strconv.Itoa(r.n)})
	}
	page := pageURL(d.PageURL)
	v.Sections = []digestSection{
		section(page, "Dossiers à examiner", "Aucun dossier n'attend de décision.", d.Held, d.HeldTotal, "depuis le ",
			"Pour le détail d'un dossier : facteur cases show RÉFÉRENCE ; pour le réexaminer une fois la cause levée : facteur cases release RÉFÉRENCE."),
		section(page, "Factures refusées par Chorus Pro", "Aucune facture refusée en attente d'une facture rectifiée.", d.Rejected, d.RejectedTotal, "refusée le ",
			"Le fournisseur a reçu le motif du refus et a été invité à adresser une facture rectifiée."),
		section(page, "Demandes restées sans réponse", "Aucune demande ancienne sans réponse.", d.Waiting, d.WaitingTotal, "demandée le ",
			"Ces fournisseurs n'ont pas répondu à notre demande ; une relance par téléphone peut être utile."),
		section(page, "Dépôts en cours depuis plus d'une heure", "Aucun dépôt en attente de confirmation depuis plus d'une heure.", d.SlowDeposits, d.SlowDepositsTotal, "dépôt commencé le ",
			"Chorus Pro n'a pas encore confirmé ces dépôts ; Facteur continue de vérifier avant tout nouveau dépôt, sans rien déposer deux fois. "+
				"Rien à faire tant qu'ils n'arrivent pas dans les dossiers à examiner."),
		section(page, "Réponses non envoyées", "Toutes les réponses ont été envoyées.", d.FailedReplies, 0, "depuis le ",
			"Pour renvoyer une réponse une fois l'adresse corrigée ou le serveur rétabli : facteur cases retry RÉFÉRENCE."),
	}
	return v
}

func section(pageURL, title, empty string, cases []DigestCase, all int, sincePrefix, hint string) digestSection {
	n := total(cases, all)
	s := digestSection{Title: typo.Replace(fmt.Sprintf("%s (%d)", title, n)), Empty: typo.Replace(empty)}
	if shown := min(len(cases), maxDigestCases); shown < n {
		s.More = typo.Replace(fmt.Sprintf("… et %d autre(s) : facteur cases list pour la liste complète.", n-shown))
		if pageURL != "" {
			s.More = typo.Replace(fmt.Sprintf("… et %d autre(s) : la liste complète est sur la page des dossiers, ", n-shown)) + pageURL + "dossiers"
		}
	}
	for i, c := range cases {
		if i == maxDigestCases {
			break
		}
		var head []string
		for _, p := range []string{clean(c.Ref, maxShort), clean(c.Supplier, maxName)} {
			if p != "" {
				head = append(head, p)
			}
		}
		if n := clean(c.InvoiceNumber, maxShort); n != "" {
			head = append(head, "facture n°"+nbsp+n)
		}
		if a := FrenchAmount(clean(c.Amount, maxShort), clean(c.Currency, 8)); a != "" {
			head = append(head, a)
		}
		if !c.Since.IsZero() {
			head = append(head, sincePrefix+FrenchDate(c.Since.Format("2006-01-02")))
		}
		it := digestItem{Head: strings.Join(head, " – "), Detail: typo.Replace(sentence(clean(c.Reason, maxReason)))}
		if ref := clean(c.Ref, maxShort); pageURL != "" && ref != "" {
			it.Link = pageURL + "dossiers/" + url.PathEscape(ref)
		}
		s.Items = append(s.Items, it)
	}
	if len(cases) > 0 {
		s.Hint = typo.Replace(hint)
	}
	return s
}

var frenchWeekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// frenchDay is "jeudi 26 novembre 2026".
func frenchDay(t time.Time) string {
	return frenchWeekdays[t.Weekday()] + " " + FrenchDate(t.Format("2006-01-02"))
}

// frenchDateTime is "25 novembre 2026 à 8 h 00".
func frenchDateTime(t time.Time) string {
	return FrenchDate(t.Format("2006-01-02")) + " à " + strconv.Itoa(t.Hour()) + nbsp + "h" + nbsp + t.Format("04")
}

func (v digestView) text() []byte {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteString("\r\n") }
	para := func(s string, indent string) {
		for _, l := range wrap(s, textWidth-len(indent)) {
			line(indent + l)
		}
	}
	line("Madame, Monsieur,")
	line("")
	para(v.Intro, "")
	line("")
	line(v.Period)
	for _, r := range v.Counts {
		line("  - " + r.Label + nbsp + ": " + r.Value)
	}
	line("")
	for _, s := range v.Sections {
		line(s.Title)
		line(strings.Repeat("-", len([]rune(s.Title))))
		if len(s.Items) == 0 {
			para(s.Empty, "")
		}
		for _, it := range s.Items {
			para("- "+it.Head, "")
			if it.Detail != "" {
				para(it.Detail, "    ")
			}
			if it.Link != "" {
				line("    " + it.Link)
			}
		}
		if s.More != "" {
			para(s.More, "")
		}
		if s.Hint != "" {
			line("")
			para(s.Hint, "")
		}
		line("")
	}
	para(v.Closing, "")
	line("")
	for _, s := range v.Signature {
		line(s)
	}
	return b.Bytes()
}

var htmlDigest = template.Must(template.New("digest").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#ffffff;">
<div style="max-width:760px;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1e1e1e;">
<p style="margin:0 0 12px 0;">Madame, Monsieur,</p>
<p style="margin:0 0 12px 0;">{{.Intro}}</p>
<table style="border-collapse:collapse;margin:8px 0 20px 0;">
<caption style="text-align:left;font-weight:bold;padding:0 0 6px 0;">{{.Period}}</caption>
{{- range .Counts}}
<tr><th scope="row" style="text-align:left;font-weight:normal;color:#555555;padding:4px 16px 4px 0;border-top:1px solid #e0e0e0;">{{.Label}}</th><td style="text-align:right;font-weight:bold;padding:4px 0;border-top:1px solid #e0e0e0;">{{.Value}}</td></tr>
{{- end}}
</table>
{{- range .Sections}}
<h2 style="font-size:17px;margin:20px 0 8px 0;">{{.Title}}</h2>
{{- if not .Items}}
<p style="margin:0 0 12px 0;color:#555555;">{{.Empty}}</p>
{{- else}}
<ul style="margin:0 0 12px 0;padding-left:20px;">
{{- range .Items}}
<li style="margin:0 0 8px 0;"><strong>{{if .Link}}<a href="{{.Link}}">{{.Head}}</a>{{else}}{{.Head}}{{end}}</strong>{{if .Detail}}<br><span style="color:#444444;">{{.Detail}}</span>{{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .More}}
<p style="margin:0 0 12px 0;">{{.More}}</p>
{{- end}}
{{- if .Hint}}
<p style="margin:0 0 12px 0;font-size:13px;color:#555555;">{{.Hint}}</p>
{{- end}}
{{- end}}
<hr style="border:none;border-top:1px solid #e0e0e0;margin:24px 0 12px 0;">
<p style="margin:0 0 12px 0;font-size:13px;color:#666666;">{{.Closing}}</p>
<p style="margin:0;font-size:13px;color:#666666;">{{range $i, $s := .Signature}}{{if $i}}<br>{{end}}{{$s}}{{end}}</p>
</div>
</body>
</html>
`))

func (v digestView) html() ([]byte, error) { return renderHTML(htmlDigest, v) }

// pageURL is the digest's page address if it is an absolute http(s) URL
// (it ends up in an e-mail: nothing else is linked), with a final "/".
func pageURL(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw
}
