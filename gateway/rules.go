package gateway

import (
	"context"
	"fmt"
	"time"

	"facteur/chorus"
	"facteur/register"
	"facteur/router"
)

// The routing rules as the daemon applies them: the configured ones,
// refined by what Chorus Pro says of each budget's structure and of the
// suppliers the technical account is attached to, with the engagement
// register.

// routingRules are the configured routing rules, refined by what Chorus Pro
// says each budget's structure requires (cached, refreshed daily). When
// Chorus Pro cannot be asked, the configured rules stand: they require an
// engagement number, the safe side.
func (g *Gateway) routingRules(ctx context.Context) router.Rules {
	r := g.o.Rules
	if g.o.Register != nil {
		r.Register = g.register()
	}
	r.PDFSuppliers = map[string]bool{}
	for _, s := range g.supplierStructures(ctx) {
		r.PDFSuppliers[s.SIRET] = true
	}
	if g.o.Structures == nil {
		return r
	}
	r.Budgets = append([]router.Budget(nil), r.Budgets...)
	for i, b := range r.Budgets {
		sr, err := g.o.Structures.Get(ctx, b.SIRET)
		switch {
		case err != nil:
			g.log.Warn("structure rules unavailable; configured rules apply", "siret", b.SIRET, "err", err)
			continue
		case !sr.Known:
			g.log.Warn("budget SIRET unknown to Chorus Pro; configured rules apply", "siret", b.SIRET, "budget", b.Name)
			continue
		}
		b.EngagementRequired, b.ServiceRequired, b.EngagementOrService = sr.EngagementRequired, sr.ServiceRequired, sr.EJOrService
		b.Services = nil
		for _, s := range sr.Services {
			if s.Active {
				b.Services = append(b.Services, s.Code)
			}
		}
		r.Budgets[i] = b
	}
	return r
}

// register returns the engagement register as last read. Before any
// successful read it is empty: every engagement number is then held, since
// none can be checked. A failed read is logged once, and the last good
// register stands.
func (g *Gateway) register() *register.Register {
	reg, err := g.o.Register.Current(g.now())
	state := fmt.Sprintf("%d engagements", reg.Len())
	if err != nil {
		state = err.Error()
	}
	if state != g.registerState {
		g.registerState = state
		if err != nil {
			g.log.Error("engagement register unreadable; the last one read stands", "err", err, "engagements", reg.Len())
		} else {
			g.log.Info("engagement register read", "engagements", reg.Len())
		}
	}
	if reg == nil {
		reg = &register.Register{}
	}
	return reg
}

// supplierStructures returns the supplier structures the Chorus Pro
// technical account is attached to (it may submit invoices for them), asked
// at most once a day; when Chorus Pro cannot be asked, the last list known
// (or none: no PDF-mode deposit) stands.
func (g *Gateway) supplierStructures(ctx context.Context) []chorus.SupplierStructure {
	if g.o.Chorus == nil {
		return nil
	}
	c := &g.suppliers
	c.Lock()
	defer c.Unlock()
	if !c.at.IsZero() && g.now().Sub(c.at) < 24*time.Hour {
		return c.list
	}
	list, err := g.o.Chorus.RecupererStructuresActivesPourFournisseur(ctx)
	if err != nil {
		g.log.Warn("supplier structures of the technical account unavailable; no PDF-mode deposit meanwhile", "err", err)
		c.at = g.now().Add(-23 * time.Hour) // ask again in an hour
		return c.list
	}
	c.list, c.at = list, g.now()
	return list
}

// supplierID is the idFournisseur of a supplier SIRET for soumettre: the
// configured one, else the technical account's structure of that SIRET.
func (g *Gateway) supplierID(ctx context.Context, siret string) int64 {
	if g.o.SupplierID != 0 {
		return g.o.SupplierID
	}
	for _, s := range g.supplierStructures(ctx) {
		if s.SIRET == siret {
			return s.ID
		}
	}
	return 0
}
