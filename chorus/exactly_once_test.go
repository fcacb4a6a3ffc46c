package chorus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"facteur/chorus"
	"facteur/chorus/sandbox"
	"facteur/samples"
)

const (
	supplierID  = 31544902
	pathDeposer = "/cpro/factures/v1/deposer/flux"
)

var supplierSIRET = seller.SIRET

// TestCommitThenDrop: the sandbox records the deposit, then drops the
// connection. The client must say the deposit is in doubt, and a search by
// invoice number + supplier must find exactly one invoice.
func TestCommitThenDrop(t *testing.T) {
	p := newPair(t, sandbox.Options{}, nil)
	if err := p.sb.Inject(sandbox.Fault{Path: pathDeposer, Kind: sandbox.FaultCommitDrop, Count: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inv := sample("CD-2026-0001")
	_, err := p.client.DeposerFlux(ctx, chorus.DepositRequest{File: samples.CII(inv), FileName: "cd.xml", Syntax: chorus.SyntaxCII})
	if err == nil || !chorus.IsTransient(err) || !chorus.MaybeDeposited(err) {
		t.Fatalf("err = %v (transient %v, maybe deposited %v)", err, chorus.IsTransient(err), chorus.MaybeDeposited(err))
	}
	found, err := p.client.FindSupplierInvoice(ctx, inv.Number, supplierID, supplierSIRET, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	deps := p.sb.Deposits()
	if len(found) != 1 || len(deps) != 1 || found[0].FlowNumber != deps[0].FlowNumber || found[0].Number != inv.Number {
		t.Fatalf("found %+v; sandbox deposits %d", found, len(deps))
	}
	// The flow number recovered by the search leads to the report.
	if rep := p.report(t, found[0].FlowNumber); rep.State != "IN_INTEGRE" {
		t.Fatalf("report %+v", rep)
	}
	// A plain drop (before processing) leaves nothing behind.
	if err := p.sb.Inject(sandbox.Fault{Path: pathDeposer, Kind: sandbox.FaultDrop, Count: 1}); err != nil {
		t.Fatal(err)
	}
	inv2 := sample("CD-2026-0002")
	_, err = p.client.DeposerFlux(ctx, chorus.DepositRequest{File: samples.CII(inv2), FileName: "cd.xml", Syntax: chorus.SyntaxCII})
	if !chorus.MaybeDeposited(err) {
		t.Fatalf("drop: %v", err)
	}
	if found, err := p.client.FindSupplierInvoice(ctx, inv2.Number, supplierID, supplierSIRET, time.Time{}, time.Time{}); err != nil || len(found) != 0 {
		t.Fatalf("after a drop before processing: %+v %v", found, err)
	}
}

// TestExactlyOnceUnderFaults deposits 50 invoices through ~30 % transient
// faults (seeded), with the protocol of reference §2.15: after an answer
// lost in doubt, search before depositing again. Every invoice must end on
// Chorus Pro exactly once, through exactly one flow.
func TestExactlyOnceUnderFaults(t *testing.T) {
	const n = 50
	p := newPair(t, sandbox.Options{Seed: 20261102, Faults: []sandbox.Fault{
		{Kind: sandbox.FaultStatus, Status: 503, Probability: 0.10},
		{Kind: sandbox.FaultStatus, Status: 429, Probability: 0.05},
		{Path: pathDeposer, Kind: sandbox.FaultCommitDrop, Probability: 0.10},
		{Path: pathDeposer, Kind: sandbox.FaultDrop, Probability: 0.05},
		{Kind: sandbox.FaultHang, Delay: 5 * time.Second, Probability: 0.02},
		{Kind: sandbox.FaultSlow, Delay: 20 * time.Millisecond, Probability: 0.03},
	}}, func(c *chorus.Config) { c.Timeout = 500 * time.Millisecond })
	ctx := context.Background()

	deposited := func(number string, file []byte) (attempts int) {
		inDoubt := false
		for attempts = 1; attempts <= 40; attempts++ {
			if inDoubt {
				found, err := p.client.FindSupplierInvoice(ctx, number, supplierID, supplierSIRET, time.Time{}, time.Time{})
				if err != nil {
					if !chorus.IsTransient(err) {
						t.Fatalf("%s: search: %v", number, err)
					}
					continue
				}
				switch len(found) {
				case 1:
					return attempts
				case 0:
					inDoubt = false // not there: depositing again is safe
				default:
					t.Fatalf("%s: %d invoices", number, len(found))
				}
			}
			_, err := p.client.DeposerFlux(ctx, chorus.DepositRequest{File: file, FileName: number + ".xml", Syntax: chorus.SyntaxCII,
				InvoiceNumber: number, SellerSIRET: supplierSIRET})
			switch {
			case err == nil:
				return attempts
			case chorus.MaybeDeposited(err):
				inDoubt = true
			case !chorus.IsTransient(err):
				t.Fatalf("%s: permanent error: %v", number, err)
			}
		}
		t.Fatalf("%s: not deposited after 40 attempts", number)
		return 0
	}
	total := 0
	for i := range n {
		number := fmt.Sprintf("EO-2026-%04d", i)
		total += deposited(number, samples.CII(sample(number)))
	}

	perNumber := map[string]int{}
	for _, inv := range p.sb.Invoices() {
		perNumber[inv.Number]++
	}
	deps := p.sb.Deposits()
	for i := range n {
		if c := perNumber[fmt.Sprintf("EO-2026-%04d", i)]; c != 1 {
			t.Errorf("invoice %d present %d times", i, c)
		}
	}
	for _, d := range deps {
		if d.State != sandbox.StateIntegrated {
			t.Errorf("flow %s %s: %v", d.FlowNumber, d.State, d.Errors)
		}
	}
	if len(perNumber) != n || len(deps) != n {
		t.Fatalf("%d invoices, %d flows; want %d", len(perNumber), len(deps), n)
	}
	faults := p.sb.FaultsApplied()
	t.Logf("%d attempts, %d faults injected", total, faults)
	if faults < n/5 {
		t.Fatalf("only %d faults injected", faults)
	}
}
