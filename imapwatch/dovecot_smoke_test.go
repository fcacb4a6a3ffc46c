package imapwatch

import "testing"

func TestDovecotSmoke(t *testing.T) {
	d := startDovecot(t, dovecotOptions{})
	d.save("INBOX", sampleMsg(1))
	d.deliverMaildir("INBOX", [][]byte{sampleMsg(2), sampleMsg(3)})
	st := newMemStore()
	w, err := New(d.watcherOptions(t), st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustCycle(t, w, CycleStats{Fetched: 3, Ingested: 3})
	t.Log(d.status("INBOX", "uidvalidity"), d.uids("INBOX"))
}
