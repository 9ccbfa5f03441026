#!/usr/bin/env bash
# make ee-demo: playbooks/site.yml on the running demo (make demo) run by ansible-runner inside the
# execution environment scalable-webstack/ee (make ee), twice; prints both recaps and durations, and
# fails when a run fails or the second one changes anything.
#
# As AWX runs a job: this checkout is the project (/runner/project, read-only), inventories/demo the
# inventory, and the collections are the EE's own (ANSIBLE_COLLECTIONS_PATH), not the checkout's.
# The demo's hosts are containers: the EE reaches them through the Docker socket with the
# community.docker.docker_api connection (the Docker SDK comes with community.docker's EE requirements;
# the docker CLI that the inventory's community.docker.docker connection calls is not in the EE), and
# needs no network of its own (--network none). The demo's secrets are mounted from where make demo
# keeps them. Artifacts (job events, stdout): .cache/ee/demo-run/artifacts/
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
image="${EE_IMAGE:-scalable-webstack/ee:latest}"
runner="$root/.cache/ee/venv/bin/ansible-runner"
secrets="$HOME/.cache/scalable-webstack/demo-secrets"
data="$root/.cache/ee/demo-run"
export PATH="$root/.venv/bin:$PATH"

if ! docker image inspect "$image" >/dev/null 2>&1 || [ ! -x "$runner" ]; then
  echo "ee-demo: no $image or no ansible-runner here: run make ee first" >&2
  exit 2
fi
hosts="$(ansible-inventory -i "$root/inventories/demo" --list \
  | python3 -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["_meta"]["hostvars"])))')"
for host in $hosts; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$host" 2>/dev/null)" != true ]; then
    echo "ee-demo: the demo container $host is not running: flock /tmp/webstack-molecule-demo.lock make demo" >&2
    exit 2
  fi
done

# The private data directory ansible-runner hands to the container as /runner.
mkdir -p "$data/env" "$data/project" "$data/inventory"
cat >"$data/env/envvars" <<'YAML'
---
# The EE's collections only: the checkout's ansible.cfg would also put its own copy on the path.
ANSIBLE_COLLECTIONS_PATH: /usr/share/ansible/collections
ANSIBLE_NOCOLOR: "1"
YAML
cat >"$data/env/extravars" <<'YAML'
---
ansible_connection: community.docker.docker_api
webstack_demo_secrets: /demo-secrets
YAML

# The recap's host lines whose changed= is not 0.
changed_hosts() { awk '/^PLAY RECAP/ {recap = 1; next} recap && /: ok=/ && !/ changed=0 / {n++} END {print n + 0}' "$1"; }

run() {
  local name="$1" start status
  start=$EPOCHREALTIME
  status=0
  "$runner" run "$data" --playbook playbooks/site.yml --ident "$name" \
    --process-isolation --process-isolation-executable docker --container-image "$image" \
    --container-volume-mount "$root:/runner/project:ro" \
    --container-volume-mount "$root/inventories/demo:/runner/inventory:ro" \
    --container-volume-mount "$secrets:/demo-secrets" \
    --container-volume-mount /var/run/docker.sock:/var/run/docker.sock \
    --container-option=--network=none >"$data/$name.log" 2>&1 || status=$?
  seconds["$name"]="$(awk -v start="$start" -v end="$EPOCHREALTIME" 'BEGIN {printf "%.1f", end - start}')"
  echo "ee-demo: $name run: exit status $status, ${seconds[$name]} s (log: $data/$name.log)"
  sed -n '/^PLAY RECAP/,/^$/p' "$data/$name.log"
  return "$status"
}

declare -A seconds
echo "ee-demo: $image runs playbooks/site.yml on $(echo "$hosts" | wc -w) demo hosts"
rm -rf "$data/artifacts"
run first
run second
changed="$(changed_hosts "$data/second.log")"
if [ "$changed" -ne 0 ]; then
  echo "ee-demo: the second run changed $changed host(s)" >&2
  exit 1
fi
echo "ee-demo: converged in ${seconds[first]} s, second run ${seconds[second]} s with changed=0 on every host"
