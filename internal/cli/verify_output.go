package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/output"
	"github.com/trailseal/trailseal/internal/report"
	"github.com/trailseal/trailseal/internal/verify"
)

// verifyFormatMore is what verify's --format help adds, as scan's does.
const verifyFormatMore = " (comma-separated with --output-dir)"

// verifyOutputDirUsage is scan's --output-dir help.
const verifyOutputDirUsage = "write one report per format into this folder (report.<format>; created if missing)"

// verifyOutput is where verify's reports go, with scan's rules: one format
// to standard output or -o (for a run over many chains also
// s3://BUCKET/KEY), or one file per format into --output-dir.
type verifyOutput struct {
	formats []string
	// report is -o (or standard output); s3 is -o s3://BUCKET/KEY.
	report *outputFile
	s3     string
	dir    []formatOutput
	// verbose lists every valid object in the text report.
	verbose bool
}

// parseVerifyFormats checks --format and how it goes with -o and
// --output-dir.
func parseVerifyFormats(formats, output, dir string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(formats, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if err := report.LookupVerifyFormat(name); err != nil {
			return nil, usageError("--format: %v", err)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	switch {
	case len(out) == 0:
		return nil, usageError("--format: no format given")
	case output != "" && dir != "":
		return nil, usageError("--output and --output-dir cannot be used together")
	case len(out) > 1 && dir == "":
		return nil, usageError("several formats need --output-dir (one file per format)")
	case strings.HasPrefix(dir, "s3://"):
		return nil, usageError("--output-dir %s: give a local folder", dir)
	}
	return out, nil
}

// newVerifyOutput is where the reports go, {shard} replaced in the paths.
func newVerifyOutput(g *globals, formats []string, output, dir string, sh verify.Shard, verbose bool) verifyOutput {
	output, dir = expandShard(output, sh), expandShard(dir, sh)
	o := verifyOutput{formats: formats, verbose: verbose}
	if strings.HasPrefix(output, "s3://") {
		o.s3, output = output, ""
	}
	o.report = newOutput(g, "--output", output)
	if dir != "" {
		for _, f := range formats {
			o.dir = append(o.dir, formatOutput{f, newOutput(g, "--output-dir", filepath.Join(dir, "report."+fileExtension(f)))})
		}
	}
	return o
}

// files are the local files the reports go to, to check before any AWS
// call.
func (o verifyOutput) files() []*outputFile {
	outs := []*outputFile{o.report}
	for _, d := range o.dir {
		outs = append(outs, d.out)
	}
	return outs
}

// wants tells whether one of the formats is format.
func (o verifyOutput) wants(format string) bool { return slices.Contains(o.formats, format) }

// write renders the report in each format and writes it where it goes;
// one file that fails never stops the others. The result line goes to
// stderr (unless --quiet) when the reports go to files. Every report is
// written before the caller returns the exit code.
func (o verifyOutput) write(ctx context.Context, g *globals, cfg aws.Config, render func(io.Writer, string) error, resultLine string) error {
	switch {
	case len(o.dir) > 0:
		var errs []error
		for _, d := range o.dir {
			errs = append(errs, d.out.write(func(w io.Writer) error { return render(w, d.format) }))
		}
		if err := joinErrors(errs...); err != nil {
			return err
		}
	case o.s3 != "":
		var buf bytes.Buffer
		if err := render(&buf, o.formats[0]); err != nil {
			return err
		}
		if err := putReport(ctx, cfg, o.s3, buf.Bytes()); err != nil {
			return err
		}
	case !o.report.toStdout():
		if err := o.report.write(func(w io.Writer) error { return render(w, o.formats[0]) }); err != nil {
			return err
		}
	default:
		return render(g.stdout, o.formats[0])
	}
	g.info("RESULT: " + resultLine)
	return nil
}

// putReport writes a report to s3://BUCKET/KEY.
func putReport(ctx context.Context, cfg aws.Config, output string, data []byte) error {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(output, "s3://"), "/")
	if bucket == "" || key == "" {
		return usageError("--output %q: want a file or s3://BUCKET/KEY", output)
	}
	c := s3.NewFromConfig(cfg, verify.S3Options(cfg))
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		return fmt.Errorf("write the report to %s: %w", output, err)
	}
	return nil
}

// renderVerify renders one account's report in a format; with --hunt,
// the hunt's report with it.
func renderVerify(g *globals, o verifyOutput, r *verify.Report, hunted *detection.Report) func(io.Writer, string) error {
	opts := verifyReportOptions(o, hunted)
	return func(w io.Writer, format string) error {
		if format == "text" && hunted != nil {
			if err := r.WriteText(w, o.verbose); err != nil {
				return err
			}
			return writeHuntTimeline(w, hunted, o.toTerminal(g))
		}
		return report.WriteVerify(w, format, r, opts)
	}
}

// renderArchive renders an archive's report in a format; with --hunt, the
// hunt's report with it.
func renderArchive(g *globals, o verifyOutput, r *verify.ArchiveReport, hunted *detection.Report) func(io.Writer, string) error {
	opts := verifyReportOptions(o, hunted)
	return func(w io.Writer, format string) error {
		if format == "text" && hunted != nil {
			if err := r.WriteText(w, o.verbose); err != nil {
				return err
			}
			return writeHuntTimeline(w, hunted, o.toTerminal(g))
		}
		return report.WriteVerifyArchive(w, format, r, opts)
	}
}

// verifyReportOptions hands the hunt's report to the writers, its
// timeline in the hunt's own words.
func verifyReportOptions(o verifyOutput, hunted *detection.Report) report.VerifyOptions {
	opts := report.VerifyOptions{Verbose: o.verbose, Hunt: hunted}
	if hunted != nil {
		var groups []report.TimelineGroup
		for _, a := range output.ByActor(hunted.Detections) {
			groups = append(groups, report.TimelineGroup{Actor: a.Actor, Detections: a.Detections})
		}
		t := report.TimelineFor(hunted, output.Summary(hunted), output.ContextLine(hunted.Context), groups)
		opts.HuntTimeline = &t
	}
	return opts
}

// toTerminal tells whether the report goes to a terminal (and may be
// coloured).
func (o verifyOutput) toTerminal(g *globals) bool {
	return len(o.dir) == 0 && o.s3 == "" && o.report.toStdout() && g.useColor(g.stdout)
}

// addVerifyFormatFlags adds -f/--format and --output-dir, as scan has them.
func addVerifyFormatFlags(f *pflag.FlagSet, format, dir *string) {
	addFormatFlag(f, format, "text", report.VerifyFormats(), verifyFormatMore)
	f.StringVar(dir, "output-dir", "", verifyOutputDirUsage)
}
