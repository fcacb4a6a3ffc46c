package app

import (
	"context"
	"fmt"
	"time"

	"facteur/store"
)

// The retention of raw messages ([retention] raw_messages): once a day,
// the raw messages older than the setting whose cases are all finished are
// pruned, a few at a time (store.PruneRaw), between the daemon's own work.

// When the pruning runs: first a while after the start (not during the
// first IMAP cycle and gateway pass), then daily. Variables for the tests.
var (
	retentionFirst = 10 * time.Minute
	retentionEvery = 24 * time.Hour
	retentionNow   = time.Now
)

// pruneRawMessages runs the retention of raw messages until ctx ends; it
// returns at once when every raw message is kept (the default).
func (a *App) pruneRawMessages(ctx context.Context) {
	if a.cfg.Retention.RawMessages.IsZero() {
		return
	}
	t := time.NewTimer(retentionFirst)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.pruneOnce(ctx)
		t.Reset(retentionEvery)
	}
}

// pruneOnce prunes what is due now; a failure is logged, and the next day
// goes on.
func (a *App) pruneOnce(ctx context.Context) store.Pruned {
	keep := a.cfg.Retention.RawMessages
	cutoff, ok := keep.Before(retentionNow())
	if !ok {
		return store.Pruned{}
	}
	p, err := a.store.PruneRaw(ctx, cutoff, store.PruneOptions{
		Batch: 100, Pause: 200 * time.Millisecond, CaseNote: prunedNote(keep.Parts()),
	})
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("retention of raw messages failed; tried again tomorrow", "err", err, "pruned", p.Messages)
	case p.Busy:
		a.log.Info("retention of raw messages waits for the backup in progress", "pruned", p.Messages)
	case p.Messages > 0:
		a.log.Info("raw messages pruned", "messages", p.Messages, "files", p.Files,
			"received_before", cutoff.Format(time.DateOnly), "retention", keep.String())
	}
	return p
}

// prunedNote is what finance staff read in the history of a case whose raw
// message was pruned (`facteur cases show`).
func prunedNote(years, days int) string {
	d := fmt.Sprintf("%d jours", days)
	switch {
	case years == 1:
		d = "1 an"
	case years > 1:
		d = fmt.Sprintf("%d ans", years)
	}
	return "e-mail d'origine supprimé après sa durée de conservation (" + d + ") ; le dossier et son historique sont conservés"
}
