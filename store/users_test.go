package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestUsersAndSessions: a person is added once; a session lives until it
// expires, its person is removed or changed, or it is deleted; the role
// read with a session is the person's current one.
func TestUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := openTest(t, t.TempDir(), Options{Now: clock})

	if err := s.AddUser(ctx, User{Name: "mdupont", PasswordHash: "h1", Role: "gestion"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, User{Name: "mdupont", PasswordHash: "h2", Role: "lecture"}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("second add: %v, want ErrUserExists", err)
	}
	if _, err := s.User(ctx, "inconnu"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.CreateSession(ctx, "t1", "mdupont", "c1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, "t-ghost", "inconnu", "c", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "t-ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session of an unknown person: %v, want none recorded", err)
	}
	ses, err := s.SessionByToken(ctx, "t1")
	if err != nil || ses.User.Name != "mdupont" || ses.User.Role != "gestion" || ses.CSRF != "c1" {
		t.Fatalf("session: %+v %v", ses, err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.SessionByToken(ctx, "t1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if n, err := s.PruneSessions(ctx, now.Add(-time.Hour)); err != nil || n != 1 {
		t.Errorf("prune: %d %v, want the expired one", n, err)
	}

	if err := s.CreateSession(ctx, "t2", "mdupont", "c2", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUser(ctx, "mdupont", "h3", "lecture"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "t2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session after a password change: %v, want ended", err)
	}
	if u, err := s.User(ctx, "mdupont"); err != nil || u.PasswordHash != "h3" || u.Role != "lecture" {
		t.Errorf("after SetUser: %+v %v", u, err)
	}
	if err := s.CreateSession(ctx, "t3", "mdupont", "c3", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "t3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "t3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	if err := s.CreateSession(ctx, "t4", "mdupont", "c4", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser(ctx, "mdupont"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "t4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session of a removed person: %v", err)
	}
	if err := s.RemoveUser(ctx, "mdupont"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if err := s.SetUser(ctx, "mdupont", "", "lecture"); !errors.Is(err, ErrNotFound) {
		t.Errorf("set of a removed person: %v", err)
	}
}

// TestCaseFilter: the web page's filters (budget, supplier, dates) and
// its pages, alone and with the search.
func TestCaseFilter(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := openTest(t, t.TempDir(), Options{Now: func() time.Time { return now }})
	suppliers := []string{"Voirie Nord Travaux", "Éclairage Public SARL", "Voirie Sud"}
	for i := range 9 {
		id, _, err := s.Ingest(ctx, Incoming{Mailbox: "m", UIDValidity: 1, UID: uint32(i + 1), Raw: []byte{byte('a' + i)}})
		if err != nil {
			t.Fatal(err)
		}
		budget := "Budget principal"
		if i%3 == 2 {
			budget = "Budget eau potable"
		}
		if err := s.Update(ctx, func(tx *Tx) error {
			_, err := tx.CreateCase("FAC", id, 0, CaseFields{SupplierName: suppliers[i%3], Budget: budget, InvoiceNumber: "F-" + string(rune('1'+i))})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour)
	}
	refs := func(f CaseFilter) []string {
		t.Helper()
		cs, err := s.Cases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.InvoiceNumber)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    CaseFilter
		want string
	}{
		{"budget", CaseFilter{Budget: "Budget eau potable"}, "F-9 F-6 F-3"},
		{"supplier, accents and case ignored", CaseFilter{Supplier: "eclairage"}, "F-8 F-5 F-2"},
		{"supplier and search", CaseFilter{Supplier: "voirie", Search: "F-7"}, "F-7"},
		{"dates", CaseFilter{Since: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}, "F-4 F-3"},
		{"second page", CaseFilter{Limit: 2, Offset: 2}, "F-7 F-6"},
		{"second page of a search", CaseFilter{Supplier: "voirie", Limit: 2, Offset: 2}, "F-6 F-4"},
		{"past the end", CaseFilter{Limit: 2, Offset: 20}, ""},
	} {
		got := refs(tc.f)
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, g, tc.want)
		}
	}
}
