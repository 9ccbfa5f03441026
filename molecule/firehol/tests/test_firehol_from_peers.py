"""The firewalls as the other containers, and the docker host that runs Ansible, see them."""

from __future__ import annotations

import socket

import pytest
import testinfra

TIMEOUT = 3
# curl's exit status when nothing answered in time: the SYN was dropped.
DROPPED = 28

FRONTEND, APP, DB = "firehol-frontend", "firehol-app", "firehol-db"


@pytest.fixture(scope="module")
def container(request):
    def get(name):
        return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.option.ansible_inventory)
    return get


def fetch(source, target, port):
    return source.run(f"curl -sS --max-time {TIMEOUT} http://{target}:{port}/")


def address_of(host):
    return host.check_output("hostname -I").split()[0]


@pytest.mark.parametrize("source, target, port", [
    (APP, FRONTEND, 80),      # nginx_firewall_rules: http from anywhere
    (DB, FRONTEND, 443),      # nginx_firewall_rules: https from anywhere
    (FRONTEND, APP, 8080),    # uwsgi_emperor_firewall_rules: tcp/8080 from frontends
    (APP, DB, 3306),          # mariadb_master_master_firewall_rules: tcp/3306 from appservers
    (FRONTEND, APP, 22),      # SSH from firehol_admin_networks (the frontend)
    (FRONTEND, DB, 22),
])
def test_allowed_port_answers(container, source, target, port):
    result = fetch(container(source), target, port)
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == f"{target}:{port}"


@pytest.mark.parametrize("source, target, port", [
    (DB, APP, 8080),          # not a frontend
    (FRONTEND, DB, 3306),     # not an app server
    (APP, FRONTEND, 8080),    # served, but no rule opens it
    (DB, APP, 22),            # not an admin network
    (APP, DB, 22),
])
def test_other_ports_and_sources_are_dropped(container, source, target, port):
    served = fetch(container(target), "127.0.0.1", port)
    assert served.rc == 0, f"nothing serves {target}:{port}, so the test would prove nothing: {served.stderr}"
    result = fetch(container(source), target, port)
    assert result.rc == DROPPED, (result.rc, result.stdout, result.stderr)


BURST = """
import socket, sys
dropped = 0
for _ in range(int(sys.argv[3])):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5).close()
    except OSError:
        dropped += 1
print(dropped)
"""


def test_busy_server_gets_every_new_connection(container):
    # Hundreds of connections a second, as haproxy opens them to an app server: firehol's default flood
    # protection (100/sec, burst 50) drops SYNs here, and each costs the client a second.
    result = container(FRONTEND).run(f"python3 -c '{BURST}' {APP} 8080 500")
    assert result.rc == 0, result.stderr
    assert int(result.stdout) == 0, f"{result.stdout.strip()} of 500 connections were dropped"


def connects_from_here(address, port):
    try:
        with socket.create_connection((address, port), timeout=TIMEOUT):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("target", [FRONTEND, APP, DB])
def test_ssh_stays_open_to_the_controller(container, target):
    # Ansible works through docker exec; the docker host reaches the containers from their gateway.
    assert connects_from_here(address_of(container(target)), 22)


def test_controller_gets_ssh_only(container):
    app = container(APP)
    assert fetch(app, "127.0.0.1", 8080).rc == 0
    assert not connects_from_here(address_of(app), 8080)
