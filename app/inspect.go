package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"facteur/config"
	"facteur/gateway"
	"facteur/parser"
	"facteur/register"
	"facteur/store"
)

// Inspector decides as the daemon would, recording nothing (facteur inspect
// --config).
type Inspector struct {
	Gateway *gateway.Gateway
	Parser  parser.Options
	store   *store.Store
}

// NewInspector builds a gateway that only decides: the routing rules of
// cfg, refined by Chorus Pro's structure rules and the suppliers the
// technical account is attached to (when its secrets can be read; else the
// configured rules alone, which is logged), the engagement register, and
// the history of the store when its database exists (it is not created).
// Nothing is started, sent or recorded.
func NewInspector(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Inspector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	patterns, err := compilePatterns(cfg.Engagement.Patterns)
	if err != nil {
		return nil, err
	}
	chorusClient, err := newChorus(cfg, log)
	if err != nil {
		log.Warn("Chorus Pro cannot be asked; the configured routing rules alone apply", "err", err)
		chorusClient = nil
	}
	g := decidingOptions(cfg, chorusClient, patterns, log)
	if f := cfg.Register.File; f != "" {
		g.Register = &register.File{Path: f}
	}
	in := &Inspector{Parser: g.Parser}
	switch fi, err := os.Stat(filepath.Join(cfg.Instance.DataDir, store.DatabaseFile)); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		log.Warn("the store cannot be read; decided without history", "err", err)
	case !ownedByMe(fi):
		// Opening it would leave files of this user (root, say) beside the
		// daemon's database, which the daemon could then not write.
		log.Warn("the database belongs to another user; decided without history (run inspect as that user to use it)")
	default:
		if in.store, err = store.Open(ctx, cfg.Instance.DataDir, store.Options{}); err != nil {
			return nil, err
		}
		g.Store = in.store
	}
	in.Gateway = gateway.New(g)
	return in, nil
}

// Close releases the store.
func (in *Inspector) Close() error {
	if in.store == nil {
		return nil
	}
	return in.store.Close()
}
