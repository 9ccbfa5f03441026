#!/usr/bin/env bash
# Make sure a Docker daemon answers. On a fresh Debian machine without systemd as PID 1,
# install Debian's docker.io and start dockerd in the background, logging to a file.
set -euo pipefail

log_file="${DOCKERD_LOG:-/var/log/dockerd.log}"
wait_seconds="${DOCKERD_WAIT:-60}"

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd (log: $log_file)"
  # Without any descriptor of ours but stdio: a lock the caller holds (the Molecule scenario locks, fd 3
  # of flock) would otherwise be held by the daemon for as long as it runs, and wait out every later run.
  (
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec nohup setsid /usr/sbin/dockerd >>"$log_file" 2>&1 </dev/null
  ) &
fi

for _ in $(seq "$wait_seconds"); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-docker: daemon ready"
    exit 0
  fi
  sleep 1
done

echo "ensure-docker: dockerd did not answer within ${wait_seconds}s; last lines of $log_file:" >&2
tail -n 30 "$log_file" >&2 || true
exit 1
