// Package demo sets up the peers of `facteur demo` on loopback ephemeral
// ports: go-imap's in-memory IMAP server holding the accounting mailbox, an
// SMTP server capturing the replies, and the Chorus Pro sandbox; it writes
// the configuration that points Facteur at them and generates the sample
// supplier e-mails. End-to-end tests use the same environment.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"facteur/app"
	"facteur/chorus/sandbox"
	"facteur/config"
	"facteur/demo/smtpcapture"
	"facteur/samples"
	"facteur/store"
)

// Credentials of the demo peers. They exist only in this process.
const (
	MailboxUser     = samples.CASQMailbox
	mailboxPassword = "demo-imap-password"
	clientID        = "demo-piste-client"
	clientSecret    = "demo-piste-secret"
	techLogin       = "TECH_1_demo@cpro.fr"
	techPassword    = "demo-technical-password"
)

// Env is a running demo environment.
type Env struct {
	Dir     string
	Sandbox *sandbox.Server
	SMTP    *smtpcapture.Server
	User    *imapmemserver.User
	imap    *imapserver.Server
	imapLn  net.Listener
	Config  *config.Config
}

// Options change the demo environment, for tests.
type Options struct {
	// Structures known to the Chorus Pro sandbox; nil → the four CASQ budgets.
	Structures []sandbox.Structure
	// SandboxNow is the sandbox's clock (nil: the real one) and
	// LifecycleStep how long an invoice stays in each status on it (0:
	// invoices stay DEPOSEE).
	SandboxNow    func() time.Time
	LifecycleStep time.Duration
	// Suppliers are the supplier structures the technical account is
	// attached to (PDF-mode deposits); nil → the sandbox's default.
	Suppliers []sandbox.Supplier
	// FinalStates, by invoice number, are flow states the sandbox reports
	// in place of IN_INTEGRE / IN_REJETE (see sandbox.Options).
	FinalStates map[string]string
	// SupplierSearchAttachedOnly limits the sandbox's supplier-side
	// searches to the supplier structures of the technical user.
	SupplierSearchAttachedOnly bool
}

// Start starts the peers and writes the configuration; the store will live
// in dir.
func Start(dir string, o Options) (*Env, error) {
	e := &Env{Dir: dir}
	if o.Structures == nil {
		o.Structures = sandbox.CASQStructures()
	}
	var err error
	e.Sandbox, err = sandbox.Start(sandbox.Options{
		ClientID: clientID, ClientSecret: clientSecret, Login: techLogin, Password: techPassword,
		Structures: o.Structures, Now: o.SandboxNow, LifecycleStep: o.LifecycleStep, Suppliers: o.Suppliers,
		FinalStates: o.FinalStates, SupplierSearchAttachedOnly: o.SupplierSearchAttachedOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: sandbox: %w", err)
	}
	e.SMTP, err = smtpcapture.Start()
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("demo: smtp: %w", err)
	}
	mem := imapmemserver.New()
	e.User = imapmemserver.NewUser(MailboxUser, mailboxPassword)
	if err := e.User.Create("INBOX", nil); err != nil {
		e.Close()
		return nil, fmt.Errorf("demo: imap: %w", err)
	}
	mem.AddUser(e.User)
	e.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true, // loopback only
		// Facteur closing its connection is normal; the server's complaints
		// about it would only clutter the demo's output.
		Logger: log.New(io.Discard, "", 0),
	})
	e.imapLn, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("demo: imap: %w", err)
	}
	go e.imap.Serve(e.imapLn)

	e.Config, err = config.Parse([]byte(e.ConfigTOML()))
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("demo: configuration: %w", err)
	}
	return e, nil
}

// ConfigTOML is the demo configuration: the same schema as
// config.example.toml, pointing at the local peers.
func (e *Env) ConfigTOML() string {
	imapHost, imapPort, _ := net.SplitHostPort(e.imapLn.Addr().String())
	smtpHost, smtpPort, _ := net.SplitHostPort(e.SMTP.Addr())
	return fmt.Sprintf(`
[instance]
name = "Agglomération du Saint-Quentinois"
data_dir = %q
case_prefix = "FAC"

[[mailbox]]
name = "comptabilite"
address = %q
host = %q
port = %s
security = "plain"
username = %q
password = { value = %q }
poll = "@every 2s"

[smtp]
host = %q
port = %s
security = "plain"
from = %q
from_name = "Agglomération du Saint-Quentinois – Direction des Finances"
bcc = ["finances@casq.fr"]

[chorus]
environment = "custom"
api_url = %q
token_url = %q
client_id = %q
client_secret = { value = %q }
technical_login = %q
technical_password = { value = %q }
timeout = "10s"

[[budget]]
name = "Budget principal"
siret = "200 071 892 00067"

[[budget]]
name = "Budget eau potable"
siret = "200 071 892 00026"
keywords = ["eau potable"]

[[budget]]
name = "Budget assainissement"
siret = "200 071 892 00034"
keywords = ["assainissement"]

[[budget]]
name = "Budget circuit automobile"
siret = "200 071 892 00059"
keywords = ["circuit"]
`, e.Dir, MailboxUser, imapHost, imapPort, MailboxUser, mailboxPassword,
		smtpHost, smtpPort, MailboxUser,
		e.Sandbox.URL(), e.Sandbox.TokenURL(), clientID, clientSecret, techLogin, techPassword)
}

// Deliver appends a raw message to the INBOX.
func (e *Env) Deliver(raw []byte) error {
	_, err := e.User.Append("INBOX", literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{})
	return err
}

type literal struct {
	*bytes.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

// Count returns the number of messages in a folder (0 when it is missing).
func (e *Env) Count(folder string) int {
	st, err := e.User.Status(folder, &imap.StatusOptions{NumMessages: true})
	if err != nil || st.NumMessages == nil {
		return 0
	}
	return int(*st.NumMessages)
}

// Close stops the peers.
func (e *Env) Close() {
	if e.imap != nil {
		e.imap.Close()
	}
	if e.SMTP != nil {
		e.SMTP.Close()
	}
	if e.Sandbox != nil {
		e.Sandbox.Close()
	}
}

// Sample is one demo e-mail with what it is meant to show.
type Sample struct {
	Label string
	Mail  samples.Mail
}

// Samples returns the demo e-mails: complete Factur-X invoices for two
// budgets, a UBL invoice for a third, a Factur-X invoice without engagement
// number, a PDF without structured data, and an automatic reply.
func Samples(now time.Time) ([]Sample, error) { return demoSamples(now, false) }

// Tour returns what `facteur demo` shows: Samples, then a credit note on
// the first invoice and a message whose attachment was forgotten.
func Tour(now time.Time) ([]Sample, error) { return demoSamples(now, true) }

func demoSamples(now time.Time, tour bool) ([]Sample, error) {
	sup := samples.DemoSuppliers()
	date := now.AddDate(0, 0, -3).Format("2006-01-02")
	year := now.Year()

	type spec struct {
		label   string
		s       samples.Supplier
		number  string
		buyer   string
		ej      string
		subject string
		body    string
		ubl     bool   // a UBL XML file instead of a Factur-X PDF
		plain   bool   // a PDF without structured data
		credit  string // a credit note correcting this invoice
		none    bool   // the attachment announced was forgotten
	}
	specs := []spec{
		{"Factur-X, budget principal, avec engagement", sup[1], fmt.Sprintf("VNT-%d-1187", year), samples.CASQBudgetPrincipal, fmt.Sprintf("EJ-%d-003154", year),
			fmt.Sprintf("Facture VNT-%d-1187", year),
			"Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture pour les travaux de voirie de la rue d'Isle.\n\nCordialement,\nService comptabilité\nVoirie Nord Travaux SAS\n", false, false, "", false},
		{"Factur-X, budget eau potable, avec engagement", sup[0], fmt.Sprintf("HSP-%d-0042", year), samples.CASQBudgetEauPotable, fmt.Sprintf("EJ-%d-004217", year),
			fmt.Sprintf("Facture n° HSP-%d-0042 – remplacement de vanne, réseau d'eau potable", year),
			"Bonjour,\n\nVous trouverez en pièce jointe notre facture relative au remplacement de la vanne DN150.\n\nBien cordialement,\nÉmilie Lefèvre\nHydro Services Picardie\n", false, false, "", false},
	}
	if len(sup) < 4 {
		return nil, errors.New("demo: need four sample suppliers")
	}
	specs = append(specs,
		spec{label: "UBL, budget circuit automobile, avec engagement", s: sup[3], number: fmt.Sprintf("BPA-%d-7731", year),
			buyer: samples.CASQBudgetCircuitAutomobile, ej: fmt.Sprintf("EJ-%d-005120", year),
			subject: fmt.Sprintf("Facture BPA-%d-7731 (fournitures, circuit automobile)", year),
			body:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture au format UBL.\n\nSalutations distinguées,\nBureautique & Papeterie de l'Aisne\n",
			ubl:     true},
		spec{label: "Factur-X sans numéro d'engagement", s: sup[2], number: fmt.Sprintf("F%d-318", year), buyer: samples.CASQBudgetPrincipal,
			subject: fmt.Sprintf("Facture F%d-318", year),
			body:    "Bonjour,\n\nCi-joint notre facture. Merci de nous confirmer sa bonne réception.\n\nCordialement.\n"},
		spec{label: "PDF sans Factur-X, budget assainissement", s: sup[0], number: fmt.Sprintf("HSP-%d-0057", year),
			buyer: samples.CASQBudgetAssainissement, ej: fmt.Sprintf("EJ-%d-006031", year),
			subject: fmt.Sprintf("Facture HSP-%d-0057 – curage du réseau d'assainissement", year),
			body:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour le curage du réseau d'assainissement.\n\nCordialement,\nÉmilie Lefèvre\nHydro Services Picardie\n",
			plain:   true},
	)
	if tour {
		specs = append(specs,
			spec{label: "Avoir Factur-X sur une facture déposée", s: sup[1], number: fmt.Sprintf("AV-%d-0012", year),
				buyer: samples.CASQBudgetPrincipal, ej: fmt.Sprintf("EJ-%d-003154", year), credit: fmt.Sprintf("VNT-%d-1187", year),
				subject: fmt.Sprintf("Avoir AV-%d-0012 sur facture VNT-%d-1187", year, year),
				body:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre avoir sur la facture VNT-1187 (travaux non réalisés).\n\nCordialement,\nService comptabilité\nVoirie Nord Travaux SAS\n"},
			spec{label: "Pièce jointe oubliée", s: sup[3], subject: "Facture de novembre",
				body: "Bonjour,\n\nVeuillez trouver ci-joint notre facture du mois de novembre.\n\nBien cordialement,\nBureautique & Papeterie de l'Aisne\n",
				none: true},
		)
	}

	var out []Sample
	for i, sp := range specs {
		inv := sp.s.Invoice(sp.number, date, sp.buyer, "", sp.ej)
		inv.CorrectedInvoice = sp.credit
		att := samples.Attachment{Name: "Facture " + sp.number + ".pdf", ContentType: "application/pdf"}
		if sp.credit != "" {
			att.Name = "Avoir " + sp.number + ".pdf"
		}
		switch {
		case sp.none:
		case sp.ubl:
			att = samples.Attachment{Name: sp.number + ".xml", ContentType: "application/xml", Data: samples.UBL(inv)}
		case sp.plain:
			pdf, err := samples.PlainPDF(inv)
			if err != nil {
				return nil, fmt.Errorf("demo: sample %d: %w", i+1, err)
			}
			att.Data = pdf
		default:
			pdf, err := samples.FacturX(inv)
			if err != nil {
				return nil, fmt.Errorf("demo: sample %d: %w", i+1, err)
			}
			att.Data = pdf
		}
		from := sp.s.Email
		if sp.s.Contact != "" {
			from = sp.s.Contact + " <" + sp.s.Email + ">"
		}
		var atts []samples.Attachment
		if !sp.none {
			atts = []samples.Attachment{att}
		}
		out = append(out, Sample{Label: sp.label, Mail: samples.Mail{
			From: from, To: "Comptabilité CASQ <" + MailboxUser + ">", Subject: sp.subject, Body: sp.body,
			MessageID:   fmt.Sprintf("demo-%d-%d@%s", year, i+1, domain(sp.s.Email)),
			Date:        now.Add(time.Duration(i-10) * time.Minute),
			Attachments: atts,
		}})
	}
	out = append(out, Sample{Label: "Réponse automatique d'absence", Mail: samples.Mail{
		From: "Jean Martin <j.martin@fournitures-bureau.example>", To: MailboxUser,
		Subject:   "Réponse automatique : absent du bureau",
		Body:      "Bonjour,\n\nJe suis absent jusqu'au 2 décembre inclus. Pour toute urgence, merci d'écrire à contact@fournitures-bureau.example.\n\nJean Martin\n",
		MessageID: fmt.Sprintf("demo-%d-auto@fournitures-bureau.example", year),
		Date:      now.Add(-5 * time.Minute),
		Headers:   [][2]string{{"Auto-Submitted", "auto-replied"}, {"X-Autoreply", "yes"}},
	}})
	return out, nil
}

func domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "example.invalid"
}

// WaitSettled waits until Facteur has nothing left to do on its own for
// want ingested messages: all parsed and settled, deposits answered by
// Chorus Pro, replies sent, and every message filed out of the INBOX.
func WaitSettled(ctx context.Context, st *store.Store, e *Env, want int) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		msgs, err := st.Messages(ctx, want+10)
		if err != nil {
			return err
		}
		p, err := st.Pending(ctx)
		if err != nil {
			return err
		}
		if len(msgs) >= want && p.Idle() && e.Count("INBOX") == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: not settled: %d/%d messages ingested, pending %+v, %d still in INBOX: %w",
				len(msgs), want, p, e.Count("INBOX"), ctx.Err())
		case <-t.C:
		}
	}
}

// Run runs Facteur (the code of `facteur run`) over the environment until
// want messages are settled (WaitSettled) or timeout passes, then stops it
// cleanly.
func Run(ctx context.Context, e *Env, want int, timeout time.Duration, o app.Options) error {
	a, err := app.New(ctx, e.Config, o)
	if err != nil {
		return err
	}
	defer a.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	waitCtx, cancelWait := context.WithTimeout(ctx, timeout)
	werr := WaitSettled(waitCtx, a.Store(), e, want)
	cancelWait()
	cancel()
	if err := <-done; err != nil {
		return err
	}
	return werr
}
