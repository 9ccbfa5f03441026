"""Wait until a uWSGI vassal has loaded its app, then until it answers its health URL.

The scalable.webstack.uwsgi_emperor role runs this after it changed a vassal. By hand:

    python3 vassal_check.py --address 127.0.0.1:8080 --path /health
    python3 vassal_check.py --address /run/uwsgi/shop.sock --protocol uwsgi --path /products/

With --log, the vassal's log from --log-offset on must first show the app loaded ("WSGI app 0
(mountpoint='') ready"); a vassal that gave up ("no app loaded. GAME OVER", a strict-mode error)
fails at once. Then the path is requested over the vassal's own socket, in HTTP or in the uwsgi
protocol, until it answers 200. Exit status 0 with the answer on stdout; 1 with the reason and the
vassal's new log lines otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import re
import socket
import struct
import sys
import time

LOADED = re.compile(r"WSGI app \d+ \(mountpoint='[^']*'\) ready")
GAVE_UP = re.compile(r"no app loaded\. GAME OVER|\[strict-mode\]|unable to load configuration")
LOG_LINES_SHOWN = 40


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket."""

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def local_endpoint(address: str) -> tuple[int, object]:
    """(socket family, address to connect to) for a uWSGI bind address; wildcards become loopback."""
    if address.startswith("/"):
        return socket.AF_UNIX, address
    host, dummy, port = address.rpartition(":")
    if host in ("", "*", "0.0.0.0"):
        return socket.AF_INET, ("127.0.0.1", int(port))
    if host in ("[::]", "::"):
        return socket.AF_INET6, ("::1", int(port))
    host = host.strip("[]")
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, int(port))


def http_get(address: str, path: str, timeout: float) -> tuple[int, str]:
    family, endpoint = local_endpoint(address)
    if family == socket.AF_UNIX:
        connection = UnixHTTPConnection(endpoint, timeout)
    else:
        connection = http.client.HTTPConnection(endpoint[0], endpoint[1], timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def uwsgi_packet(path: str) -> bytes:
    """A GET request in the uwsgi protocol: a 4-byte header, then length-prefixed CGI variables."""
    route, dummy, query = path.partition("?")
    variables = {
        "REQUEST_METHOD": "GET", "REQUEST_URI": path, "PATH_INFO": route, "QUERY_STRING": query,
        "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1",
    }
    body = b"".join(
        struct.pack("<H", len(key)) + key + struct.pack("<H", len(value)) + value
        for key, value in ((k.encode(), v.encode()) for k, v in variables.items()))
    return struct.pack("<BHB", 0, len(body), 0) + body


def uwsgi_get(address: str, path: str, timeout: float) -> tuple[int, str]:
    family, endpoint = local_endpoint(address)
    with socket.socket(family, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(endpoint)
        connection.sendall(uwsgi_packet(path))
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks).decode("utf-8", "replace")
    head, dummy, body = answer.partition("\r\n\r\n")
    status_line = head.split("\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise OSError(f"not an HTTP answer: {answer[:80]!r}")
    return int(status_line[1]), body


def new_log(path: str, offset: int) -> str:
    """What the vassal logged from offset on (from the start when the log was truncated since)."""
    try:
        with open(path, "rb") as log:
            log.seek(0, 2)
            log.seek(offset if offset <= log.tell() else 0)
            return log.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_for_load(log: str, offset: int, deadline: float) -> str:
    """'' once the app is loaded, or the reason it is not."""
    while True:
        text = new_log(log, offset)
        if LOADED.search(text):
            return ""
        gave_up = GAVE_UP.search(text)
        if gave_up:
            return f"the vassal gave up: {gave_up.group(0)}"
        if time.monotonic() > deadline:
            return "the vassal did not report its app loaded in time"
        time.sleep(0.5)


def wait_for_health(args: argparse.Namespace, deadline: float) -> tuple[str, str]:
    """('', answer) once the path answers 200, or (reason, last answer)."""
    get = http_get if args.protocol == "http" else uwsgi_get
    while True:
        try:
            status, body = get(args.address, args.path, timeout=5)
            if status == 200:
                return "", body
            problem, last = f"GET {args.path} answered {status}", body
        except OSError as error:
            problem, last = f"GET {args.path} failed: {error}", ""
        if time.monotonic() > deadline:
            return problem, last
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--address", required=True, help="the vassal's socket: host:port or a unix socket path")
    parser.add_argument("--protocol", choices=["http", "uwsgi"], default="http")
    parser.add_argument("--path", default="/health", help="path to GET; empty to only wait for the app to load")
    parser.add_argument("--log", help="the vassal's log file (logto)")
    parser.add_argument("--log-offset", type=int, default=0, help="size of the log before the change")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait in all")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout

    problem, answer = "", ""
    if args.log:
        problem = wait_for_load(args.log, args.log_offset, deadline)
    if not problem and args.path:
        problem, answer = wait_for_health(args, deadline)
    if not problem:
        print(f"GET {args.path} answered 200: {answer.strip()[:200]}" if args.path else "app loaded")
        return 0

    print(f"{problem}{' (last answer: ' + answer.strip()[:200] + ')' if answer.strip() else ''}")
    if args.log:
        lines = new_log(args.log, args.log_offset).splitlines()[-LOG_LINES_SHOWN:]
        print(f"last {len(lines)} lines the vassal logged since the change ({args.log}):")
        print("\n".join(lines))
    return 1


if __name__ == "__main__":
    sys.exit(main())
