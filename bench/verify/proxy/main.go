// Command proxy runs testenv.KeysProxy for the verify benchmark: it adds a
// fixed latency to every request, answers CloudTrail ListPublicKeys from a
// keys file, and forwards everything else to an S3 server (MinIO, moto)
// with x-amz-meta-* header names in lower case as S3 sends them.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:9000", "S3 server to forward to")
	keysPath := flag.String("keys", "keys.json", "public keys to serve (list-public-keys JSON)")
	latency := flag.Duration("latency", 20*time.Millisecond, "latency added to every request")
	flag.Parse()
	f, err := os.Open(*keysPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
	keys, err := verify.ReadKeysFile(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
	var served []testenv.PublicKey
	for _, k := range keys {
		served = append(served, testenv.PublicKey{DER: k.DER, Fingerprint: k.Fingerprint, From: k.ValidityStart, To: k.ValidityEnd, Region: k.Region})
	}
	p, err := testenv.StartKeysProxy(*target, served...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
	p.SetLatency(*latency)
	fmt.Println(p.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	p.Close()
}
