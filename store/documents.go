package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Document returns the document recorded with this id and the message it
// was found in; ErrNotFound when none.
func (s *Store) Document(ctx context.Context, id int64) (DocumentInfo, int64, error) {
	var d DocumentInfo
	var messageID int64
	err := s.db.QueryRowContext(ctx,
		"SELECT id, message_id, idx, name, content_type, format, sha256, size, is_invoice, error, problem, problem_limit FROM documents WHERE id = ?", id).
		Scan(&d.ID, &messageID, &d.Index, &d.Name, &d.ContentType, &d.Format, &d.SHA256, &d.Size, &d.IsInvoice, &d.Error, &d.Problem, &d.Limit)
	if errors.Is(err, sql.ErrNoRows) {
		return d, 0, ErrNotFound
	}
	if err != nil {
		return d, 0, fmt.Errorf("store: document %d: %w", id, err)
	}
	return d, messageID, nil
}
