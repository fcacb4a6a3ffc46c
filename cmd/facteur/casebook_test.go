package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"facteur/casebook"
	"facteur/chorus"
	"facteur/chorus/sandbox"
	"facteur/demo"
	"facteur/internal/dovecottest"
	"facteur/internal/mailpittest"
	"facteur/parser"
	"facteur/store"
)

// TestCasebook runs the casebook (package casebook: supplier e-mails as
// real clients write them, each with what a careful clerk expects of it)
// through `facteur run` in its own process, against a real Dovecot holding
// the mailbox, a real mailpit receiving the replies and the Chorus Pro
// sandbox (the CASQ's structures with the engagement number mandatory, a
// fifth that leaves it optional; one supplier attached to the technical
// account). The messages that need an earlier one settled (a resend, an
// answer to our request, quoting it, In-Reply-To set from the reply
// mailpit received) are delivered in later rounds. At the end every case
// is checked: the final state of each of its cases, what reached Chorus
// Pro, the replies and what they say, what finance staff read. The table
// is logged; every mismatch fails, except the cases marked as a known gap,
// which must not pass.
func TestCasebook(t *testing.T) {
	dv := dovecottest.Start(t, dovecottest.Options{})
	mp := mailpittest.Start(t)
	structures := sandbox.CASQStructures()
	for _, b := range casebook.Budgets() {
		if b.OptionalOnChorus {
			structures = append(structures, sandbox.Structure{SIRET: b.SIRET, Name: "COMMUNAUTE D'AGGLOMERATION DU SAINT-QUENTINOIS - " + strings.ToUpper(b.Name)})
		}
	}
	env, err := demo.Start(t.TempDir(), demo.Options{Structures: structures, Suppliers: []sandbox.Supplier{{
		ID: casebook.EVVChorusID, SIRET: casebook.EVV.SIRET, Name: casebook.EVV.Name,
		BankDetails: map[int64]string{188001: "Compte principal"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()

	dir := t.TempDir()
	cfgPath := writeCasebookConfig(t, dir, dv, mp, env)
	run := startRun(t, cfgPath)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	st := openWhenReady(ctx, t, dir)
	defer st.Close()

	cases := casebook.Cases()
	byName := map[string]*casebook.Case{}
	for i := range cases {
		byName[cases[i].Name] = &cases[i]
	}
	sent := map[string][]byte{} // the raw message of each case, as delivered
	settled := map[string]bool{}
	start := time.Now()
	for round := 1; len(sent) < len(cases); round++ {
		var batch [][]byte
		var names []string
		for _, c := range cases {
			if sent[c.Name] != nil || c.After != "" && !settled[c.After] {
				continue
			}
			var r *casebook.Reply
			if c.Answers != "" {
				r = replyOf(ctx, t, st, mp, sent[c.After], c.Answers, c.AnswersInvoice)
				if r == nil {
					// Written all the same, as an answer to nothing: its
					// own check says what became of it.
					if byName[c.After].Gap != "" {
						t.Logf("%s: no %s reply about %s to answer (a known gap)", c.Name, c.Answers, c.After)
					} else {
						t.Errorf("%s: no %s reply about %s to answer", c.Name, c.Answers, c.After)
					}
					r = &casebook.Reply{MessageID: "missing@casq.fr", Subject: "(no reply)", From: casebook.Mailbox, FromName: casebook.Organisation, Date: time.Now()}
				}
			}
			raw := c.Build(r)
			sent[c.Name] = raw
			batch = append(batch, raw)
			names = append(names, c.Name)
		}
		if len(batch) == 0 {
			t.Fatalf("round %d: nothing to deliver, yet %d of %d cases are not (a dependency never settled)", round, len(cases)-len(sent), len(cases))
		}
		dv.DeliverMaildir("INBOX", batch)
		if err := waitCasebook(ctx, st, dv, len(sent)); err != nil {
			t.Fatalf("round %d: %v\nstderr:\n%s", round, err, lastLines(run.stderr.String(), 60))
		}
		for _, n := range names {
			settled[n] = true
		}
		t.Logf("round %d: %d message(s) delivered and settled after %s", round, len(batch), time.Since(start).Round(time.Millisecond))
	}
	run.stop(t)

	ck := newCasebookChecker(ctx, t, st, mp, env, sent)
	if out := os.Getenv("FACTEUR_CASEBOOK_DIR"); out != "" {
		ck.dump(out, cases)
	}
	var rows [][5]string
	var failures, gaps []string
	for _, c := range cases {
		problems, got := ck.check(c)
		status := "ok"
		switch {
		case c.Gap != "" && len(problems) == 0:
			status = "FAIL"
			failures = append(failures, fmt.Sprintf("%s: marked as a gap (%s) but passes: remove the mark", c.Name, c.Gap))
		case c.Gap != "":
			status = "gap"
			gaps = append(gaps, fmt.Sprintf("%s: %s\n      got: %s", c.Name, c.Gap, strings.Join(problems, "; ")))
		case len(problems) > 0:
			status = "FAIL"
			failures = append(failures, c.Name+": "+strings.Join(problems, "; "))
		}
		rows = append(rows, [5]string{c.Name, c.Kind, cbExpected(c), got, status})
	}
	if extra := ck.strayDeposits(); extra != "" {
		failures = append(failures, extra)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tkind\texpected\tgot\tok")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r[:], "\t"))
	}
	tw.Flush()
	t.Logf("casebook: %d messages in %s\n%s", len(cases), time.Since(start).Round(time.Second), b.String())
	if len(gaps) > 0 {
		t.Logf("known gaps (%d):\n  %s", len(gaps), strings.Join(gaps, "\n  "))
	}
	if len(failures) > 0 {
		t.Errorf("%d case(s) not as a careful clerk would want:\n  %s", len(failures), strings.Join(failures, "\n  "))
	}
}

// writeCasebookConfig writes the configuration of `facteur run`: the
// Dovecot mailbox (its public address the CASQ's), mailpit for the
// replies, the sandbox, the budgets of the casebook.
func writeCasebookConfig(t *testing.T, dir string, dv *dovecottest.Server, mp *mailpittest.Server, env *demo.Env) string {
	t.Helper()
	demoCfg := env.ConfigTOML()
	chorusPart := demoCfg[strings.Index(demoCfg, "[chorus]"):strings.Index(demoCfg, "[[budget]]")]
	cfg := peersConfig(casebook.Organisation, dir, casebook.Mailbox, casebook.Mailbox, "@every 1s", dv, mp) + chorusPart
	for _, b := range casebook.Budgets() {
		cfg += fmt.Sprintf("[[budget]]\nname = %q\nsiret = %q\nkeywords = [", b.Name, b.SIRET)
		for i, k := range b.Keywords {
			if i > 0 {
				cfg += ", "
			}
			cfg += fmt.Sprintf("%q", k)
		}
		cfg += "]\nengagement_required = true\n\n"
	}
	p := filepath.Join(dir, "facteur.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitCasebook waits until want messages are ingested and Facteur has
// nothing left to do on its own: all parsed and settled, deposits
// answered, replies sent (and so in mailpit), the INBOX empty.
func waitCasebook(ctx context.Context, st *store.Store, dv *dovecottest.Server, want int) error {
	for {
		msgs, err := st.Messages(ctx, want+100)
		if err != nil {
			return err
		}
		p, err := st.Pending(ctx)
		if err != nil {
			return err
		}
		if len(msgs) >= want && p.Idle() && dv.Status("INBOX", "messages") == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not settled: %d/%d messages ingested, pending %+v, %d in the INBOX", len(msgs), want, p, dv.Status("INBOX", "messages"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mailpitMessage is a message as mailpit's API gives it.
type mailpitMessage struct {
	ID, MessageID, Subject, Text string
	Date                         time.Time
	From                         struct{ Name, Address string }
	To                           []struct{ Name, Address string }
}

// mailpitReceived returns the message mailpit received with a Message-ID.
func mailpitReceived(t *testing.T, mp *mailpittest.Server, messageID string) *mailpitMessage {
	t.Helper()
	var list struct{ Messages []mailpittest.Summary }
	mp.Get(t, "/api/v1/messages?limit=2000", &list)
	for _, s := range list.Messages {
		if strings.Trim(s.MessageID, "<>") == strings.Trim(messageID, "<>") {
			var m mailpitMessage
			mp.Get(t, "/api/v1/message/"+s.ID, &m)
			return &m
		}
	}
	return nil
}

// rawMessageID is the Message-ID of a raw message, without angle brackets.
func rawMessageID(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m.Header.Get("Message-Id")), "<>")
}

// rawReplyAddr is where a reply to a raw message goes: Reply-To, else From.
func rawReplyAddr(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	for _, h := range []string{"Reply-To", "From"} {
		if a, err := mail.ParseAddress(m.Header.Get(h)); err == nil {
			return strings.ToLower(a.Address)
		}
	}
	return ""
}

// cbStoreMessage finds the ingested message of a raw message.
func cbStoreMessage(ctx context.Context, t *testing.T, st *store.Store, raw []byte) *store.Message {
	t.Helper()
	id := rawMessageID(raw)
	msgs, err := st.Messages(ctx, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var found *store.Message
	for i := range msgs {
		if msgs[i].HeaderMessageID == id {
			if found != nil {
				return nil // two copies: not the message of one case
			}
			found = &msgs[i]
		}
	}
	return found
}

// replyOf is Facteur's reply of a kind about the case of raw (its case about
// invoice, or the first that got one), as the supplier received it.
func replyOf(ctx context.Context, t *testing.T, st *store.Store, mp *mailpittest.Server, raw []byte, kind, invoice string) *casebook.Reply {
	t.Helper()
	m := cbStoreMessage(ctx, t, st, raw)
	if m == nil {
		return nil
	}
	scs, err := st.CasesOfMessage(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if invoice != "" && sc.InvoiceNumber != invoice {
			continue
		}
		items, err := st.OutboxOfCase(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Kind != kind || it.State != store.OutboxSent {
				continue
			}
			got := mailpitReceived(t, mp, it.HeaderMessageID)
			if got == nil {
				return nil
			}
			r := &casebook.Reply{MessageID: strings.Trim(got.MessageID, "<>"), Subject: got.Subject, Text: got.Text,
				Date: got.Date, From: got.From.Address, FromName: got.From.Name, Ref: sc.Ref}
			if len(got.To) > 0 {
				r.To = got.To[0].Address
			}
			return r
		}
	}
	return nil
}

// casebookChecker checks the cases once the run is over.
type casebookChecker struct {
	ctx    context.Context
	t      *testing.T
	st     *store.Store
	mp     *mailpittest.Server
	env    *demo.Env
	sent   map[string][]byte
	client *chorus.Client
	// deposits found for a case (flow numbers, invoice ids), to find the
	// ones no case expects.
	flows map[string]bool
	ids   map[int64]bool
}

func newCasebookChecker(ctx context.Context, t *testing.T, st *store.Store, mp *mailpittest.Server, env *demo.Env, sent map[string][]byte) *casebookChecker {
	c := env.Config.Chorus
	secret, err := c.ClientSecret.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	password, err := c.TechnicalPassword.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	client, err := chorus.New(chorus.Config{APIURL: c.APIURL, TokenURL: c.TokenURL, ClientID: c.ClientID, ClientSecret: secret,
		Login: c.TechnicalLogin, Password: password, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &casebookChecker{ctx: ctx, t: t, st: st, mp: mp, env: env, sent: sent, client: client,
		flows: map[string]bool{}, ids: map[int64]bool{}}
}

// cases are the store's cases of a casebook case's message.
func (k *casebookChecker) cases(name string) []store.Case {
	raw := k.sent[name]
	if raw == nil {
		return nil
	}
	m := cbStoreMessage(k.ctx, k.t, k.st, raw)
	if m == nil {
		return nil
	}
	scs, err := k.st.CasesOfMessage(k.ctx, m.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	return scs
}

var cbPlaceholder = regexp.MustCompile(`\{(ref|flow):([a-z0-9-]+)(?:/([A-Za-z0-9-]+))?\}`)

// expand replaces {ref:CASE} and {flow:CASE} by the reference and the flow
// number of that case's (first, or INVOICE's) case.
func (k *casebookChecker) expand(s string) string {
	return cbPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		sm := cbPlaceholder.FindStringSubmatch(m)
		for _, sc := range k.cases(sm[2]) {
			if sm[3] != "" && sc.InvoiceNumber != sm[3] {
				continue
			}
			if sm[1] == "ref" {
				return sc.Ref
			}
			return sc.FlowNumber
		}
		return m + "(unknown)"
	})
}

// cbFold is text in lower case with every run of white space (no-break
// spaces included) made one space, for phrases that a line break may cut.
func cbFold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)), " "))
}

// check compares a casebook case with what became of its message; it
// returns the mismatches and a summary of what happened.
func (k *casebookChecker) check(c casebook.Case) (problems []string, got string) {
	raw := k.sent[c.Name]
	m := cbStoreMessage(k.ctx, k.t, k.st, raw)
	if m == nil {
		return []string{"message not found (once) in the store"}, "?"
	}
	scs, err := k.st.CasesOfMessage(k.ctx, m.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	var summary []string
	for _, sc := range scs {
		summary = append(summary, k.summary(sc))
	}
	got = strings.Join(summary, " | ")
	if len(scs) == 0 {
		got = "no case"
	}
	if len(scs) != len(c.Want) {
		problems = append(problems, fmt.Sprintf("%d case(s), want %d", len(scs), len(c.Want)))
	}
	used := map[int64]bool{}
	for _, w := range c.Want {
		var sc *store.Case
		for i := range scs {
			if !used[scs[i].ID] && (w.Invoice == "" && (scs[i].Document < 0 || scs[i].InvoiceNumber == "") || w.Invoice != "" && scs[i].InvoiceNumber == w.Invoice) {
				sc = &scs[i]
				break
			}
		}
		label := w.Invoice
		if label == "" {
			label = "message"
		}
		if sc == nil {
			problems = append(problems, label+": no such case")
			continue
		}
		used[sc.ID] = true
		for _, p := range k.checkCase(*sc, w, rawReplyAddr(raw)) {
			problems = append(problems, label+": "+p)
		}
	}
	return problems, got
}

func (k *casebookChecker) checkCase(sc store.Case, w casebook.Want, sender string) []string {
	var problems []string
	if string(sc.State) != w.State {
		problems = append(problems, fmt.Sprintf("state %s, want %s (%s)", sc.State, w.State, sc.Reason))
	}
	if w.Finance != "" && !strings.Contains(cbFold(sc.Reason), cbFold(k.expand(w.Finance))) {
		problems = append(problems, fmt.Sprintf("finance staff read %q, want it to say %q", sc.Reason, k.expand(w.Finance)))
	}
	for _, s := range w.FinanceNever {
		if strings.Contains(cbFold(sc.Reason), cbFold(k.expand(s))) {
			problems = append(problems, fmt.Sprintf("finance staff read %q, which should not say %q", sc.Reason, s))
		}
	}
	problems = append(problems, k.checkDeposit(sc, w.Deposit)...)

	items, err := k.st.OutboxOfCase(k.ctx, sc.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, it.Kind)
		if it.State != store.OutboxSent {
			problems = append(problems, fmt.Sprintf("reply %s %s: %s", it.Kind, it.State, it.LastError))
		}
	}
	want := append(append([]string(nil), w.Earlier...), w.Reply)
	if w.Reply == "" {
		want = w.Earlier
	}
	if !slices.Equal(kinds, want) {
		problems = append(problems, fmt.Sprintf("replies %v, want %v", kinds, want))
	}
	to := w.To
	if to == "" {
		to = sender
	}
	var texts []string
	for i, it := range items {
		got := mailpitReceived(k.t, k.mp, it.HeaderMessageID)
		if got == nil {
			problems = append(problems, "reply "+it.Kind+" not received by mailpit")
			continue
		}
		if len(got.To) != 1 || !strings.EqualFold(got.To[0].Address, to) {
			problems = append(problems, fmt.Sprintf("reply %s sent to %v, want %s", it.Kind, got.To, to))
		}
		if !strings.Contains(got.Subject, "["+sc.Ref+"]") {
			problems = append(problems, fmt.Sprintf("reply subject %q lacks [%s]", got.Subject, sc.Ref))
		}
		if frag := replySubjects[it.Kind]; frag != "" && !strings.Contains(got.Subject, frag) {
			problems = append(problems, fmt.Sprintf("%s reply subject %q lacks %q", it.Kind, got.Subject, frag))
		}
		texts = append(texts, cbFold(got.Subject+"\n"+got.Text))
		if i == len(items)-1 && w.Reply != "" {
			for _, s := range w.Says {
				if s = k.expand(s); !strings.Contains(texts[len(texts)-1], cbFold(s)) {
					problems = append(problems, fmt.Sprintf("%s reply does not say %q", it.Kind, s))
				}
			}
		}
	}
	for _, text := range texts {
		for _, s := range w.Never {
			if s = k.expand(s); strings.Contains(text, cbFold(s)) {
				problems = append(problems, fmt.Sprintf("a reply says %q", s))
			}
		}
	}
	return problems
}

// replySubjects is what the subject of each kind of reply says.
var replySubjects = map[string]string{
	"confirmation":     " déposé", // déposée, or déposé for an avoir; never "à déposer"
	"need_engagement":  "Numéro d'engagement manquant",
	"need_invoice":     "Facture non reçue ou illisible",
	"guide":            "à déposer sur Chorus Pro",
	"already_received": "déjà reçu",
	"bank_check":       "vérification des coordonnées bancaires",
	"status":           "Situation de votre facture",
	"status_unknown":   "Facture introuvable",
	"rejected":         "refusée par Chorus Pro",
}

// checkDeposit compares what reached Chorus Pro for a case with what is
// wanted.
func (k *casebookChecker) checkDeposit(sc store.Case, want *casebook.Deposit) []string {
	var flux *sandbox.Deposit
	if sc.FlowNumber != "" {
		for _, d := range k.env.Sandbox.Deposits() {
			if d.FlowNumber == sc.FlowNumber {
				d := d
				flux = &d
			}
		}
	}
	var sub *sandbox.Invoice
	if sc.InvoiceID != 0 && sc.FlowNumber == "" {
		for _, inv := range k.env.Sandbox.Invoices() {
			if inv.ID == sc.InvoiceID && inv.FlowNumber == "" {
				inv := inv
				sub = &inv
			}
		}
	}
	if flux != nil {
		k.flows[flux.FlowNumber] = true
	}
	if sub != nil {
		k.ids[sub.ID] = true
	}
	switch {
	case want == nil && flux == nil && sub == nil:
		return nil
	case want == nil:
		return []string{"deposited on Chorus Pro, want nothing deposited"}
	case flux == nil && sub == nil:
		return []string{fmt.Sprintf("nothing on Chorus Pro, want a %s deposit", want.Mode)}
	}
	var got casebook.Deposit
	if flux != nil {
		got = casebook.Deposit{SIRET: flux.BuyerSIRET, Engagement: flux.OrderReference, Number: flux.InvoiceNumber, Mode: "flux"}
		// The type is the file's own (the sandbox takes every flow for an
		// invoice).
		doc := parser.ParseDocument(flux.FileName, flux.Data, parser.Options{})
		if doc.Invoice != nil {
			got.Type = doc.Invoice.Type
		}
	} else {
		got = casebook.Deposit{SIRET: sub.RecipientSIRET, Engagement: sub.Engagement, Number: sub.Number, Mode: "pdf"}
		found, err := k.client.FindSupplierInvoice(k.ctx, sub.Number, sub.SupplierID, sub.SupplierSIRET,
			time.Now().AddDate(0, 0, -2), time.Now().AddDate(0, 0, 2))
		for _, f := range found {
			if f.ID == sub.ID {
				got.Type = map[string]string{"FACTURE": "invoice", "AVOIR": "credit_note"}[f.Type]
			}
		}
		if err != nil {
			got.Type = "? (" + err.Error() + ")"
		}
	}
	if got != *want {
		return []string{fmt.Sprintf("on Chorus Pro %+v, want %+v", got, *want)}
	}
	return nil
}

// strayDeposits names what reached Chorus Pro for none of the cases (a
// second deposit of one, say).
func (k *casebookChecker) strayDeposits() string {
	var stray []string
	for _, d := range k.env.Sandbox.Deposits() {
		if !k.flows[d.FlowNumber] {
			stray = append(stray, "flow "+d.FlowNumber+" "+d.InvoiceNumber)
		}
	}
	for _, inv := range k.env.Sandbox.Invoices() {
		if inv.FlowNumber == "" && !k.ids[inv.ID] {
			stray = append(stray, fmt.Sprintf("invoice %d %s", inv.ID, inv.Number))
		}
	}
	if len(stray) == 0 {
		return ""
	}
	return "deposited on Chorus Pro for no case: " + strings.Join(stray, ", ")
}

// summary says in a few words what became of a case.
func (k *casebookChecker) summary(sc store.Case) string {
	s := string(sc.State)
	if sc.InvoiceNumber != "" {
		s = sc.InvoiceNumber + " " + s
	}
	switch {
	case sc.FlowNumber != "":
		s += " flux→" + sc.RecipientSIRET
	case sc.InvoiceID != 0:
		s += " pdf→" + sc.RecipientSIRET
	}
	if sc.Engagement != "" && (sc.FlowNumber != "" || sc.InvoiceID != 0 || sc.State == store.CaseGuided) {
		s += " " + sc.Engagement
	}
	items, _ := k.st.OutboxOfCase(k.ctx, sc.ID)
	for _, it := range items {
		s += " +" + it.Kind
	}
	return s
}

// cbExpected says in a few words what a case wants.
func cbExpected(c casebook.Case) string {
	var out []string
	for _, w := range c.Want {
		s := w.State
		if w.Invoice != "" {
			s = w.Invoice + " " + s
		}
		if d := w.Deposit; d != nil {
			s += " " + d.Mode + "→" + d.SIRET
			if d.Engagement != "" {
				s += " " + d.Engagement
			}
			if d.Type == "credit_note" {
				s += " (avoir)"
			}
		}
		for _, k := range append(append([]string(nil), w.Earlier...), w.Reply) {
			if k != "" {
				s += " +" + k
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "no case (answers " + c.After + ")"
	}
	return strings.Join(out, " | ")
}

// dump writes, for each case, the message as delivered (NAME.eml) and
// what became of it (NAME.txt: each case, its reason, and the text of
// every reply as the supplier received it).
func (k *casebookChecker) dump(dir string, cases []casebook.Case) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		k.t.Fatal(err)
	}
	for _, c := range cases {
		var b strings.Builder
		fmt.Fprintf(&b, "%s (%s, %s)\n%s\n", c.Name, c.Kind, c.Client, c.Note)
		for _, sc := range k.cases(c.Name) {
			fmt.Fprintf(&b, "\n== %s %s %s\nraison : %s\n", sc.Ref, sc.InvoiceNumber, sc.State, sc.Reason)
			items, err := k.st.OutboxOfCase(k.ctx, sc.ID)
			if err != nil {
				k.t.Fatal(err)
			}
			for _, it := range items {
				if got := mailpitReceived(k.t, k.mp, it.HeaderMessageID); got != nil {
					fmt.Fprintf(&b, "\n-- %s à %v\nObjet : %s\n\n%s\n", it.Kind, got.To, got.Subject, got.Text)
				}
			}
		}
		for name, data := range map[string][]byte{c.Name + ".eml": k.sent[c.Name], c.Name + ".txt": []byte(b.String())} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				k.t.Fatal(err)
			}
		}
	}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
