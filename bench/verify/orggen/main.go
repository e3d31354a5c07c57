// Command orggen writes a signed sample organization-trail archive for the
// verify benchmarks into an S3 bucket (MinIO): -accounts accounts (the
// management account 123456789012 first), each with hourly digest chains
// in every -regions region signed with that region's own key, -logs log
// files per digest. It writes the keys (keys.json, one per region, for the
// keys proxy) and the account IDs (one per line, for the proxy's
// ListAccounts and --account-id lists).
//
// -hours-from H uploads only the objects of hours H and later: with -hours
// one more than a first run's, it delivers one more hour to the same
// archive (the chains are generated the same way, so the new digests link
// to the old ones).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

const management = "123456789012"

func main() {
	accounts := flag.Int("accounts", 100, "accounts in the organization")
	regions := flag.String("regions", "us-east-1,eu-west-1,ap-southeast-2", "source regions of every account")
	hours := flag.Int("hours", 48, "hours of digests")
	from := flag.Int("hours-from", 0, "upload only the objects of this hour index and later")
	logs := flag.Int("logs", 2, "log files per digest")
	logBytes := flag.Int("log-bytes", 4000, "uncompressed bytes per log file")
	org := flag.String("org", "o-bench00001", "organization ID")
	bucket := flag.String("bucket", "org-trail", "bucket name")
	endpoint := flag.String("s3-endpoint", "http://127.0.0.1:9100", "S3 endpoint (path-style; credentials from the environment)")
	keysPath := flag.String("keys", "keys.json", "write the public keys here")
	accountsPath := flag.String("accounts-out", "accounts.txt", "write the account IDs here")
	flag.Parse()
	if err := run(*accounts, strings.Split(*regions, ","), *hours, *from, *logs, *logBytes, *org, *bucket, *endpoint, *keysPath, *accountsPath); err != nil {
		fmt.Fprintln(os.Stderr, "orggen:", err)
		os.Exit(1)
	}
}

// First is the start of the first digest period.
var first = time.Date(2026, 1, 1, 0, 1, 31, 0, time.UTC)

func accountIDs(n int) []string {
	ids := []string{management}
	for i := 1; i < n; i++ {
		ids = append(ids, fmt.Sprintf("%012d", 200000000000+int64(i)*7919))
	}
	return ids
}

func run(n int, regions []string, hours, from, logs, logBytes int, org, bucket, endpoint, keysPath, accountsPath string) error {
	// A run that delivers one more hour signs with the keys of the first:
	// they are kept next to keys.json. 2048-bit keys, as CloudTrail's.
	signers, err := loadSigners(keysPath+".private", regions)
	if err != nil {
		return err
	}
	kf, err := os.Create(keysPath)
	if err != nil {
		return err
	}
	if err := verify.WriteKeysFile(kf, signers.PublicKeys()); err != nil {
		return err
	}
	if err := kf.Close(); err != nil {
		return err
	}
	ids := accountIDs(n)
	if err := os.WriteFile(accountsPath, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(endpoint))
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if from == 0 {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			return fmt.Errorf("create bucket: %w", err)
		}
	}
	cutoff := first.Add(time.Duration(from) * time.Hour)
	var objects, bytesUp atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, id := range ids {
		g.Go(func() error {
			up, uctx := errgroup.WithContext(gctx)
			up.SetLimit(16)
			// Each region from a seed of its own: a run with more hours
			// makes the same objects for the hours of a run with fewer.
			for j, r := range regions {
				a, err := chaingen.Generate(chaingen.Spec{Bucket: bucket,
					Layout:  verify.Layout{OrgID: org, AccountID: id, TrailName: "org-audit", HomeRegion: "us-east-1"},
					Regions: []string{r}, First: first, Hours: hours, LogsPerDigest: logs, LogBytes: logBytes, Signers: signers, Seed: uint64(1000 + 16*i + j)})
				if err != nil {
					return err
				}
				for _, o := range a.Sorted() {
					if from > 0 && !newer(a, o.Key, cutoff) {
						continue
					}
					up.Go(func() error {
						_, err := c.PutObject(uctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body), Metadata: o.Metadata})
						objects.Add(1)
						bytesUp.Add(int64(len(o.Body)))
						return err
					})
				}
			}
			return up.Wait()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Printf("organization %s: %d accounts x %d regions, hours %d..%d, %d log files per digest; uploaded %d objects (%d bytes)\n",
		org, n, len(regions), from, hours-1, logs, objects.Load(), bytesUp.Load())
	return nil
}

// loadSigners reads each region's private key from path, or makes and
// keeps them there.
func loadSigners(path string, regions []string) (chaingen.Signers, error) {
	keys := map[string][]byte{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &keys); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	signers := chaingen.Signers{}
	for _, r := range regions {
		var k *rsa.PrivateKey
		var err error
		if der, ok := keys[r]; ok {
			k, err = x509.ParsePKCS1PrivateKey(der)
		} else {
			k, err = rsa.GenerateKey(rand.Reader, 2048)
			keys[r] = x509.MarshalPKCS1PrivateKey(k)
		}
		if err != nil {
			return nil, err
		}
		if signers[r], err = chaingen.SignerFromKey(k, r, first.Add(-24*time.Hour), first.Add(400*24*time.Hour)); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return signers, os.WriteFile(path, b, 0o600)
}

// newer tells whether key is a digest that ends after cutoff's hour, or a
// log file delivered after cutoff.
func newer(a *chaingen.Archive, key string, cutoff time.Time) bool {
	l := a.Spec.Layout
	for _, r := range a.Spec.Regions {
		if n, ok := l.ParseDigestKey(key); ok && n.Region == r {
			return n.End.After(cutoff)
		}
		if t, ok := l.ParseLogKey(key, r); ok {
			return !t.Before(cutoff)
		}
	}
	return false
}
