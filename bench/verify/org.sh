#!/usr/bin/env bash
# Reproduces the organization-archive benchmarks of 'trailseal verify' in
# docs/benchmarks.md, on one archive in MinIO:
#   a) one trailseal run over the whole organization (default flags) against
#      the AWS CLI doing the same job: one 'aws cloudtrail validate-logs' per
#      account and region; a sample of those runs is timed in the same
#      session and the mean is multiplied by the number of runs;
#   b) the incremental run (--state) after one more hour is delivered: GETs
#      counted against the new objects, wall time against the full run with
#      --state on the same rig;
#   c) peak memory of the full run for 50, 100 and 200 accounts.
# S3 goes through tcpdelay (20 ms per request), CloudTrail, Organizations
# and Account Management through the keys proxy (20 ms), as in run.sh.
# Needs: go, aws (AWS CLI v1), minio on PATH or in $MINIO, /usr/bin/time.
# Usage: bench/verify/org.sh [ACCOUNTS [SAMPLE]]   (defaults 200 and 12)
set -euo pipefail
cd "$(dirname "$0")/../.."
accounts=${1:-200}
sample=${2:-12}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/trailseal" ./cmd/trailseal
go build -o "$work/orggen" ./bench/verify/orggen
go build -o "$work/proxy" ./bench/verify/proxy
go build -o "$work/tcpdelay" ./bench/verify/tcpdelay
seconds() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

port=9300
minio=${MINIO:-$(command -v minio || echo /root/go/bin/minio)}
export MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
	echo "org.sh: something already listens on 127.0.0.1:$port" >&2
	exit 1
fi
"$minio" server "$work/minio" --address "127.0.0.1:$port" --console-address "127.0.0.1:$((port + 1))" >"$work/minio.log" 2>&1 &
minio_pid=$!
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/minio/health/live" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/minio/health/live" >/dev/null || { echo "org.sh: MinIO did not start" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

regions=us-east-1,eu-west-1,ap-southeast-2
arn=arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit
start=2026-01-01T00:00:00Z
end=2026-01-03T00:01:31Z # 48 hourly digests per chain
end2=2026-01-03T01:01:31Z
t0=$(seconds)
"$work/orggen" -accounts "$accounts" -regions "$regions" -hours 48 -logs 2 -log-bytes 4000 -bucket org-trail \
	-s3-endpoint "http://127.0.0.1:$port" -keys "$work/keys.json" -accounts-out "$work/accounts.txt"
echo "generated and uploaded in $(elapsed "$t0" "$(seconds)") s"

start_proxy() { # name latency [extra proxy flags]: prints the URL file
	local name=$1 latency=$2
	shift 2
	"$work/proxy" -target "http://127.0.0.1:$port" -keys "$work/keys.json" -latency "$latency" \
		-trail "$arn,org-trail,multi,org" -org "o-bench00001,$work/accounts.txt" -regions "$regions" "$@" >"$work/$name.url" &
	pids+=($!)
	echo $! >"$work/$name.pid"
	for _ in $(seq 50); do [[ -s $work/$name.url ]] && break; sleep 0.1; done
}
start_proxy api 20ms
"$work/tcpdelay" -target "127.0.0.1:$port" -latency 20ms >"$work/s3.url" &
tcpdelay_pid=$!
pids+=($!)
for _ in $(seq 50); do [[ -s $work/s3.url ]] && break; sleep 0.1; done
api=$(cat "$work/api.url")
export AWS_ENDPOINT_URL_S3=$(cat "$work/s3.url") AWS_ENDPOINT_URL_CLOUDTRAIL=$api AWS_ENDPOINT_URL_ORGANIZATIONS=$api AWS_ENDPOINT_URL_ACCOUNT=$api
flags=(--trail-arn "$arn" --start-time "$start" --end-time "$end")

# a) One untimed run warms MinIO. trailseal three times, the AWS CLI's
# sample, trailseal three times again; the ratio uses the median of six.
"$work/trailseal" verify "${flags[@]}" --quiet >/dev/null
ts=()
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # CPU time, 1/100 s
rig_cpu=0
own_cpu=0
timed_trailseal() {
	for _ in 1 2 3; do
		c0=$(($(ticks "$minio_pid") + $(ticks "$tcpdelay_pid")))
		t0=$(seconds)
		/usr/bin/time -f "%U %S" -o "$work/cpu" "$work/trailseal" verify "${flags[@]}" --quiet >"$work/trailseal.out" || true
		ts+=("$(elapsed "$t0" "$(seconds)")")
		rig_cpu=$((rig_cpu + $(ticks "$minio_pid") + $(ticks "$tcpdelay_pid") - c0))
		own_cpu=$(awk -v o="$own_cpu" '{ printf "%.2f", o + $1 + $2 }' "$work/cpu")
	done
}
timed_trailseal
mapfile -t ids <"$work/accounts.txt"
IFS=, read -r -a regs <<<"$regions"
chains=$((${#ids[@]} * ${#regs[@]}))
awst=()
for i in $(seq 0 $((sample - 1))); do
	acct=${ids[$((i * ${#ids[@]} / sample))]}
	reg=${regs[$((i % ${#regs[@]}))]}
	t0=$(seconds)
	aws cloudtrail validate-logs "${flags[@]}" --account-id "$acct" --region "$reg" >"$work/aws-$i.out" 2>&1 || true
	awst+=("$(elapsed "$t0" "$(seconds)")")
	grep -q "48/48 digest files valid" "$work/aws-$i.out" || { echo "org.sh: the AWS CLI did not validate $acct $reg:" >&2; tail -5 "$work/aws-$i.out" >&2; exit 1; }
done
timed_trailseal
tail -2 "$work/trailseal.out"
tail -3 "$work/aws-0.out"
echo "CPU per trailseal run: trailseal $(awk -v t="$own_cpu" 'BEGIN { printf "%.2f", t / 6 }') s, MinIO and tcpdelay $(awk -v t="$rig_cpu" 'BEGIN { printf "%.2f", t / 600 }') s (two cores)"
python3 - "$chains" "${ts[@]}" -- "${awst[@]}" <<'PY'
import statistics, sys
chains = int(sys.argv[1]); sep = sys.argv.index("--")
ts = [float(x) for x in sys.argv[2:sep]]; aws = [float(x) for x in sys.argv[sep + 1:]]
med, mean = statistics.median(ts), statistics.mean(aws)
print(f"a) trailseal, one run over {chains} chains: {', '.join(f'{t:.2f}' for t in ts)} s (median {med:.2f} s)")
print(f"   aws cloudtrail validate-logs, {len(aws)} sampled runs of {chains}: mean {mean:.2f} s (range {min(aws):.2f}-{max(aws):.2f}); "
      f"x {chains} runs = {mean * chains:.0f} s; ratio {mean * chains / med:.0f}x")
PY

# b) Full run with --state, one more hour delivered, the incremental run;
# each through its own tcpdelay that traces requests, to count GETs.
traced_run() { # name extra-flags...: time one run, count its GETs
	local name=$1
	shift
	"$work/tcpdelay" -target "127.0.0.1:$port" -latency 20ms -trace >"$work/$name.s3url" 2>"$work/$name.trace" &
	local pid=$!
	for _ in $(seq 50); do [[ -s $work/$name.s3url ]] && break; sleep 0.1; done
	local c0
	c0=$(($(ticks "$minio_pid") + $(ticks "$pid")))
	t0=$(seconds)
	AWS_ENDPOINT_URL_S3=$(cat "$work/$name.s3url") /usr/bin/time -f "%U %S" -o "$work/$name.cpu" "$work/trailseal" verify "$@" --quiet >"$work/$name.out" || true
	echo "$(elapsed "$t0" "$(seconds)")" >"$work/$name.time"
	echo "$(awk '{ printf "%.2f", $1 + $2 }' "$work/$name.cpu") $(awk -v t=$(($(ticks "$minio_pid") + $(ticks "$pid") - c0)) 'BEGIN { printf "%.2f", t / 100 }')" >"$work/$name.cpus"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	# GetObject: a GET of a key (ListObjectsV2 and GetBucketLocation are
	# GETs of the bucket with a query).
	grep -E '"?GET /org-trail/[^ ?]+ HTTP' "$work/$name.trace" | grep -vc '?' >"$work/$name.gets" || true
	grep -c 'GET /org-trail?' "$work/$name.trace" >"$work/$name.lists" || true
}
traced_run full "${flags[@]}" --state "$work/state.json"
"$work/orggen" -accounts "$accounts" -regions "$regions" -hours 49 -hours-from 48 -logs 2 -log-bytes 4000 -bucket org-trail \
	-s3-endpoint "http://127.0.0.1:$port" -keys "$work/keys.json" -accounts-out "$work/accounts.txt" | tee "$work/new.txt"
traced_run incr --trail-arn "$arn" --start-time "$start" --end-time "$end2" --state "$work/state.json"
tail -3 "$work/incr.out"
python3 - "$work" <<'PY'
import re, sys
w = sys.argv[1]
r = lambda n: open(f"{w}/{n}").read().strip()
new = int(re.search(r"uploaded (\d+) objects", r("new.txt")).group(1))
full_t, incr_t = float(r("full.time")), float(r("incr.time"))
gets = int(r("incr.gets"))
print(f"b) full run with --state: {full_t:.2f} s, {r('full.gets')} GETs, {r('full.lists')} LISTs; one hour later, incremental: {incr_t:.2f} s, "
      f"{gets} GETs for {new} new objects ({100 * (gets - new) / new:+.1f}%), {r('incr.lists')} LISTs; wall time {full_t / incr_t:.1f}x below the full run")
own, rig = r("incr.cpus").split()
print(f"   CPU of the incremental run: trailseal {own} s, MinIO and tcpdelay {rig} s (two cores)")
PY

# c) Peak memory of the full run (no latency: the most objects in flight)
# for the first 50, 100 and all accounts.
kill "$(cat "$work/api.pid")"
start_proxy api0 0
api0=$(cat "$work/api0.url")
for n in 50 100 "$accounts"; do
	list=$(head -n "$n" "$work/accounts.txt" | paste -sd,)
	AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_ENDPOINT_URL_CLOUDTRAIL=$api0 AWS_ENDPOINT_URL_ORGANIZATIONS=$api0 AWS_ENDPOINT_URL_ACCOUNT=$api0 \
		/usr/bin/time -v "$work/trailseal" verify "${flags[@]}" --account-id "$list" --quiet >"$work/mem-$n.out" 2>"$work/mem-$n.time" || true
	echo "c) $n accounts: $(grep -E 'Maximum resident' "$work/mem-$n.time" | awk '{print $6}') KB peak RSS, $(grep -E 'Elapsed' "$work/mem-$n.time" | awk '{print $8}') wall; $(tail -1 "$work/mem-$n.out")"
done
