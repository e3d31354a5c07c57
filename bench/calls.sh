#!/bin/sh
# Reports how many API calls one scan of a seeded moto account makes
# (calls/scan) and how long it takes. Needs moto_server on PATH.
set -eu
cd "$(dirname "$0")/.."
exec go test -count=1 -run '^$' -bench BenchmarkCollect -benchtime "${BENCHTIME:-20x}" ./internal/collect/
