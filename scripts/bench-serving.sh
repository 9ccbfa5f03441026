#!/usr/bin/env bash
# Serving speed of the demo stack (make demo first): wrk, run inside the frontend container so traffic
# stays on loopback and the demo network, measures each hop for BENCH_DURATION with BENCH_CONNECTIONS
# connections, then prints requests/s, p50/p99 latency and the ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lb="${BENCH_FRONTEND:-demo-lb1}"
backend="${BENCH_BACKEND:-demo-backend1}"
duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-16}"
warmup="${BENCH_WARMUP:-5s}"
results="$(dirname "$here")/.cache/bench"
mkdir -p "$results"

docker exec "$lb" true 2>/dev/null || { echo "bench-serving: no $lb container; run make demo first" >&2; exit 1; }
docker exec "$lb" sh -c 'command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null'
docker exec -i "$lb" sh -c 'cat > /tmp/unique-query.lua' <"$here/bench/unique-query.lua"
# A static file for nginx to serve (1 KiB), and the cached API answer warmed up: the API's "/", which says
# it may be cached (Cache-Control: public, max-age=60); varnish caches no answer that does not say so.
docker exec "$lb" sh -c 'mkdir -p /var/www/static && head -c 1024 /dev/urandom | base64 > /var/www/static/bench.txt'
docker exec "$lb" curl -fsk -o /dev/null https://127.0.0.1/

measure() {  # name, wrk arguments...
  local name="$1"; shift
  # Unmeasured warm-up: right after a converge the first seconds are several times slower (cold
  # buffer pool, workers importing the app).
  docker exec "$lb" wrk -t2 -c"$connections" -d"$warmup" "$@" >/dev/null 2>&1 || true
  docker exec "$lb" wrk -t2 -c"$connections" -d"$duration" --latency "$@" >"$results/serving-$name.txt" 2>&1 || true
  echo "$name $results/serving-$name.txt"
}
{
  measure nginx_static https://127.0.0.1/static/bench.txt
  measure chain_cached https://127.0.0.1/
  measure chain_uncached -s /tmp/unique-query.lua https://127.0.0.1/products/
  # uWSGI's HTTP socket closes every connection (haproxy and varnish do not reuse them either).
  measure uwsgi_direct -s /tmp/unique-query.lua -H "Connection: close" "http://$backend:8080/products/"
} | python3 "$here/bench/serving_report.py" "$connections" "$duration"
