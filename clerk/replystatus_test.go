package clerk

import (
	"strings"
	"testing"
	"time"

	"facteur/store"
)

// TestReplyStatus: `facteur cases show` and the web page tell finance staff where each reply
// stands, an unconfirmed one as probably received and not sent again.
func TestReplyStatus(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 4, 0, 0, time.Local)
	for _, tc := range []struct {
		it   store.OutboxItem
		want string
	}{
		{store.OutboxItem{State: store.OutboxQueued}, "en attente d'envoi"},
		{store.OutboxItem{State: store.OutboxQueued, SendAttempts: 2}, "2 essai(s) sans succès"},
		{store.OutboxItem{State: store.OutboxSending, AttemptAt: at}, "envoi en cours depuis le 03/12/2026 à 10:04"},
		{store.OutboxItem{State: store.OutboxSent, SentAt: at}, "envoyée le 03/12/2026 à 10:04"},
		{store.OutboxItem{State: store.OutboxFailed, LastError: "550 inconnu"}, "échec de l'envoi : 550 inconnu"},
		{store.OutboxItem{State: store.OutboxUnconfirmed, AttemptAt: at}, "sans confirmation du serveur de messagerie (envoi du 03/12/2026 à 10:04"},
	} {
		if got := ReplyStatus(tc.it); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want it to say %q", tc.it.State, got, tc.want)
		}
	}
}
