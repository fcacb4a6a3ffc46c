package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The people who may use the finance staff's web page, and their
// sessions. The store keeps what it is given: the password hashing, the
// roles' meaning and the session tokens are the web package's.

// ErrUserExists is the error (tested with errors.Is) of adding a person
// already known.
var ErrUserExists = errors.New("store: user already exists")

// User is a person who may use the web page.
type User struct {
	Name string
	// PasswordHash is the encoded argon2id hash of a local account's
	// password; "" for a person authenticated elsewhere (identity
	// provider, reverse proxy), who cannot log in with a password.
	PasswordHash string
	Role         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AddUser records a new person; ErrUserExists when the name is taken.
func (s *Store) AddUser(ctx context.Context, u User) error {
	now := millis(s.now())
	_, err := s.db.ExecContext(ctx, "INSERT INTO users (name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		u.Name, u.PasswordHash, u.Role, now, now)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("store: user %s: %w", u.Name, ErrUserExists)
		}
		return fmt.Errorf("store: add user %s: %w", u.Name, err)
	}
	return nil
}

// SetUser changes a person's password hash and role; the person's
// sessions end (a new password, or a role taken away, applies at once).
// ErrNotFound when no such person.
func (s *Store) SetUser(ctx context.Context, name, passwordHash, role string) error {
	return s.userChange(ctx, name, "UPDATE users SET password_hash = ?, role = ?, updated_at = ? WHERE name = ?",
		passwordHash, role, millis(s.now()), name)
}

// RemoveUser removes a person and ends the person's sessions.
// ErrNotFound when no such person.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	return s.userChange(ctx, name, "DELETE FROM users WHERE name = ?", name)
}

// userChange runs q on the row of the person name and ends the person's
// sessions, in one transaction.
func (s *Store) userChange(ctx context.Context, name, q string, args ...any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: user %s: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: user %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: user %s: %w", name, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM web_sessions WHERE user_name = ?", name); err != nil {
		return fmt.Errorf("store: sessions of user %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: user %s: %w", name, err)
	}
	return nil
}

const userSelect = "SELECT name, password_hash, role, created_at, updated_at FROM users"

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated int64
	err := row.Scan(&u.Name, &u.PasswordHash, &u.Role, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	return u, err
}

// User returns one person; ErrNotFound when unknown.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, userSelect+" WHERE name = ?", name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return u, fmt.Errorf("store: user %s: %w", name, err)
	}
	return u, err
}

// Users returns every person, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, userSelect+" ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return collect(rows, scanUser)
}

// Session is a web session, with the person it belongs to as the store
// knows the person now (a changed role applies at the next request).
type Session struct {
	TokenHash string
	User      User
	// CSRF is the token every form of the session carries.
	CSRF      string
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
}

// CreateSession records a session of the person user, known by the hash
// of its token, until expires.
func (s *Store) CreateSession(ctx context.Context, tokenHash, user, csrf string, expires time.Time) error {
	now := millis(s.now())
	_, err := s.db.ExecContext(ctx, `INSERT INTO web_sessions (token_hash, user_name, csrf, created_at, seen_at, expires_at)
	SELECT ?, name, ?, ?, ?, ? FROM users WHERE name = ?`, tokenHash, csrf, now, now, millis(expires), user)
	if err != nil {
		return fmt.Errorf("store: create session of %s: %w", user, err)
	}
	return nil
}

// SessionByToken returns the live session whose token has this hash;
// ErrNotFound when none, when it expired, or when its person was removed.
func (s *Store) SessionByToken(ctx context.Context, tokenHash string) (Session, error) {
	var ses Session
	var created, seen, expires, uc, uu int64
	err := s.db.QueryRowContext(ctx, `SELECT s.token_hash, s.csrf, s.created_at, s.seen_at, s.expires_at,
	u.name, u.password_hash, u.role, u.created_at, u.updated_at
FROM web_sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ? AND s.expires_at > ?`,
		tokenHash, millis(s.now())).Scan(&ses.TokenHash, &ses.CSRF, &created, &seen, &expires,
		&ses.User.Name, &ses.User.PasswordHash, &ses.User.Role, &uc, &uu)
	if errors.Is(err, sql.ErrNoRows) {
		return ses, ErrNotFound
	}
	if err != nil {
		return ses, fmt.Errorf("store: session: %w", err)
	}
	ses.CreatedAt, ses.SeenAt, ses.ExpiresAt = fromMillis(created), fromMillis(seen), fromMillis(expires)
	ses.User.CreatedAt, ses.User.UpdatedAt = fromMillis(uc), fromMillis(uu)
	return ses, nil
}

// TouchSession records that the session was used now.
func (s *Store) TouchSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE web_sessions SET seen_at = ? WHERE token_hash = ?", millis(s.now()), tokenHash); err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout); ending an unknown one is no
// error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM web_sessions WHERE token_hash = ?", tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes the sessions expired, or unused since before
// idleSince, and returns how many.
func (s *Store) PruneSessions(ctx context.Context, idleSince time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM web_sessions WHERE expires_at <= ? OR seen_at < ?", millis(s.now()), millis(idleSince))
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
