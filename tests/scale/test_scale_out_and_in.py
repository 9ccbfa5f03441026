"""An app server added to the running demo, then retired, while two request streams run through the chain
(`make demo-scale`: the demo must be up). Adding: site.yml with demo-backend3 in the backends; it joins the
pool once healthy, gets its share of the requests, writes to MariaDB through its own haproxy, and no request
fails. Retiring: playbooks/retire.yml drains it first, then the pool, the databases' accounts and every
firewall lose it, and no request fails."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEW = "demo-backend3"
WORK = ROOT / ".cache" / "scale"


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check).stdout.strip()


def address(name: str) -> str:
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name)


def request(method: str, path: str, host: str = "shop.demo", document=None):
    connection = http.client.HTTPSConnection(address("demo-lb1"), timeout=30,
                                             context=ssl._create_unverified_context())  # self-signed
    try:
        body = json.dumps(document) if document is not None else None
        headers = {"Host": host, **({"Content-Type": "application/json"} if body else {})}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {key.lower(): value for key, value in response.getheaders()}, response.read()
    finally:
        connection.close()


class Stream:
    """Requests one after another in a thread; every answer's backend, and every failure, whatever it is."""

    def __init__(self, send):
        self.send, self.backends, self.failures = send, [], []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                status, headers, body = self.send()
                self.backends.append(headers.get("backend"))
                if status >= 400:
                    self.failures.append("%s: %s" % (status, body[:200]))
            except Exception as error:  # noqa: BLE001 - any failure of a request is a lost request
                self.failures.append(repr(error))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(60)


def streams():
    return (Stream(lambda: request("GET", "/products/?%s" % uuid.uuid4().hex)),
            Stream(lambda: request("GET", "/", host="backoffice.demo")))


def playbook(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    started = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", str(WORK / "inventory"), *args], capture_output=True,
                            text=True, cwd=ROOT, env=env, check=False)
    print("%s: %.0f s" % (" ".join(args[:1]), time.monotonic() - started))
    return result


def wait_until(predicate, timeout=180, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(1)


def pool_states() -> dict[str, str]:
    stats = docker("exec", "demo-lb1", "sh", "-c", "echo 'show stat' | socat /run/haproxy/admin.sock stdio")
    return {row[1]: row[17] for row in (line.split(",") for line in stats.splitlines()) if row[0] == "shop"}


def sql(db: str, query: str) -> list[str]:
    return docker("exec", db, "mariadb", "--batch", "--skip-column-names", "-e", query).splitlines()


@pytest.fixture(scope="module")
def inventory():
    """The demo's inventory with demo-backend3 in the backends, and its container started."""
    assert docker("inspect", "demo-lb1", check=False), "the demo is not running: make demo first"
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "inventory").mkdir(parents=True)
    hosts = (ROOT / "inventories" / "demo" / "hosts.yml").read_text()
    (WORK / "inventory" / "hosts.yml").write_text(hosts.replace(
        "            demo-backend2:\n", "            demo-backend2:\n            %s:\n" % NEW))
    (WORK / "inventory" / "group_vars").symlink_to(ROOT / "inventories" / "demo" / "group_vars")
    image = docker("inspect", "-f", "{{.Config.Image}}", "demo-backend1")
    docker("rm", "-f", NEW, check=False)
    docker("run", "-d", "--name", NEW, "--hostname", NEW, "--network", "webstack-demo", "--network-alias", NEW,
           "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
           "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
           "--cgroupns", "host", "--stop-signal", "SIGRTMIN+3", "-e", "container=docker", image, "/lib/systemd/systemd")
    wait_until(lambda: docker("exec", NEW, "systemctl", "is-system-running", check=False) in ("running", "degraded"),
               120, "systemd in " + NEW)
    yield
    docker("rm", "-f", NEW, check=False)


def test_an_added_app_server_joins_under_load_and_no_request_fails(inventory):
    shop, office = streams()
    with shop, office:
        result = playbook("playbooks/site.yml")
        assert result.returncode == 0, result.stdout[-4000:]
        wait_until(lambda: pool_states().get(NEW) == "UP", what=NEW + " UP in the shop pool")
        count = len(shop.backends)
        wait_until(lambda: shop.backends[count:].count(NEW) >= 5, what=NEW + " answering its share")
    assert shop.failures == [] and office.failures == []
    share = shop.backends[count:]
    assert {"demo-backend1", "demo-backend2", NEW} <= set(share)
    # Its writes reach MariaDB through its own haproxy on 127.0.0.1:3306.
    name = "scale-" + uuid.uuid4().hex[:8]
    wait_until(lambda: request("POST", "/products/", document={"name": name, "price": 1})[1].get("backend") == NEW,
               60, "a write served by " + NEW)
    assert sql("demo-db2", "SELECT name FROM shop.products WHERE name LIKE 'scale-%'")


def test_a_retired_app_server_is_drained_then_forgotten_and_no_request_fails(inventory):
    new_address = address(NEW)
    shop, office = streams()
    with shop, office:
        result = playbook("playbooks/retire.yml", "-e", "webstack_retire=" + NEW)
        assert result.returncode == 0, result.stdout[-4000:]
        count = len(shop.backends)
        time.sleep(10)
    assert shop.failures == [] and office.failures == []
    assert NEW not in shop.backends[count:]
    assert NEW not in pool_states()
    assert NEW not in docker("exec", "demo-lb1", "cat", "/etc/haproxy/haproxy.cfg")
    for db in ("demo-db1", "demo-db2"):
        assert new_address not in sql(db, "SELECT Host FROM mysql.user"), db + " kept an account for " + NEW
        assert new_address not in docker("exec", db, "iptables-legacy", "-S"), db + "'s firewall still lets it in"
    # Dropped, not refused: mariadbd listens, the firewall says nothing.
    probe = subprocess.run(["docker", "exec", NEW, "timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/demo-db1/3306"],
                           capture_output=True, check=False)
    assert probe.returncode == 124
