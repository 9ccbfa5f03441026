"""Run code as a client on one simulated host: in a child process whose TCP connections leave from that
member's address, so the member sees them as loopback and every other member as a remote client.

Each call forks (the child shares the parent's imports and monkeypatches, and never runs the parent's
exit handlers); several calls may run at once, like the same Ansible task running on every member.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import socket
import sys
import traceback

from ansible.module_utils.testing import patch_module_args

_CONTEXT = multiprocessing.get_context("fork")


def _bind_connections_to(address: str) -> None:
    original = socket.socket.connect

    def connect(sock, destination):
        if sock.family == socket.AF_INET and sock.getsockname()[1] == 0:
            sock.bind((address, 0))
        return original(sock, destination)

    socket.socket.connect = connect


def _child(pipe, address, function, args, kwargs) -> None:
    try:
        _bind_connections_to(address)
        outcome = ("ok", function(*args, **kwargs))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        outcome = ("error", traceback.format_exc())
    try:
        pipe.send(outcome)
    finally:
        pipe.close()
        os._exit(0)


class Client:
    """A function running on a simulated host; ``result()`` waits for its return value."""

    def __init__(self, address: str, function, *args, **kwargs) -> None:
        self._receiver, sender = _CONTEXT.Pipe(duplex=False)
        self._process = _CONTEXT.Process(target=_child, args=(sender, address, function, args, kwargs), daemon=True)
        self._process.start()
        sender.close()

    def result(self, timeout: float = 120.0):
        if not self._receiver.poll(timeout):
            self._process.kill()
            raise AssertionError("client did not finish within %ss" % timeout)
        status, value = self._receiver.recv()
        self._process.join(timeout=10)
        if status == "error":
            raise AssertionError("client raised:\n%s" % value)
        return value


def run_as(address: str, function, *args, **kwargs):
    return Client(address, function, *args, **kwargs).result()


def module_main(module, args: dict) -> tuple[int, dict]:
    """module.main() as Ansible runs it: the exit code and the JSON it printed (exit_json / fail_json)."""
    output = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(output):
        try:
            module.main()
        except SystemExit as exit_info:
            code = exit_info.code
        else:
            code = None
    printed = output.getvalue()
    try:
        return code, json.loads(printed)
    except ValueError:
        sys.stderr.write(printed)
        raise
