package chorus_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
)

// TestStructureRulesDecision is the decision table of reference §2.8 –
// §2.10 applied by StructureRules.Check.
func TestStructureRulesDecision(t *testing.T) {
	svc := []chorus.ServiceRule{
		{Code: "DST-VOIRIE", Active: true, EngagementRequired: true},
		{Code: "FIN", Active: true},
		{Code: "OLD", Active: false},
		{Code: "FACTURES_PUBLIQUES", Active: true},
	}
	base := chorus.StructureRules{SIRET: "20007189200067", Known: true, Active: true, Services: svc}
	with := func(mod func(*chorus.StructureRules)) chorus.StructureRules { r := base; mod(&r); return r }
	for _, tc := range []struct {
		name        string
		rules       chorus.StructureRules
		ej, service string
		want        string // "" = accepted
	}{
		{"unknown", chorus.StructureRules{SIRET: "x"}, "EJ", "", chorus.RuleUnknownRecipient},
		{"inactive", with(func(r *chorus.StructureRules) { r.Active = false }), "EJ", "", chorus.RuleInactiveRecipient},
		{"no flags, nothing", base, "", "", ""},
		{"EJ required, none", with(func(r *chorus.StructureRules) { r.EngagementRequired = true }), "", "FIN", chorus.RuleEngagementRequired},
		{"EJ required, given", with(func(r *chorus.StructureRules) { r.EngagementRequired = true }), "EJ", "", ""},
		{"service required, none", with(func(r *chorus.StructureRules) { r.ServiceRequired = true }), "EJ", "", chorus.RuleServiceRequired},
		{"service required, given", with(func(r *chorus.StructureRules) { r.ServiceRequired = true }), "", "FIN", ""},
		{"both, EJ only", with(func(r *chorus.StructureRules) { r.ServiceRequired, r.EngagementRequired = true, true }), "EJ", "", chorus.RuleServiceRequired},
		{"both, both", with(func(r *chorus.StructureRules) { r.ServiceRequired, r.EngagementRequired = true, true }), "EJ", "FIN", ""},
		{"EJ or service, neither", with(func(r *chorus.StructureRules) { r.EJOrService, r.EngagementRequired = true, true }), "", "", chorus.RuleEngagementOrService},
		{"EJ or service, service", with(func(r *chorus.StructureRules) { r.EJOrService, r.EngagementRequired = true, true }), "", "FIN", ""},
		{"EJ or service, EJ", with(func(r *chorus.StructureRules) { r.EJOrService = true }), "EJ", "", ""},
		{"service needs EJ", base, "", "DST-VOIRIE", chorus.RuleServiceEngagementRequired},
		{"service needs EJ, given", base, "EJ", "DST-VOIRIE", ""},
		{"unknown service", base, "EJ", "NOPE", chorus.RuleUnknownService},
		{"inactive service", base, "EJ", "OLD", chorus.RuleInactiveService},
		{"reserved service", base, "EJ", "FACTURES_PUBLIQUES", chorus.RuleReservedService},
		{"no services listed", with(func(r *chorus.StructureRules) { r.Services = nil }), "", "ANY", ""},
	} {
		err := tc.rules.Check(tc.ej, tc.service)
		var re *chorus.RuleError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.As(err, &re) || re.Reason != tc.want):
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}

// countingDir counts the directory calls made by the cache.
type countingDir struct {
	chorus.StructureDirectory
	searches, services atomic.Int64
	fail               atomic.Bool
}

func (d *countingDir) RechercherStructure(ctx context.Context, siret string) ([]chorus.StructureSummary, error) {
	d.searches.Add(1)
	if d.fail.Load() {
		return nil, &chorus.Error{Op: "structures/rechercher", Transient: true, Label: "down"}
	}
	return d.StructureDirectory.RechercherStructure(ctx, siret)
}

func (d *countingDir) ConsulterServiceStructure(ctx context.Context, sid, vid int64) (*chorus.ServiceDetails, error) {
	d.services.Add(1)
	return d.StructureDirectory.ConsulterServiceStructure(ctx, sid, vid)
}

// TestRulesCache builds rules from the sandbox's structures over HTTP.
func TestRulesCache(t *testing.T) {
	structs := append(sandbox.CASQStructures(), sandbox.Structure{
		SIRET: "21020691000007", Name: "COMMUNE EXEMPLE", ServiceRequired: true,
		ServiceList: []sandbox.Service{
			{Code: "DST-VOIRIE", EngagementRequired: true},
			{Code: "FIN"},
			{Code: "OLD", Inactive: true},
		},
	}, sandbox.Structure{SIRET: "21590350100017", Name: "AUTRE", EJOrService: true, Services: []string{"ACCUEIL"}, PaymentNotReported: true})
	p := newPair(t, sandbox.Options{Structures: structs}, nil)
	dir := &countingDir{StructureDirectory: p.client}
	rc := chorus.NewRulesCache(dir, time.Hour, nil)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	rc.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	ctx := context.Background()

	casq, err := rc.Get(ctx, "20007189200067")
	if err != nil || !casq.Known || !casq.EngagementRequired || casq.ServiceRequired || casq.StructureID == 0 || casq.Stale {
		t.Fatalf("CASQ: %+v %v", casq, err)
	}
	if casq.Check("", "") == nil || casq.Check("EJ-1", "") != nil {
		t.Fatal("CASQ decision")
	}
	com, err := rc.Get(ctx, "21020691000007")
	if err != nil || !com.ServiceRequired || len(com.Services) != 3 {
		t.Fatalf("commune: %+v %v", com, err)
	}
	if v, ok := com.Service("DST-VOIRIE"); !ok || !v.EngagementRequired || !v.Active {
		t.Fatalf("DST-VOIRIE: %+v", v)
	}
	if v, ok := com.Service("OLD"); !ok || v.Active {
		t.Fatalf("OLD: %+v", v)
	}
	if dir.services.Load() != 2 { // active services only
		t.Fatalf("%d consulterServiceStructure calls", dir.services.Load())
	}
	for _, tc := range []struct{ ej, svc, want string }{
		{"", "", chorus.RuleServiceRequired}, {"", "DST-VOIRIE", chorus.RuleServiceEngagementRequired},
		{"EJ", "DST-VOIRIE", ""}, {"", "FIN", ""}, {"EJ", "OLD", chorus.RuleInactiveService},
	} {
		err := com.Check(tc.ej, tc.svc)
		var re *chorus.RuleError
		if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &re) || re.Reason != tc.want) {
			t.Errorf("commune %q %q: %v", tc.ej, tc.svc, err)
		}
	}
	other, err := rc.Get(ctx, "21590350100017")
	if err != nil || !other.EJOrService || !other.PaymentNotReported || other.Check("", "") == nil || other.Check("", "ACCUEIL") != nil {
		t.Fatalf("EJ or service: %+v %v", other, err)
	}
	unknown, err := rc.Get(ctx, "21750001600019")
	if err != nil || unknown.Known || unknown.Check("EJ", "") == nil {
		t.Fatalf("unknown: %+v %v", unknown, err)
	}

	// Cached within the TTL, also under concurrency.
	searches := dir.searches.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = rc.Get(ctx, "20007189200067") }()
	}
	wg.Wait()
	if dir.searches.Load() != searches {
		t.Fatal("cache not used")
	}
	// After the TTL: refreshed; when the refresh fails, the old rules are kept as stale.
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	dir.fail.Store(true)
	stale, err := rc.Get(ctx, "20007189200067")
	if err != nil || !stale.Stale || !stale.Known {
		t.Fatalf("stale: %+v %v", stale, err)
	}
	if _, err := rc.Get(ctx, "20007189200026"); err == nil {
		t.Fatal("no error without cached rules")
	}
	dir.fail.Store(false)
	fresh, err := rc.Refresh(ctx, "20007189200067")
	if err != nil || fresh.Stale || !fresh.FetchedAt.Equal(now) {
		t.Fatalf("refresh: %+v %v", fresh, err)
	}
}
