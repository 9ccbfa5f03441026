#!/usr/bin/env bash
# Converge speed: playbooks/site.yml on fresh demo containers (first run), then again (the idempotent
# run), profiled per host, per role and per task by scripts/bench/callback_plugins/converge_profile.py.
# Replaces the demo containers. Prints a table; logs and JSON go to .cache/bench/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
results="$root/.cache/bench"
mkdir -p "$results"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CALLBACK_PLUGINS="$here/bench/callback_plugins" ANSIBLE_CALLBACKS_ENABLED=converge_profile

echo "bench-converge: fresh demo containers (log: $results/containers.log)"
{ "$here/molecule.sh" destroy -s demo && "$here/molecule.sh" create -s demo; } >"$results/containers.log" 2>&1
cd "$root"  # ansible.cfg: collections path, forks, pipelining
for run in first second; do
  echo "bench-converge: $run converge of site.yml (log: $results/converge-$run.log)"
  WEBSTACK_PROFILE_OUTPUT="$results/converge-$run.json" \
    ansible-playbook -i inventories/demo playbooks/site.yml >"$results/converge-$run.log" 2>&1
done
echo
python3 "$here/bench/converge_report.py" "$results/converge-first.json" "$results/converge-second.json"
