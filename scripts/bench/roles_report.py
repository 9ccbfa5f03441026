"""Prints the single-role benchmark: for each Molecule scenario, its first and second converge, from the
JSON that scripts/bench/callback_plugins/converge_profile.py wrote for each run."""

import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def task_counts(run):
    totals = {"ok": 0, "changed": 0, "skipped": 0}
    for counts in run["tasks"].values():
        for key in totals:
            totals[key] += counts.get(key, 0)
    return "%d/%d/%d" % (totals["ok"], totals["changed"], totals["skipped"])


def main(results, scenarios):
    print(f"each role's Molecule converge on fresh containers, then again ({os.cpu_count()} cores)")
    print(f"  {'scenario':16} {'hosts':>5} {'first s':>8} {'second s':>9} {'second/first':>13}"
          f"   tasks ok/changed/skipped (all hosts), first -> second")
    for scenario in scenarios:
        first = load(os.path.join(results, f"{scenario}-first.json"))
        second = load(os.path.join(results, f"{scenario}-second.json"))
        share = 100 * second["wall_seconds"] / first["wall_seconds"]
        print(f"  {scenario:16} {len(first['host_seconds']):5} {first['wall_seconds']:8.1f}"
              f" {second['wall_seconds']:9.1f} {share:11.0f} %   {task_counts(first)} -> {task_counts(second)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
