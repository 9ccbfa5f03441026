#!/usr/bin/env bash
# Run Molecule with the harness ready: Docker answering, the test image built (unless MOLECULE_IMAGE
# names one), and this checkout visible to Ansible as the scalable.webstack collection.
# Usage: scripts/molecule.sh test --all | scripts/molecule.sh converge -s harness | ...
# With "test --all", each scenario runs on its own: one whose prerequisite.sh fails is skipped with
# the reason it prints, and the run ends with each scenario's duration and a passed/failed/skipped line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
export PATH="$root/.venv/bin:$PATH"

"$here/ensure-docker.sh"
"$here/link-collection.sh"
if [ -z "${MOLECULE_IMAGE:-}" ]; then
  MOLECULE_IMAGE="$("$here/build-image.sh" bookworm | tail -n 1)"
  export MOLECULE_IMAGE
fi
echo "molecule: image $MOLECULE_IMAGE"
cd "$root"

if [ "$*" != "test --all" ]; then
  exec molecule "$@"
fi

declare -a summary=()
passed=0 failed=0 skipped=0
for scenario_dir in molecule/*/; do
  scenario="$(basename "$scenario_dir")"
  [ -f "$scenario_dir/molecule.yml" ] || continue
  if [ -x "$scenario_dir/prerequisite.sh" ] && ! reason="$("$scenario_dir/prerequisite.sh" 2>&1)"; then
    echo "molecule: SKIPPED scenario $scenario, not counted as passed: $reason"
    summary+=("$(printf '  %-16s %6s  skipped: %s' "$scenario" - "$reason")")
    skipped=$((skipped + 1))
    continue
  fi
  start=$(date +%s)
  if molecule test -s "$scenario"; then
    outcome=passed; passed=$((passed + 1))
  else
    outcome=FAILED; failed=$((failed + 1))
  fi
  summary+=("$(printf '  %-16s %5ss  %s' "$scenario" "$(( $(date +%s) - start ))" "$outcome")")
done
echo
echo "molecule scenarios:"
printf '%s\n' "${summary[@]}"
echo "molecule: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
