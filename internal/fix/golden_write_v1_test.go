package fix_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trailseal/trailseal/internal/fix"
)

// TestWriteV1Goldens writes the version 1 journal goldens with the code of
// this commit. It runs only when asked (TRAILSEAL_WRITE_V1_GOLDEN=1), once,
// before the journal format changes; the commit that changes the format
// removes it, since a later build would no longer write version 1.
func TestWriteV1Goldens(t *testing.T) {
	if os.Getenv("TRAILSEAL_WRITE_V1_GOLDEN") != "1" {
		t.Skip("writes testdata goldens; set TRAILSEAL_WRITE_V1_GOLDEN=1")
	}
	ctx, cfg := fresh(t)
	m := seedGoldenFull(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	path, _ := filepath.Abs("testdata/journal-v1-full.json")
	if out, err := (&fix.Applier{Clients: fix.NewClients(cfg), Journal: fix.NewJournal(path, inv.Account.ID)}).Apply(ctx, plan); err != nil || out.Failed+out.Skipped > 0 {
		t.Fatalf("full apply: %+v %v", out, err)
	}

	ctx, cfg = fresh(t)
	m = seedGoldenAlarm(t, ctx, cfg)
	opts := fixOptions(m)
	opts.Rules = []string{"monitoring.trail_changes_alarm"}
	plan, inv, _ = planFor(t, ctx, cfg, m, opts)
	if len(plan.Steps) != 1 {
		t.Fatalf("alarm plan: %+v", plan)
	}
	path, _ = filepath.Abs("testdata/journal-v1-alarm.json")
	if out, err := (&fix.Applier{Clients: fix.NewClients(cfg), Journal: fix.NewJournal(path, inv.Account.ID)}).Apply(ctx, plan); err != nil || out.Applied != 1 {
		t.Fatalf("alarm apply: %+v %v", out, err)
	}
}
