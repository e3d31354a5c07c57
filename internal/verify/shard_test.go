package verify_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/verify"
)

// TestParseShard: I/N, auto from either engine's variable, and every bad
// input as a one-line usage error.
func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		flag  string
		count int
		env   func(string) string
		want  verify.Shard
		err   string
	}{
		{"", 0, env(), verify.Shard{Count: 1}, ""},
		{"2/3", 0, env(), verify.Shard{Index: 2, Count: 3}, ""},
		{"2/3", 3, env(), verify.Shard{Index: 2, Count: 3}, ""},
		{"auto", 4, env("JOB_COMPLETION_INDEX", "3"), verify.Shard{Index: 3, Count: 4}, ""},
		{"auto", 8, env("AWS_BATCH_JOB_ARRAY_INDEX", "7"), verify.Shard{Index: 7, Count: 8}, ""},
		{"auto", 4, env(), verify.Shard{}, "neither JOB_COMPLETION_INDEX"},
		{"auto", 0, env("JOB_COMPLETION_INDEX", "1"), verify.Shard{}, "needs --shards"},
		{"auto", 2, env("JOB_COMPLETION_INDEX", "2"), verify.Shard{}, "index 2 is not in 0..1"},
		{"auto", 2, env("JOB_COMPLETION_INDEX", "x"), verify.Shard{}, "is not a number"},
		{"3/3", 0, env(), verify.Shard{}, "index 3 is not in 0..2"},
		{"1/3", 4, env(), verify.Shard{}, "disagree"},
		{"1-3", 0, env(), verify.Shard{}, "want I/N"},
		{"0/0", 0, env(), verify.Shard{}, "must be 1 to"},
		{"", 3, env(), verify.Shard{}, "--shards needs --shard"},
	} {
		got, err := verify.ParseShard(c.flag, c.count, c.env)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("ParseShard(%q, %d) = %v, %v; want %v", c.flag, c.count, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !verify.IsSpecError(err)):
			t.Errorf("ParseShard(%q, %d): error %v, want a usage error with %q", c.flag, c.count, err, c.err)
		}
	}
}

// TestShardsPartition: N shards cover every chain exactly once, and not
// all in one shard.
func TestShardsPartition(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		per := make([]int, n)
		for a := range 200 {
			for _, r := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
				account := fmt.Sprintf("%012d", 100000000000+a*7919)
				owners := 0
				for i := range n {
					if (verify.Shard{Index: i, Count: n}).Has(account, r) {
						owners++
						per[i]++
					}
				}
				if owners != 1 {
					t.Fatalf("%d shards: chain %s/%s in %d shards", n, account, r, owners)
				}
			}
		}
		for i, c := range per {
			if c < 600/n/2 {
				t.Errorf("%d shards: shard %d has %d of 600 chains", n, i, c)
			}
		}
	}
}
