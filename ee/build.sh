#!/usr/bin/env bash
# make ee: build the execution environment scalable-webstack/ee with ansible-builder, without a registry
# or Galaxy:
#   1. the base image scalable-webstack/ee-base:<recipe hash> (ee/base/Dockerfile) from the Debian 12
#      image of scripts/build-image.sh, with python3-pip, ansible-core and ansible-runner, when missing;
#   2. the files ee/requirements.yml installs offline: this checkout's Galaxy artifact, and
#      community.general, community.mysql, community.docker (and its library_inventory_filtering_v1) from
#      the dev virtualenv's `ansible` package;
#   3. ansible-builder build (ee/execution-environment.yml) with docker, on that base image.
# Prints the build time, the image size and what the image holds. Log: .cache/ee/build.log
# EE_NO_CACHE=1 rebuilds every layer (docker build --no-cache), for a cold build's time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$root/.cache/ee"
log="$work/build.log"
no_cache=()
if [ -n "${EE_NO_CACHE:-}" ]; then no_cache=(--no-cache); fi
export PATH="$root/.venv/bin:$PATH"
mkdir -p "$work"
: >"$log"

step() { echo "ee: $*"; }
fail() {
  echo "ee: FAILED, last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
}
trap fail ERR

"$root/scripts/ensure-docker.sh" >>"$log" 2>&1

# The tools, in a virtualenv of their own: the shared dev virtualenv stays as constraints-dev.txt says.
tools="$work/venv"
if ! cmp -s "$here/tools-requirements.txt" "$tools/.installed" 2>/dev/null; then
  step "installing ansible-builder and ansible-runner into $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check -r "$here/tools-requirements.txt" >>"$log" 2>&1
  cp "$here/tools-requirements.txt" "$tools/.installed"
fi

start=$SECONDS

# 1. The base image, tagged with a hash of its recipe (like scripts/build-image.sh): rebuilt only when the
#    Dockerfile, its requirements, the constraints or the Debian image change.
debian_image="$("$root/scripts/build-image.sh" bookworm 2>>"$log" | tail -n 1)"
base_context="$work/base"
rm -rf "$base_context"
mkdir -p "$base_context"
cp "$here/base/Dockerfile" "$here/base/requirements.txt" "$base_context/"
cp "$root/constraints-dev.txt" "$base_context/constraints.txt"
base_hash="$( (cat "$base_context"/*; echo "$debian_image") | sha256sum | cut -c1-12)"
base_image="scalable-webstack/ee-base:$base_hash"
if [ -z "${EE_NO_CACHE:-}" ] && docker image inspect "$base_image" >/dev/null 2>&1; then
  step "reusing the base image $base_image"
else
  step "building the base image $base_image from $debian_image"
  docker build "${no_cache[@]}" --build-arg "DEBIAN_IMAGE=$debian_image" -t "$base_image" "$base_context" \
    >>"$log" 2>&1
fi
docker tag "$base_image" scalable-webstack/ee-base:latest

# 2. The definition and the collections, staged where ansible-builder reads them.
definition="$work/definition"
rm -rf "$definition" "$work/context"
mkdir -p "$definition/collections/community"
cp "$here/execution-environment.yml" "$here/requirements.yml" "$definition/"
cp "$root/constraints-dev.txt" "$definition/constraints.txt"
rm -rf "$work/artifact"
(cd "$root" && ansible-galaxy collection build --output-path "$work/artifact") >>"$log" 2>&1
artifacts=("$work"/artifact/scalable-webstack-*.tar.gz)
cp "${artifacts[0]}" "$definition/collections/scalable-webstack.tar.gz"
step "collection artifact $(basename "${artifacts[0]}") (ansible-galaxy collection build of this checkout)"
for name in general mysql docker library_inventory_filtering_v1; do
  source_dir="$(python3 -c "import importlib.util as u; \
print(list(u.find_spec('ansible_collections.community.$name').submodule_search_locations)[0])")"
  mkdir -p "$definition/collections/community/$name"
  tar -C "$source_dir" --exclude=__pycache__ -cf - . | tar -C "$definition/collections/community/$name" -xf -
  step "community.$name $(python3 -c 'import json, sys; print(json.load(sys.stdin)["collection_info"]["version"])' \
    <"$source_dir/MANIFEST.json") from $source_dir"
done

# 3. ansible-builder: generates the Dockerfile (context in .cache/ee/context) and runs docker build.
version="$(awk '/^version:/ {print $2}' "$root/galaxy.yml")"
step "ansible-builder build (log: $log)"
builder_start=$SECONDS
"$tools/bin/ansible-builder" build --verbosity 3 --container-runtime docker \
  --file "$definition/execution-environment.yml" --context "$work/context" \
  --build-arg "EE_BASE_IMAGE=$base_image" \
  --tag "scalable-webstack/ee:$version" --tag scalable-webstack/ee:latest "${no_cache[@]}" >>"$log" 2>&1
builder_seconds=$((SECONDS - builder_start))
trap - ERR

size_mb="$(( $(docker image inspect -f '{{.Size}}' scalable-webstack/ee:latest) / 1000000 ))"
base_mb="$(( $(docker image inspect -f '{{.Size}}' "$base_image") / 1000000 ))"
echo
echo "ee: built scalable-webstack/ee:$version (also :latest) in $((SECONDS - start)) s" \
     "(ansible-builder build: ${builder_seconds} s)"
echo "ee: image size ${size_mb} MB (base image $base_image: ${base_mb} MB)"
echo "ee: Dockerfile generated by ansible-builder: $work/context/Dockerfile"
docker run --rm scalable-webstack/ee:latest bash -c '
  ansible --version | head -n 1
  ansible-runner --version | sed "s/^/ansible-runner /"
  ansible-galaxy collection list 2>/dev/null | grep -E "^(scalable|community)\."
  python3 -m pip list 2>/dev/null | grep -iE "^(pymysql|pymongo|docker|requests|cryptography|jinja2) "
  ssh -V 2>&1' | sed 's/^/ee:   /'
