"""Requests sent from this machine in a background thread, and waiting on a condition. Shared by the demo's
and the SSH scenario's tests."""

from __future__ import annotations

import threading
import time


class RequestStream:
    """Sends one request after another in a thread until stopped; records every answer (an object with
    `status` and `body`) and every failure, whatever the exception (a thread that died would otherwise look
    like a quiet stream)."""

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
            except Exception as error:  # noqa: BLE001 - every failure is the test's business
                self.failures.append(repr(error))
            time.sleep(self.pause)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=120)
        if self._thread.is_alive():
            self.failures.append("the stream's last request never ended")

    def wait_for(self, count, timeout=180):
        """Until `count` more answers than now have come back."""
        target = len(self.answers) + count
        wait_until(lambda: len(self.answers) >= target or not self._thread.is_alive(), timeout,
                   f"{count} more answers")
        assert self._thread.is_alive(), f"the stream stopped: {self.failures[-3:]}"


def wait_until(predicate, timeout=60, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {message}"
        time.sleep(0.5)


def eventually(predicate, timeout=60, message="condition"):
    """wait_until for a check that may fail by raising on its way (a request refused during a restart)."""
    def attempt():
        try:
            return predicate()
        except Exception:  # noqa: BLE001 - retried until the deadline, which reports the condition
            return False
    wait_until(attempt, timeout, message)
