// Command proxy runs testenv.KeysProxy for the verify benchmark: it adds a
// fixed latency to every request, answers CloudTrail ListPublicKeys from a
// keys file (each key in its own region) and, with -trail, DescribeTrails,
// and forwards everything else to an S3 server (MinIO, moto) with
// x-amz-meta-* header names in lower case as S3 sends them. With -org it
// answers Organizations (DescribeOrganization, ListAccounts), with -regions
// account:ListRegions. With -counts it writes the number of calls of each
// operation to a file when stopped.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:9000", "S3 server to forward to")
	keysPath := flag.String("keys", "keys.json", "public keys to serve (list-public-keys JSON with Region fields)")
	latency := flag.Duration("latency", 20*time.Millisecond, "latency added to every request")
	trail := flag.String("trail", "", "answer DescribeTrails for this trail: ARN,BUCKET[,multi][,org] (multi: multi-region, org: organization trail)")
	counts := flag.String("counts", "", "write the calls per operation to this file (JSON) when stopped")
	org := flag.String("org", "", "answer Organizations DescribeOrganization and ListAccounts: ORG-ID,ACCOUNTS-FILE (one account per line, the management account first)")
	regions := flag.String("regions", "", "answer account:ListRegions with these regions enabled (comma-separated; default: the 17 enabled by default)")
	flag.Parse()
	if err := run(*target, *keysPath, *latency, *trail, *counts, *org, *regions); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run(target, keysPath string, latency time.Duration, trail, counts, org, regions string) error {
	f, err := os.Open(keysPath)
	if err != nil {
		return err
	}
	keys, err := verify.ReadKeysFile(f)
	f.Close()
	if err != nil {
		return err
	}
	var served []testenv.PublicKey
	for _, k := range keys {
		served = append(served, testenv.PublicKey{DER: k.DER, Fingerprint: k.Fingerprint, From: k.ValidityStart, To: k.ValidityEnd, Region: k.Region})
	}
	p, err := testenv.StartKeysProxy(target, served...)
	if err != nil {
		return err
	}
	p.SetLatency(latency)
	if trail != "" {
		parts := strings.Split(trail, ",")
		if len(parts) < 2 {
			return fmt.Errorf("-trail %q: want ARN,BUCKET[,multi][,org]", trail)
		}
		t, err := verify.ParseTrailARN(parts[0])
		if err != nil {
			return err
		}
		p.SetTrails(testenv.Trail{ARN: parts[0], Name: t.Name, HomeRegion: t.Region, Bucket: parts[1],
			MultiRegion: slices.Contains(parts[2:], "multi"), Organization: slices.Contains(parts[2:], "org")})
	}
	if org != "" {
		id, file, _ := strings.Cut(org, ",")
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		accounts := strings.Fields(string(b))
		if len(accounts) == 0 {
			return fmt.Errorf("-org: %s lists no account", file)
		}
		// Joined long before any benchmark period.
		p.SetOrganization(testenv.Organization{ID: id, Management: accounts[0], Accounts: accounts, Joined: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	if regions != "" {
		m := map[string]string{}
		for _, r := range strings.Split(regions, ",") {
			m[r] = "ENABLED_BY_DEFAULT"
		}
		p.SetRegions("", m)
	}
	fmt.Println(p.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
	if counts != "" {
		b, err := json.Marshal(p.Counts())
		if err != nil {
			return err
		}
		return os.WriteFile(counts, b, 0o644)
	}
	return nil
}
