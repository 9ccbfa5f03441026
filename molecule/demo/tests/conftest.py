"""Helpers for the demo's end-to-end tests: requests from this machine (outside the containers) to the
frontend over HTTPS, request streams run in a thread, and SQL on the MariaDB masters."""

import http.client
import json
import os
import shlex
import ssl
import subprocess
import threading
import time
import uuid

import pytest

LB, BACKEND1, BACKEND2, BACKOFFICE = "demo-lb1", "demo-backend1", "demo-backend2", "demo-backoffice1"
DB1, DB2 = "demo-db1", "demo-db2"
BACKOFFICE_HOST = "backoffice.demo"


def container_address(name):
    return subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name],
        check=True, capture_output=True, text=True).stdout.strip()


LB_ADDRESS = container_address(LB)


class Answer:
    def __init__(self, response):
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read().decode()

    def json(self):
        return json.loads(self.body)


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
    try:
        connection.request(method, path, body=body, headers=headers)
        return Answer(connection.getresponse())
    finally:
        connection.close()


def unique(prefix="probe"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def uncached_get():
    """A GET the cache cannot answer, so it reaches a backend."""
    return request("GET", f"/products/?{unique()}")


class RequestStream:
    """Sends one request after another in a thread until stopped; records every answer and failure."""

    def __init__(self, send, pause=0.02):
        self.send, self.pause = send, pause
        self.answers, self.failures = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                answer = self.send()
                self.answers.append(answer)
                if answer.status >= 400:
                    self.failures.append(f"{answer.status}: {answer.body[:200]}")
            except OSError as error:
                self.failures.append(repr(error))
            time.sleep(self.pause)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)

    def wait_for(self, count, timeout=120):
        """Until `count` more answers than now have come back."""
        target = len(self.answers) + count
        wait_until(lambda: len(self.answers) >= target, timeout, f"{count} more answers")


def wait_until(predicate, timeout=60, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {message}"
        time.sleep(0.5)


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
