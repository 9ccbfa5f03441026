# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge profile for the benchmarks: time per host, per role and per host and role, the tasks each
host ran (ok, changed) and skipped, and the controller's CPU per task. Writes JSON to
$WEBSTACK_PROFILE_OUTPUT when the play ends."""

from __future__ import annotations

DOCUMENTATION = r"""
name: converge_profile
type: aggregate
short_description: time per host and per role, tasks run and skipped, controller CPU per task, as JSON
description:
  - Used by scripts/bench-converge.sh, bench-roles.sh and bench-scale.sh; writes its figures to the file named
    by WEBSTACK_PROFILE_OUTPUT.
  - The controller's CPU of a task is this process's and its reaped children's (the forked workers, with the
    connection commands they ran) between the start of the task and the start of the next one.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED
"""

import collections
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "converge_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()
        self.running = {}
        self.host_seconds = collections.Counter()
        self.role_seconds = collections.Counter()
        self.host_role_seconds = collections.Counter()
        self.outcomes = collections.defaultdict(collections.Counter)
        self.task_spans = {}  # task uuid -> [role, first start, last end]: wall time per role
        self.task_cpu = collections.Counter()  # "role: task" -> controller CPU-s, summed over its hosts
        self.task_hosts = collections.Counter()  # "role: task" -> host results
        self.cpu_mark = None  # (task key, CPU-s when it started)

    @staticmethod
    def _role(task):
        return task._role.get_name() if task._role else "(playbook)"

    @staticmethod
    def _controller_cpu():
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    def _close_cpu_span(self):
        if self.cpu_mark is not None:
            key, started = self.cpu_mark
            self.task_cpu[key] += self._controller_cpu() - started
            self.cpu_mark = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_cpu_span()
        self.cpu_mark = (f"{self._role(task)}: {task.get_name()}", self._controller_cpu())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_start(self, host, task):
        now = time.monotonic()
        self.running[(host.get_name(), task._uuid)] = now
        self.task_spans.setdefault(task._uuid, [self._role(task), now, now, task.get_name()])

    def _finish(self, result, outcome):
        host, task = result._host.get_name(), result._task
        started = self.running.pop((host, task._uuid), None)
        if started is not None:
            seconds = time.monotonic() - started
            role = self._role(task)
            self.host_seconds[host] += seconds
            self.role_seconds[role] += seconds
            self.host_role_seconds[f"{host} {role}"] += seconds
            self.task_spans[task._uuid][2] = time.monotonic()
        if outcome == "ok" and result._result.get("changed"):
            outcome = "changed"
        self.outcomes[host][outcome] += 1
        self.task_hosts[f"{self._role(task)}: {task.get_name()}"] += 1

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._close_cpu_span()
        output = os.environ.get("WEBSTACK_PROFILE_OUTPUT")
        if not output:
            return
        role_wall, task_wall = collections.Counter(), collections.Counter()
        for role, start, end, name in self.task_spans.values():
            role_wall[role] += end - start
            task_wall[f"{role}: {name}"] += end - start
        figures = {
            "wall_seconds": round(time.monotonic() - self.started, 1),
            "role_wall_seconds": {name: round(value, 1) for name, value in role_wall.most_common()},
            "host_seconds": {name: round(value, 1) for name, value in sorted(self.host_seconds.items())},
            # Summed over hosts: what a role costs in host time, hosts running in parallel.
            "role_host_seconds": {name: round(value, 1) for name, value in self.role_seconds.most_common()},
            "host_role_seconds": {name: round(value, 1) for name, value in sorted(self.host_role_seconds.items())},
            "slowest_tasks_wall_seconds": {name: round(value, 1) for name, value in task_wall.most_common(15)},
            "tasks": {host: dict(counts) for host, counts in sorted(self.outcomes.items())},
            "controller_cpu_seconds": round(sum(self.task_cpu.values()), 1),
            # ansible-playbook's own process (the strategy: task variables, results, callbacks), the rest
            # being its forked workers and what they ran.
            "controller_main_process_cpu_seconds": round(os.times().user + os.times().system, 1),
            # Summed over the task's hosts; with the number of host results to read it per host.
            "task_controller_cpu_seconds": {
                name: {"cpu": round(value, 2), "hosts": self.task_hosts[name]}
                for name, value in self.task_cpu.most_common()},
        }
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
