#!/usr/bin/env bash
# Run Molecule with the harness ready: Docker answering, the test image of the Debian release built
# (unless MOLECULE_IMAGE names one), and this checkout visible to Ansible as the scalable.webstack collection.
# Usage: scripts/molecule.sh test --all | scripts/molecule.sh converge -s harness | ...
#   WEBSTACK_RELEASE=trixie scripts/molecule.sh test -s nginx     one scenario on Debian 13 (default bookworm)
#
# "test --all" is the matrix: each scenario on each release of WEBSTACK_RELEASES (default "bookworm
# trixie"), each run on its own. A scenario with a file "releases" runs only on the releases it lists (the
# demo on bookworm, the SSH scenario on trixie: `make molecule-demo-trixie` and `make molecule-ssh-bookworm`
# run the other cells). One whose prerequisite.sh fails is skipped with the reason it prints. The run ends
# with the table scenario x release, each cell's duration and result, and a passed/failed/skipped line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
export PATH="$root/.venv/bin:$PATH"

"$here/ensure-docker.sh"
"$here/link-collection.sh"
cd "$root"

image_for() {  # the test image of a Debian release, built when its tag is missing
  "$here/build-image.sh" "$1" | tail -n 1
}

if [ "$*" != "test --all" ]; then
  if [ -z "${MOLECULE_IMAGE:-}" ]; then
    MOLECULE_IMAGE="$(image_for "${WEBSTACK_RELEASE:-bookworm}")"
    export MOLECULE_IMAGE
  fi
  echo "molecule: image $MOLECULE_IMAGE"
  exec molecule "$@"
fi

if [ -n "${MOLECULE_IMAGE:-}" ]; then
  releases=(image)   # one column: the image given
else
  read -r -a releases <<<"${WEBSTACK_RELEASES:-bookworm trixie}"
fi
scenarios=()
for scenario_dir in molecule/*/; do
  [ -f "$scenario_dir/molecule.yml" ] && scenarios+=("$(basename "$scenario_dir")")
done
if [ -n "${WEBSTACK_SCENARIOS:-}" ]; then   # the rows of the matrix, when not every scenario
  read -r -a scenarios <<<"$WEBSTACK_SCENARIOS"
fi

declare -A cell=()
notes=()
passed=0 failed=0 skipped=0
start_all=$(date +%s)
for release in "${releases[@]}"; do
  if [ "$release" != image ]; then
    MOLECULE_IMAGE="$(image_for "$release")"
  fi
  export MOLECULE_IMAGE
  for scenario in "${scenarios[@]}"; do
    scenario_dir="molecule/$scenario"
    if [ "$release" != image ] && [ -f "$scenario_dir/releases" ] \
        && ! grep -qxF "$release" <(grep -oE '^[a-z]+' "$scenario_dir/releases"); then
      cell[$scenario/$release]="not in this run"
      continue
    fi
    echo
    echo "molecule: scenario $scenario on $release ($MOLECULE_IMAGE)"
    if [ -x "$scenario_dir/prerequisite.sh" ] && ! reason="$("$scenario_dir/prerequisite.sh" 2>&1)"; then
      echo "molecule: SKIPPED scenario $scenario on $release, not counted as passed: $reason"
      cell[$scenario/$release]="skipped (below)"
      notes+=("skipped: $scenario on $release: $reason")
      skipped=$((skipped + 1))
      continue
    fi
    start=$(date +%s)
    # WEBSTACK_MOLECULE_LOCKS=1 where several checkouts share a Docker daemon: container names are the
    # scenario's, so each scenario waits for /tmp/webstack-molecule-<scenario>.lock (flock).
    lock=()
    if [ -n "${WEBSTACK_MOLECULE_LOCKS:-}" ]; then lock=(flock "/tmp/webstack-molecule-$scenario.lock"); fi
    if "${lock[@]}" molecule test -s "$scenario"; then
      outcome=passed; passed=$((passed + 1))
    else
      outcome=FAILED; failed=$((failed + 1))
    fi
    cell[$scenario/$release]="$(printf '%5ss %s' "$(( $(date +%s) - start ))" "$outcome")"
  done
done

echo
echo "molecule matrix (scenario x Debian release; duration and result of each cell):"
header="$(printf '  %-14s' scenario)"
for release in "${releases[@]}"; do header+="$(printf ' | %-22s' "$release")"; done
echo "$header"
for scenario in "${scenarios[@]}"; do
  line="$(printf '  %-14s' "$scenario")"
  for release in "${releases[@]}"; do
    text="${cell[$scenario/$release]:-}"
    line+="$(printf ' | %-22s' "$text")"
  done
  echo "$line"
done
printf '  %-14s   %ss in all\n' total "$(( $(date +%s) - start_all ))"
for note in "${notes[@]}"; do echo "  $note"; done
echo "molecule: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
