#!/usr/bin/env bash
# Run Molecule with the harness ready: Docker answering, the test image built (unless MOLECULE_IMAGE
# names one), and this checkout visible to Ansible as the scalable.webstack collection.
# Usage: scripts/molecule.sh test --all | scripts/molecule.sh converge -s harness | ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

"$here/ensure-docker.sh"
"$here/link-collection.sh"
if [ -z "${MOLECULE_IMAGE:-}" ]; then
  MOLECULE_IMAGE="$("$here/build-image.sh" bookworm | tail -n 1)"
  export MOLECULE_IMAGE
fi
echo "molecule: image $MOLECULE_IMAGE"
cd "$root"
exec molecule "$@"
