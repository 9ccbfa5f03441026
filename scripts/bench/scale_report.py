"""The table of scripts/bench-scale.sh: each size's figures per run and per host, then a least-squares line
of each figure against the number of hosts (the slope is what one more host costs), then where the
controller's CPU of the largest size's idempotent run went, per role and per task (from the profile the
converge_profile callback wrote)."""

from __future__ import annotations

import collections
import json
import os
import sys


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points."""
    count = len(points)
    mean_x = sum(x for x, dummy in points) / count
    mean_y = sum(y for dummy, y in points) / count
    spread = sum((x - mean_x) ** 2 for x, dummy in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return slope, mean_y - slope * mean_x


def main(path: str) -> None:
    rows = [line.split() for line in open(path).read().splitlines()[1:] if line.strip()]
    print("%-5s %-6s %-7s %9s %12s %12s %14s %14s" % (
        "size", "hosts", "run", "wall s", "ctrl CPU s", "cont CPU s", "ctrl CPU/host", "cont CPU/host"))
    for size, hosts, run, wall, controller, containers in rows:
        hosts_n = int(hosts)
        print("%-5s %-6s %-7s %9s %12s %12s %14.2f %14.2f" % (
            size, hosts, run, wall, controller, containers, float(controller) / hosts_n, float(containers) / hosts_n))
    print()
    for run in ("first", "second"):
        chosen = [row for row in rows if row[2] == run]
        if len(chosen) < 2:
            continue
        for column, name in ((3, "wall s"), (4, "controller CPU s"), (5, "containers CPU s")):
            slope, intercept = fit([(float(row[1]), float(row[column])) for row in chosen])
            print("%-6s %-17s = %6.2f + %5.2f x hosts" % (run, name, intercept, slope))
    if rows:
        controller_profile(os.path.join(os.path.dirname(path), "size-%s" % rows[-1][0], "profile-second.json"))


def controller_profile(path: str, top: int = 20) -> None:
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as handle:
        tasks = json.load(handle)["task_controller_cpu_seconds"]
    roles: collections.Counter = collections.Counter()
    for name, figures in tasks.items():
        roles[name.split(": ", 1)[0]] += figures["cpu"]
    print()
    print("idempotent run, controller CPU by role (%s):" % path)
    for role, cpu in roles.most_common():
        print("%8.1f s  %s" % (cpu, role))
    print()
    print("the %d tasks that cost the controller most (CPU-s, host results, CPU-s per host result):" % top)
    for name, figures in list(tasks.items())[:top]:
        per_host = figures["cpu"] / figures["hosts"] if figures["hosts"] else 0.0
        print("%8.2f s %4d %7.3f s  %s" % (figures["cpu"], figures["hosts"], per_host, name[:110]))


if __name__ == "__main__":
    main(sys.argv[1])
