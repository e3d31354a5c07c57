package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// runSigned writes a signed archive of hours hourly digests in each region,
// twelve log files an hour (as CloudTrail delivers about every five
// minutes), each with about mean realistic records (and the one short
// record every chaingen log file starts with), to out/<bucket>/ with the
// signatures in sidecar files; the public keys to out/../keys.json and the
// context to out/../snapshot.json.
func runSigned(hours, mean int, out string) error {
	first := time.Date(2026, 1, 1, 0, 1, 31, 0, time.UTC)
	signers, err := chaingen.NewSigners(2048, first.Add(-24*time.Hour), first.Add(time.Duration(hours)*time.Hour+30*24*time.Hour), regions...)
	if err != nil {
		return err
	}
	total := 0
	a, err := chaingen.Generate(chaingen.Spec{Bucket: trailBucket,
		Layout:  verify.Layout{AccountID: account, TrailName: trailName, HomeRegion: "us-east-1"},
		Regions: slices.Sorted(slices.Values(regions)), First: first, Hours: hours, LogsPerDigest: 12, LogBytes: 0, Signers: signers, Seed: 13,
		Records: func(region string, h, i int) [][]byte {
			r := rand.New(rand.NewPCG(uint64(h*12+i), uint64(len(region))))
			slot := first.Add(time.Duration(h)*time.Hour + time.Duration(i)*5*time.Minute)
			callers := sessions(h)
			n := 1 + r.IntN(2*mean-1)
			out := make([][]byte, 0, n)
			for k := range n {
				rec := background(r, region, slot.Add(time.Duration(k)*time.Second))
				rec["userIdentity"] = callers[r.IntN(len(callers))]
				b, _ := json.Marshal(rec)
				out = append(out, b)
			}
			total += n
			return out
		}})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := a.WriteDir(out, true); err != nil {
		return err
	}
	kf, err := os.Create(filepath.Join(out, "..", "keys.json"))
	if err != nil {
		return err
	}
	if err := verify.WriteKeysFile(kf, signers.PublicKeys()); err != nil {
		return err
	}
	if err := kf.Close(); err != nil {
		return err
	}
	if err := inventory.Save(filepath.Join(out, "..", "snapshot.json"), snapshot(first)); err != nil {
		return err
	}
	fmt.Printf("%d hours x %d regions: %d log files, %d records\n", hours, len(regions), hours*12*len(regions), total+hours*12*len(regions))
	return nil
}
