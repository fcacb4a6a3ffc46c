package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"facteur/app"
	"facteur/gateway"
	"facteur/parser"
	"facteur/register"
	"facteur/router"
)

// The JSON Lines contract of `facteur inspect` (DESIGN.md): absent values
// are null, amounts decimal strings, dates ISO 8601.

type inspectLine struct {
	File      string       `json:"file"`
	Kind      string       `json:"kind"` // "email", "pdf", "xml", "other"
	Error     *string      `json:"error,omitempty"`
	Subject   *string      `json:"subject,omitempty"`
	Automatic *string      `json:"automatic,omitempty"`
	Documents []inspectDoc `json:"documents"`
	Message   []candidate  `json:"message_engagements,omitempty"`
	// Warnings and Limits are the message's own: a limit reached means
	// part of it was not read.
	Warnings []string       `json:"message_warnings,omitempty"`
	Limits   []parser.Limit `json:"message_limits,omitempty"`
	Route    *inspectRoute  `json:"route,omitempty"`
}

type inspectDoc struct {
	Name       string        `json:"name"`
	Format     string        `json:"format"`
	Profile    *string       `json:"profile"`
	IsInvoice  bool          `json:"is_invoice"`
	Source     *string       `json:"source"`
	Invoice    *inspectInv   `json:"invoice"`
	Engagement *candidate    `json:"engagement"`
	Candidates []candidate   `json:"engagement_candidates"`
	Error      *string       `json:"error,omitempty"`
	Warnings   []string      `json:"warnings"`
	Route      *inspectRoute `json:"route,omitempty"`
}

type inspectInv struct {
	Number         *string      `json:"number"`
	Type           *string      `json:"type"`
	IssueDate      *string      `json:"issue_date"`
	Currency       *string      `json:"currency"`
	Seller         inspectParty `json:"seller"`
	Buyer          inspectParty `json:"buyer"`
	BuyerReference *string      `json:"buyer_reference"`
	OrderReference *string      `json:"order_reference"`
	// PrecedingInvoice is the invoice a credit note corrects (BT-25).
	PrecedingInvoice *string `json:"preceding_invoice"`
	TotalWithoutVAT  *string `json:"total_without_vat"`
	TotalVAT         *string `json:"total_vat"`
	TotalWithVAT     *string `json:"total_with_vat"`
	AmountDue        *string `json:"amount_due"`
	IBAN             *string `json:"iban"`
}

type inspectParty struct {
	Name     *string `json:"name"`
	ID       *string `json:"id"`
	IDScheme *string `json:"id_scheme"`
	SIRET    *string `json:"siret"`
	VATID    *string `json:"vat_id"`
}

type candidate struct {
	Value    string `json:"value"`
	Evidence string `json:"evidence"`
}

type inspectRoute struct {
	Outcome    string  `json:"outcome"`
	Mode       *string `json:"mode"`
	SIRET      *string `json:"siret"`
	Budget     *string `json:"budget"`
	Engagement *string `json:"engagement"`
	Missing    *string `json:"missing"`
	Reason     string  `json:"reason"`
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file: adds the routing decision")
	textOnly := fs.Bool("text-only", false, "ignore the XML embedded in PDFs: read their visible text")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: facteur inspect [--text-only] [--config FILE] PATH...")
		return 2
	}
	var g *gateway.Gateway
	opts := parser.Options{TextOnly: *textOnly}
	ctx := context.Background()
	if *cfgPath != "" {
		cfg, ok := loadConfig(*cfgPath, stderr)
		if !ok {
			return 2
		}
		if f := cfg.Register.File; f != "" {
			// Decided without the register, every engagement number
			// would be held: an unreadable register is an error here.
			if _, err := (&register.File{Path: f}).Current(time.Now()); err != nil {
				fmt.Fprintf(stderr, "facteur inspect: %v\n", err)
				return 2
			}
		}
		in, err := app.NewInspector(ctx, cfg, newLogger(stderr, slog.LevelWarn))
		if err != nil {
			fmt.Fprintf(stderr, "facteur inspect: %v\n", err)
			return 2
		}
		defer in.Close()
		g, opts = in.Gateway, in.Parser
		opts.TextOnly = *textOnly
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	status := 0
	for _, path := range fs.Args() {
		line, err := inspectFile(ctx, path, opts, g)
		if err != nil {
			fmt.Fprintf(stderr, "facteur inspect: %s: %v\n", path, err)
			return 1
		}
		if line.Error != nil {
			status = 1
		}
		if err := enc.Encode(line); err != nil {
			fmt.Fprintf(stderr, "facteur inspect: %v\n", err)
			return 1
		}
	}
	return status
}

// inspectFile reads one file; with g, each invoice gets the route the
// daemon would take (an error is then the store's, when the history
// cannot be read).
func inspectFile(ctx context.Context, path string, opts parser.Options, g *gateway.Gateway) (inspectLine, error) {
	line := inspectLine{File: path, Documents: []inspectDoc{}}
	data, err := os.ReadFile(path)
	if err != nil {
		line.Kind = "other"
		line.Error = str(err.Error())
		return line, nil
	}
	var msg *parser.Message
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case ext == ".eml" || ext == ".msg" && !isOLE(data) || ext == "" && looksLikeMail(data):
		line.Kind = "email"
		msg, err = parser.Parse(data, opts)
		if err != nil {
			line.Error = str(err.Error())
			return line, nil
		}
		line.Subject, line.Automatic = str(msg.Subject), str(msg.Automatic)
		line.Warnings, line.Limits = msg.Warnings, msg.Limits
		for _, c := range msg.Engagements {
			line.Message = append(line.Message, candidate(c))
		}
	default:
		d := parser.ParseDocument(filepath.Base(path), data, opts)
		switch {
		case d.Sniffed == "application/pdf":
			line.Kind = "pdf"
		case strings.Contains(d.Sniffed, "xml"):
			line.Kind = "xml"
		default:
			line.Kind = "other"
		}
		msg = &parser.Message{Documents: []parser.Document{d}}
	}
	for i := range msg.Documents {
		d := &msg.Documents[i]
		out := inspectDoc{
			Name: d.Name, Format: d.Format, Profile: str(d.Profile), IsInvoice: d.IsInvoice, Source: str(d.Source),
			Error: str(d.Error), Warnings: append([]string{}, d.Warnings...), Candidates: []candidate{},
		}
		if inv := d.Invoice; inv != nil {
			out.Invoice = &inspectInv{
				Number: str(inv.Number), Type: str(inv.Type), IssueDate: str(inv.IssueDate), Currency: str(inv.Currency),
				Seller: party(inv.Seller), Buyer: party(inv.Buyer),
				BuyerReference: str(inv.BuyerReference), OrderReference: str(inv.OrderReference), PrecedingInvoice: str(inv.PrecedingInvoice),
				TotalWithoutVAT: str(inv.TotalWithoutVAT), TotalVAT: str(inv.TotalVAT),
				TotalWithVAT: str(inv.TotalWithVAT), AmountDue: str(inv.AmountDue), IBAN: str(inv.IBAN),
			}
		}
		for _, c := range d.Candidates {
			out.Candidates = append(out.Candidates, candidate(c))
		}
		if d.IsInvoice && d.Invoice != nil {
			// The router's own rule: null when none was found or when the
			// numbers found disagree.
			if ej := router.ChooseEngagement(msg, d, nil); ej.Value != "" {
				out.Engagement = &candidate{Value: ej.Value, Evidence: ej.Evidence}
			}
		}
		line.Documents = append(line.Documents, out)
	}
	if g != nil {
		routed, whole, err := g.Route(ctx, msg)
		if err != nil {
			return line, err
		}
		for _, r := range routed {
			line.Documents[r.Document].Route = route(r.Decision)
			if line.Route == nil {
				line.Route = line.Documents[r.Document].Route
			}
		}
		if whole != nil {
			line.Route = route(*whole)
		}
	}
	return line, nil
}

func party(p parser.Party) inspectParty {
	return inspectParty{Name: str(p.Name), ID: str(p.ID), IDScheme: str(p.IDScheme), SIRET: str(p.SIRET), VATID: str(p.VATID)}
}

func route(d router.Decision) *inspectRoute {
	return &inspectRoute{
		Outcome: string(d.Outcome), Mode: str(d.Mode), SIRET: str(d.SIRET), Budget: str(d.Budget),
		Engagement: str(d.Engagement), Missing: str(string(d.Missing)), Reason: d.Reason,
	}
}

// isOLE reports an Outlook .msg file (an OLE compound document), which is
// not a MIME message.
func isOLE(b []byte) bool {
	return len(b) >= 8 && string(b[:8]) == "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
}

// looksLikeMail reports whether data starts like an RFC 5322 message: a
// header field name followed by a colon, or an mbox "From " line.
var headerStart = regexp.MustCompile(`^(?:From |[A-Za-z0-9-]{1,76}:)`)

func looksLikeMail(b []byte) bool { return headerStart.Match(b) }
