"""A test upstream for the web tier scenarios: answers every request with JSON describing it.

GET/POST/PURGE any path -> 200 {"backend", "method", "path", "headers", "body", "served"}
  with headers "Backend: <hostname>" and "Cache-Control: max-age=<ECHO_MAX_AGE>".
/health -> 200 "ok".  /cookie -> sets a cookie.  /slow?s=N -> answers after N seconds.
The "served" counter tells a cache hit (same number) from a fresh answer.
"""

import itertools
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COUNTER = itertools.count(1)
HOSTNAME = socket.gethostname()
MAX_AGE = int(os.environ.get("ECHO_MAX_AGE", "60"))


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if url.path == "/slow":
            time.sleep(float(parse_qs(url.query).get("s", ["1"])[0]))
        if url.path == "/health":
            payload, content_type = b"ok\n", "text/plain"
        else:
            payload = json.dumps({
                "backend": HOSTNAME,
                "method": self.command,
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body,
                "served": next(COUNTER),
            }).encode()
            content_type = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Backend", HOSTNAME)
        self.send_header("Cache-Control", f"max-age={MAX_AGE}")
        if url.path == "/cookie":
            self.send_header("Set-Cookie", "session=abc; Path=/")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PURGE = _answer

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    ThreadingHTTPServer(("", port), EchoHandler).serve_forever()
