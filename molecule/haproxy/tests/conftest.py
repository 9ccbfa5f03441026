"""Helpers shared by the haproxy tests: the other containers and haproxy's runtime API."""

import csv
import io
import time

LB = "haproxy-lb"
ADMIN_SOCKET = "/run/haproxy/admin.sock"


def other_host(host, name):
    """Another container of the scenario, through the inventory Molecule gave testinfra."""
    return host.get_host(f"ansible://{name}", ansible_inventory=host.backend.ansible_inventory)


def runtime_api(lb, command):
    """Run one runtime API command on the balancer's admin socket and return its answer."""
    return lb.check_output(f"echo '{command}' | socat stdio {ADMIN_SOCKET}")


def server_stats(lb, proxy):
    """{server name: row of `show stat`} for one proxy."""
    table = runtime_api(lb, "show stat").lstrip("# ")
    rows = csv.DictReader(io.StringIO(table))
    return {row["svname"]: row for row in rows if row["pxname"] == proxy and row["svname"] not in ("FRONTEND", "BACKEND")}


def wait_for_status(lb, proxy, server, status, timeout=30):
    """Wait until haproxy reports the server in this status (UP, DOWN, MAINT); return its row."""
    deadline = time.monotonic() + timeout
    while True:
        row = server_stats(lb, proxy)[server]
        if row["status"] == status:
            return row
        assert time.monotonic() < deadline, f"{proxy}/{server} is {row['status']} ({row['check_status']}), not {status}"
        time.sleep(0.5)


def wait_until(predicate, timeout=60, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {message}"
        time.sleep(0.5)
