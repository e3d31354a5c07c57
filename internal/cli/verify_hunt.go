package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/hunt"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/output"
	"github.com/trailseal/trailseal/internal/verify"
)

// verifyHuntOptions are verify's --hunt flags.
type verifyHuntOptions struct {
	on        bool
	snapshot  string
	noContext bool
}

func addVerifyHuntFlags(f *pflag.FlagSet, o *verifyHuntOptions) {
	f.BoolVar(&o.on, "hunt", false, "also run hunt's detections over the log files verified, in the same pass, and say which calls opened and closed each gap")
	f.StringVar(&o.snapshot, "snapshot", "", "with --hunt: which resources are the trail's, from this saved inventory ('scan --save-snapshot')")
	f.BoolVar(&o.noContext, "no-context", false, "with --hunt: hunt without an inventory (the default with --from-dir unless --snapshot is given)")
}

// check reports flag combinations that make no sense.
func (h verifyHuntOptions) check() error {
	switch {
	case !h.on && (h.snapshot != "" || h.noContext):
		return usageError("--snapshot and --no-context go with --hunt")
	case h.snapshot != "" && h.noContext:
		return usageError("--snapshot and --no-context exclude each other")
	}
	return nil
}

// verifyHunt is the hunt that runs inside a verification.
type verifyHunt struct {
	hunter  *hunt.Hunter
	info    detection.ContextInfo
	history hunt.History
	home    string
}

// startVerifyHunt checks the --hunt flags and readies the hunter: its
// context (the inventory, a snapshot or none) and, online, the event
// history of the trail's home region for gaps the logs do not explain.
func startVerifyHunt(ctx context.Context, g *globals, o *verifyOptions, spec verify.TargetSpec) (*verifyHunt, error) {
	h := o.hunt
	if !h.on {
		return nil, nil
	}
	ho := &huntOptions{aws: o.aws, snapshot: h.snapshot, noContext: h.noContext || (o.fromDir != "" && h.snapshot == "")}
	ho.aws.region = spec.Trail.Region
	hctx, info, err := huntContext(ctx, g, ho, &huntPlan{regions: spec.Regions}, hunt.DefaultThresholds())
	if err != nil {
		return nil, err
	}
	if o.fromDir != "" && h.snapshot == "" && !h.noContext {
		info.Location = "offline: give --snapshot for the trail's resources"
	}
	vh := &verifyHunt{hunter: hunt.NewHunter(hunt.Options{Context: hctx, TrailEvents: true}), info: info, home: spec.Trail.Region}
	if o.fromDir == "" {
		vh.history = hunt.EventHistory(spec.AWS, spec.Trail.Region)
	}
	return vh, nil
}

// finish hunts the log files verify listed but did not hash (written in a
// gap, or named by no digest), explains the gaps, and returns the hunt's
// report.
func (vh *verifyHunt) finish(ctx context.Context, t *verify.Target, r *verify.Report, trail string, now time.Time) (*detection.Report, error) {
	return vh.complete(ctx, t.Store, r.Logs, r.Gaps, r.Bucket, r.Prefix, r.FromDir, trail, t.Spec.Concurrency, now)
}

// finishArchive is finish for a run over many chains: the problems list
// the files not hashed, and every account's gaps are explained.
func (vh *verifyHunt) finishArchive(ctx context.Context, spec verify.TargetSpec, r *verify.ArchiveReport, now time.Time) (*detection.Report, error) {
	var st verify.Store = verify.DirStore{Root: spec.FromDir}
	if spec.FromDir == "" {
		st = verify.NewS3Buckets(spec.AWS)
	}
	return vh.complete(ctx, st, r.Problems, r.Gaps, r.Bucket, r.Prefix, r.FromDir, spec.Trail.Raw, spec.Concurrency, now)
}

func (vh *verifyHunt) complete(ctx context.Context, st verify.Store, items []verify.Item, gaps []verify.Gap,
	bucket, prefix, fromDir, trail string, concurrency int, now time.Time) (*detection.Report, error) {
	if err := vh.hunter.ReadUnchecked(ctx, st, items, fromDir, concurrency); err != nil {
		return nil, err
	}
	if err := hunt.ExplainGaps(ctx, gaps, hunt.TrailIDOf(trail), vh.hunter.TrailEvents(), vh.history, now); err != nil {
		return nil, err
	}
	rep := vh.hunter.Report()
	rep.Version, rep.Context = Version(), vh.info
	where := "s3://" + bucket
	if fromDir != "" {
		where = filepath.Join(fromDir, bucket)
	}
	if prefix != "" {
		where += "/" + prefix
	}
	rep.Sources.Description = "the log files verified in " + where
	return rep, nil
}

// writeHuntTimeline writes the hunt's timeline after verify's text report.
func writeHuntTimeline(w io.Writer, hr *detection.Report, color bool) error {
	fmt.Fprintln(w)
	return output.Write(w, "timeline", hr, output.Options{Color: color})
}

// mergeHuntReports combines the hunt reports of sharded 'verify --hunt'
// runs, read from their JSON reports (nil for a shard that did not hunt);
// nil when no shard hunted. Shards that hunted and shards that did not
// cannot be merged: the merged report would claim a hunt over files it
// never read.
func mergeHuntReports(parts []*detection.Report) (*detection.Report, error) {
	hunted := 0
	for _, h := range parts {
		if h != nil {
			hunted++
		}
	}
	switch {
	case hunted == 0:
		return nil, nil
	case hunted < len(parts):
		return nil, usageError("verify merge: %d of %d reports were made with --hunt; merge the shards of one run", hunted, len(parts))
	}
	return hunt.MergeReports(parts), nil
}

// verifyHuntExit is verify's exit code, with the hunt's results ranked in:
// invalid files (1) over anything that could not be checked, verify's or
// the hunt's (4), over gaps or detections (3).
func verifyHuntExit(r *verify.Report, hr *detection.Report) error {
	switch {
	case r.Outcome == verify.OutcomeInvalid || r.Outcome == verify.OutcomeUnverifiable:
		return verifyExit(r)
	case len(hr.Sources.Errors) > 0:
		return errUnreadable
	case r.Outcome == verify.OutcomeGaps:
		return errGaps
	case len(hr.Detections) > 0:
		return errDetections
	}
	return nil
}
