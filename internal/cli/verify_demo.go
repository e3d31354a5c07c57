package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// runVerifyDemo builds a small signed archive (five hours of two regions
// of a sample multi-region trail, each region signed with its own key
// generated now), tampers with one log file and deletes one digest,
// verifies it offline with the generated keys as --public-keys, and prints
// the report. It fails unless exactly those two problems are found.
func runVerifyDemo(ctx context.Context, g *globals) error {
	dir, err := os.MkdirTemp("", "trailseal-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	first := time.Date(2026, 3, 1, 9, 1, 31, 0, time.UTC)
	regions := []string{"eu-west-1", "us-east-1"}
	signers, err := chaingen.NewSigners(2048, first.Add(-24*time.Hour), first.Add(30*24*time.Hour), regions...)
	if err != nil {
		return err
	}
	layout := verify.Layout{AccountID: "111122223333", TrailName: "organization-trail", HomeRegion: "us-east-1"}
	a, err := chaingen.Generate(chaingen.Spec{
		Bucket: "acme-cloudtrail-logs", Layout: layout, Regions: regions,
		First: first, Hours: 5, LogsPerDigest: 4, LogBytes: 4000, Signers: signers, Seed: 42,
	})
	if err != nil {
		return err
	}
	tampered, deleted, err := tamper(a, "eu-west-1")
	if err != nil {
		return err
	}

	trail := "arn:aws:cloudtrail:us-east-1:111122223333:trail/organization-trail"
	archive, keysPath, err := writeDemoCopy(dir, trail, a, signers)
	if err != nil {
		return err
	}

	fmt.Fprintf(g.stdout, "Verifying a sample archive of %d files in which one log file was modified and one digest deleted:\n\n", len(a.Objects))
	o := &verifyOptions{
		trailFlags: trailFlags{arn: trail, start: first.Add(-time.Hour).Format(time.RFC3339),
			end: first.Add(5 * time.Hour).Format(time.RFC3339), fromDir: archive},
		publicKeys: []string{keysPath}, format: "text", concurrency: 8, now: first.Add(48 * time.Hour),
	}
	report, _, err := executeVerify(ctx, g, o)
	if err != nil {
		return err
	}
	if err := report.WriteText(g.stdout, false); err != nil {
		return err
	}
	problems := report.Problems()
	foundLog, foundDigest := false, false
	for _, p := range problems {
		switch {
		case p.Key == tampered && len(p.Reasons) == 1 && p.Reasons[0] == verify.LogModified:
			foundLog = true
		case p.Key == deleted && len(p.Reasons) == 1 && p.Reasons[0] == verify.DigestMissing:
			foundDigest = true
		}
	}
	if !foundLog || !foundDigest || len(problems) != 2 || len(report.Gaps) != 0 {
		return fmt.Errorf("verify demo: expected exactly the modified log and the deleted digest, got %d problems and %d gaps", len(problems), len(report.Gaps))
	}
	return nil
}

// tamper plays the attacker on a generated archive: it rewrites one source
// IP address in a log file of region and deletes a digest, and returns both
// keys.
func tamper(a *chaingen.Archive, region string) (tampered, deleted string, err error) {
	logs, digests := a.LogKeys(region), a.DigestKeys(region)
	if len(logs) < 7 || len(digests) < 4 {
		return "", "", fmt.Errorf("verify demo: the sample archive has %d log files and %d digests, too few", len(logs), len(digests))
	}
	tampered, deleted = logs[6], digests[3]
	obj := a.Get(tampered)
	raw, err := chaingen.Decompress(obj.Body)
	if err != nil || len(raw) < 60 {
		return "", "", fmt.Errorf("verify demo: sample log file %s: %v", tampered, err)
	}
	copy(raw[len(raw)-60:], "198.51.100.7")
	obj.Body = chaingen.Gzip(raw)
	a.Delete(deleted)
	return tampered, deleted, nil
}

// writeDemoCopy lays the demo archive out as 'trailseal pull' and 'keys
// export' would: the copy with its metadata files and pull record (the
// trail records both regions), and the keys file.
func writeDemoCopy(dir, trail string, a *chaingen.Archive, signers chaingen.Signers) (archive, keysPath string, err error) {
	archive = filepath.Join(dir, "archive")
	if err := a.WriteDir(archive, true); err != nil {
		return "", "", err
	}
	s := a.Spec
	rec := &verify.PullRecord{}
	rec.Add(verify.PulledAccount{Trail: trail, Account: s.Layout.AccountID, Bucket: s.Bucket, Start: s.First, End: s.First.Add(time.Duration(s.Hours) * time.Hour),
		Expected: verify.Expectation{Regions: []verify.ExpectedRegion{{Region: "eu-west-1", Why: verify.WhyEnabled}, {Region: "us-east-1", Why: verify.WhyHome}}}})
	if err := rec.Write(archive); err != nil {
		return "", "", err
	}
	keysPath = filepath.Join(dir, "keys.json")
	kf, err := os.Create(keysPath)
	if err != nil {
		return "", "", err
	}
	if err := verify.WriteKeysFile(kf, signers.PublicKeys()); err != nil {
		kf.Close()
		return "", "", err
	}
	return archive, keysPath, kf.Close()
}
