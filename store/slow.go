package store

import (
	"context"
	"fmt"
	"time"
)

// SlowDeposit is a case being deposited, and since when.
type SlowDeposit struct {
	Case Case
	// Since is when the case entered "depositing" for the current deposit:
	// the first time since it last left the way to Chorus Pro (routed ⇄
	// depositing while deposits in doubt are searched and deposited again).
	Since time.Time
}

// maxSlowDeposits bounds the cases SlowDeposits returns.
const maxSlowDeposits = 1000

// SlowDeposits returns the cases in "depositing" since before cutoff, the
// oldest first (at most a thousand): those a person should see (metric,
// `facteur cases list`, the digest). Few cases are depositing at any time;
// each is dated from its own ledger rows (ledger_by_entity).
func (s *Store) SlowDeposits(ctx context.Context, cutoff time.Time) ([]SlowDeposit, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT id, since FROM (
	SELECT c.id AS id, (
		SELECT MIN(l.at) FROM ledger l
		WHERE l.entity = ? AND l.entity_id = c.id AND l.to_state = ? AND l.at >= COALESCE((
			SELECT MAX(o.at) FROM ledger o
			WHERE o.entity = ? AND o.entity_id = c.id AND o.to_state NOT IN (?, ?)), 0)
	) AS since
	FROM cases c WHERE c.state = ?
) WHERE since < ? ORDER BY since, id LIMIT ?`,
		EntityCase, CaseDepositing, EntityCase, CaseRouted, CaseDepositing, CaseDepositing, millis(cutoff), maxSlowDeposits)
	if err != nil {
		return nil, fmt.Errorf("store: slow deposits: %w", err)
	}
	type idSince struct {
		id    int64
		since int64
	}
	found, err := collect(rows, func(row interface{ Scan(...any) error }) (idSince, error) {
		var v idSince
		err := row.Scan(&v.id, &v.since)
		return v, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]SlowDeposit, 0, len(found))
	for _, f := range found {
		c, err := s.Case(ctx, f.id)
		if err != nil {
			return nil, err
		}
		out = append(out, SlowDeposit{Case: c, Since: fromMillis(f.since)})
	}
	return out, nil
}
