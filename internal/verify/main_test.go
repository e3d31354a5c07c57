package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// Every test that reads S3 runs the real SDK against moto_server; a
// missing moto_server fails the package.
var (
	moto     *testenv.Moto
	s3client *s3.Client
	// signers holds a distinct key per region, as CloudTrail signs each
	// region's digests with that region's key; signer is the home
	// region's (us-east-1).
	signers chaingen.Signers
	signer  *chaingen.Signer
	bucketN atomic.Int64
)

// The simulated period: six hourly digests from 2026-03-01T00:01:31Z.
var (
	first   = time.Date(2026, 3, 1, 0, 1, 31, 0, time.UTC)
	periodS = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	periodE = first.Add(6 * time.Hour)
	testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	var err error
	// 1024-bit keys keep the tests fast; the protocol does not depend on
	// the size. Fuzz workers need them too: their seeds are signed archives.
	signers, err = chaingen.NewSigners(1024, first.Add(-24*time.Hour), first.Add(365*24*time.Hour), testRegions...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	signer = signers["us-east-1"]
	testenv.Main(m, testenv.Setup{
		Package: "verify",
		Ready: func(m *testenv.Moto, _ *testenv.Proxy) error {
			moto = m
			cfg, err := testenv.Config(context.Background(), moto.Endpoint, "us-east-1")
			if err != nil {
				return err
			}
			s3client = s3.NewFromConfig(cfg, func(o *s3.Options) {
				o.UsePathStyle = true
				// The verifier hashes every object itself.
				o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			})
			return nil
		},
		Cleanup: func() {
			if benchArchive.dir != "" {
				os.RemoveAll(benchArchive.dir)
			}
		},
	})
}

// testRegions are the regions test archives use, each with its own key.
var testRegions = []string{"ap-south-1", "ap-southeast-2", "eu-central-1", "eu-west-1", "us-east-1"}

// allKeys is every region's key, each marked with its region.
func allKeys() verify.StaticKeys { return verify.StaticKeys(signers.PublicKeys()) }

func newSpec(bucket string, regions ...string) chaingen.Spec {
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	return chaingen.Spec{
		Bucket:        bucket,
		Layout:        verify.Layout{AccountID: "111122223333", TrailName: "org-audit", HomeRegion: "us-east-1"},
		Regions:       regions,
		First:         first,
		Hours:         6,
		LogsPerDigest: 3,
		LogBytes:      600,
		Signers:       signers,
		Seed:          1,
	}
}

func freshBucket(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("trail-bucket-%d-%d", os.Getpid(), bucketN.Add(1))
	_, err := s3client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return name
}

// upload stores every object of a with the real SDK, signature metadata
// included, as CloudTrail would have delivered it.
func upload(t *testing.T, a *chaingen.Archive) {
	t.Helper()
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(16)
	for _, o := range a.Sorted() {
		g.Go(func() error {
			_, err := s3client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key),
				Body: bytes.NewReader(o.Body), Metadata: o.Metadata})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("upload: %v", err)
	}
}

func generate(t *testing.T, s chaingen.Spec) *chaingen.Archive {
	t.Helper()
	a, err := chaingen.Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func options(a *chaingen.Archive) verify.Options {
	return verify.Options{
		Store:       verify.NewS3Store(s3client),
		Bucket:      a.Spec.Bucket,
		Layout:      a.Spec.Layout,
		Start:       periodS,
		End:         periodE,
		Keys:        allKeys(),
		Concurrency: 8,
		Now:         testNow,
	}
}

func run(t *testing.T, o verify.Options) *verify.Report {
	t.Helper()
	r, err := verify.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("verify.Run: %v", err)
	}
	return r
}

// finding is what a test expects: a reason on an object whose key contains
// keyPart ("" matches items without a key, such as hourly slots).
type finding struct {
	reason  verify.Reason
	keyPart string
	// count, when set, is the number of hourly digests a range stands for.
	count int
}

// logFindings expects reason on each of keys.
func logFindings(reason verify.Reason, keys []string) []finding {
	var out []finding
	for _, k := range keys {
		out = append(out, finding{reason: reason, keyPart: k})
	}
	return out
}

// expectExactly checks that the report's problems are exactly want: each
// expected (reason, key) present, and no other reason on any item.
func expectExactly(t *testing.T, r *verify.Report, want ...finding) {
	t.Helper()
	problems := r.Problems()
	type pair struct{ item, reason int }
	used := map[pair]bool{}
	for _, w := range want {
		found := false
		for i, p := range problems {
			for j, reason := range p.Reasons {
				if !found && !used[pair{i, j}] && reason == w.reason && strings.Contains(p.Key, w.keyPart) && (w.count == 0 || p.Count == w.count) {
					used[pair{i, j}], found = true, true
				}
			}
		}
		if !found {
			t.Errorf("expected %s on a key containing %q; problems were:\n%s", w.reason, w.keyPart, dump(problems))
		}
	}
	for i, p := range problems {
		for j, reason := range p.Reasons {
			if !used[pair{i, j}] {
				t.Errorf("unexpected problem %s %s %s on %s: %s", p.Kind, p.Status, reason, p.Key, p.Detail)
			}
		}
	}
}

func hasReason(rs []verify.Reason, r verify.Reason) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func dump(items []verify.Item) string {
	var b bytes.Buffer
	for _, p := range items {
		fmt.Fprintf(&b, "  %s %s %v %s (%s)\n", p.Kind, p.Status, p.Reasons, p.Key, p.Detail)
	}
	return b.String()
}
