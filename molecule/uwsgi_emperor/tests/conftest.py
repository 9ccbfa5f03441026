"""Helpers shared by the uwsgi_emperor tests."""

import json
import shlex
import time

API, OFFICE, DB = "uwsgi-api", "uwsgi-office", "uwsgi-db"


def other_host(host, name):
    """Another container of the scenario, through the inventory Molecule gave testinfra."""
    return host.get_host(f"ansible://{name}", ansible_inventory=host.backend.ansible_inventory)


def wait_until(predicate, timeout=60, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {message}"
        time.sleep(0.5)


class Answer:
    """An HTTP answer fetched with curl: status, lower-case headers, body."""

    def __init__(self, raw):
        head, dummy, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, dummy, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def json(self):
        return json.loads(self.body)


def http(host, url, *curl_args):
    """One request with curl on `host` (no redirects followed); fails when nothing answers."""
    command = "curl -sS --max-time 10 -i " + " ".join(shlex.quote(arg) for arg in (*curl_args, url))
    result = host.run(command)  # not check_output: it strips the body's last newline
    assert result.rc == 0, result.stderr
    return Answer(result.stdout)


def post_json(host, url, document):
    return http(host, url, "-H", "Content-Type: application/json", "--data-binary", json.dumps(document))
