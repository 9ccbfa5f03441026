"""deploy.yml's batches with 27 app servers (24 backends, 3 backoffice): one server at a time by default,
webstack_deploy_batch's size, share or ramp otherwise, and a batch holding every server of a pool refused
before it changes anything. Only the play's `always` tasks run (loading the wiring, the batch check), on
the controller: the hosts are never reached."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ansible_commands import ROOT, run

BACKENDS = [f"app{number:02d}" for number in range(1, 25)]
BACKOFFICE = ["office1", "office2", "office3"]
APPSERVERS = BACKENDS + BACKOFFICE
BANNER = "PLAY [Rolling deploy]"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("deploy") / "hosts.yml"
    hosts = {"all": {"children": {
        "frontends": {"hosts": {"lb1": None}},
        "appservers": {"children": {
            "backends": {"hosts": dict.fromkeys(BACKENDS)},
            "backoffice": {"hosts": dict.fromkeys(BACKOFFICE)},
        }},
    }}}
    path.write_text(yaml.safe_dump(hosts))
    return path


def deploy(inventory, batch=None):
    """deploy.yml on the controller only (a tag no task has: the `always` ones run; the preflight play, which
    runs whatever the tags, on no host), and the hosts of each batch of the rolling deploy, in the order of
    the batches."""
    extra = {"webstack_preflight_hosts": "no_host_at_all", "ansible_connection": "local"}
    if batch is not None:
        extra["webstack_deploy_batch"] = batch
    result = run("ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / "deploy.yml"),
                 "--tags", "webstack-test-batches", "-e", json.dumps(extra))
    batches = [set(re.findall(r"^(?:ok|fatal): \[([^\]]+)\]", chunk, re.MULTILINE))
               for chunk in result.stdout.split(BANNER)[1:]]
    return result, batches


def in_order(sizes):
    """The app servers cut into batches of these sizes, in inventory order."""
    ends = [sum(sizes[:index + 1]) for index in range(len(sizes))]
    return [set(APPSERVERS[end - size:end]) for end, size in zip(ends, sizes)]


def test_one_server_at_a_time_by_default(inventory):
    result, batches = deploy(inventory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert batches == in_order([1] * 27)


@pytest.mark.parametrize(("batch", "sizes"), [
    (5, [5, 5, 5, 5, 5, 2]),
    ("5", [5, 5, 5, 5, 5, 2]),
    ("20%", [5, 5, 5, 5, 5, 2]),          # 20 % of 27 is 5.4: Ansible rounds down
    ([1, "25%"], [1, 6, 6, 6, 6, 2]),     # a canary, then a quarter at a time
])
def test_the_batch_size_is_honoured(inventory, batch, sizes):
    result, batches = deploy(inventory, batch)
    assert result.returncode == 0, result.stdout + result.stderr
    assert batches == in_order(sizes)


def test_a_batch_holding_a_whole_pool_is_refused_before_it_changes_anything(inventory):
    # Batches of 10: the third holds app21-app24 and the three backoffice servers, the whole pool.
    result, batches = deploy(inventory, 10)
    assert result.returncode != 0
    assert batches == in_order([10, 10, 7])
    assert "Refused before this batch changed anything: it holds every server of the pools backoffice" \
        in result.stdout, result.stdout
    assert re.search(r"^fatal: \[office1\]", result.stdout, re.MULTILINE)
    assert "TASK [Drain this server" not in result.stdout.split(BANNER)[3]
