package config

import (
	"testing"
	"time"
)

func TestRetentionRawMessages(t *testing.T) {
	// Default: every raw message is kept.
	c := mustParse(t, minimal)
	if !c.Retention.RawMessages.IsZero() {
		t.Fatalf("default retention %q, want none", c.Retention.RawMessages)
	}
	if _, ok := c.Retention.RawMessages.Before(time.Now()); ok {
		t.Fatal("a cutoff without retention")
	}
	now := time.Date(2036, time.November, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		value string
		want  time.Time
	}{
		{`"10y"`, time.Date(2026, time.November, 26, 9, 0, 0, 0, time.UTC)},
		{`"3650d"`, now.AddDate(0, 0, -3650)},
		{`" 30D "`, now.AddDate(0, 0, -30)},
		{`"0"`, time.Time{}},
		{`0`, time.Time{}},
	} {
		c := mustParse(t, minimal+"\n[retention]\nraw_messages = "+tc.value+"\n")
		got, ok := c.Retention.RawMessages.Before(now)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("raw_messages = %s: cutoff %v %v, want %v", tc.value, got, ok, tc.want)
		}
	}
	for value, frag := range map[string]string{
		`"10"`:    "invalid age",
		`"ten y"`: "invalid age",
		`"-1y"`:   "invalid age",
		`"5d"`:    "at least 30 days",
		`"10w"`:   "invalid age",
		`true`:    "must be a string",
	} {
		ps := problems(t, minimal+"\n[retention]\nraw_messages = "+value+"\n")
		wantKeys(t, ps, map[string]string{"retention.raw_messages": frag})
	}
	ps := problems(t, minimal+"\n[retention]\nraw = \"10y\"\n")
	wantKeys(t, ps, map[string]string{"retention.raw": "unknown key"})
}
