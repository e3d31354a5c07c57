// Command proxy runs testenv.KeysProxy for the verify benchmark: it adds a
// fixed latency to every request, answers CloudTrail ListPublicKeys from a
// keys file (each key in its own region) and, with -trail, DescribeTrails,
// and forwards everything else to an S3 server (MinIO, moto) with
// x-amz-meta-* header names in lower case as S3 sends them. With -counts it
// writes the number of calls of each operation to a file when stopped.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	trail := flag.String("trail", "", "answer DescribeTrails for this single-region trail: ARN,BUCKET")
	counts := flag.String("counts", "", "write the calls per operation to this file (JSON) when stopped")
	flag.Parse()
	if err := run(*target, *keysPath, *latency, *trail, *counts); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run(target, keysPath string, latency time.Duration, trail, counts string) error {
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
		arn, bucket, _ := strings.Cut(trail, ",")
		t, err := verify.ParseTrailARN(arn)
		if err != nil {
			return err
		}
		p.SetTrails(testenv.Trail{ARN: arn, Name: t.Name, HomeRegion: t.Region, Bucket: bucket})
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
