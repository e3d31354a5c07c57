#!/usr/bin/env bash
# Reproduces the 'trailseal verify' benchmarks recorded in RESULTS.md:
#   1. speed against 'aws cloudtrail validate-logs' on the same data in the
#      same S3 server (MinIO) behind the same 20 ms latency proxy;
#   2. throughput of --from-dir against the bound of gunzip + SHA-256 alone;
#   3. peak memory for 100,000 log files.
# Needs: go, aws (AWS CLI v1), minio on PATH or in $MINIO (only for 1).
# Usage: bench/verify/run.sh [speed|throughput|memory|all]
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

go build -o "$work/trailseal" ./cmd/trailseal
go build -o "$work/gen" ./bench/verify/gen
go build -o "$work/proxy" ./bench/verify/proxy
arn=arn:aws:cloudtrail:us-east-1:123456789012:trail/bench
start=2026-01-01T00:00:00Z

seconds() { python3 -c 'import time; print(time.time())'; }

if [[ $what == speed || $what == all ]]; then
	minio=${MINIO:-$(command -v minio || echo /root/go/bin/minio)}
	export MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin
	"$minio" server "$work/minio" --address 127.0.0.1:9100 --console-address 127.0.0.1:9101 >"$work/minio.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do curl -sf http://127.0.0.1:9100/minio/health/live >/dev/null && break; sleep 0.2; done
	export AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	# 7 days x 24 digests x 10 logs of 20 KB.
	"$work/gen" -days 7 -logs 10 -log-bytes 20000 -bucket bench-trail -s3-endpoint http://127.0.0.1:9100 -keys "$work/keys.json"
	"$work/proxy" -target http://127.0.0.1:9100 -keys "$work/keys.json" -latency 20ms >"$work/proxy.url" &
	pids+=($!)
	for _ in $(seq 50); do [[ -s $work/proxy.url ]] && break; sleep 0.1; done
	export AWS_ENDPOINT_URL=$(cat "$work/proxy.url")
	end=2026-01-08T00:01:31Z
	flags=(--trail-arn "$arn" --start-time "$start" --end-time "$end" --s3-bucket bench-trail)

	# trailseal three times (median), the AWS CLI once, back to back.
	times=()
	for _ in 1 2 3; do
		t0=$(seconds)
		"$work/trailseal" verify "${flags[@]}" --regions us-east-1 --concurrency 96 >"$work/trailseal.out"
		times+=("$(python3 -c "print($(seconds) - $t0)")")
	done
	t0=$(seconds)
	aws cloudtrail validate-logs "${flags[@]}" --region us-east-1 >"$work/aws.out" 2>&1
	aws_s=$(python3 -c "print($(seconds) - $t0)")
	tail -2 "$work/trailseal.out"
	tail -3 "$work/aws.out"
	python3 - "$aws_s" "${times[@]}" <<'PY'
import statistics, sys
aws = float(sys.argv[1])
ts = sorted(map(float, sys.argv[2:]))
med = statistics.median(ts)
print(f"speed: trailseal {', '.join(f'{t:.2f}' for t in ts)} s (median {med:.2f} s); "
      f"aws cloudtrail validate-logs {aws:.2f} s; ratio {aws/med:.1f}x")
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
