package config

import (
	"strings"
	"testing"
	"time"
)

func TestChorusLifecycleKeys(t *testing.T) {
	c := mustParse(t, minimal)
	ch := c.Chorus
	if ch.StructureRefresh.Duration != 24*time.Hour || ch.LifecyclePoll != "@every 6h" || ch.SupplierID != 0 || ch.PasswordSetOn != "" {
		t.Fatalf("defaults: %+v", ch)
	}
	if _, ok := ch.PasswordSetOnDate(); ok {
		t.Fatal("PasswordSetOnDate ok without a date")
	}

	set := strings.Replace(minimal, "[chorus]\n", `[chorus]
password_set_on = "2026-01-15"
structure_refresh = "12h"
supplier_id = 31544902
lifecycle_poll = "@daily"
`, 1)
	ch = mustParse(t, set).Chorus
	d, ok := ch.PasswordSetOnDate()
	if !ok || !d.Equal(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("PasswordSetOnDate = %v, %v", d, ok)
	}
	if ch.StructureRefresh.Duration != 12*time.Hour || ch.SupplierID != 31544902 || ch.LifecyclePoll != "@daily" {
		t.Fatalf("values: %+v", ch)
	}

	bad := strings.Replace(minimal, "[chorus]\n", `[chorus]
password_set_on = "15/01/2026"
supplier_id = -3
lifecycle_poll = "every day"
`, 1)
	wantKeys(t, problems(t, bad), map[string]string{
		"chorus.password_set_on": "YYYY-MM-DD",
		"chorus.supplier_id":     "positive",
		"chorus.lifecycle_poll":  "invalid schedule",
	})
	wrongType := strings.Replace(minimal, "[chorus]\n", "[chorus]\nsupplier_id = \"abc\"\n", 1)
	wantKeys(t, problems(t, wrongType), map[string]string{"chorus.supplier_id": ""})
}
