#!/usr/bin/env bash
# pytest of tests/unit and tests/playbooks from the dev virtualenv, with this checkout importable as
# ansible_collections.scalable.webstack (the path ansible-test would give it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/link-collection.sh"
cd "$root" || exit 1
PYTHONPATH="$root/.cache/collections${PYTHONPATH:+:$PYTHONPATH}" exec pytest -p no:cacheprovider tests/unit tests/playbooks "$@"
