#!/usr/bin/env bash
# The local demo: containers for every host of inventories/demo, then playbooks/site.yml on them.
# Usage: scripts/demo.sh up | down
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
inventory="$root/inventories/demo"
cd "$root"

case "${1:-up}" in
  up)
    "$here/ensure-docker.sh"
    "$here/link-collection.sh"
    if [ -z "${MOLECULE_IMAGE:-}" ]; then
      MOLECULE_IMAGE="$("$here/build-image.sh" bookworm | tail -n 1)"
      export MOLECULE_IMAGE
    fi
    # The demo's secrets: random, made once, kept out of git (production keeps them in a vault file).
    secrets="$root/.cache/demo-secrets.yml"
    if [ ! -f "$secrets" ]; then
      mkdir -p "$(dirname "$secrets")"
      (umask 077 && python3 - >"$secrets" <<'PY'
import base64, secrets
token = lambda: secrets.token_urlsafe(24)
for name in ("varnish_secret", "haproxy_stats_password", "mariadb_master_master_replication_password",
             "mongodb_replset_admin_password", "shop_database_password"):
    print("%s: %s" % (name, token()))
print("haproxy_stats_user: admin")
print("mongodb_replset_keyfile: %s" % base64.b64encode(secrets.token_bytes(96)).decode())
PY
      )
    fi
    ansible-playbook -i "$inventory" molecule/resources/playbooks/demo-containers.yml
    ansible-playbook -i "$inventory" -e "@$secrets" playbooks/site.yml
    echo
    echo "demo: site.yml ran on the containers of $inventory"
    echo "demo: hosts: $(ansible-inventory -i "$inventory" --list | python3 -c \
      'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["_meta"]["hostvars"])))')"
    lb="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' demo-lb1)"
    echo "demo: shop API:   curl -k https://$lb/products/"
    echo "demo: backoffice: curl -k -H 'Host: backoffice.demo' https://$lb/"
    echo "demo: haproxy stats (user admin, password in .cache/demo-secrets.yml):"
    echo "        docker exec demo-lb1 curl -u admin:PASSWORD http://127.0.0.1:8404/stats"
    echo "demo: a shell on one: docker exec -it demo-lb1 bash"
    echo "demo: tear down: make demo-down"
    ;;
  down)
    ansible-playbook -i "$inventory" molecule/resources/playbooks/demo-containers.yml \
      -e webstack_demo_state=absent
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
