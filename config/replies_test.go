package config

import (
	"fmt"
	"testing"
)

func TestRepliesPerSenderPerDay(t *testing.T) {
	if n := mustParse(t, minimal).Replies.PerSenderPerDay; n != DefaultRepliesPerSenderPerDay {
		t.Fatalf("default %d, want %d", n, DefaultRepliesPerSenderPerDay)
	}
	if n := mustParse(t, minimal+"\n[replies]\nper_sender_per_day = 40\n").Replies.PerSenderPerDay; n != 40 {
		t.Fatalf("per_sender_per_day = 40 read as %d", n)
	}
	for value, frag := range map[string]string{
		"-1": "between 1 and",
		fmt.Sprint(MaxRepliesPerSenderPerDay + 1): "between 1 and",
		`"10"`: "integer",
	} {
		ps := problems(t, minimal+"\n[replies]\nper_sender_per_day = "+value+"\n")
		wantKeys(t, ps, map[string]string{"replies.per_sender_per_day": frag})
	}
	ps := problems(t, minimal+"\n[replies]\nper_day = 3\n")
	wantKeys(t, ps, map[string]string{"replies.per_day": "unknown key"})
}
