package notifier

import (
	"context"
	"strings"
	"testing"

	"facteur/internal/mailpittest"
)

func mailpitMailer(t *testing.T, mp *mailpittest.Server, password string) *Mailer {
	return newMailer(t, MailerOptions{Addr: mp.SMTPAddr, Security: "starttls", Username: mailpittest.User, Password: password, CAFile: mp.CAFile})
}

// TestMailpitDelivery sends a composed reply through a real SMTP server
// (STARTTLS, AUTH, the null sender MAIL FROM:<>) and reads it back as the
// supplier would: headers, French text, the hidden copy delivered.
func TestMailpitDelivery(t *testing.T) {
	mp := mailpittest.Start(t)
	m := mailpitMailer(t, mp, mailpittest.Password)
	r, raw := composedReply(t)
	if err := m.Send(context.Background(), "", r.Recipients(), raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	list := mp.Messages(t)
	if len(list) != 1 {
		t.Fatalf("%d messages in mailpit", len(list))
	}
	got := list[0]
	if got.Subject != "[FAC-2026-000123] Facture FA-2026-0042 déposée sur Chorus Pro" || len(got.To) != 1 || got.To[0].Address != r.To.Address {
		t.Errorf("message %+v", got)
	}
	if len(got.Bcc) != 1 || got.Bcc[0].Address != r.Bcc[0] {
		t.Errorf("hidden copy: %+v, want %v", got.Bcc, r.Bcc)
	}
	var headers map[string][]string
	mp.Get(t, "/api/v1/message/"+got.ID+"/headers", &headers)
	if a := headers["Auto-Submitted"]; len(a) != 1 || a[0] != "auto-replied" {
		t.Errorf("Auto-Submitted %q", a)
	}
	// (mailpit itself prepends a Bcc field naming the envelope-only
	// recipients, for display; the message sent has none: compose_test.)
	if irt := headers["In-Reply-To"]; len(irt) != 1 || irt[0] != "<"+r.OriginalMessageID+">" {
		t.Errorf("In-Reply-To %q", irt)
	}
	var msg struct{ Text, HTML string }
	mp.Get(t, "/api/v1/message/"+got.ID, &msg)
	if !strings.Contains(msg.Text, "Nous avons bien reçu votre facture") || !strings.Contains(msg.HTML, "<html lang=\"fr\">") {
		t.Errorf("text %q", msg.Text)
	}
}

// TestMailpitRefusals: the server's refusals, injected by mailpit's chaos
// triggers, are told apart: 550 is permanent (the reply is given up), 451
// transient (tried again later), a wrong password is neither the message's
// fault (the reply waits for the fix).
func TestMailpitRefusals(t *testing.T) {
	mp := mailpittest.Start(t)
	m := mailpitMailer(t, mp, mailpittest.Password)
	r, raw := composedReply(t)
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{550, true}, {451, false}} {
		mp.RecipientRefusal(t, tc.code)
		err := m.Send(context.Background(), "", r.Recipients(), raw)
		if err == nil || IsPermanent(err) != tc.permanent {
			t.Errorf("recipient refused with %d: %v, permanent %v", tc.code, err, IsPermanent(err))
		}
	}
	mp.RecipientRefusal(t, 0)
	if err := mailpitMailer(t, mp, "wrong").Send(context.Background(), "", r.Recipients(), raw); err == nil || IsPermanent(err) {
		t.Errorf("wrong password: %v, permanent %v; want a non-permanent error", err, IsPermanent(err))
	}
	if err := m.Send(context.Background(), "", r.Recipients(), raw); err != nil {
		t.Errorf("after the refusals: %v", err)
	}
}
