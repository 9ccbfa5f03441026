#!/usr/bin/env bash
# Converge cost as the app tier grows: for each size N of BENCH_SCALE_SIZES (default "3 9 27"), N app
# servers (N-1 backends and the backoffice) with one frontend and a MariaDB pair, in systemd containers of
# the test image; playbooks/site.yml converges them (first run), then again (the idempotent run). For each
# run: wall time, the controller's CPU (ansible-playbook and its forks) and the containers' CPU (their
# cgroups), per host. Then a least-squares fit of each figure against the number of hosts (the per-host
# slope), and the controller's CPU of the last size's idempotent run per role and per task
# (scripts/bench/callback_plugins/converge_profile.py). Figures only; nothing is asserted. The containers
# are removed at the end of each size.
# Usage: scripts/bench-scale.sh   (BENCH_SCALE_SIZES="3 9" for a quicker run)
# BENCH_SCALE_TREE=<checkout> converges with another checkout's site.yml and demo group_vars (an older
# commit, to compare), its figures kept apart under .cache/bench/scale/<commit>. BENCH_SCALE_KEEP=1 leaves
# the containers of the last size running (to profile a run against its hosts.yml).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
tree="$(cd "${BENCH_SCALE_TREE:-$root}" && pwd)"
results="$root/.cache/bench/scale"
[ "$tree" = "$root" ] || results="$results/$(git -C "$tree" rev-parse --short HEAD)"
mkdir -p "$results"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CALLBACK_PLUGINS="$here/bench/callback_plugins" ANSIBLE_CALLBACKS_ENABLED=converge_profile
sizes="${BENCH_SCALE_SIZES:-3 9 27}"
network=webstack-scale

"$here/ensure-docker.sh"
"$tree/scripts/link-collection.sh"
for tool in time bc; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/bin/$tool" ] \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
done
image="${MOLECULE_IMAGE:-$("$here/build-image.sh" bookworm | tail -n 1)}"

containers_cpu() {  # total CPU seconds of the scale containers so far (cgroup v2 or v1)
  local total=0 id usage
  for id in $(docker ps -q --filter "network=$network" --no-trunc); do
    usage=""
    for file in "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat" \
                "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage" \
                "/sys/fs/cgroup/cpuacct/system.slice/docker-$id.scope/cpuacct.usage"; do
      if [ -r "$file" ]; then
        case "$file" in
          *cpu.stat) usage=$(awk '/^usage_usec/ {printf "%d", $2 * 1000}' "$file") ;;
          *) usage=$(cat "$file") ;;
        esac
        break
      fi
    done
    total=$((total + ${usage:-0}))
  done
  echo "$total"
}

remove_containers() {
  docker ps -aq --filter "network=$network" | xargs -r docker rm -f >/dev/null
  docker network rm "$network" >/dev/null 2>&1 || true
}

echo "size hosts run wall_s controller_cpu_s containers_cpu_s" >"$results/figures.txt"
for size in $sizes; do
  remove_containers
  workdir="$results/size-$size"
  rm -rf "$workdir" && mkdir -p "$workdir"
  backends=""
  for index in $(seq 1 $((size - 1))); do backends="$backends            scale-app$index:"$'\n'; done
  cat >"$workdir/hosts.yml" <<HOSTS
all:
  children:
    frontends:
      hosts:
        scale-lb1:
    appservers:
      children:
        backends:
          hosts:
${backends}        backoffice:
          hosts:
            scale-office1:
    mariadb:
      hosts:
        scale-db1:
        scale-db2:
HOSTS
  ln -s "$tree/inventories/demo/group_vars" "$workdir/group_vars"
  names="scale-lb1 scale-db1 scale-db2 scale-office1"
  for index in $(seq 1 $((size - 1))); do names="$names scale-app$index"; done
  hosts=$(wc -w <<<"$names")

  echo "bench-scale: $size app servers, $hosts containers"
  docker network create "$network" >/dev/null
  for name in $names; do
    docker run -d --name "$name" --hostname "$name" --network "$network" --network-alias "$name" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns host \
      --stop-signal SIGRTMIN+3 -e container=docker "$image" /lib/systemd/systemd >/dev/null
  done
  for name in $names; do
    until docker exec "$name" systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded'; do sleep 1; done
  done

  for run in first second; do
    before=$(containers_cpu)
    start=$(date +%s.%N)
    ( cd "$tree" && WEBSTACK_PROFILE_OUTPUT="$workdir/profile-$run.json" \
        /usr/bin/time -f "%U %S" -o "$workdir/time-$run.txt" \
        ansible-playbook -i "$workdir/hosts.yml" playbooks/site.yml >"$workdir/converge-$run.log" 2>&1 ) \
      || { echo "bench-scale: the $run converge failed, see $workdir/converge-$run.log" >&2; exit 1; }
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    after=$(containers_cpu)
    controller=$(awk '{printf "%.1f", $1 + $2}' "$workdir/time-$run.txt")
    containers=$(echo "scale=1; ($after - $before) / 1000000000" | bc)
    printf '%s %s %s %.1f %s %s\n' "$size" "$hosts" "$run" "$wall" "$controller" "$containers" \
      | tee -a "$results/figures.txt"
  done
  if [ "${BENCH_SCALE_KEEP:-0}" != 1 ] || [ "$size" != "${sizes##* }" ]; then
    remove_containers
  fi
done

python3 "$here/bench/scale_report.py" "$results/figures.txt"
