"""Every demo host restarts (systemd boots again in each container): every service comes back by itself,
the firewalls are active, replication runs both ways again, and the chain serves, seen from outside.
Last of the demo's tests (conftest.MODULE_ORDER)."""

import subprocess
import time

import pytest

from conftest import (BACKEND1, BACKEND2, BACKOFFICE, BACKOFFICE_HOST, DB1, DB2, HOSTS, LB, MONGO, container_address,
                      docker_exec, other_host, product_names, request, sql, uncached_get, unique)
from request_stream import eventually, wait_until

testinfra_hosts = ["ansible://demo-lb1"]

UNITS = {
    LB: ["nginx", "varnish", "haproxy", "firehol"],
    BACKEND1: ["uwsgi-emperor", "haproxy", "firehol"],
    BACKEND2: ["uwsgi-emperor", "haproxy", "firehol"],
    BACKOFFICE: ["uwsgi-emperor", "haproxy", "firehol"],
    DB1: ["mariadb", "firehol"],
    DB2: ["mariadb", "firehol"],
    **{member: ["firehol"] for member in MONGO},
}
# Generous: nine containers boot at once on a shared machine, and a replica retries its primary every minute.
DEADLINE = 600


@pytest.fixture(scope="module")
def rebooted():
    addresses = {name: container_address(name) for name in HOSTS}
    # All at once, as a power cut and its return would: `docker stop` shuts the hosts down in parallel (systemd
    # stops its units in each), `docker start` boots them again; `docker restart` would take them one by one.
    subprocess.run(["docker", "stop", "--time", "60", *HOSTS], check=True, capture_output=True, timeout=300)
    subprocess.run(["docker", "start", *HOSTS], check=True, capture_output=True, timeout=300)
    # Right after a start systemctl may find no bus to ask yet: asked again until systemd says it booted.
    for name in HOSTS:
        wait_until(lambda name=name: docker_exec(name, "systemctl is-system-running").stdout.strip()
                   in ("running", "degraded"), DEADLINE, f"{name} booted")
    # The hosts keep their addresses, as real ones would (the firewalls and the pools name them).
    assert {name: container_address(name) for name in HOSTS} == addresses
    return addresses


@pytest.mark.parametrize("name", HOSTS)
def test_every_service_came_back_by_itself(rebooted, name):
    def inactive():
        states = docker_exec(name, "systemctl is-active " + " ".join(UNITS[name])).stdout.split()
        return {unit: state for unit, state in zip(UNITS[name], states) if state != "active"}

    def failed():
        return docker_exec(name, "systemctl list-units --failed --plain --no-legend").stdout.strip()
    wait_until(lambda: not inactive(), DEADLINE, f"every service active on {name}")
    # A unit that tries again after a failure (varnishncsa while varnishd starts) gets a minute to succeed.
    deadline = time.monotonic() + 60
    while failed() and time.monotonic() < deadline:
        time.sleep(1)
    assert failed() == "", f"failed units on {name}: {failed()}"


@pytest.mark.parametrize("name", HOSTS)
def test_the_firewall_is_active_again(rebooted, name):
    rules = docker_exec(name, "iptables-legacy -S INPUT")
    assert rules.returncode == 0, rules.stderr
    assert "-P INPUT DROP" in rules.stdout.splitlines(), rules.stdout


def test_replication_runs_both_ways_again(rebooted, host):
    db1, db2 = other_host(host, DB1), other_host(host, DB2)
    for source, replica in ((db1, db2), (db2, db1)):
        name = unique("after-reboot")
        eventually(lambda: sql(source, f"INSERT INTO shop.products (name, price) VALUES ('{name}', 1)") == [],
                   DEADLINE, f"a write on {source.backend.host}")
        wait_until(lambda: name in product_names(replica), DEADLINE, f"{name} replicated to {replica.backend.host}")


def test_the_chain_serves_from_outside(rebooted):
    eventually(lambda: {uncached_get().headers["backend"] for dummy in range(6)} == {BACKEND1, BACKEND2},
               DEADLINE, "both backends answering through the chain")
    eventually(lambda: request("GET", "/", host=BACKOFFICE_HOST).headers["backend"] == BACKOFFICE,
               DEADLINE, "the backoffice answering through the chain")
    created = request("POST", "/products/", document={"name": unique("after-reboot"), "price": 2})
    assert created.status == 201, created.body
