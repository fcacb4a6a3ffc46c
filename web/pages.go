package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"facteur/clerk"
	"facteur/gateway"
	"facteur/notifier"
	"facteur/parser"
	"facteur/store"
)

// pageSize is the number of cases on a page of the list.
const pageSize = 50

// row is a case as a line of a list.
type row struct {
	Ref, Received, Supplier, Invoice, Amount, Budget, State, Detail string
}

func caseRow(c store.Case) row {
	supplier := c.SupplierName
	if supplier == "" {
		supplier = c.From
	}
	detail := c.Reason
	if c.FlowNumber != "" && c.Reason == "" {
		detail = "flux " + c.FlowNumber
	}
	r := row{Ref: c.Ref, Received: c.CreatedAt.Local().Format("02/01/2006 15:04"), Supplier: clerk.OneLine(supplier, 60),
		Invoice: c.InvoiceNumber, Budget: c.Budget, State: clerk.StateLabel(c.State), Detail: clerk.OneLine(detail, 160)}
	if c.AmountWithVAT != "" {
		r.Amount = clerk.Amount(c.AmountWithVAT, c.Currency)
	}
	return r
}

// todoRow is a case waiting for a person, as the digest lists it.
type todoRow struct {
	Ref, Supplier, Invoice, Amount, Since, Reason string
}

func todoRows(cs []notifier.DigestCase) []todoRow {
	var out []todoRow
	for _, c := range cs {
		r := todoRow{Ref: c.Ref, Supplier: c.Supplier, Invoice: c.InvoiceNumber, Since: c.Since.Local().Format("02/01/2006"),
			Reason: clerk.OneLine(c.Reason, 200)}
		if c.Amount != "" {
			r.Amount = clerk.Amount(c.Amount, c.Currency)
		}
		out = append(out, r)
	}
	return out
}

// option is a choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// listData is the list page's.
type listData struct {
	Counts   notifier.DigestCounts
	Today    string
	ShowTodo bool
	Held     []todoRow
	Rejected []todoRow
	Waiting  []todoRow
	Failed   []todoRow
	// HeldN, RejectedN, WaitingN count them all (the lists hold the most
	// recent ones, as the digest).
	HeldN, RejectedN, WaitingN int
	WaitingDays                int
	States                     []option
	Budgets                    []option
	Supplier                   string
	Search                     string
	From, To                   string
	Problems                   []string
	Rows                       []row
	Page                       int
	Prev, Next                 string
	Filtered                   bool
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request, ses *store.Session) {
	ctx := r.Context()
	q := r.URL.Query()
	d := listData{Supplier: bounded(q.Get("fournisseur")), Search: bounded(q.Get("recherche")), Page: 1,
		WaitingDays: int(s.o.WaitingAfter / (24 * time.Hour))}
	f := store.CaseFilter{Search: d.Search, Supplier: d.Supplier, Limit: pageSize + 1}
	state := q.Get("etat")
	d.States = []option{{Value: "", Label: "Tous les états", Selected: state == ""}}
	for _, st := range clerk.States {
		d.States = append(d.States, option{Value: string(st), Label: clerk.StateLabel(st), Selected: state == string(st)})
	}
	if state != "" {
		st, ok := clerk.ParseState(state)
		if !ok {
			d.Problems = append(d.Problems, "État inconnu : la liste montre tous les états.")
		} else {
			f.States = []store.CaseState{st}
		}
	}
	budget := q.Get("budget")
	d.Budgets = []option{{Value: "", Label: "Tous les budgets", Selected: budget == ""}}
	for _, b := range s.o.Gateway.BudgetNames() {
		d.Budgets = append(d.Budgets, option{Value: b, Label: b, Selected: budget == b})
		if budget == b {
			f.Budget = b
		}
	}
	if budget != "" && f.Budget == "" {
		d.Problems = append(d.Problems, "Budget inconnu : la liste montre tous les budgets.")
	}
	var err error
	if d.From = q.Get("du"); d.From != "" {
		if f.Since, err = time.ParseInLocation(time.DateOnly, d.From, time.Local); err != nil {
			d.Problems = append(d.Problems, "Date « du » illisible (attendu : AAAA-MM-JJ) : elle est ignorée.")
			d.From = ""
		}
	}
	if d.To = q.Get("au"); d.To != "" {
		until, err := time.ParseInLocation(time.DateOnly, d.To, time.Local)
		if err != nil {
			d.Problems = append(d.Problems, "Date « au » illisible (attendu : AAAA-MM-JJ) : elle est ignorée.")
			d.To = ""
		} else {
			f.Until = until.AddDate(0, 0, 1) // the whole day
		}
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p <= 100000 {
		d.Page = p
	}
	f.Offset = (d.Page - 1) * pageSize
	d.Filtered = len(f.States) > 0 || f.Budget != "" || f.Supplier != "" || f.Search != "" || !f.Since.IsZero() || !f.Until.IsZero()

	now := s.o.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	sum, err := s.o.Gateway.DigestSummary(ctx, midnight)
	if err != nil {
		s.internal(w, r, ses, "résumé du jour", err)
		return
	}
	d.Counts, d.Today = sum.Counts, strings.TrimSuffix(frenchDateTime(now), " à "+now.Local().Format("15:04"))
	if !d.Filtered && d.Page == 1 {
		d.ShowTodo = true
		d.Held, d.Rejected, d.Waiting = todoRows(sum.Held), todoRows(sum.Rejected), todoRows(sum.Waiting)
		d.HeldN, d.RejectedN, d.WaitingN = max(len(d.Held), sum.HeldTotal), max(len(d.Rejected), sum.RejectedTotal), max(len(d.Waiting), sum.WaitingTotal)
		failed, err := s.o.Store.FailedOutbox(ctx, time.Time{})
		if err != nil {
			s.internal(w, r, ses, "réponses non envoyées", err)
			return
		}
		for _, it := range failed {
			if it.CaseID == 0 {
				continue
			}
			c, err := s.o.Store.Case(ctx, it.CaseID)
			if err != nil {
				s.internal(w, r, ses, "réponses non envoyées", err)
				return
			}
			to := ""
			if len(it.Recipients) > 0 {
				to = it.Recipients[0]
			}
			d.Failed = append(d.Failed, todoRow{Ref: c.Ref, Supplier: c.SupplierName, Invoice: c.InvoiceNumber,
				Since: it.CreatedAt.Local().Format("02/01/2006"), Reason: clerk.OneLine(fmt.Sprintf("« %s » à %s : %s", it.Subject, to, it.LastError), 200)})
		}
	}
	cases, err := s.o.Store.Cases(ctx, f)
	if errors.Is(err, store.ErrSearchTooShort) {
		d.Problems = append(d.Problems, fmt.Sprintf("La recherche et le fournisseur demandent au moins %d lettres ou chiffres (les espaces ne comptent pas).", store.MinSearch))
		cases, err = nil, nil
	}
	if err != nil {
		s.internal(w, r, ses, "liste des dossiers", err)
		return
	}
	if len(cases) > pageSize {
		cases = cases[:pageSize]
		d.Next = s.pageLink(q, d.Page+1)
	}
	if d.Page > 1 {
		d.Prev = s.pageLink(q, d.Page-1)
	}
	for _, c := range cases {
		d.Rows = append(d.Rows, caseRow(c))
	}
	s.render(w, r, ses, http.StatusOK, "list", "Dossiers", d)
}

// pageLink is the list's address with the same filters, at page p.
func (s *Server) pageLink(q url.Values, p int) string {
	v := url.Values{}
	for _, k := range []string{"etat", "budget", "fournisseur", "du", "au", "recherche"} {
		if x := q.Get(k); x != "" {
			v.Set(k, x)
		}
	}
	v.Set("page", strconv.Itoa(p))
	return s.base + "dossiers?" + v.Encode()
}

// bounded cuts what a person typed in a filter to 200 characters.
func bounded(v string) string {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return ""
	}
	if r := []rune(v); len(r) > 200 {
		return string(r[:200])
	}
	return v
}

// field is a labelled value of the case page.
type field struct{ Label, Value string }

// document is a document of the case's message.
type document struct {
	ID                  int64
	Name, Kind, Problem string
	Viewable, OfCase    bool
	Size                string
	Candidates          []candidate
}

type candidate struct{ Value, Evidence string }

// reply is a reply of the case.
type reply struct {
	Subject, State, To, At, Error string
	Failed                        bool
}

// event is a line of the case's history.
type event struct {
	At, From, To, Note string
}

// caseData is the case page's.
type caseData struct {
	Ref, State, Reason string
	Fields             []field
	Documents          []document
	MessageCandidates  []candidate
	ReadProblem        string
	Replies            []reply
	History            []event
	Done, Error        string
	CanManage          bool
	Can                map[string]bool
	Budgets            []option
	Engagement         string
	Value              string // what was typed in the refused form
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, ses *store.Session) {
	s.showCase(w, r, ses, http.StatusOK, r.PathValue("ref"), doneText[r.URL.Query().Get("fait")], "", "")
}

// doneText says what an action did, after it redirected to the case page.
var doneText = map[string]string{
	"remettre":   "Le dossier est remis à l'examen : Facteur le décide à nouveau à son passage suivant, en général dans la minute.",
	"suivre":     "Le suivi de la facture sur Chorus Pro reprend.",
	"ecarter":    "Le dossier est écarté : sa facture ne sera pas déposée.",
	"renvoyer":   "Les réponses en échec ou non confirmées sont remises en file d'envoi.",
	"engagement": "Le numéro d'engagement est enregistré : Facteur décide à nouveau le dossier à son passage suivant, en général dans la minute.",
	"budget":     "Le budget est enregistré : Facteur décide à nouveau le dossier à son passage suivant, en général dans la minute.",
	"traite":     "Le dossier est noté comme traité hors de Facteur.",
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, ses *store.Session, status int, ref, done, failure, value string) {
	ctx := r.Context()
	c, err := s.o.Store.CaseByRef(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, ses, http.StatusNotFound, "Dossier introuvable", "Aucun dossier ne porte le numéro « "+clerk.OneLine(ref, 40)+" ».")
		return
	}
	if err != nil {
		s.internal(w, r, ses, "lecture du dossier", err)
		return
	}
	d := caseData{Ref: c.Ref, State: clerk.StateLabel(c.State), Reason: c.Reason, Done: done, Error: failure, Value: value,
		CanManage: ses.User.Role == RoleManage, Engagement: c.Engagement}
	add := func(label, v string) {
		if strings.TrimSpace(v) != "" {
			d.Fields = append(d.Fields, field{label, v})
		}
	}
	add("Reçu le", frenchDateTime(c.CreatedAt))
	for _, f := range clerk.CaseFields(c) {
		d.Fields = append(d.Fields, field{f.Label, f.Value})
	}

	docs, err := s.o.Store.DocumentsOfMessage(ctx, c.MessageID)
	if err != nil {
		s.internal(w, r, ses, "pièces jointes", err)
		return
	}
	// What was read: the message read again as the daemon reads it (the
	// candidates and their evidence are not stored).
	var pm *parser.Message
	raw, err := s.o.Store.Raw(ctx, c.MessageID)
	switch {
	case errors.Is(err, store.ErrRawPruned):
		d.ReadProblem = "Le message d'origine n'est plus conservé (durée de conservation dépassée) : ses pièces jointes ne peuvent plus être affichées."
	case err != nil:
		d.ReadProblem = "Le message d'origine n'a pas pu être lu : " + clerk.Technical(err)
	default:
		if pm, err = s.o.Parse(raw); err != nil {
			d.ReadProblem = "Le message d'origine n'a pas pu être relu : " + clerk.Technical(err)
			pm = nil
		}
	}
	for _, di := range docs {
		doc := document{ID: di.ID, Name: di.Name, Kind: clerk.DocumentKind(di), Problem: clerk.DocumentProblem(di),
			OfCase: di.Index == c.Document, Size: frenchSize(di.Size)}
		if pd := parsedDocument(pm, di); pd != nil {
			doc.Viewable = pd.Sniffed == "application/pdf" || bytes.HasPrefix(pd.Data, []byte("%PDF-"))
			for _, cand := range pd.Candidates {
				doc.Candidates = append(doc.Candidates, candidate{cand.Value, clerk.Evidence(cand.Evidence)})
			}
		}
		d.Documents = append(d.Documents, doc)
	}
	if pm != nil {
		for _, cand := range pm.Engagements {
			d.MessageCandidates = append(d.MessageCandidates, candidate{cand.Value, clerk.Evidence(cand.Evidence)})
		}
	}

	items, err := s.o.Store.OutboxOfCase(ctx, c.ID)
	if err != nil {
		s.internal(w, r, ses, "réponses", err)
		return
	}
	failedReplies := false
	for _, it := range items {
		rp := reply{Subject: it.Subject, State: clerk.ReplyStatus(it), To: strings.Join(it.Recipients, ", "),
			At: frenchDateTime(it.CreatedAt), Failed: it.State == store.OutboxFailed}
		if !it.SentAt.IsZero() {
			rp.At = frenchDateTime(it.SentAt)
		}
		switch it.State {
		case store.OutboxFailed:
			rp.Error = it.LastError
			failedReplies = true
		case store.OutboxUnconfirmed:
			// Sent, but the server's answer was lost: a person may ask
			// for it to be sent again (RetryReplies), as with cases retry.
			failedReplies = true
		}
		d.Replies = append(d.Replies, rp)
	}
	ledger, err := s.o.Store.Ledger(ctx, store.EntityCase, c.ID)
	if err != nil {
		s.internal(w, r, ses, "historique", err)
		return
	}
	for _, e := range ledger {
		ev := event{At: frenchDateTime(e.At), To: clerk.StateLabel(store.CaseState(e.To)), Note: e.Note}
		if e.From != "" && e.From != e.To {
			ev.From = clerk.StateLabel(store.CaseState(e.From))
		}
		d.History = append(d.History, ev)
	}
	d.Can = actionsFor(c, failedReplies)
	for _, b := range s.o.Gateway.BudgetNames() {
		d.Budgets = append(d.Budgets, option{Value: b, Label: b, Selected: b == c.Budget})
	}
	s.render(w, r, ses, status, "case", "Dossier "+c.Ref, d)
}

// actionsFor says which actions the case page offers in the case's state
// (the gateway refuses the others all the same).
func actionsFor(c store.Case, failedReplies bool) map[string]bool {
	st := c.State
	in := func(states ...store.CaseState) bool {
		for _, s := range states {
			if s == st {
				return true
			}
		}
		return false
	}
	decidable := in(store.CaseHeld, store.CaseAwaitingSupplier, store.CaseGuided, store.CaseIgnored, store.CaseRejected) &&
		(c.FlowNumber == "" || st == store.CaseRejected)
	return map[string]bool{
		"remettre":   in(store.CaseHeld, store.CaseRejected, store.CaseIgnored, store.CaseGuided, store.CaseAwaitingSupplier),
		"ecarter":    in(store.CaseHeld, store.CaseAwaitingSupplier, store.CaseGuided),
		"renvoyer":   failedReplies,
		"engagement": decidable,
		"budget":     decidable,
		"traite":     in(store.CaseHeld, store.CaseAwaitingSupplier, store.CaseGuided),
	}
}

// parsedDocument is the document of the message read again that the
// store recorded as d: the same index and the same bytes (SHA-256), or
// nil.
func parsedDocument(pm *parser.Message, d store.DocumentInfo) *parser.Document {
	if pm == nil || d.Index < 0 || d.Index >= len(pm.Documents) || pm.Documents[d.Index].SHA256 != d.SHA256 {
		return nil
	}
	return &pm.Documents[d.Index]
}

func frenchSize(n int) string {
	switch {
	case n >= 1<<20:
		return strings.Replace(fmt.Sprintf("%.1f Mo", float64(n)/(1<<20)), ".", ",", 1)
	case n >= 1<<10:
		return fmt.Sprintf("%d ko", n>>10)
	}
	return fmt.Sprintf("%d octets", n)
}

// act carries out an action of a person with the role gestion, then goes
// back to the case page (with what was done, or why it was refused).
func (s *Server) act(w http.ResponseWriter, r *http.Request, ses *store.Session) {
	ctx := r.Context()
	ref, action := r.PathValue("ref"), r.PathValue("action")
	value := bounded(r.PostForm.Get("valeur"))
	by := ses.User.Name
	var (
		a    error
		done = action
	)
	switch action {
	case "remettre":
		flow := bounded(r.PostForm.Get("flux"))
		acted, err := s.o.Gateway.Release(ctx, ref, by, flow)
		if err == nil && acted.To == store.CaseDeposited {
			done = "suivre"
		}
		a, value = err, flow
	case "ecarter":
		_, a = s.o.Gateway.Reject(ctx, ref, by, value)
	case "renvoyer":
		_, a = s.o.Gateway.RetryReplies(ctx, ref, by)
	case "engagement":
		_, a = s.o.Gateway.SetEngagement(ctx, ref, by, value)
	case "budget":
		_, a = s.o.Gateway.SetBudget(ctx, ref, by, value)
	case "traite":
		_, a = s.o.Gateway.MarkHandled(ctx, ref, by, value)
	default:
		s.fail(w, r, ses, http.StatusNotFound, "Action inconnue", "Cette action n'existe pas.")
		return
	}
	if a != nil {
		var from store.CaseState
		if c, err := s.o.Store.CaseByRef(ctx, ref); err == nil {
			from = c.State
		} else if errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, ses, http.StatusNotFound, "Dossier introuvable", "Aucun dossier ne porte le numéro « "+clerk.OneLine(ref, 40)+" ».")
			return
		}
		s.log.Warn("web: action refused", "case", ref, "action", action, "user", by, "err", a)
		status := http.StatusUnprocessableEntity // what the person gave
		switch {
		case errors.Is(a, store.ErrTransition) || errors.Is(a, store.ErrConflict) || errors.Is(a, gateway.ErrOnChorus):
			status = http.StatusConflict // the case's state
		case isTechnical(a):
			status = http.StatusInternalServerError
		}
		s.showCase(w, r, ses, status, ref, "", "Action refusée : "+clerk.ActionError(a, from, s.o.Gateway.BudgetNames())+".", value)
		return
	}
	s.log.Info("web: case acted on", "case", ref, "action", action, "user", by)
	http.Redirect(w, r, s.base+"dossiers/"+url.PathEscape(ref)+"?fait="+done, http.StatusSeeOther)
}

// isTechnical reports whether a refused action failed for a reason that
// is no one's decision (the store, the disk).
func isTechnical(err error) bool {
	return strings.HasPrefix(clerk.ActionError(err, "", nil), "erreur technique")
}

// document serves a document of a message from the spool, found by its
// id in the store (never by a name or a path the browser gives), checked
// against the SHA-256 recorded: a PDF inline, anything else as a
// download.
func (s *Server) document(w http.ResponseWriter, r *http.Request, ses *store.Session) {
	notFound := func() {
		s.fail(w, r, ses, http.StatusNotFound, "Document introuvable", "Aucun document ne correspond à cette adresse.")
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		notFound()
		return
	}
	d, messageID, err := s.o.Store.Document(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		notFound()
		return
	}
	if err != nil {
		s.internal(w, r, ses, "lecture du document", err)
		return
	}
	msg, err := s.o.Store.Raw(r.Context(), messageID)
	if errors.Is(err, store.ErrRawPruned) {
		s.fail(w, r, ses, http.StatusGone, "Document supprimé", "Le message d'origine n'est plus conservé (durée de conservation dépassée).")
		return
	}
	if err != nil {
		s.internal(w, r, ses, "lecture du message", err)
		return
	}
	pm, err := s.o.Parse(msg)
	if err != nil {
		s.internal(w, r, ses, "lecture du message", err)
		return
	}
	pd := parsedDocument(pm, d)
	if pd == nil || pd.Data == nil {
		s.fail(w, r, ses, http.StatusNotFound, "Document illisible", "Ce document n'a pas pu être retrouvé dans le message d'origine.")
		return
	}
	s.log.Info("web: document served", "document", id, "message", messageID, "user", ses.User.Name)
	h := w.Header()
	h.Set("Content-Security-Policy", documentCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	disposition := "attachment"
	if bytes.HasPrefix(pd.Data, []byte("%PDF-")) {
		h.Set("Content-Type", "application/pdf")
		disposition = "inline"
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Content-Disposition", contentDisposition(disposition, d.Name))
	h.Set("Content-Length", strconv.Itoa(len(pd.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(pd.Data)
}

// contentDisposition is the header naming a file (RFC 6266, RFC 8187):
// an ASCII fallback name and the UTF-8 name percent-encoded.
func contentDisposition(kind, name string) string {
	var fallback strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/' || r == '%' || r == ';':
			fallback.WriteByte('_')
		default:
			fallback.WriteRune(r)
		}
	}
	fb := fallback.String()
	if strings.Trim(fb, "_. ") == "" {
		fb = "document"
	}
	var enc strings.Builder
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf("%s; filename=\"%s\"; filename*=UTF-8''%s", kind, fb, enc.String())
}

// isAttrChar reports whether b may stand unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
