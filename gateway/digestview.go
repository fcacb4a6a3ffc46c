package gateway

import (
	"context"
	"time"

	"facteur/notifier"
)

// DigestSummary is what the digest would tell now of the period since
// since: the counts, and the cases waiting for a person. The web page
// shows it, so that the page and the digest never differ.
func (g *Gateway) DigestSummary(ctx context.Context, since time.Time) (notifier.Digest, error) {
	return g.digest(ctx, since, g.now())
}
