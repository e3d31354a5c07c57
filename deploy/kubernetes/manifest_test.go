// Package kubernetes holds the manifests that run trailseal on
// Kubernetes; its test checks them with the Kubernetes API types.
package kubernetes

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// readJob decodes the manifest into batch/v1 Job, refusing any field the
// type does not have (a misspelt field is silently dropped by kubectl's
// older clients).
func readJob(t *testing.T, path string) *batchv1.Job {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var job batchv1.Job
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("%s is not a batch/v1 Job: %v", path, err)
	}
	return &job
}

// TestVerifyJob checks what docs/verify.md relies on: an Indexed Job whose
// completions are the --shards its pods are told, each pod taking its
// index from JOB_COMPLETION_INDEX (--shard auto), writing its JSON report
// to a path of its own ({shard}), never retried for a verdict.
func TestVerifyJob(t *testing.T) {
	job := readJob(t, "verify-job.yaml")
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Fatalf("apiVersion %s, kind %s", job.APIVersion, job.Kind)
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed (the controller sets JOB_COMPLETION_INDEX only then)", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism != *s.Completions {
		t.Fatalf("completions %v, parallelism %v: want both, equal", s.Completions, s.Parallelism)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s, want Never (a pod failure policy needs it)", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "verify" {
		t.Fatalf("want one container named verify, the name the failure policy gives")
	}
	c := pod.Containers[0]
	flags := map[string]string{}
	for _, a := range c.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		flags[k] = v
	}
	if c.Args[0] != "verify" || flags["--shard"] != "auto" || flags["--format"] != "json" || !strings.Contains(flags["--output"], "{shard}") {
		t.Errorf("args %q: want verify --shard=auto --format=json --output=...{shard}...", c.Args)
	}
	if flags["--shards"] != strings.TrimSpace(jsonNumber(*s.Completions)) {
		t.Errorf("--shards=%s but completions %d: every shard must run exactly once", flags["--shards"], *s.Completions)
	}
	env := map[string]bool{}
	for _, e := range c.Env {
		env[e.Name] = true
	}
	for _, ref := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(strings.Join(c.Args, " "), -1) {
		if !env[ref[1]] {
			t.Errorf("args use $(%s), which the container does not define: Kubernetes would pass it unexpanded", ref[1])
		}
	}
	if s.BackoffLimitPerIndex == nil || s.PodFailurePolicy == nil {
		t.Fatal("want backoffLimitPerIndex and a podFailurePolicy: a verdict must not be retried")
	}
	var verdicts []int32
	for _, r := range s.PodFailurePolicy.Rules {
		if r.Action == batchv1.PodFailurePolicyActionFailIndex && r.OnExitCodes != nil && r.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn &&
			r.OnExitCodes.ContainerName != nil && *r.OnExitCodes.ContainerName == "verify" {
			verdicts = append(verdicts, r.OnExitCodes.Values...)
		}
	}
	for _, code := range []int32{1, 2, 3, 4} {
		if !slices.Contains(verdicts, code) {
			t.Errorf("exit %d is a verdict (docs/verify.md), not a crash: the policy should not retry it", code)
		}
	}
	if lim := c.Resources.Limits.Memory(); lim == nil || lim.Value() < 256<<20 {
		t.Errorf("memory limit %v: the benchmarks measure up to 200 MB", lim)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pod should run as non-root, as the image does")
	}
}

func jsonNumber(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestDockerfile: the image builds the binary the manifest runs, with the
// Go version go.mod asks for, and runs it as the non-root user the
// manifest expects.
func TestDockerfile(t *testing.T) {
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	from := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)`).FindSubmatch(df)
	if goVersion == nil || from == nil || string(goVersion[1]) != string(from[1]) {
		t.Errorf("the build stage's Go %s differs from go.mod's %s", from, goVersion)
	}
	for _, want := range []string{"./cmd/trailseal", "CGO_ENABLED=0", "USER 65532:65532", `ENTRYPOINT ["/trailseal"]`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	job := readJob(t, "verify-job.yaml")
	if u := job.Spec.Template.Spec.SecurityContext.RunAsUser; u == nil || *u != 65532 {
		t.Errorf("the pod runs as %v, the image as 65532", u)
	}
}
