package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CreateOrganization creates an organization in the account of cfg (moto's
// default account becomes the management account) and one member account
// per name. It returns the organization ID and the member IDs by name; moto
// picks the IDs.
func CreateOrganization(ctx context.Context, cfg aws.Config, names ...string) (string, map[string]string, error) {
	client := organizations.NewFromConfig(cfg)
	org, err := client.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		return "", nil, fmt.Errorf("create organization: %w", err)
	}
	ids := map[string]string{}
	for i, name := range names {
		out, err := client.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(name),
			Email:       aws.String(fmt.Sprintf("acct%d@example.com", i)),
		})
		if err != nil {
			return "", nil, fmt.Errorf("create account %s: %w", name, err)
		}
		ids[name] = aws.ToString(out.CreateAccountStatus.AccountId)
	}
	return aws.ToString(org.Organization.Id), ids, nil
}

// AssumeConfig returns cfg with credentials of account: moto hands out
// credentials addressing an account's own state for any role ARN in it.
func AssumeConfig(ctx context.Context, cfg aws.Config, account string) (aws.Config, error) {
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/seeder"),
		RoleSessionName: aws.String("trailseal-seed"),
	})
	if err != nil {
		return aws.Config{}, fmt.Errorf("assume role into %s: %w", account, err)
	}
	c := cfg.Copy()
	cr := out.Credentials
	c.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
	return c, nil
}

// CreateBucket creates a bucket in cfg's region with path-style addressing.
func CreateBucket(ctx context.Context, cfg aws.Config, name string) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}
	}
	_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, in)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// CreateLoggingTrail creates a trail delivering to bucket (which must
// exist, in any account) and starts it.
func CreateLoggingTrail(ctx context.Context, cfg aws.Config, in *cloudtrail.CreateTrailInput) (string, error) {
	client := cloudtrail.NewFromConfig(cfg)
	out, err := client.CreateTrail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create trail %s: %w", aws.ToString(in.Name), err)
	}
	if _, err := client.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: in.Name}); err != nil {
		return "", fmt.Errorf("start trail %s: %w", aws.ToString(in.Name), err)
	}
	return aws.ToString(out.TrailARN), nil
}

// DenyAssumeRole returns an interceptor that answers sts:AssumeRole into
// any of accounts with AccessDenied, as STS does when the role is missing
// or does not trust the caller. moto itself lets every AssumeRole through.
func DenyAssumeRole(accounts ...string) Interceptor {
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "AssumeRole" {
			return false
		}
		arn := form.Get("RoleArn")
		for _, a := range accounts {
			if strings.Contains(arn, ":"+a+":") {
				QueryError(w, http.StatusForbidden, "AccessDenied",
					fmt.Sprintf("User is not authorized to perform: sts:AssumeRole on resource: %s", arn))
				return true
			}
		}
		return false
	}
}

// Latency returns an interceptor that delays every request by d and lets it
// through, to stand in for the network distance to AWS.
func Latency(d time.Duration) Interceptor {
	return func(http.ResponseWriter, *http.Request, []byte) bool {
		time.Sleep(d)
		return false
	}
}

// Chain runs interceptors in order until one answers.
func Chain(fns ...Interceptor) Interceptor {
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		for _, fn := range fns {
			if fn(w, r, body) {
				return true
			}
		}
		return false
	}
}

// Throttle returns an interceptor that answers about fraction of requests
// with the throttling error of the request's protocol, and a counter of
// the requests it answered.
func Throttle(fraction float64) (Interceptor, *atomic.Int64) {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if rand.Float64() >= fraction {
			return false
		}
		_, _, service := CredentialScope(r.Header.Get("Authorization"))
		switch {
		case strings.HasPrefix(r.URL.Path, "/v20180820/"):
			// S3 Control signs as "s3" but wraps its errors like the query
			// protocol does.
			QueryError(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case r.Header.Get("X-Amz-Target") != "":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		case service == "s3":
			S3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case service == "ec2":
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>trailseal-test</RequestID></Response>`)
		default:
			QueryError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		}
		n.Add(1)
		return true
	}, &n
}
