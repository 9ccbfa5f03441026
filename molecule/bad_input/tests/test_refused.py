"""Every case of cases.yml is refused with a message naming the problem, and the hosts are left as they were:
the same /etc (paths, sizes, modes, owners, times) and the same installed packages, before and after."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import testinfra
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
ROOT = SCENARIO.parents[1]
CASES = yaml.safe_load((SCENARIO / "tests" / "cases.yml").read_text())
HOSTS = ["bad-web", "bad-db"]
SNAPSHOT = ("find /etc -xdev -printf '%p %s %m %u %g %T@\\n' | sort | sha1sum; "
            "dpkg-query --show --showformat='${Package} ${Version} ${Status}\\n' | sort | sha1sum")

testinfra_hosts = ["ansible://bad-web"]


def snapshot(inventory: str) -> dict[str, str]:
    return {name: testinfra.get_host("ansible://" + name, ansible_inventory=inventory).check_output(SNAPSHOT)
            for name in HOSTS}


@pytest.fixture(scope="module")
def inventory(request):
    return request.config.option.ansible_inventory


@pytest.fixture(scope="module")
def before(inventory):
    return snapshot(inventory)


def run_case(case: dict, inventory: str) -> subprocess.CompletedProcess:
    playbook = (SCENARIO / case.get("playbook", "../../playbooks/site.yml")).resolve()
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_PIPELINING="1",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
    tags = ["--tags", case["tags"]] if "tags" in case else []
    return subprocess.run(["ansible-playbook", "-i", inventory, str(playbook), "-e", json.dumps(case["extra"])] + tags,
                          capture_output=True, text=True, env=env, cwd=SCENARIO, check=False, timeout=600)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_case_is_refused_naming_the_problem(case, inventory, before):
    result = run_case(case, inventory)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "accepted: " + output[-3000:]
    for expected in case["expect"]:
        assert expected in output, "%r not in the refusal: %s" % (expected, output[-3000:])
    assert "Traceback" not in output


def test_nothing_changed_on_the_hosts(inventory, before):
    assert snapshot(inventory) == before
