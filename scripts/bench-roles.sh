#!/usr/bin/env bash
# Converge speed of each role alone: for each role's Molecule scenario, fresh containers, the converge
# playbook twice (first run, then the idempotent one), profiled by the same callback as bench-converge.
# BENCH_SCENARIOS picks scenarios. Prints a table; logs and JSON go to .cache/bench/roles/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
results="$root/.cache/bench/roles"
read -r -a scenarios <<<"${BENCH_SCENARIOS:-nginx varnish haproxy uwsgi_emperor mariadb firehol}"
mkdir -p "$results"
export PATH="$root/.venv/bin:$PATH"

for scenario in "${scenarios[@]}"; do
  echo "bench-roles: $scenario on fresh containers (log: $results/$scenario.log)"
  {
    "$here/molecule.sh" destroy -s "$scenario"
    "$here/molecule.sh" create -s "$scenario"
    for run in first second; do
      WEBSTACK_PROFILE_OUTPUT="$results/$scenario-$run.json" \
      ANSIBLE_CALLBACK_PLUGINS="$here/bench/callback_plugins" ANSIBLE_CALLBACKS_ENABLED=converge_profile \
        "$here/molecule.sh" converge -s "$scenario"
    done
    "$here/molecule.sh" destroy -s "$scenario"
  } >"$results/$scenario.log" 2>&1
done
echo
python3 "$here/bench/roles_report.py" "$results" "${scenarios[@]}"
