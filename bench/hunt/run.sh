#!/usr/bin/env bash
# Reproduces the 'trailseal hunt' benchmarks recorded in docs/benchmarks.md:
#   speed   hunt --from-dir over 100,080 log files against `zcat | jq` selecting
#           the same event names, in the same run, on the same files;
#   memory  peak resident memory for 10,008 and 100,080 log files;
#   verify  'verify --hunt' against 'verify' on the same signed archive
#           (6,048 log files, offline), CPU time alternating in the same
#           run, and peak memory of both at 6,048 and 48,384 log files.
# Needs: go, jq, zcat, GNU time (/usr/bin/time).
# Usage: bench/hunt/run.sh [speed|memory|verify|all]
# DATA=dir keeps the generated datasets there (and reuses them when present).
# TRAILSEAL_BIN=path runs that trailseal binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$work/data}
mkdir -p "$data"

if [[ -n ${TRAILSEAL_BIN:-} ]]; then
	cp "$TRAILSEAL_BIN" "$work/trailseal"
else
	go build -o "$work/trailseal" ./cmd/trailseal
fi
go build -o "$work/gen" ./bench/hunt/gen
for tool in jq zcat /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

# dataset N: N log files (a multiple of 3 regions x 12 five-minute files an hour).
dataset() {
	local n=$1 dir=$data/$1
	if [[ ! -f $dir/snapshot.json ]]; then
		mkdir -p "$dir"
		"$work/gen" -files "$n" -out "$dir/copy" >&2
	fi
	echo "$dir"
}

seconds() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
cpu() { tail -1 "$1" | awk '{printf "%.2f", $1 + $2}'; } # user + sys (GNU time writes a line of its own first when the command exits non-zero)

# The event names hunt reads, for jq.
names=$("$work/trailseal" detections --format json | jq -c '[.[].eventNames[]] | unique')

run_hunt() { # dir -> writes $work/hunt.json, $work/hunt.cpu
	/usr/bin/time -o "$work/hunt.cpu" -f '%U %S' "$work/trailseal" hunt --from-dir "$1/copy" \
		--snapshot "$1/snapshot.json" --format json --output "$work/hunt.json" || [[ $? == 3 ]]
}

run_zcat() { # dir -> writes $work/zcat.cpu: decompressing alone, two zcat at once (one per CPU)
	/usr/bin/time -o "$work/zcat.cpu" -f '%U %S' bash -c \
		'find "$1" -path "*/CloudTrail/*" -name "*.json.gz" -print0 | xargs -0 -P 2 -n 5000 zcat > /dev/null' _ "$1/copy"
}

run_jq() { # dir -> writes $work/jq.out, $work/jq.cpu (the whole pipeline's CPU)
	/usr/bin/time -o "$work/jq.cpu" -f '%U %S' bash -c \
		'find "$1" -path "*/CloudTrail/*" -name "*.json.gz" -print0 | xargs -0 zcat |
		 jq -c --argjson names "$2" ".Records[] | select(.eventName as \$n | \$names | index(\$n))" > "$3"' \
		_ "$1/copy" "$names" "$work/jq.out"
}

if [[ $what == speed || $what == all ]]; then
	dir=$(dataset 100080)
	echo "dataset: $(find "$dir/copy" -name '*.json.gz' | wc -l) log files," \
		"$(du -sb "$dir/copy" | cut -f1) bytes on disk"
	# Untimed runs fill the page cache for both.
	run_hunt "$dir"
	run_jq "$dir"
	# The same records: jq's selection is hunt's "read closely" count, and
	# hunt reports every planted event.
	selected=$(jq '.sources.selected' "$work/hunt.json")
	[[ $selected == "$(wc -l <"$work/jq.out")" ]] || { echo "run.sh: hunt read $selected records closely, jq selected $(wc -l <"$work/jq.out")" >&2; exit 1; }
	while read -r id; do
		jq -e --arg id "$id" 'any(.detections[]; .eventID == $id)' "$work/hunt.json" >/dev/null ||
			{ echo "run.sh: planted event $id not found" >&2; exit 1; }
	done <"$dir/planted.txt"
	echo "records: $(jq '.sources.records' "$work/hunt.json"); selected by both: $selected;" \
		"detections: $(jq '.detections | length' "$work/hunt.json") (every planted event)"
	# Alternate the two, three rounds: the machine's speed drifts over
	# minutes, and alternating spreads the drift over both.
	# zcat_s is decompression alone, both CPUs busy: no tool that reads
	# every record can beat it by much, so jq_s/zcat_s bounds the ratio.
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", a/b}'; }
	printf '%-6s %8s %8s %8s %9s %9s %9s %7s %7s %7s\n' round hunt_s jq_s zcat_s hunt_cpu jq_cpu zcat_cpu wall_x cpu_x bound_x
	for round in 1 2 3; do
		t0=$(seconds); run_hunt "$dir"; t1=$(seconds)
		run_jq "$dir"; t2=$(seconds)
		run_zcat "$dir"; t3=$(seconds)
		h=$(elapsed "$t0" "$t1") j=$(elapsed "$t1" "$t2") z=$(elapsed "$t2" "$t3")
		hc=$(cpu "$work/hunt.cpu") jc=$(cpu "$work/jq.cpu") zc=$(cpu "$work/zcat.cpu")
		printf '%-6s %8s %8s %8s %9s %9s %9s %7s %7s %7s\n' "$round" "$h" "$j" "$z" "$hc" "$jc" "$zc" \
			"$(ratio "$j" "$h")" "$(ratio "$jc" "$hc")" "$(ratio "$j" "$z")"
	done
	echo "machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if [[ $what == memory || $what == all ]]; then
	for n in 10008 100080; do
		dir=$(dataset "$n")
		/usr/bin/time -f '%M' -o "$work/mem" "$work/trailseal" hunt --from-dir "$dir/copy" --snapshot "$dir/snapshot.json" \
			--format json --output "$work/hunt.json" || [[ $? == 3 ]]
		echo "$n log files: peak resident memory $(($(tail -1 "$work/mem") / 1024)) MB"
	done
	/usr/bin/time -f '%M' -o "$work/mem" "$work/trailseal" version >/dev/null
	echo "trailseal version alone: $(($(cat "$work/mem") / 1024)) MB"
fi

# signed H: a signed archive of H hours, 3 regions x 12 log files an hour.
signed() {
	local h=$1 dir=$data/signed-$1
	if [[ ! -f $dir/keys.json ]]; then
		mkdir -p "$dir"
		"$work/gen" -signed-hours "$h" -out "$dir/copy" >&2
	fi
	echo "$dir"
}

verify_args() { # dir hours
	local end
	end=$(date -u -d "2026-01-01 00:01:31 UTC + $2 hours" +%Y-%m-%dT%H:%M:%SZ)
	echo verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail \
		--start-time 2026-01-01T00:00:00Z --end-time "$end" --from-dir "$1/copy" --public-keys "$1/keys.json" \
		--regions ap-southeast-2,eu-west-1,us-east-1
}

if [[ $what == verify || $what == all ]]; then
	dir=$(signed 168)
	read -r -a args <<<"$(verify_args "$dir" 168)"
	hunt_flags=(--hunt --snapshot "$dir/snapshot.json")
	echo "dataset: $(find "$dir/copy" -name '*.json.gz' -path '*/CloudTrail/*' | wc -l) log files," \
		"$(du -sb "$dir/copy" | cut -f1) bytes on disk"
	# Untimed runs fill the page cache; both must pass, and the hunt must
	# have read every log file verify hashed.
	"$work/trailseal" "${args[@]}" >/dev/null
	"$work/trailseal" "${args[@]}" "${hunt_flags[@]}" --format json >"$work/vh.json"
	[[ $(jq '.hunt.sources.files' "$work/vh.json") == $(jq '[.summary[].logsValid] | add' "$work/vh.json") ]] ||
		{ echo "run.sh: verify --hunt did not hunt every log file verified" >&2; exit 1; }
	echo "verified and hunted: $(jq '.hunt.sources.files' "$work/vh.json") log files, $(jq '.hunt.sources.records' "$work/vh.json") records"
	# Alternate the two, ten rounds: the machine's speed drifts over
	# minutes, and alternating spreads the drift over both.
	printf '%-6s %10s %10s %7s\n' round verify_cpu hunt_cpu ratio
	: >"$work/ratios"
	for round in $(seq 1 10); do
		/usr/bin/time -o "$work/v.cpu" -f '%U %S' "$work/trailseal" "${args[@]}" >/dev/null
		/usr/bin/time -o "$work/h.cpu" -f '%U %S' "$work/trailseal" "${args[@]}" "${hunt_flags[@]}" >/dev/null
		vc=$(cpu "$work/v.cpu") hc=$(cpu "$work/h.cpu")
		r=$(awk -v a="$hc" -v b="$vc" 'BEGIN{printf "%.3f", a/b}')
		echo "$r" >>"$work/ratios"
		printf '%-6s %10s %10s %7s\n' "$round" "$vc" "$hc" "$r"
	done
	echo "median ratio (verify --hunt CPU / verify CPU): $(sort -n "$work/ratios" | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
	for h in 168 1344; do
		dir=$(signed "$h")
		read -r -a args <<<"$(verify_args "$dir" "$h")"
		hunt_flags=(--hunt --snapshot "$dir/snapshot.json")
		/usr/bin/time -f '%M' -o "$work/mem" "$work/trailseal" "${args[@]}" >/dev/null
		vm=$(($(tail -1 "$work/mem") / 1024))
		/usr/bin/time -f '%M' -o "$work/mem" "$work/trailseal" "${args[@]}" "${hunt_flags[@]}" >/dev/null
		echo "$((h * 36)) log files: peak resident memory verify $vm MB, verify --hunt $(($(tail -1 "$work/mem") / 1024)) MB"
	done
	echo "machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi
