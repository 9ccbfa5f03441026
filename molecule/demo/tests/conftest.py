"""Helpers for the demo's end-to-end tests: requests from this machine (outside the containers) to the
frontend over HTTPS, request streams run in a thread, haproxy's view of its servers, playbooks run on the
demo, and SQL on the MariaDB masters."""

import csv
import http.client
import io
import json
import os
import re
import shlex
import ssl
import subprocess
import threading
import time
import uuid

import pytest
from request_stream import wait_until

LB, BACKEND1, BACKEND2, BACKOFFICE = "demo-lb1", "demo-backend1", "demo-backend2", "demo-backoffice1"
DB1, DB2 = "demo-db1", "demo-db2"
MONGO = ["demo-mongo1", "demo-mongo2", "demo-mongo3"]
HOSTS = [LB, BACKEND1, BACKEND2, BACKOFFICE, DB1, DB2, *MONGO]
BACKOFFICE_HOST = "backoffice.demo"
# haproxy's pools on the frontend (playbooks/vars/wiring.yml): pool -> the port its servers' app listens on.
POOLS = {"shop": 8080, "backoffice": 8081}
POOL_OF = {BACKEND1: "shop", BACKEND2: "shop", BACKOFFICE: "backoffice"}
ADMIN_SOCKET = "/run/haproxy/admin.sock"
# The demo's tests run in this order: the whole-stack runs first, while the demo is as site.yml left it;
# the deploys change the release; the reboot restarts every container, last. Unlisted files run before it.
MODULE_ORDER = ["test_chain", "test_check_mode", "test_data", "test_deploy", "test_failover", "test_firewall",
                "test_mongodb", "test_reboot"]


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.module.__name__.rpartition(".")[2]
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER) - 1.5
    items.sort(key=rank)  # stable: the tests of one file keep their order


def container_address(name):
    return subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name],
        check=True, capture_output=True, text=True).stdout.strip()


LB_ADDRESS = container_address(LB)


def docker_exec(name, command, timeout=120):
    """A shell command run as root in a container, straight through docker (no Ansible round trip)."""
    return subprocess.run(["docker", "exec", name, "sh", "-c", command], capture_output=True, text=True,
                          timeout=timeout, check=False)


class Answer:
    def __init__(self, response, sent=None):
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read().decode()
        self.sent, self.received = sent, time.time()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} from {self.headers.get('backend')} release {self.headers.get('release')}>"


def request(method, path, *, host=None, document=None, scheme="https", timeout=30):
    """One request from this machine to the frontend, the way a browser would send it."""
    if scheme == "https":
        connection = http.client.HTTPSConnection(LB_ADDRESS, timeout=timeout,
                                                 context=ssl._create_unverified_context())  # self-signed
    else:
        connection = http.client.HTTPConnection(LB_ADDRESS, timeout=timeout)
    headers = {"Host": host or "shop.demo"}
    body = None
    if document is not None:
        body = json.dumps(document)
        headers["Content-Type"] = "application/json"
    sent = time.time()
    try:
        connection.request(method, path, body=body, headers=headers)
        return Answer(connection.getresponse(), sent)
    finally:
        connection.close()


def unique(prefix="probe"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def uncached_get():
    """A GET the cache cannot answer, so it reaches a backend."""
    return request("GET", f"/products/?{unique()}")


def haproxy_servers():
    """{(pool, server): status} of the frontend's haproxy, from `show stat` on its admin socket."""
    result = docker_exec(LB, f"echo 'show stat' | socat stdio {ADMIN_SOCKET}")
    assert result.returncode == 0, result.stderr
    rows = csv.DictReader(io.StringIO(result.stdout.lstrip("# ")))
    return {(row["pxname"], row["svname"]): row["status"] for row in rows
            if row["pxname"] in POOLS and row["svname"] not in ("FRONTEND", "BACKEND")}


def is_up(status):
    """In the pool: UP, or "UP 1/3" right after "enable server" (haproxy starts it up and checks it at once)
    or after a failed check that has not taken it down yet."""
    return status.split()[0] == "UP"


def is_drained(status):
    """DRAIN: no new request (set by the deploy first); MAINT: disabled, whatever its checks say."""
    return status.split()[0] in ("DRAIN", "MAINT")


# Runs inside the frontend container: every round, haproxy's state of each server (admin socket), then
# what each server's app answers on its own port (its Release header, or the error). One JSON line per
# round; stops when its standard input closes.
SAMPLER = r"""
import csv, http.client, io, json, socket, sys, threading, time
servers = json.loads(sys.argv[1])
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

def show_stat():
    with socket.socket(socket.AF_UNIX) as admin:
        admin.connect("/run/haproxy/admin.sock")
        admin.sendall(b"show stat\n")
        data = b"".join(iter(lambda: admin.recv(65536), b""))
    rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
    return {row["svname"]: row["status"] for row in rows if row["svname"] in servers}

def probe(server, port):
    connection = http.client.HTTPConnection(server, port, timeout=5)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        return "%s %s" % (response.status, response.getheader("Release"))
    except Exception as error:
        return "error %s" % type(error).__name__
    finally:
        connection.close()

while not stop.is_set():
    started = time.time()
    try:
        states = show_stat()
    except OSError as error:
        states = {server: "unreadable %s" % error for server in servers}
    probes = {server: probe(server, port) for server, port in servers.items()}
    print(json.dumps({"t": started, "done": time.time(), "states": states, "probes": probes}), flush=True)
    time.sleep(0.2)
"""


class Sample:
    def __init__(self, line):
        data = json.loads(line)
        self.t, self.done, self.states, self.probes = data["t"], data["done"], data["states"], data["probes"]

    def __repr__(self):
        return f"{time.strftime('%H:%M:%S', time.localtime(self.t))} {self.states} {self.probes}"


class HaproxySampler:
    """Rounds of (haproxy's state of each server, what each server's app answers) taken on the frontend
    while a block runs: what a deploy did, in order."""

    def __init__(self):
        self.servers = {server: POOLS[pool] for server, pool in POOL_OF.items()}
        self.samples = []

    def __enter__(self):
        self._process = subprocess.Popen(
            ["docker", "exec", "-i", LB, "python3", "-u", "-c", SAMPLER, json.dumps(self.servers)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: self.samples or self._process.poll() is not None, 60, "the first sample")
        assert self.samples, f"the sampler did not start: {self._process.stderr.read()}"
        return self

    def _read(self):
        for line in self._process.stdout:
            self.samples.append(Sample(line))

    def __exit__(self, *exc):
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._reader.join(timeout=60)


def playbook(project_dir, name, *extra_args, timeout=1800):
    """playbooks/<name> with the inventory and ansible.cfg Molecule wrote for this scenario."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_COLLECTIONS_PATH=os.path.join(project_dir, ".cache", "collections"))
    started = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", "-i", os.path.join(ephemeral, "inventory"),
         os.path.join(project_dir, "playbooks", name), *extra_args],
        capture_output=True, text=True, check=False, cwd=project_dir, env=env, timeout=timeout)
    result.seconds = round(time.monotonic() - started)
    return result


def play_recap(output):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from a playbook's PLAY RECAP."""
    # Only the lines with counts: profile_tasks prints "role : task ---- 1.23s" lines after the recap.
    recap = output.rpartition("PLAY RECAP")[2]
    return {match.group(1): dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2)))
            for match in re.finditer(r"^(\S+)\s+:\s+(ok=\d+\s.*)$", recap, re.M)}


def other_host(host, name):
    """Another container of the scenario, through the inventory Molecule gave testinfra."""
    return host.get_host(f"ansible://{name}", ansible_inventory=host.backend.ansible_inventory)


def sql(db_host, query):
    """Rows (tuples of strings) of a query run as root on a MariaDB host, through its unix socket."""
    result = db_host.run("mariadb --batch --skip-column-names -e " + shlex.quote(query))
    assert result.rc == 0, result.stderr
    return [tuple(line.split("\t")) for line in result.stdout.splitlines()]


def product_names(db_host):
    return {row[0] for row in sql(db_host, "SELECT name FROM shop.products")}


def table_digest(db_host):
    return sql(db_host, "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, name, price))), 0)"
                        " FROM shop.products")


@pytest.fixture(scope="session")
def project_dir():
    return os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                          os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
