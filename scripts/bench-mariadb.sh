#!/usr/bin/env bash
# MariaDB on the demo stack (make demo first): the pair's bootstrap time from the last converge
# benchmark, then the replication lag under a sustained write load through haproxy, measured from an
# app server by scripts/bench/replication_lag.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
results="$(dirname "$here")/.cache/bench"
app="${BENCH_APPSERVER:-demo-backend1}"
python="/opt/shop_api/venv/bin/python"  # has PyMySQL, the shop app's driver
secret="$HOME/.cache/scalable-webstack/demo-secrets/shop_database_password"

if [ -f "$results/converge-first.json" ]; then
  python3 - "$results/converge-first.json" <<'PY'
import json, sys
figures = json.load(open(sys.argv[1]))
print("bootstrap of the MariaDB pair from empty containers (last bench-converge, first run):")
print("  role mariadb_master_master, wall: %.1f s" % figures["role_wall_seconds"].get("scalable.webstack.mariadb_master_master", 0))
for name, seconds in figures["slowest_tasks_wall_seconds"].items():
    if name.startswith("scalable.webstack.mariadb_master_master"):
        print("  %6.1f s  %s" % (seconds, name))
PY
else
  echo "bootstrap time: run scripts/bench-converge.sh first"
fi
docker exec "$app" true 2>/dev/null || { echo "bench-mariadb: no $app container; run make demo first" >&2; exit 1; }
docker exec -i "$app" sh -c 'cat > /tmp/replication_lag.py' <"$here/bench/replication_lag.py"
docker exec -e BENCH_PASSWORD="$(cat "$secret")" "$app" "$python" /tmp/replication_lag.py \
  "${BENCH_SECONDS:-20}" "${BENCH_WRITERS:-8}" demo-db1 demo-db2
