#!/usr/bin/env bash
# Counts the AWS API calls of one 'trailseal scan' of a sample account seeded
# into moto (three trails in three regions: a multi-region KMS-encrypted
# trail, a single-region legacy trail, a stopped multi-region trail), and
# measures, in the same run, the baseline: the AWS CLI audit procedure that
# CIS and most runbooks give (describe-trails and get-trail-status /
# get-event-selectors in every region, then the bucket and key calls), which
# is what people script today.
#
# Usage: bench/scan_calls.sh            (needs moto_server and aws on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
REGIONS=(us-east-1 us-west-2 eu-west-1)
PORT=${PORT:-45123}
work=$(mktemp -d)
trap 'kill $moto_pid 2>/dev/null || true; rm -rf "$work"' EXIT

moto_server -H 127.0.0.1 -p "$PORT" >"$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 100); do curl -sf "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break; sleep 0.2; done

echo "seeding the sample account into moto..."
aws s3api create-bucket --bucket org-audit-logs --object-lock-enabled-for-bucket >/dev/null
aws s3api put-bucket-versioning --bucket org-audit-logs --versioning-configuration Status=Enabled
aws s3api create-bucket --bucket legacy-trail --region us-west-2 --create-bucket-configuration LocationConstraint=us-west-2 >/dev/null
aws s3api create-bucket --bucket tooling-trail --region eu-west-1 --create-bucket-configuration LocationConstraint=eu-west-1 >/dev/null
key=$(aws kms create-key --query KeyMetadata.Arn --output text)
aws kms enable-key-rotation --key-id "$key"
aws logs create-log-group --log-group-name org-trail >/dev/null
lg=$(aws logs describe-log-groups --log-group-name-prefix org-trail --query 'logGroups[0].arn' --output text)
aws cloudtrail create-trail --name org-trail --s3-bucket-name org-audit-logs --is-multi-region-trail \
  --enable-log-file-validation --kms-key-id "$key" --cloud-watch-logs-log-group-arn "$lg" \
  --cloud-watch-logs-role-arn arn:aws:iam::123456789012:role/ct >/dev/null
aws cloudtrail start-logging --name org-trail
aws cloudtrail create-trail --name legacy --s3-bucket-name legacy-trail --region us-west-2 >/dev/null
aws cloudtrail start-logging --name legacy --region us-west-2
aws cloudtrail create-trail --name tooling --s3-bucket-name tooling-trail --is-multi-region-trail --region eu-west-1 >/dev/null

go build -o "$work/trailseal" ./cmd/trailseal
regions=$(IFS=,; echo "${REGIONS[*]}")

echo "trailseal scan..."
t0=$(date +%s.%N)
"$work/trailseal" scan --regions "$regions" --format json --output "$work/f.json" --save-snapshot "$work/inv.json" 2>/dev/null || true
t1=$(date +%s.%N)
ts_calls=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"]; print(sum(c.values()))' "$work/inv.json")
# the calls that gather the same evidence as the AWS CLI procedure below
ts_same=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"]; print(sum(v for k, v in c.items() if k.split(":")[0] in ("cloudtrail", "kms") or (k.startswith("s3:") and k != "s3:ListBuckets")))' "$work/inv.json")
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"]; [print("   %-45s %d" % (k, v)) for k, v in sorted(c.items())]' "$work/inv.json"

echo "AWS CLI audit procedure..."
n=0
cli() { aws "$@" >/dev/null 2>&1 || true; n=$((n+1)); }
t2=$(date +%s.%N)
buckets=""
for r in "${REGIONS[@]}"; do
  aws cloudtrail describe-trails --region "$r" --query 'trailList[].[TrailARN,S3BucketName]' --output text >"$work/trails.txt"; n=$((n+1))
  while read -r a b; do
    cli cloudtrail get-trail-status --name "$a" --region "$r"
    cli cloudtrail get-event-selectors --trail-name "$a" --region "$r"
    buckets="$buckets $b"
  done <"$work/trails.txt"
done
for b in $(echo $buckets | tr ' ' '\n' | sort -u); do
  for op in get-bucket-location get-bucket-versioning get-object-lock-configuration get-bucket-encryption \
            get-public-access-block get-bucket-policy get-bucket-policy-status get-bucket-acl \
            get-bucket-ownership-controls get-bucket-logging get-bucket-lifecycle-configuration; do
    cli s3api $op --bucket "$b"
  done
done
cli kms describe-key --key-id "$key"; cli kms get-key-rotation-status --key-id "$key"; cli kms get-key-policy --key-id "$key" --policy-name default
t3=$(date +%s.%N)

python3 - "$ts_calls" "$ts_same" "$t0" "$t1" "$n" "$t2" "$t3" <<'PY'
import sys
ts, same, t0, t1, cli, t2, t3 = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:5]), int(sys.argv[5]), *map(float, sys.argv[6:8])
print(f"trailseal: {ts} API calls in all (full rule catalog); {same} for the trail, bucket and key evidence")
print(f"AWS CLI procedure: {cli} API calls for the trail, bucket and key evidence only")
print(f"wall time ratio (AWS CLI / trailseal): {(t3-t2)/(t1-t0):.1f}x")
PY
