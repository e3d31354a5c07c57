package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/output"
	"github.com/trailseal/trailseal/internal/report"
	"github.com/trailseal/trailseal/internal/verify"
)

// verifyFormatUsage is the help of verify's --format, as scan words its.
var verifyFormatUsage = "output format: " + strings.Join(report.VerifyFormats(), ", ") + " (comma-separated with --output-dir)"

const verifyOutputDirUsage = "write one report per format into this directory (report.<format>)"

// verifyOutput is where verify's reports go: one format to stdout or to
// --output, or one file per format into --output-dir. The rules are scan's.
type verifyOutput struct {
	formats []string
	// dir is --output-dir; output is --output (a file or s3://B/K).
	dir, output string
	verbose     bool
	// quiet: no result line on stderr when the reports go to files.
	quiet bool
}

// parseVerifyOutput checks --format, --output and --output-dir.
func parseVerifyOutput(formats, output, dir string) (verifyOutput, error) {
	out := verifyOutput{dir: dir, output: output}
	for _, name := range strings.Split(formats, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if err := report.LookupVerifyFormat(name); err != nil {
			return out, usageError("--format: %v", err)
		}
		if !slices.Contains(out.formats, name) {
			out.formats = append(out.formats, name)
		}
	}
	switch {
	case len(out.formats) == 0:
		return out, usageError("--format: no format given")
	case output != "" && dir != "":
		return out, usageError("--output and --output-dir cannot be used together")
	case len(out.formats) > 1 && dir == "":
		return out, usageError("several formats need --output-dir (one file per format)")
	case strings.HasPrefix(dir, "s3://"):
		return out, usageError("--output-dir %q: want a local directory", dir)
	}
	return out, nil
}

// wants tells whether one of the formats is format.
func (o verifyOutput) wants(format string) bool { return slices.Contains(o.formats, format) }

// write renders the report in each format and writes it where it goes.
// Every report is written before the caller returns the exit code.
func (o verifyOutput) write(ctx context.Context, g *globals, cfg aws.Config, render func(io.Writer, string) error, resultLine string) error {
	switch {
	case o.dir != "":
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return fmt.Errorf("--output-dir: %w", err)
		}
		for _, format := range o.formats {
			var buf bytes.Buffer
			if err := render(&buf, format); err != nil {
				return err
			}
			if err := writeLocalReport(filepath.Join(o.dir, "report."+fileExtension(format)), buf.Bytes()); err != nil {
				return fmt.Errorf("--output-dir: %w", err)
			}
		}
	case o.output != "":
		var buf bytes.Buffer
		if err := render(&buf, o.formats[0]); err != nil {
			return err
		}
		if err := writeReportTo(ctx, cfg, o.output, buf.Bytes()); err != nil {
			return err
		}
	default:
		return render(g.stdout, o.formats[0])
	}
	if !o.quiet {
		fmt.Fprintln(g.stderr, "RESULT: "+resultLine)
	}
	return nil
}

// writeReportTo writes a report to a file or to s3://BUCKET/KEY.
func writeReportTo(ctx context.Context, cfg aws.Config, output string, data []byte) error {
	rest, ok := strings.CutPrefix(output, "s3://")
	if !ok {
		if dir := filepath.Dir(output); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("--output: %w", err)
			}
		}
		if err := writeLocalReport(output, data); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		return nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" || key == "" {
		return usageError("--output %q: want a file or s3://BUCKET/KEY", output)
	}
	c := s3.NewFromConfig(cfg, verify.S3Options(cfg))
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		return fmt.Errorf("write the report to %s: %w", output, err)
	}
	return nil
}

// writeLocalReport writes through a temporary file renamed into place, so
// that a reader never sees half a report.
func writeLocalReport(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
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
	return o.dir == "" && o.output == "" && g.useColor(g.stdout)
}
