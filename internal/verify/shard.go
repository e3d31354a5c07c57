package verify

import (
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Shard is one of Count parts of an archive's chains: a chain (account and
// source region) belongs to shard FNV-1a-64(account + "/" + region) mod
// Count, so Count processes that each run one index cover every chain
// exactly once, whatever order they discover the accounts in.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Whole reports whether s is no partition (one process verifies every
// chain).
func (s Shard) Whole() bool { return s.Count <= 1 }

// Has tells whether the chain of account and region is in shard s.
func (s Shard) Has(account, region string) bool {
	if s.Whole() {
		return true
	}
	h := fnv.New64a()
	io.WriteString(h, chainKey(account, region))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}

func (s Shard) String() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// MaxShards bounds the shard count.
const MaxShards = 10000

// ParseShard reads "I/N" (0 <= I < N). "auto" takes I from the
// environment of the engine that started the process, JOB_COMPLETION_INDEX
// (a Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch
// array job), and N from count; getenv reads the environment.
func ParseShard(s string, count int, getenv func(string) string) (Shard, error) {
	if s == "" {
		if count > 0 {
			return Shard{}, specErrorf("--shards needs --shard (I/N, or auto)")
		}
		return Shard{Count: 1}, nil
	}
	var idx, n int
	var err error
	if s == "auto" {
		var raw, from string
		for _, name := range []string{"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"} {
			if v := getenv(name); v != "" {
				raw, from = v, name
				break
			}
		}
		if raw == "" {
			return Shard{}, specErrorf("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) is set; give --shard I/N")
		}
		if count < 1 {
			return Shard{}, specErrorf("--shard auto needs --shards N, the number of shards (the Job's completions, the array size)")
		}
		if idx, err = strconv.Atoi(raw); err != nil {
			return Shard{}, specErrorf("--shard auto: %s=%q is not a number", from, raw)
		}
		n = count
	} else {
		a, b, ok := strings.Cut(s, "/")
		if !ok {
			return Shard{}, specErrorf("--shard %q: want I/N (such as 0/3) or auto", s)
		}
		if idx, err = strconv.Atoi(a); err != nil {
			return Shard{}, specErrorf("--shard %q: %q is not a number", s, a)
		}
		if n, err = strconv.Atoi(b); err != nil {
			return Shard{}, specErrorf("--shard %q: %q is not a number", s, b)
		}
		if count > 0 && count != n {
			return Shard{}, specErrorf("--shard %s and --shards %d disagree", s, count)
		}
	}
	if n < 1 || n > MaxShards {
		return Shard{}, specErrorf("--shard: the shard count must be 1 to %d, not %d", MaxShards, n)
	}
	if idx < 0 || idx >= n {
		return Shard{}, specErrorf("--shard: index %d is not in 0..%d", idx, n-1)
	}
	return Shard{Index: idx, Count: n}, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
