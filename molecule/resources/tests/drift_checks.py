"""What molecule/resources/tasks/drift.yml recorded: hand-edited files put back by the next run, and the
service taking them again. Shared by the role scenarios' tests."""

from __future__ import annotations

import json


def assert_drift_repaired(host, name: str) -> None:
    record = host.file("/root/drift-%s.json" % name)
    assert record.exists, "the side effect did not edit the %s files by hand" % name
    drift = json.loads(record.content_string)
    for entry in drift["files"]:
        assert entry["edited"] != entry["before"], "%s was not edited" % entry["path"]
        assert entry["after"] == entry["before"], "%s was not put back: %r" % (entry["path"], entry)
    assert drift["evidence"], "nothing shows that %s took its files again" % name
