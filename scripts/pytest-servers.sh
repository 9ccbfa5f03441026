#!/usr/bin/env bash
# The modules against real servers started by the tests themselves (tests/servers): installs
# Debian's mariadb-server on this machine when mariadbd is missing; its own service is not used.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "pytest-servers: installing Debian's mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq mariadb-server >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq mariadb-server >/dev/null; }
fi
"$root/scripts/link-collection.sh"
cd "$root"
PYTHONPATH="$root/.cache/collections${PYTHONPATH:+:$PYTHONPATH}" exec pytest -p no:cacheprovider tests/servers "$@"
