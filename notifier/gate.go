package notifier

import (
	"net/mail"
	"regexp"
	"strings"
)

// The reply gate: whether Facteur may answer a message at all, under RFC
// 3834 (no automatic answer to automatic mail, to a null sender) and its
// own rules against loops and backscatter (no answer to our own address,
// to mail whose sender's domain did not authenticate it). The gateway asks
// once, when a case is opened, and records the answer with the case. The
// daily number of replies to one address is bounded where replies are
// queued (store.Tx.EnqueueCapped): over it, a reply is held back and the
// supplier told the next day in one summary (KindDailySummary).

// Inbound is what the gate needs to know of a received message.
type Inbound struct {
	// Automatic is why the message is automatic (the parser's reading of
	// Auto-Submitted, Precedence, List-*, delivery reports...), "" when a
	// person wrote it.
	Automatic string
	// AuthenticationResults is the topmost Authentication-Results field,
	// the one our own receiving server added.
	AuthenticationResults string
	// ReturnPath is the Return-Path as written, "<>" for the null sender.
	ReturnPath string
	// To is where a reply would go (see ReplyAddress).
	To string
}

// Gate holds the rules that do not depend on the message.
type Gate struct {
	// Own reports one of our own addresses.
	Own func(addr string) bool
}

// Refusal says, in French for finance staff, why no reply may be sent to
// in ("" when one may).
func (g Gate) Refusal(in Inbound) string {
	switch {
	case in.Automatic != "":
		return "message automatique : pas de réponse"
	}
	if auth := AuthFailure(in.AuthenticationResults); auth != "" {
		return "authentification de l'expéditeur en échec (" + auth + ") : pas de réponse, l'adresse a pu être usurpée"
	}
	switch {
	case in.ReturnPath == "<>":
		return "expéditeur nul : pas de réponse"
	case in.To == "" || !strings.Contains(in.To, "@"):
		return "adresse de l'expéditeur absente : pas de réponse possible"
	case CheckRecipient(in.To) != nil:
		return "adresse de l'expéditeur « " + in.To + " » inutilisable pour une réponse (caractères non ASCII ou forme invalide)"
	case g.Own != nil && g.Own(in.To):
		return "message venant de notre propre adresse : pas de réponse"
	case noReplyAddress(in.To):
		return "adresse d'expédition qui n'accepte pas de réponse (« " + in.To + " ») : pas de réponse"
	}
	return ""
}

// AuthFailure returns the failed check ("dmarc=fail", "compauth=fail")
// when an Authentication-Results field says the sender's domain did not
// authenticate the message, "" otherwise. Answering such a message could
// send our reply to the victim of a forgery (backscatter). Give it only the
// topmost field, the one our own receiving server added: fields further
// down were written by other servers, possibly the forger's.
func AuthFailure(authResults string) string {
	top := strings.ToLower(authResults)
	for _, check := range []string{"dmarc=fail", "compauth=fail"} {
		if i := strings.Index(top, check); i >= 0 && (i == 0 || !isTokenChar(top[i-1])) {
			return check
		}
	}
	return ""
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// ReplyAddress is where a reply goes: Reply-To when the sender set one (an
// e-mail-driven service answers it, RFC 3834 §4), else From.
func ReplyAddress(from mail.Address, replyTo []mail.Address) mail.Address {
	if len(replyTo) > 0 && replyTo[0].Address != "" {
		return replyTo[0]
	}
	return from
}

// noReplyLocal are the local parts of addresses that say they take no
// answer (billing systems, notifications).
var noReplyLocal = regexp.MustCompile(`(?i)^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|ne[-_.]?pas[-_.]?r[eé]pondre|nepasrepondre|noreponse|no[-_.]?response|mailer[-_.]?daemon|postmaster)(?:[-_.+].*)?$`)

// noReplyAddress reports an address that says it takes no answer.
func noReplyAddress(addr string) bool {
	local, _, ok := strings.Cut(addr, "@")
	return ok && noReplyLocal.MatchString(local)
}
