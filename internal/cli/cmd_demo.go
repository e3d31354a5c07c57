package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/demo"
	"github.com/trailseal/trailseal/internal/report"
)

type demoOptions struct {
	format       string
	output       string
	verbose      bool
	saveSnapshot string
	skipVerify   bool
}

func newDemoCommand(g *globals) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scan a built-in sample account and verify a sample log archive (no credentials, no network)",
		Long: `Demo runs the full scan pipeline on a built-in sample account, acme-prod,
the management account of an organization, and prints the report:

  - organization-trail: an organization trail done (nearly) right; its
    "Log all S3 events" selector in fact covers two buckets only
  - legacy-audit: a single-region trail without log file validation whose
    bucket is public through its ACL and policy
  - security-tooling: a trail that was stopped 19 days ago

It then verifies a generated sample CloudTrail archive in which one log file
was tampered with and one digest was deleted, and shows both findings.

Demo makes no AWS call and needs no credentials. It exits 0 when it ran,
whatever it found. Save the sample inventory with --save-snapshot and scan it
like a real one: trailseal scan --snapshot sample.json`,
		Example: `  trailseal demo
  trailseal demo --verbose           # also show PASS and N/A findings
  trailseal demo --format json | jq '.summary'
  trailseal demo --save-snapshot sample.json && trailseal scan --snapshot sample.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addFormatFlag(f, &o.format, "table", report.Formats(), " (the scan report)")
	addOutputFlag(f, &o.output)
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show PASS and N/A findings in the table too")
	f.StringVar(&o.saveSnapshot, "save-snapshot", "", "write the sample account's inventory to this file")
	f.BoolVar(&o.skipVerify, "skip-verify", false, "do not run the digest-chain part of the demo")
	return cmd
}

func runDemo(ctx context.Context, g *globals, o *demoOptions) error {
	r, err := resolveScan(g, &scanOptions{accountFlags: accountFlags{concurrency: 1}, formats: o.format, output: o.output,
		failOn: "low", minRetentionDays: 365, saveSnapshot: o.saveSnapshot})
	if err != nil {
		return err
	}
	if r.snapshot != nil {
		if err := r.snapshot.writeBytes(demo.SnapshotJSON()); err != nil {
			return err
		}
	}
	inv, err := demo.Snapshot()
	if err != nil {
		return fmt.Errorf("built-in sample: %w", err)
	}
	rep := evaluate(inv, r.ruleset, r.ruleOpts, "demo")
	if !r.report.toStdout() {
		// The report in its format; the digest-chain part is for the
		// terminal.
		return r.report.write(func(w io.Writer) error { return writeReport(w, r.formats[0], rep) })
	}
	if err := writeStdout(g, rep, r.formats[0], o.verbose); err != nil {
		return err
	}
	if o.skipVerify || r.formats[0] != "table" {
		return nil
	}
	fmt.Fprintln(g.stdout)
	return runVerifyDemo(ctx, g)
}
