#!/usr/bin/env bash
# Reproduces the 'trailseal verify' benchmarks recorded in RESULTS.md:
#   1. speed against 'aws cloudtrail validate-logs' on the same data in the
#      same S3 server (MinIO) behind the same 20 ms latency proxy;
#   2. throughput of --from-dir against the bound of gunzip + SHA-256 alone;
#   3. peak memory for 100,000 log files.
# Needs: go, aws (AWS CLI v1), minio on PATH or in $MINIO (only for 1).
# Usage: bench/verify/run.sh [speed|throughput|memory|all]
# TRAILSEAL_BIN=path runs that trailseal binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -n ${TRAILSEAL_BIN:-} ]]; then
	cp "$TRAILSEAL_BIN" "$work/trailseal" # compare another build on the same rig
else
	go build -o "$work/trailseal" ./cmd/trailseal
fi
go build -o "$work/gen" ./bench/verify/gen
go build -o "$work/proxy" ./bench/verify/proxy
go build -o "$work/tcpdelay" ./bench/verify/tcpdelay
arn=arn:aws:cloudtrail:us-east-1:123456789012:trail/bench
start=2026-01-01T00:00:00Z

# Wall-clock time from bash itself: starting a program to read the clock
# (python3 behind a pyenv shim takes 160 ms here) would be counted in the
# measured run.
seconds() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

if [[ $what == speed || $what == all ]]; then
	minio=${MINIO:-$(command -v minio || echo /root/go/bin/minio)}
	export MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin
	if curl -s -o /dev/null http://127.0.0.1:9100/; then
		echo "run.sh: something already listens on 127.0.0.1:9100; stop it (an earlier MinIO?)" >&2
		exit 1
	fi
	"$minio" server "$work/minio" --address 127.0.0.1:9100 --console-address 127.0.0.1:9101 >"$work/minio.log" 2>&1 &
	minio_pid=$!
	pids+=($!)
	for _ in $(seq 100); do curl -sf http://127.0.0.1:9100/minio/health/live >/dev/null && break; sleep 0.2; done
	curl -sf http://127.0.0.1:9100/minio/health/live >/dev/null || { echo "run.sh: MinIO did not start: $(tail -3 "$work/minio.log")" >&2; exit 1; }
	export AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	# 7 days x 24 digests x 10 logs of 20 KB.
	"$work/gen" -days 7 -logs 10 -log-bytes 20000 -bucket bench-trail -s3-endpoint http://127.0.0.1:9100 -keys "$work/keys.json"
	# S3 goes through tcpdelay, which holds every request for 20 ms and
	# passes the bytes through untouched; CloudTrail (ListPublicKeys, which
	# MinIO does not serve) through the keys proxy with the same latency.
	"$work/tcpdelay" -target 127.0.0.1:9100 -latency 20ms >"$work/s3.url" &
	tcpdelay_pid=$!
	pids+=($!)
	"$work/proxy" -target http://127.0.0.1:9100 -keys "$work/keys.json" -latency 20ms -trail "$arn,bench-trail" >"$work/proxy.url" &
	pids+=($!)
	for _ in $(seq 50); do [[ -s $work/proxy.url && -s $work/s3.url ]] && break; sleep 0.1; done
	export AWS_ENDPOINT_URL_S3=$(cat "$work/s3.url") AWS_ENDPOINT_URL_CLOUDTRAIL=$(cat "$work/proxy.url")
	end=2026-01-08T00:01:31Z
	flags=(--trail-arn "$arn" --start-time "$start" --end-time "$end" --s3-bucket bench-trail)

	# One untimed run warms MinIO's caches. Then trailseal five times with
	# --regions us-east-1 (the setting of every earlier run) and five times
	# with default flags (DescribeTrails through the proxy tells a
	# single-region trail: the expected-region check), the AWS CLI once,
	# and both again: the machine's speed drifts over minutes, and the
	# twenty trailseal runs bracket the AWS CLI's 45 s. Each ratio uses the
	# median of its ten runs.
	"$work/trailseal" verify "${flags[@]}" --regions us-east-1 >/dev/null
	times=()
	dtimes=()
	ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # CPU time, 1/100 s
	rig_cpu=0
	timed_trailseal() {
		for _ in 1 2 3 4 5; do
			c0=$(($(ticks "$minio_pid") + $(ticks "$tcpdelay_pid")))
			t0=$(seconds)
			"$work/trailseal" verify "${flags[@]}" --regions us-east-1 >"$work/trailseal.out"
			t1=$(seconds)
			rig_cpu=$((rig_cpu + $(ticks "$minio_pid") + $(ticks "$tcpdelay_pid") - c0))
			times+=("$(elapsed "$t0" "$t1")")
		done
		for _ in 1 2 3 4 5; do
			t0=$(seconds)
			"$work/trailseal" verify "${flags[@]}" >"$work/trailseal-default.out"
			t1=$(seconds)
			dtimes+=("$(elapsed "$t0" "$t1")")
		done
	}
	timed_trailseal
	t0=$(seconds)
	aws cloudtrail validate-logs "${flags[@]}" --region us-east-1 >"$work/aws.out" 2>&1
	t1=$(seconds)
	aws_s=$(elapsed "$t0" "$t1")
	timed_trailseal
	tail -2 "$work/trailseal.out"
	tail -1 "$work/trailseal-default.out"
	tail -3 "$work/aws.out"
	echo "CPU of MinIO and the latency proxy per trailseal run: $(awk -v t="$rig_cpu" 'BEGIN { printf "%.2f", t / 1000 }') s (two cores)"
	python3 - "$aws_s" "${times[@]}" -- "${dtimes[@]}" <<'PY'
import statistics, sys
aws = float(sys.argv[1])
sep = sys.argv.index("--")
for name, ts in (("--regions us-east-1", sys.argv[2:sep]), ("default flags", sys.argv[sep + 1:])):
    med = statistics.median(map(float, ts))
    print(f"speed ({name}): trailseal before {', '.join(ts[:5])} s, after {', '.join(ts[5:])} s "
          f"(median {med:.2f} s, range {min(map(float, ts)):.2f}-{max(map(float, ts)):.2f}); "
          f"aws cloudtrail validate-logs {aws:.2f} s; ratio {aws/med:.1f}x")
PY
	# The calls one run makes on this intact archive, S3 included, counted
	# by a second proxy without latency: no version is looked up.
	"$work/proxy" -target http://127.0.0.1:9100 -keys "$work/keys.json" -latency 0 -trail "$arn,bench-trail" -counts "$work/counts.json" >"$work/count.url" &
	count_pid=$!
	for _ in $(seq 50); do [[ -s $work/count.url ]] && break; sleep 0.1; done
	AWS_ENDPOINT_URL_S3=$(cat "$work/count.url") AWS_ENDPOINT_URL_CLOUDTRAIL=$(cat "$work/count.url") \
		"$work/trailseal" verify "${flags[@]}" >/dev/null
	kill -INT "$count_pid"
	wait "$count_pid" || true
	python3 - "$work/counts.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
versions = sum(c.get(k, 0) for k in ("s3:ListObjectVersions", "s3:GetBucketVersioning", "s3:GetObjectVersion"))
print("calls of one default run: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + f"; version look-ups: {versions}")
PY
fi

if [[ $what == throughput || $what == all ]]; then
	go test ./internal/verify/ -run '^$' -bench 'VerifyFromDir|GunzipSHA256Bound' -benchtime 10x | grep -E '^Benchmark'
fi

if [[ $what == memory || $what == all ]]; then
	# 417 days x 24 digests x 10 logs = 100,080 log files.
	"$work/gen" -days 417 -logs 10 -log-bytes 400 -bucket mem-trail -out "$work/mem" -keys "$work/mem-keys.json" >/dev/null
	/usr/bin/time -v "$work/trailseal" verify --trail-arn "$arn" --start-time "$start" --end-time 2027-02-22T00:01:31Z \
		--from-dir "$work/mem" --public-keys "$work/mem-keys.json" --regions us-east-1 >"$work/mem.out" 2>"$work/mem.time" || true
	tail -3 "$work/mem.out"
	grep -E 'Maximum resident set size|Elapsed' "$work/mem.time"
fi
