#!/usr/bin/env bash
# Make this checkout importable as scalable.webstack: .cache/collections/ansible_collections/
# scalable/webstack points back at the repository root (ANSIBLE_COLLECTIONS_PATH=.cache/collections).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/.cache/collections/ansible_collections/scalable"
ln -sfn ../../../.. "$root/.cache/collections/ansible_collections/scalable/webstack"
