// Command gen writes a signed sample CloudTrail archive for the verify
// benchmarks: to a folder laid out as 'trailseal pull' writes it, or into
// an S3 bucket (MinIO, moto) with the signature metadata. It also writes
// the signing key as keys.json for --public-keys and the keys proxy.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

func main() {
	days := flag.Int("days", 7, "days of hourly digests")
	logs := flag.Int("logs", 10, "log files per digest")
	logBytes := flag.Int("log-bytes", 20000, "uncompressed bytes per log file")
	account := flag.String("account", "123456789012", "account ID")
	bucket := flag.String("bucket", "bench-trail", "bucket name")
	out := flag.String("out", "", "write the archive under this folder (DIR/<bucket>/<key>)")
	endpoint := flag.String("s3-endpoint", "", "upload the archive to this S3 endpoint instead (path-style; credentials from the environment)")
	keys := flag.String("keys", "keys.json", "write the public key here")
	flag.Parse()
	if err := run(*days, *logs, *logBytes, *account, *bucket, *out, *endpoint, *keys); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(days, logs, logBytes int, account, bucket, out, endpoint, keysPath string) error {
	first := time.Date(2026, 1, 1, 0, 1, 31, 0, time.UTC)
	signers, err := chaingen.NewSigners(2048, first.Add(-24*time.Hour), first.Add(time.Duration(days+30)*24*time.Hour), "us-east-1")
	if err != nil {
		return err
	}
	a, err := chaingen.Generate(chaingen.Spec{Bucket: bucket, Layout: verify.Layout{AccountID: account, TrailName: "bench", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"}, First: first, Hours: days * 24, LogsPerDigest: logs, LogBytes: logBytes, Signers: signers, Seed: 11})
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
	if out != "" {
		if err := os.MkdirAll(filepath.Join(out), 0o755); err != nil {
			return err
		}
		if err := a.WriteDir(out, true); err != nil {
			return err
		}
	}
	if endpoint != "" {
		ctx := context.Background()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(endpoint))
		if err != nil {
			return err
		}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			return fmt.Errorf("create bucket: %w", err)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(32)
		for _, o := range a.Sorted() {
			g.Go(func() error {
				_, err := c.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body), Metadata: o.Metadata})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	fmt.Printf("archive: %d objects, %d days, %d logs per digest; first digest ends %s\n", len(a.Objects), days, logs, first.Add(time.Hour).Format(time.RFC3339))
	return nil
}
