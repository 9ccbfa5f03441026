#!/usr/bin/env bash
# The local demo: one container per host of inventories/demo, built by playbooks/site.yml. It is the
# Molecule scenario molecule/demo (which `make molecule` also tests end to end), left running.
# Usage: scripts/demo.sh up | down
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secrets="$HOME/.cache/scalable-webstack/demo-secrets"

case "${1:-up}" in
  up)
    # Molecule remembers having created the containers; when they are gone (removed by hand, or by a
    # test run of the same scenario from another checkout), forget it so that create makes them again.
    if ! docker inspect demo-lb1 >/dev/null 2>&1; then
      "$here/molecule.sh" destroy -s demo >/dev/null
    fi
    "$here/molecule.sh" create -s demo
    "$here/molecule.sh" converge -s demo
    lb="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' demo-lb1)"
    cat <<TEXT

demo: playbooks/site.yml built inventories/demo on these containers:
        $(docker ps --filter network=webstack-demo --format '{{.Names}}' | sort | tr '\n' ' ')
demo: shop API (self-signed certificate):  curl -k https://$lb/products/
demo: add a product:  curl -k -H 'Content-Type: application/json' -d '{"name": "tea", "price": 4.5}' https://$lb/products/
demo: backoffice:     curl -k -H 'Host: backoffice.demo' https://$lb/
demo: haproxy stats on the frontend (user admin, password in $secrets/haproxy_stats_password):
        docker exec demo-lb1 curl -s -u "admin:\$(cat $secrets/haproxy_stats_password)" 'http://127.0.0.1:8404/stats;csv'
demo: rolling deploy: ansible-playbook -i inventories/demo playbooks/deploy.yml -e shop_release=2
demo: a shell on a host: docker exec -it demo-backend1 bash
demo: tear down: make demo-down
TEXT
    ;;
  down)
    "$here/molecule.sh" destroy -s demo
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
