"""Running the ansible commands from the tests of tests/playbooks: the virtualenv's commands first, and
this checkout importable as scalable.webstack (the playbooks name the roles so)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def environment() -> dict:
    subprocess.run([str(ROOT / "scripts" / "link-collection.sh")], check=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)])
    collections = os.pathsep.join(filter(None, [str(ROOT / ".cache" / "collections"),
                                                os.environ.get("ANSIBLE_COLLECTIONS_PATH")]))
    return dict(os.environ, PATH=path, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=collections)


def run(*argv: str) -> subprocess.CompletedProcess:
    """A command from the repository root, its output captured; its exit status is the caller's to check."""
    return subprocess.run(list(argv), capture_output=True, text=True, env=environment(), cwd=ROOT,
                          check=False, timeout=300)
