package chorus

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// StructureRules are the routing rules of a recipient structure (reference
// §2.8 – §2.10, §2.15 step 1): what an invoice to that SIRET must carry.
type StructureRules struct {
	SIRET       string
	Known       bool  // the SIRET is a structure on Chorus Pro
	StructureID int64 // idStructureCPP
	Name        string
	Active      bool // statut ACTIVE

	EngagementRequired bool // numeroEJDoitEtreRenseigne
	ServiceRequired    bool // codeServiceDoitEtreRenseigne
	EJOrService        bool // gestionNumeroEJOuCodeService: an EJ or a service code
	PaymentNotReported bool // statutMiseEnPaiementNestPasRemonte: MISE_EN_PAIEMENT will not come

	Services []ServiceRule
	// ServicesIncomplete is set when the per-service flags were not all
	// read (more services than MaxServiceLookups): a service's
	// EngagementRequired may then be false while Chorus Pro requires it.
	ServicesIncomplete bool

	FetchedAt time.Time
	Stale     bool // the last refresh failed; these rules are older than the TTL
}

// ServiceRule is one service of a recipient structure.
type ServiceRule struct {
	Code               string
	ID                 int64
	Active             bool
	EngagementRequired bool // consulterServiceStructure parametres.numeroEngagement
}

// Service returns the service of that code.
func (r StructureRules) Service(code string) (ServiceRule, bool) {
	for _, s := range r.Services {
		if s.Code == code {
			return s, true
		}
	}
	return ServiceRule{}, false
}

// Reasons of a RuleError.
const (
	RuleUnknownRecipient          = "unknown_recipient"           // the SIRET is not on Chorus Pro
	RuleInactiveRecipient         = "inactive_recipient"          // the structure is INACTIVE
	RuleEngagementRequired        = "engagement_required"         // numeroEJDoitEtreRenseigne and no EJ
	RuleServiceRequired           = "service_required"            // codeServiceDoitEtreRenseigne and no service code
	RuleEngagementOrService       = "engagement_or_service"       // gestionNumeroEJOuCodeService and neither
	RuleUnknownService            = "unknown_service"             // the service code is not one of the structure's
	RuleInactiveService           = "inactive_service"            // the service is not active
	RuleServiceEngagementRequired = "service_engagement_required" // the service requires an EJ and there is none
	RuleReservedService           = "reserved_service"            // FACTURES_PUBLIQUES: public-to-public invoices only
)

// RuleError says why an invoice cannot go to a recipient as it is.
type RuleError struct {
	Reason  string // one of the Rule* constants
	SIRET   string
	Service string
}

func (e *RuleError) Error() string {
	msg := map[string]string{
		RuleUnknownRecipient:          "is not a structure known to Chorus Pro",
		RuleInactiveRecipient:         "is inactive on Chorus Pro",
		RuleEngagementRequired:        "requires an engagement number",
		RuleServiceRequired:           "requires a service code",
		RuleEngagementOrService:       "requires an engagement number or a service code",
		RuleUnknownService:            "has no service " + e.Service,
		RuleInactiveService:           "has service " + e.Service + " inactive",
		RuleServiceEngagementRequired: "requires an engagement number for service " + e.Service,
		RuleReservedService:           "reserves service " + e.Service + " to invoices between public entities",
	}[e.Reason]
	return fmt.Sprintf("chorus: recipient %s %s", e.SIRET, msg)
}

// reservedService is only for invoices between public entities (reference §2.9).
const reservedService = "FACTURES_PUBLIQUES"

// Check applies the decision rule of reference §2.8 (OCA's order) to an
// invoice carrying engagement (EJ, BT-13; "" = none) and service (BT-10;
// "" = none). It returns nil or a *RuleError.
//
//  1. gestionNumeroEJOuCodeService: an EJ or a valid service code;
//  2. otherwise codeServiceDoitEtreRenseigne and/or numeroEJDoitEtreRenseigne;
//  3. then, when a service code is given, it must be a known, active service
//     of the structure (when the structure lists services), not
//     FACTURES_PUBLIQUES, and its numeroEngagement flag can make the EJ
//     mandatory even when the structure does not.
func (r StructureRules) Check(engagement, service string) error {
	fail := func(reason string) error { return &RuleError{Reason: reason, SIRET: r.SIRET, Service: service} }
	if !r.Known {
		return fail(RuleUnknownRecipient)
	}
	if !r.Active {
		return fail(RuleInactiveRecipient)
	}
	hasEJ, hasService := engagement != "", service != ""
	switch {
	case r.EJOrService:
		if !hasEJ && !hasService {
			return fail(RuleEngagementOrService)
		}
	default:
		if r.ServiceRequired && !hasService {
			return fail(RuleServiceRequired)
		}
		if r.EngagementRequired && !hasEJ {
			return fail(RuleEngagementRequired)
		}
	}
	if !hasService {
		return nil
	}
	if service == reservedService {
		return fail(RuleReservedService)
	}
	s, ok := r.Service(service)
	switch {
	case !ok && len(r.Services) > 0:
		return fail(RuleUnknownService)
	case !ok:
		// UNCONFIRMED: how Chorus Pro treats a service code sent to a
		// structure without services; accepted here.
		return nil
	case !s.Active:
		return fail(RuleInactiveService)
	case s.EngagementRequired && !hasEJ:
		return fail(RuleServiceEngagementRequired)
	}
	return nil
}

// StructureDirectory is what RulesCache needs from Chorus Pro; *Client
// implements it.
type StructureDirectory interface {
	RechercherStructure(ctx context.Context, siret string) ([]StructureSummary, error)
	ConsulterStructure(ctx context.Context, structureID int64) (*StructureDetails, error)
	RechercherServicesStructure(ctx context.Context, structureID int64) ([]ServiceSummary, error)
	ConsulterServiceStructure(ctx context.Context, structureID, serviceID int64) (*ServiceDetails, error)
}

var _ StructureDirectory = (*Client)(nil)

// DefaultRulesTTL is how long RulesCache keeps a structure's rules.
const DefaultRulesTTL = 24 * time.Hour

// MaxServiceLookups bounds the consulterServiceStructure calls made for one
// structure.
const MaxServiceLookups = 50

// RulesCache keeps the StructureRules of recipient SIRETs for a TTL and
// fetches them on demand; it is safe for concurrent use, and fetches one
// SIRET at a time (concurrent callers for the same SIRET wait for it).
type RulesCache struct {
	dir StructureDirectory
	ttl time.Duration
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	entries  map[string]StructureRules
	inflight map[string]chan struct{}
}

// NewRulesCache returns a cache over dir; ttl ≤ 0 means DefaultRulesTTL and
// log may be nil.
func NewRulesCache(dir StructureDirectory, ttl time.Duration, log *slog.Logger) *RulesCache {
	if ttl <= 0 {
		ttl = DefaultRulesTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RulesCache{dir: dir, ttl: ttl, log: log, now: time.Now,
		entries: map[string]StructureRules{}, inflight: map[string]chan struct{}{}}
}

// SetClock replaces the time source (tests).
func (rc *RulesCache) SetClock(now func() time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.now = now
}

// Get returns the rules of siret, from the cache when younger than the TTL,
// otherwise fetched from Chorus Pro. When the fetch fails and older rules
// are cached, they are returned with Stale set and no error.
func (rc *RulesCache) Get(ctx context.Context, siret string) (StructureRules, error) {
	return rc.get(ctx, siret, false)
}

// Refresh fetches the rules of siret now, whatever their age.
func (rc *RulesCache) Refresh(ctx context.Context, siret string) (StructureRules, error) {
	return rc.get(ctx, siret, true)
}

// Invalidate forgets the rules of siret.
func (rc *RulesCache) Invalidate(siret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.entries, siret)
}

func (rc *RulesCache) get(ctx context.Context, siret string, force bool) (StructureRules, error) {
	for {
		rc.mu.Lock()
		e, ok := rc.entries[siret]
		if ok && !force && rc.now().Sub(e.FetchedAt) < rc.ttl {
			rc.mu.Unlock()
			return e, nil
		}
		wait, busy := rc.inflight[siret]
		if !busy {
			done := make(chan struct{})
			rc.inflight[siret] = done
			rc.mu.Unlock()
			r, err := rc.fetch(ctx, siret)
			rc.mu.Lock()
			delete(rc.inflight, siret)
			close(done)
			if err == nil {
				rc.entries[siret] = r
			} else if ok {
				rc.log.Warn("chorus structure rules refresh failed; using the cached ones", "siret", siret, "err", err)
				e.Stale = true
				r, err = e, nil
			}
			rc.mu.Unlock()
			return r, err
		}
		rc.mu.Unlock()
		select {
		case <-wait:
			force = false // the fetch we waited for is fresh enough
		case <-ctx.Done():
			return StructureRules{}, &Error{Op: opRechercherStructure, Transient: true, Err: ctx.Err()}
		}
	}
}

// fetch reads the rules of siret: rechercherStructure → consulterStructure
// → rechercherServicesStructure → consulterServiceStructure per active
// service (skipped when the structure already requires an EJ, since the
// service flag then changes nothing).
func (rc *RulesCache) fetch(ctx context.Context, siret string) (StructureRules, error) {
	r := StructureRules{SIRET: siret, FetchedAt: rc.clock()}
	found, err := rc.dir.RechercherStructure(ctx, siret)
	if err != nil {
		return r, err
	}
	var match *StructureSummary
	for i := range found {
		if found[i].Identifier == siret || found[i].Identifier == "" && len(found) == 1 {
			if match != nil {
				// Several structures for one SIRET: OCA keeps the id only
				// when exactly one comes back. Treated as unknown.
				rc.log.Warn("chorus: several structures for one SIRET", "siret", siret)
				return r, nil
			}
			match = &found[i]
		}
	}
	if match == nil {
		return r, nil
	}
	r.Known, r.StructureID, r.Name = true, match.ID, match.Name
	r.Active = match.Status == "" || strings.EqualFold(match.Status, "ACTIVE") || strings.EqualFold(match.Status, "ACTIF")
	d, err := rc.dir.ConsulterStructure(ctx, match.ID)
	if err != nil {
		return r, err
	}
	r.EngagementRequired, r.ServiceRequired, r.EJOrService, r.PaymentNotReported =
		d.EngagementRequired, d.ServiceRequired, d.EJOrService, d.PaymentNotReported
	if d.Name != "" {
		r.Name = d.Name
	}
	services, err := rc.dir.RechercherServicesStructure(ctx, match.ID)
	if err != nil {
		return r, err
	}
	lookups := 0
	for _, s := range services {
		sr := ServiceRule{Code: s.Code, ID: s.ID, Active: s.Active}
		if s.Active && !r.EngagementRequired && s.ID > 0 {
			if lookups >= MaxServiceLookups {
				r.ServicesIncomplete = true
			} else {
				lookups++
				sd, err := rc.dir.ConsulterServiceStructure(ctx, match.ID, s.ID)
				if err != nil {
					return r, err
				}
				sr.EngagementRequired = sd.EngagementRequired
			}
		}
		r.Services = append(r.Services, sr)
	}
	return r, nil
}

func (rc *RulesCache) clock() time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.now()
}
