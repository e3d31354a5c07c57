package verify_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
)

// TestTransientAndPermanentErrors puts a fault-injecting proxy between the
// SDK and moto. Simulated: 503 SlowDown and 500 InternalError answers, a
// connection dropped halfway through a body, and a permanent 403 on one
// object. Transient faults must be retried to a clean result; the permanent
// one must mark only its object, as an error (never a pass).
func TestTransientAndPermanentErrors(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	upload(t, a)
	p, err := testenv.StartKeysProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg, err := testenv.Config(context.Background(), p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 5
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 10 * time.Millisecond, nil })
		})
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	logs, digests := a.LogKeys("us-east-1"), a.DigestKeys("us-east-1")

	p.Fail(logs[1], http.StatusServiceUnavailable, "SlowDown", 2)
	p.Fail(digests[2], http.StatusInternalServerError, "InternalError", 1)
	p.CutBody(logs[4], 2)
	p.CutBody(digests[4], 1)
	o := options(a)
	o.Store = verify.NewS3Store(client)
	r := run(t, o)
	if n := p.FaultsPending(); n != 0 {
		t.Fatalf("%d injected faults were never hit", n)
	}
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid {
		t.Errorf("outcome %s after transient faults, want valid", r.Outcome)
	}

	p.Fail(logs[7], http.StatusForbidden, "AccessDenied", 1000)
	r = run(t, o)
	expectExactly(t, r, finding{reason: verify.LogReadError, keyPart: logs[7]})
	if r.Outcome != verify.OutcomeUnverifiable {
		t.Errorf("outcome %s with one unreadable log, want unverifiable", r.Outcome)
	}
}
