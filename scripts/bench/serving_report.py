"""Prints the serving benchmark from wrk's outputs: one line per target ("name path" on stdin), then the
ratios the defaults are tuned for."""

import os
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
LABELS = {
    "nginx_static": "static file from nginx (HTTPS)",
    "chain_cached": "API GET, nginx -> varnish HIT",
    "chain_uncached": "API GET, whole chain, uncached",
    "uwsgi_direct": "API GET straight to one uWSGI",
}


def milliseconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rate:
        return None
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rate": float(rate.group(1)),
        "p50": milliseconds(percentiles["50"]),
        "p99": milliseconds(percentiles["99"]),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main(connections, duration):
    figures = {}
    print(f"serving speed of the demo stack: wrk, {connections} connections, {duration} per target, "
          f"{os.cpu_count()} cores shared by every container and wrk")
    print(f"  {'target':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for line in sys.stdin:
        name, path = line.split()
        result = figures[name] = parse(path)
        if result is None:
            print(f"  {LABELS[name]:34} {'failed, see ' + path}")
            continue
        socket_errors = result["socket_errors"]
        if name == "uwsgi_direct":  # wrk counts each connection the server closes as a read error
            socket_errors = re.sub(r"read \d+, ", "", socket_errors)
        problems = f"{result['errors']} non-2xx/3xx {socket_errors}".strip()
        print(f"  {LABELS[name]:34} {result['rate']:9.0f} {result['p50']:8.2f} {result['p99']:8.2f}  {problems}")
    for label, top, bottom, goal in (("cached chain / nginx static", "chain_cached", "nginx_static", 0.5),
                                     ("uncached chain / direct uWSGI", "chain_uncached", "uwsgi_direct", 1.0)):
        if figures.get(top) and figures.get(bottom):
            value = figures[top]["rate"] / figures[bottom]["rate"]
            print(f"  {label:34} {value:9.2f}  (goal: at least {goal})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
