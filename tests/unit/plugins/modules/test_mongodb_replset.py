"""mongodb_replset against a replica set simulated over the wire protocol (see replset_simulation.py)."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.scalable.webstack.plugins.modules import mongodb_replset as module

from .module_runner import run_module
from .replset_simulation import ReplicaSetSimulation


class FakeModule:
    """What run() reads of an AnsibleModule: the params with their defaults, and check mode."""

    def __init__(self, check_mode=False, **params):
        self.params = {name: spec.get("default") for name, spec in module.argument_spec().items()}
        self.params.update(params)
        self.check_mode = check_mode


@pytest.fixture
def replset():
    simulations = []

    def make(count=3, **kwargs):
        simulation = ReplicaSetSimulation(count, **kwargs)
        simulations.append(simulation)
        return simulation

    yield make
    for simulation in simulations:
        simulation.stop()


def run_on(simulation, index, members=None, check_mode=False, **params):
    host, port = simulation.hosts[index].split(":")
    return module.run(FakeModule(
        check_mode=check_mode, replica_set="rs0", members=members or simulation.hosts,
        member=simulation.hosts[index], login_host=host, login_port=int(port), timeout=20, connect_timeout=3,
        **params))


def run_main(capsys, **args):
    return run_module(module, capsys, **args)


def test_uninitiated_node_is_initiated_and_becomes_primary(replset):
    sim = replset(3)
    result = run_on(sim, 0)
    assert result["changed"] and result["action"] == "initiated"
    assert result["primary"] == sim.hosts[0]
    assert [m["host"] for m in result["config"]["members"]] == sim.hosts
    assert len(sim.received("replSetInitiate")) == 1
    # Between the initiate and the election the module saw the member as SECONDARY, then PRIMARY.
    assert sim.primary() == sim.hosts[0]


def test_second_run_changes_nothing(replset):
    sim = replset(3)
    run_on(sim, 0)
    result = run_on(sim, 0)
    assert not result["changed"] and result["action"] == "none"
    assert sim.writes() == [("127.0.0.1:%s" % sim.hosts[0].split(":")[1], "replsetinitiate",
                             sim.received("replSetInitiate")[0][2])]


def test_same_task_on_every_member_initiates_once(replset):
    sim = replset(3)
    results = {}

    def member_task(index):
        results[index] = run_on(sim, index)

    followers = [threading.Thread(target=member_task, args=(index,)) for index in (1, 2)]
    for thread in followers:
        thread.start()
    # The followers must already be waiting for the set, or they would simply find it initiated.
    deadline = time.monotonic() + 20
    while {entry[0] for entry in sim.received("replSetGetStatus")} != set(sim.hosts[1:]):
        assert time.monotonic() < deadline, "the followers never asked for the set's status"
        time.sleep(0.05)
    member_task(0)
    for thread in followers:
        thread.join(timeout=30)
    assert results[0]["action"] == "initiated"
    assert results[1]["action"] == results[2]["action"] == "joined"
    assert not results[1]["changed"] and not results[2]["changed"]
    assert len(sim.received("replSetInitiate")) == 1
    assert {r["primary"] for r in results.values()} == {sim.hosts[0]}


def test_already_initialized_is_a_race_to_re_read(replset):
    sim = replset(3)
    sim.initiate_elsewhere("rs0", sim.hosts)
    sim.config["version"] = 1
    result = run_on(sim, 0)
    assert result["action"] == "none" and not result["changed"]


def test_adding_a_non_voting_member_is_one_step(replset):
    sim = replset(4)
    run_on(sim, 0, members=sim.hosts[:3])
    members = sim.hosts[:3] + [{"host": sim.hosts[3], "votes": 0, "priority": 0}]
    result = run_on(sim, 0, members=members)
    assert result["action"] == "reconfigured"
    assert result["steps"] == ["version 2: add %s" % sim.hosts[3]]
    assert sim.config["version"] == 2 and len(sim.config["members"]) == 4


def test_adding_two_voting_members_takes_two_steps(replset):
    sim = replset(5)
    run_on(sim, 0, members=sim.hosts[:3])
    result = run_on(sim, 0, members=sim.hosts)
    assert result["steps"] == ["version 2: add %s" % sim.hosts[3], "version 3: add %s" % sim.hosts[4]]
    assert len(sim.received("replSetReconfig")) == 2  # the simulation refuses two voters at once
    assert [m["host"] for m in sim.config["members"]] == sim.hosts
    assert not run_on(sim, 0, members=sim.hosts)["changed"]


def test_priority_and_settings_change_in_one_step(replset):
    sim = replset(3)
    run_on(sim, 0)
    members = [{"host": sim.hosts[0], "priority": 2}] + sim.hosts[1:]
    result = run_on(sim, 0, members=members, settings={"electionTimeoutMillis": 5000})
    assert result["steps"] == ["version 2: change %s (priority); change settings" % sim.hosts[0]]
    assert sim.config["settings"] == {"electionTimeoutMillis": 5000}


def test_reconfig_is_sent_to_the_primary_from_any_member(replset):
    sim = replset(4)
    run_on(sim, 0, members=sim.hosts[:3])
    members = sim.hosts[:3] + [{"host": sim.hosts[3], "hidden": True, "votes": 0}]
    result = run_on(sim, 2, members=members)
    assert result["changed"]
    assert {entry[0] for entry in sim.received("replSetReconfig")} == {sim.hosts[0]}


def test_even_number_of_voters_is_refused_before_anything_is_sent(replset, capsys):
    sim = replset(4)
    host, port = sim.hosts[0].split(":")
    code, result = run_main(capsys, replica_set="rs0", members=sim.hosts, member=sim.hosts[0],
                            login_host=host, login_port=int(port))
    assert code == 1
    assert "4 voting members" in result["msg"] and "nothing was sent" in result["msg"]
    assert sim.log == []


@pytest.mark.parametrize("members, message", [
    (["a:1", "b:1", "a:1"], "more than once"),
    (["a:1", "b:1", "c:1", {"host": "d:1", "hidden": True, "votes": 0, "priority": 1}], "needs priority 0"),
    ([f"h{i}:1" for i in range(9)], "at most 7 voting"),
    (["b:1", "c:1", "d:1"], "is not in members"),
])
def test_invalid_member_lists(members, message):
    normalized = [module.normalize_member(member) for member in members]
    with pytest.raises(module.InvalidMembers, match=message):
        module.validate_members(normalized, "a:1")


def test_standalone_node_is_a_clear_error(replset, capsys):
    sim = replset(1, standalone=True)
    host, port = sim.hosts[0].split(":")
    code, result = run_main(capsys, replica_set="rs0", members=[sim.hosts[0]], member=sim.hosts[0],
                            login_host=host, login_port=int(port))
    assert code == 1
    assert "standalone" in result["msg"] and "replSetName: rs0" in result["msg"]


def test_member_of_another_set_is_a_clear_error(replset):
    sim = replset(3)
    sim.initiate_elsewhere("other", sim.hosts)
    with pytest.raises(module.ReplsetError, match="belongs to the replica set 'other'"):
        run_on(sim, 0)
    assert sim.writes() == []


def test_localhost_exception_before_users_and_credentials_after(replset):
    sim = replset(3)
    result = run_on(sim, 0, login_user="admin", login_password="pw", auth_mechanism="PLAIN")
    assert result["auth"] == "localhost_exception" and result["action"] == "initiated"

    sim.users["admin"] = "pw"  # the role creates the first user once there is a primary
    result = run_on(sim, 0, login_user="admin", login_password="pw", auth_mechanism="PLAIN")
    assert result["auth"] == "credentials" and not result["changed"]

    with pytest.raises(module.ReplsetError, match="set login_user and login_password"):
        run_on(sim, 0)


def test_check_mode_sends_no_write_command(replset):
    sim = replset(5)
    result = run_on(sim, 0, members=sim.hosts[:3], check_mode=True)
    assert result["changed"] and result["action"] == "initiated"
    assert sim.writes() == []

    run_on(sim, 0, members=sim.hosts[:3])
    before = len(sim.writes())
    result = run_on(sim, 0, members=sim.hosts, check_mode=True)
    assert len(result["steps"]) == 2
    assert {m["host"] for m in result["diff"]["after"]["members"]} == set(sim.hosts)
    assert len(sim.writes()) == before


def test_plan_keeps_ids_and_changes_one_vote_per_step():
    current = {"_id": "rs0", "version": 4, "members": [
        {"_id": 0, "host": "a:1"}, {"_id": 1, "host": "b:1"}, {"_id": 2, "host": "c:1"}]}
    members = [module.normalize_member(m) for m in ("a:1", "b:1", "d:1")]
    target = module.desired_config("rs0", members, {}, current)
    assert [m["_id"] for m in target["members"]] == [0, 1, 3]
    steps = module.plan_reconfig(current, target)
    assert [step["version"] for step in steps] == [5, 6]
    assert [m["host"] for m in steps[0]["members"]] == ["a:1", "b:1", "c:1", "d:1"]  # add first
    assert module.managed_view(steps[-1]) == module.managed_view(target)
