#!/usr/bin/env bash
# Build the Galaxy artifact into dist/, install it into an empty path, and check what other teams
# get: the collection is listed, dev files stayed out, and its playbooks load by FQCN.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

rm -rf dist
ansible-galaxy collection build --output-path dist --force
tarball="$(ls dist/scalable-webstack-*.tar.gz)"
echo "galaxy-build: built $tarball ($(du -h "$tarball" | cut -f1))"

leaked="$(tar -tzf "$tarball" | grep -E '^(molecule|tests|scripts|ee|\.ci|\.config|\.cache|\.venv)/' || true)"
if [ -n "$leaked" ]; then
  echo "galaxy-build: development files in the artifact:" >&2
  echo "$leaked" >&2
  exit 1
fi

# What ansible-builder reads from the installed collection to build an execution environment.
contents="$(tar -tzf "$tarball")"
for file in meta/execution-environment.yml meta/ee-requirements.txt meta/ee-bindep.txt; do
  if ! grep -qx "$file" <<<"$contents"; then
    echo "galaxy-build: $file is missing from the artifact (ansible-builder reads it)" >&2
    exit 1
  fi
done

# Nothing shipped may need what is not: the test apps, Molecule, the repository's make targets or ansible.cfg
# (the READMEs may say where to find them in a checkout).
unshipped="$(tar -xzOf "$tarball" --wildcards --exclude='*.md' --exclude='*.rst' --exclude='changelogs/*' '*' 2>/dev/null \
  | grep -nE 'tests/fixtures|molecule/|\bmake (demo|test|molecule)\b|\.\./ansible\.cfg' || true)"
if [ -n "$unshipped" ]; then
  echo "galaxy-build: the artifact refers to files it does not ship:" >&2
  echo "$unshipped" >&2
  exit 1
fi

install_path="$(mktemp -d)"
trap 'rm -rf "$install_path"' EXIT
# Only the empty path: the checkout itself must not count as "already installed".
export ANSIBLE_COLLECTIONS_PATH="$install_path"
ansible-galaxy collection install --no-deps -p "$install_path" "$tarball"
ansible-galaxy collection list scalable.webstack -p "$install_path"
ansible-playbook -i localhost, --syntax-check scalable.webstack.site
echo "galaxy-build: $tarball installs into an empty path and scalable.webstack.site loads"
