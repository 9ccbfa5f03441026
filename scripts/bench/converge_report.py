"""Prints the converge benchmark: first and second run of site.yml side by side, from the JSON that
scripts/bench/callback_plugins/converge_profile.py wrote for each."""

import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def ratio(first, second):
    return f"{100 * second / first:5.0f} %" if first else "    -"


def main(first_path, second_path):
    first, second = load(first_path), load(second_path)
    print(f"converge of playbooks/site.yml on inventories/demo ({len(first['host_seconds'])} hosts,"
          f" {os.cpu_count()} cores)")
    print(f"{'':34} {'first':>8} {'second':>8} {'second/first':>13}")
    print(f"{'wall time (s)':34} {first['wall_seconds']:8.1f} {second['wall_seconds']:8.1f}"
          f" {ratio(first['wall_seconds'], second['wall_seconds']):>13}")
    print("\nper role, wall time (s; tasks of a role on all hosts, hosts in parallel)")
    for role in first["role_wall_seconds"]:
        one, two = first["role_wall_seconds"][role], second["role_wall_seconds"].get(role, 0.0)
        print(f"  {role:32} {one:8.1f} {two:8.1f} {ratio(one, two):>13}")
    print("\nper host: time in tasks (s), tasks ok / changed / skipped")
    for host in first["host_seconds"]:
        counts = [run["tasks"].get(host, {}) for run in (first, second)]
        tasks = ["%d/%d/%d" % (c.get("ok", 0), c.get("changed", 0), c.get("skipped", 0)) for c in counts]
        print(f"  {host:20} {first['host_seconds'][host]:8.1f} {second['host_seconds'].get(host, 0.0):8.1f}"
              f"   first {tasks[0]:>12}   second {tasks[1]:>12}")
    print("\nslowest tasks of the second run, wall time (s)")
    for name, seconds in second["slowest_tasks_wall_seconds"].items():
        print(f"  {seconds:6.1f}  {name}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
