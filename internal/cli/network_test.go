package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go/logging"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// The tests of this file take AWS away in the middle of a run, in the
// ways a network does (testenv's faults: connections reset or refused,
// answers that never come), and check that the command returns, having
// given up on the endpoint with an error that names it, instead of
// retrying for half an hour. Each sets a short --network-timeout; none
// measures time.

// networkFaults are the ways an endpoint goes away, each applied to every
// call but STS's, so that the run gets past its first call.
var networkFaults = []struct {
	name  string
	fault testenv.Fault
}{
	{"reset", testenv.Reset},
	{"stalled", testenv.Stall},
	{"503", testenv.Unavailable},
}

// scanGoneEnv is an account with a logging multi-region trail in moto,
// whose every endpoint but STS's fails with fault. With fault < 0 those
// endpoints refuse connections (STS is reached through a proxy of its
// own, AWS_ENDPOINT_URL_STS).
func scanGoneEnv(t *testing.T, fault testenv.Fault, refuse bool) (endpoint string) {
	t.Helper()
	p := trailBehindProxy(t, "gone-trail-logs")
	if refuse {
		refused, err := testenv.RefusedURL()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_ENDPOINT_URL_STS", p.URL)
		t.Setenv("AWS_ENDPOINT_URL", refused)
		return refused
	}
	p.Intercept(testenv.Faults(nil, testenv.FaultRule{Match: testenv.AllBut("sts:*"), Fault: fault}))
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	return p.URL
}

// TestScanEndpointGone: with every endpoint but STS's gone, the scan
// silently fell back to one region after 2m23s of retries and went on
// retrying every call. It must give up on the endpoint after
// --network-timeout, say so naming it, report every rule as ERROR (the
// regions it could not list included) and exit 4.
func TestScanEndpointGone(t *testing.T) {
	cases := append([]struct {
		name  string
		fault testenv.Fault
	}{{"refused", -1}}, networkFaults...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			endpoint := scanGoneEnv(t, c.fault, c.fault < 0)
			out := filepath.Join(t.TempDir(), "findings.json")
			code, _, stderr := runCLI(t, "scan", "--network-timeout", "2s", "--format", "json", "--output", out)
			if code != ExitIncomplete {
				t.Fatalf("exit %d, want %d (audit incomplete); stderr:\n%s", code, ExitIncomplete, stderr)
			}
			// Which call is told about first depends on which fails
			// first: the account-wide ones run alongside.
			if !regexp.MustCompile(`retrying [a-z0-9]+:[A-Za-z]+ at `+regexp.QuoteMeta(endpoint)).MatchString(stderr) ||
				!strings.Contains(stderr, "giving up on "+endpoint) {
				t.Errorf("stderr does not say what is retrying and what was given up:\n%s", stderr)
			}
			if n := strings.Count(stderr, "retrying"); n > 10 {
				t.Errorf("%d lines about retries: one per endpoint is wanted, not one per request:\n%s", n, stderr)
			}
			var named, regions bool
			for _, f := range readFindings(t, out) {
				if f.Status != findings.Error && f.Status != findings.Manual {
					t.Errorf("%s on %s: %s with no evidence read: %s", f.RuleID, f.Resource, f.Status, f.Message)
				}
				named = named || strings.Contains(f.Message, "EndpointUnreachable")
				regions = regions || strings.Contains(f.Message, "every region but us-east-1 (ec2:DescribeRegions: EndpointUnreachable")
			}
			if !named {
				t.Error("no ERROR finding says the endpoint was unreachable")
			}
			if !regions {
				t.Error("no ERROR finding says which regions could not be listed")
			}
		})
	}
}

// TestUnreachableIsNotCredentials: an endpoint that refuses connections
// was reported as "no usable AWS credentials ... run 'aws sso login'"
// after 1m23s. Every command that calls AWS must give up by
// --network-timeout (sooner when the SDK's retries end first) with an
// error that names the endpoint and blames the network, not the
// credentials.
func TestUnreachableIsNotCredentials(t *testing.T) {
	refused := refusedEnv(t)
	trail := "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"scan", "--regions", "us-east-1"}, ExitRuntime},
		{[]string{"scan", "--org", "--role-name", "Audit", "--regions", "us-east-1"}, ExitRuntime},
		{[]string{"fix", "--regions", "us-east-1"}, ExitRuntime},
		{[]string{"hunt", "--lookup-events", "--regions", "us-east-1", "--start-time", "2026-01-01"}, ExitRuntime},
		{[]string{"verify", "--trail-arn", trail, "--start-time", "2026-01-01T00:00:00Z"}, ExitUnverifiable},
	} {
		args := append(tt.args, "--network-timeout", "1s")
		code, _, stderr := runCLI(t, args...)
		last := lastLine(stderr)
		if code != tt.code || !refusedNamed(last, refused) {
			t.Errorf("%s: exit %d, last line %q; want exit %d and the endpoint named", strings.Join(tt.args[:2], " "), code, last, tt.code)
		}
		if strings.Contains(stderr, "credentials") || strings.Contains(stderr, "sso login") {
			t.Errorf("%s blames the credentials:\n%s", tt.args[0], stderr)
		}
	}
}

// refusedEnv points the CLI at a closed local port, where connections
// are refused, and returns its URL.
func refusedEnv(t *testing.T) string {
	t.Helper()
	refused, err := testenv.RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	testenv.SetEnv(t, refused, "us-east-1")
	return refused
}

// refusedNamed reports whether line names endpoint and its refused
// connections in one of the two ways a run can end: given up after
// --network-timeout ("<endpoint> did not answer for 1s (last: connection
// refused)"), or, first, at the end of the SDK's retries ("<endpoint>:
// connection refused"). Which comes first is chance: the default retryer
// makes three attempts with random backoffs of up to 2 s and 4 s, which
// sum to under the tests' 1 s limit about one time in sixteen (CI saw it).
func refusedNamed(line, endpoint string) bool {
	givenUp := strings.Contains(line, endpoint+" did not answer for") && strings.Contains(line, "(last: connection refused)")
	return givenUp || strings.Contains(line, endpoint+": connection refused")
}

// TestKeysExportUnreachable: keys export with a CloudTrail endpoint that
// refuses connections printed the SDK's error ("cloudtrail ListPublicKeys
// in us-east-1: operation error CloudTrail: ListPublicKeys, request send
// failed, ..."). Like the first call of the other commands, it must blame
// the network in one line that names the call and the endpoint, never the
// credentials, and exit 1 (docs/exit-codes.md: ListPublicKeys failed). The
// endpoint is a closed local port: connections are refused.
func TestKeysExportUnreachable(t *testing.T) {
	refused := refusedEnv(t)
	for _, tt := range []struct{ regions, call string }{
		{"us-east-1,eu-west-1", "cloudtrail:ListPublicKeys"},
		{"all", "account:ListRegions"},
	} {
		code, out, stderr := runCLI(t, "keys", "export", "--regions", tt.regions, "--start-time", "2026-01-01T00:00:00Z", "--network-timeout", "1s")
		last := lastLine(stderr)
		if code != ExitRuntime || out != "" {
			t.Errorf("--regions %s: exit %d, stdout %q; want exit %d and no output", tt.regions, code, out, ExitRuntime)
		}
		if strings.Count(stderr, "trailseal: ") != 1 || !strings.Contains(last, "cannot reach AWS: ") || !strings.Contains(last, tt.call) ||
			!refusedNamed(last, refused) || !strings.HasSuffix(last, "check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL") {
			t.Errorf("--regions %s: last line %q; want one line blaming the network, naming %s and %s", tt.regions, last, tt.call, refused)
		}
		if strings.Contains(stderr, "credentials") || strings.Contains(stderr, "operation error") {
			t.Errorf("--regions %s: stderr blames the credentials or shows the SDK's error:\n%s", tt.regions, stderr)
		}
	}
}

// TestNetworkTimeoutSetting: --network-timeout is a setting like the
// others (flag, TRAILSEAL_NETWORK_TIMEOUT, trailseal.yaml), and a value
// that is not a duration of at least a second is a usage error naming
// where it came from.
func TestNetworkTimeoutSetting(t *testing.T) {
	refusedEnv(t)
	t.Setenv("TRAILSEAL_NETWORK_TIMEOUT", "1s")
	code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1")
	if code != ExitRuntime || !strings.Contains(stderr, "gave up (--network-timeout 1s)") {
		t.Errorf("TRAILSEAL_NETWORK_TIMEOUT=1s: exit %d\n%s", code, stderr)
	}
	t.Setenv("TRAILSEAL_NETWORK_TIMEOUT", "soon")
	assertUserError(t, ExitUsage, "TRAILSEAL_NETWORK_TIMEOUT", "scan", "--regions", "us-east-1")
	t.Setenv("TRAILSEAL_NETWORK_TIMEOUT", "")
	assertUserError(t, ExitUsage, "--network-timeout 100ms is too short", "verify", "--trail-arn",
		"arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "--start-time", "2026-01-01T00:00:00Z", "--network-timeout", "100ms")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestVerifyEndpointGone: verify with the endpoint killed mid-run kept
// its 128 readers retrying for more than 30 minutes with no output. It
// must give up after --network-timeout, naming the endpoint, and exit 4
// (files could not be read), whether S3 goes away (the emulator killed:
// connections refused) or stops answering.
func TestVerifyEndpointGone(t *testing.T) {
	e := startVerifyEnv(t)
	e.seed(t, "gone-trail-bucket", func(s *chaingen.Spec) { s.Hours, s.LogsPerDigest = 12, 8 }, nil)
	for _, c := range []struct {
		name  string
		fault func(p *testenv.Proxy) testenv.Interceptor
	}{
		{"killed", func(p *testenv.Proxy) testenv.Interceptor {
			// The first object reads get through; then the proxy
			// vanishes as a killed emulator does.
			var reads atomic.Int32
			return testenv.Faults(func(op testenv.Operation, _ bool) {
				if op.Name == "GetObject" && reads.Add(1) == 4 {
					go p.Refuse()
				}
			})
		}},
		{"stalled", func(*testenv.Proxy) testenv.Interceptor {
			return testenv.Faults(nil, testenv.FaultRule{Match: testenv.Ops("s3:GetObject"), Fault: testenv.Stall})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := testenv.StartProxy(e.proxy.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Intercept(c.fault(p))
			t.Setenv("AWS_ENDPOINT_URL", p.URL)
			code, out, stderr := runCLI(t, verifyArgs("gone-trail-bucket", "--regions", "us-east-1", "--network-timeout", "2s")...)
			if code != ExitUnverifiable {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, ExitUnverifiable, out, stderr)
			}
			if !strings.Contains(stderr, "giving up on "+p.URL) || !strings.Contains(lastLine(stderr), p.URL+" did not answer for") {
				t.Errorf("stderr does not end naming the endpoint given up on:\n%s", stderr)
			}
		})
	}
}

// runBinary runs the built trailseal in the test's environment: the
// process's real stderr, where the SDK's own logger wrote, is what is
// read.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestDebugRedactsSecrets: --debug printed every request with its
// Authorization and X-Amz-Security-Token headers. Run with session
// credentials against moto, scan and verify (whose object reads bypass
// the SDK's stack) log one line per request naming its operation, and
// neither the secret key, the session token nor a signature appears on
// the process's stderr.
func TestDebugRedactsSecrets(t *testing.T) {
	bin := buildTrailseal(t)
	const (
		keyID  = "ASIATRAILSEALDEBUG01"
		secret = "debugSecretAccessKey/never+printed"
		token  = "IQoJb3JpZ2luX2VjEDebugSessionTokenNeverPrinted"
	)
	session := func() {
		t.Setenv("AWS_ACCESS_KEY_ID", keyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
		t.Setenv("AWS_SESSION_TOKEN", token)
	}
	check := func(what, stderr string, calls ...string) {
		t.Helper()
		for _, s := range []string{secret, token, keyID, "Signature=", "X-Amz-Signature", "Credential="} {
			if strings.Contains(stderr, s) {
				t.Errorf("%s --debug printed %q", what, s)
			}
		}
		lines := 0
		for _, l := range strings.Split(stderr, "\n") {
			if !strings.Contains(l, `msg="aws request"`) {
				continue
			}
			lines++
			if !regexp.MustCompile(`call=[a-z0-9]+:[A-Z][A-Za-z0-9]+ `).MatchString(l) {
				t.Errorf("%s: a debug line does not name its operation: %s", what, l)
			}
			if !strings.Contains(l, "X-Amz-Security-Token: [REDACTED]") || !strings.Contains(l, "Authorization: AWS4-HMAC-SHA256 [REDACTED]") {
				t.Errorf("%s: a debug line does not show the credentials as redacted: %s", what, l)
			}
		}
		for _, c := range calls {
			if !strings.Contains(stderr, "call="+c+" ") {
				t.Errorf("%s: no debug line for %s", what, c)
			}
		}
		if lines == 0 {
			t.Errorf("%s --debug logged no request:\n%s", what, stderr)
		}
	}

	startScanMoto(t)
	session()
	code, _, stderr := runBinary(t, bin, "scan", "--regions", "us-east-1", "--debug")
	if code == ExitUsage || code == ExitRuntime {
		t.Fatalf("scan: exit %d:\n%s", code, stderr)
	}
	check("scan", stderr, "sts:GetCallerIdentity", "cloudtrail:DescribeTrails", "iam:GetAccountAuthorizationDetails")

	e := startVerifyEnv(t)
	e.seed(t, "debug-trail-bucket", nil, nil)
	session()
	code, out, stderr := runBinary(t, bin, verifyArgs("debug-trail-bucket", "--regions", "us-east-1", "--debug")...)
	if code != ExitOK {
		t.Fatalf("verify: exit %d:\n%s\n%s", code, out, stderr)
	}
	check("verify", stderr, "s3:GetObject", "s3:ListObjectsV2", "cloudtrail:ListPublicKeys")
}

// TestOrgScanEndpointGone: the organization is listed and the roles
// assumed, then every other call's connection is reset. Each call gives up
// after --network-timeout, stderr says what is retrying, every account's
// evidence is reported as not read, and no organization rule says FAIL
// for want of the trails it could not list (exit 4).
func TestOrgScanEndpointGone(t *testing.T) {
	env := startOrgEnv(t)
	env.proxy.Intercept(testenv.Faults(nil, testenv.FaultRule{Match: testenv.AllBut("sts:*", "organizations:*"), Fault: testenv.Reset}))
	out := filepath.Join(t.TempDir(), "findings.json")
	code, _, stderr := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--network-timeout", "2s", "--format", "json", "--output", out)
	if code != ExitIncomplete {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitIncomplete, stderr)
	}
	// STS and Organizations answer on the same endpoint (one emulator):
	// it is the calls, each bounded, that are given up.
	if !regexp.MustCompile(`retrying [a-z0-9]+:[A-Za-z]+ at ` + regexp.QuoteMeta(env.proxy.URL)).MatchString(stderr) {
		t.Errorf("stderr does not say what is retrying:\n%s", stderr)
	}
	unread := map[string]bool{}
	for _, f := range readFindings(t, out) {
		if f.Status == findings.Pass || f.Status == findings.Fail || f.Status == findings.NA {
			t.Errorf("%s in %s: %s with no evidence read: %s", f.RuleID, f.Account, f.Status, f.Message)
		}
		if f.Status == findings.Error && strings.Contains(f.Message, "EndpointUnreachable") {
			unread[f.Account] = true
		}
	}
	if len(unread) != 4 {
		t.Errorf("accounts with findings naming the unreachable endpoint: %v, want all 4", unread)
	}
}

// TestHuntLookupEndpointGone: CloudTrail stops answering LookupEvents.
// hunt --lookup-events gives up on it after --network-timeout, naming it,
// and says the event history could not be read (exit 4).
func TestHuntLookupEndpointGone(t *testing.T) {
	m := startScanMoto(t)
	p, err := testenv.StartProxy(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Intercept(testenv.Faults(nil, testenv.FaultRule{Match: testenv.Ops("cloudtrail:LookupEvents"), Fault: testenv.Stall}))
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	code, out, stderr := runCLI(t, "hunt", "--lookup-events", "--no-context", "--regions", "us-east-1,eu-west-1",
		"--start-time", "2026-01-01", "--network-timeout", "2s")
	if code != ExitUnverifiable {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, ExitUnverifiable, out, stderr)
	}
	if !strings.Contains(stderr, "giving up on "+p.URL) || !strings.Contains(lastLine(stderr), p.URL+" did not answer for") {
		t.Errorf("stderr does not end naming the endpoint given up on:\n%s", stderr)
	}
}

// TestFixApplyCallGivenUpIsReadBack: S3 makes the change but its answer
// never comes. The call is given up after --network-timeout; since the
// change may have been made, fix reads the bucket back, finds it made and
// records the step as applied (so that --undo can revert it), instead of
// waiting for ever or recording a failure.
func TestFixApplyCallGivenUpIsReadBack(t *testing.T) {
	m := startScanMoto(t)
	seed, err := testenv.SeedMisconfigured(context.Background(), mustConfig(t, m.Endpoint), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := testenv.StartProxy(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	// The plan first, with the default limit. It is the change the apply
	// must make, and it has moto load each service's backend, which it
	// does on the first request and which can take over a second here:
	// under the 2 s limit below, a second of silence is a failed attempt,
	// and a read that fails leaves the rule unjudged (exit 4, no journal).
	if code, stdout, stderr := runFixCLI(t, "", "fix", "--regions", "us-east-1", "--rules", "bucket.public_access"); code != ExitFixPending ||
		!strings.Contains(stdout, "bucket.public_access:"+seed.TrailBucket) {
		t.Fatalf("plan: exit %d, want %d and the change planned\n%s\n%s", code, ExitFixPending, stdout, stderr)
	}
	hold := testenv.HoldAnswers(p, isPutPublicAccessBlock)
	defer hold.Release()
	journal := filepath.Join(t.TempDir(), "journal.json")
	code, stdout, stderr := runFixCLI(t, "", "fix", "--regions", "us-east-1", "--rules", "bucket.public_access",
		"--apply", "--yes", "--journal", journal, "--network-timeout", "2s")
	if code != ExitOK {
		t.Errorf("exit %d, want 0 (the change was made)\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("no journal (%v); exit %d\n%s\n%s", err, code, stdout, stderr)
	}
	if e := loadEntries(t, journal)["bucket.public_access:"+seed.TrailBucket]; e.Status != fix.Applied {
		t.Errorf("step %+v, want it read back as applied", e)
	}
	if !strings.Contains(stderr, "retrying s3:PutPublicAccessBlock at "+p.URL) {
		t.Errorf("stderr does not say what was retrying:\n%s", stderr)
	}
}

// TestSDKLogLinesOnlyWithDebug: the AWS SDK logs some things on its own
// while it looks for credentials (an instance metadata service that
// refuses a token: "falling back to IMDSv1"), by default as a dated line
// on stderr in the middle of a report. They go to the run's logger at
// debug level: shown with --debug, not otherwise.
func TestSDKLogLinesOnlyWithDebug(t *testing.T) {
	for _, debug := range []bool{false, true} {
		var stderr strings.Builder
		level := slog.LevelWarn
		if debug {
			level = slog.LevelDebug
		}
		g := &globals{stderr: &stderr, logger: slog.New(slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: level}))}
		// The SDK's own logger writes to the process's stderr, not to
		// g.stderr: catch that too.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		processStderr := os.Stderr
		os.Stderr = w
		cfg, err := loadAWSConfig(context.Background(), g, awsOptions{region: "us-east-1"})
		if err == nil {
			cfg.Logger.Logf(logging.Warn, "falling back to IMDSv1: %s", "403")
		}
		os.Stderr = processStderr
		w.Close()
		direct, _ := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(direct) > 0 {
			t.Errorf("debug %v: the SDK wrote to the process's stderr itself: %q", debug, direct)
		}
		got := stderr.String()
		if debug != strings.Contains(got, "falling back to IMDSv1: 403") {
			t.Errorf("debug %v: the SDK's line on stderr: %q", debug, got)
		}
		if debug && !strings.Contains(got, "aws_sdk=WARN") {
			t.Errorf("with --debug the SDK's line does not say it is the SDK's warning: %q", got)
		}
	}
}
