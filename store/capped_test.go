package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestEnqueueCappedExactUnderConcurrency: replies queued at once for one
// address, from many transactions, stop at exactly the limit; the others
// are held back for the summary, none lost.
func TestEnqueueCappedExactUnderConcurrency(t *testing.T) {
	const limit, writers = 10, 40
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	var cases []int64
	for i := range writers {
		id, _, err := s.Ingest(ctx, Incoming{Mailbox: "inbox", UIDValidity: 1, UID: uint32(i + 1), Raw: []byte("m" + strconv.Itoa(i))})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Update(ctx, func(tx *Tx) error {
			if err := tx.MessageParsed(id, MessageInfo{Subject: "Facture", From: "compta@dupont.example"}); err != nil {
				return err
			}
			c, err := tx.CreateCase("FAC", id, 0, CaseFields{SupplierEmail: "compta@dupont.example"})
			cases = append(cases, c.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	capped := Capped{Addr: "Compta@Dupont.example", Since: now.Add(-24 * time.Hour), Limit: limit, Day: now.Format(time.DateOnly)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	queued, held := 0, 0
	for i, id := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(ctx, func(tx *Tx) error {
				q, h, err := tx.EnqueueCapped(OutboxItem{CaseID: id, Kind: "confirmation", HeaderMessageID: fmt.Sprintf("r%d@casq.test", i),
					Recipients: []string{"compta@dupont.example", "finances@casq.test"}, Subject: "s", Raw: []byte("r")}, capped)
				if err == nil {
					mu.Lock()
					queued, held = queued+map[bool]int{true: 1}[q], held+map[bool]int{true: 1}[h]
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if queued != limit || held != writers-limit {
		t.Fatalf("%d queued, %d held back; want exactly %d queued, %d held back", queued, held, limit, writers-limit)
	}
	due, err := s.DueOutbox(ctx, 100)
	if err != nil || len(due) != limit {
		t.Fatalf("%d replies in the outbox, %v; want %d", len(due), err, limit)
	}
	pending, err := s.HeldBackDue(ctx, now.AddDate(0, 0, 1).Format(time.DateOnly), 10)
	if err != nil || len(pending) != 1 || pending[0] != [2]string{"compta@dupont.example", capped.Day} {
		t.Fatalf("held back for the summary: %v, %v", pending, err)
	}
	if pending, _ := s.HeldBackDue(ctx, capped.Day, 10); len(pending) != 0 {
		t.Fatalf("summary due the same day: %v", pending)
	}
}
