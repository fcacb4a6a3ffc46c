package app

import (
	"log/slog"
	"strconv"
	"time"

	"facteur/sdnotify"
)

// Opening the store may take minutes once: a migration over years of data
// (the first start of a new version builds migration 9's search index over
// every case). systemd kills a service that is not ready within
// TimeoutStartSec= (15 min in dist/facteur.service), so while the store
// opens the daemon asks for more time (EXTEND_TIMEOUT_USEC=, systemd 236
// and later), a minute at a time, for at most startExtendMax: a migration
// stuck for longer lets systemd give up and say so.
const (
	startExtendEvery = 20 * time.Second
	startExtension   = time.Minute
	startExtendMax   = 2 * time.Hour
)

// extendStart asks n for more start-up time every `every` (each time
// `extension` more) until stop is called or max has passed. With a nil n
// it does nothing.
func extendStart(n *sdnotify.Notifier, log *slog.Logger, every, extension, max time.Duration) (stop func()) {
	if n == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if time.Since(start) > max {
					log.Error("store still opening; no more start-up time asked of systemd", "after", time.Since(start).Round(time.Second))
					return
				}
				log.Info("store still opening (a migration of the database); more start-up time asked of systemd",
					"after", time.Since(start).Round(time.Second))
				if err := n.Notify("EXTEND_TIMEOUT_USEC="+strconv.FormatInt(extension.Microseconds(), 10),
					"STATUS=Opening the database (migrating it to this version)…"); err != nil {
					log.Warn("systemd notification failed", "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
