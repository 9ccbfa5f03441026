"""mongodb_replset against a replica set simulated over the wire protocol (see replset_simulation.py).

Every module run happens in its own process whose connections leave from the address of the member it
"runs on" (loopback for that member, remote for the others), several at once when the task runs on every
member. Assertions are on what a user would see: the module's result, the commands each simulated mongod
received, the users and config that exist at the end.
"""

from __future__ import annotations

import json

import pytest
from bson import ObjectId

from ansible_collections.scalable.webstack.plugins.module_utils import _mongodb
from ansible_collections.scalable.webstack.plugins.modules import mongodb_replset as module

from .mongodb_harness import (  # pylint: disable=unused-import
    ADMIN,
    on_every_member,
    run,
    simulation,  # noqa: F401 - the fixture
    succeeded_writes,
    task,
    unauthenticated_remote_successes,
    writes,
)
from .module_runner import run_module

BOOTSTRAP = dict(ADMIN, create_login_user=True)


def bootstrapped(make, count=3, voters=3, **kwargs):
    """A set of its first ``voters`` members brought up by the module itself, access control on, the admin user."""
    sim = make(count, **kwargs)
    results = on_every_member(sim, order=range(voters), members=sim.hosts[:voters], **BOOTSTRAP)
    failures = {index: result.get("msg") for index, (code, result) in results.items() if code}
    assert not failures, failures
    return sim


def config_member(sim, host):
    return next(member for member in sim.config()["members"] if member["host"] == host)


# -- bringing a set up ----------------------------------------------------------------------------
def test_fresh_set_with_access_control_bootstraps_through_the_localhost_exception(simulation):
    """The role's first run: the same task on three fresh members, access control on, no user yet.

    Real timings (time_scale 1.0: heartbeats every 2 s, initial sync, a 10 s election timeout), the
    followers started before the initiator as Ansible forks do in any order.
    """
    sim = simulation(3, time_scale=1.0)
    results = on_every_member(sim, order=(2, 1, 0), timeout=60, **BOOTSTRAP)

    assert {index: code for index, (code, dummy) in results.items()} == {0: 0, 1: 0, 2: 0}, results
    initiator, followers = results[0][1], [results[1][1], results[2][1]]
    assert initiator["action"] == "initiated" and initiator["changed"] and initiator["user_created"]
    assert all(result["action"] == "joined" and not result["changed"] and not result["user_created"]
               for result in followers)
    # Everyone ends authenticated with the credentials, and agrees on the primary.
    assert {result["auth"] for dummy, result in results.values()} == {"credentials"}
    assert {result["primary"] for dummy, result in results.values()} == {sim.hosts[0]}
    # The initiator initiated once and created the user once, on itself (the primary), under the exception.
    assert succeeded_writes(sim) == [(0, "replSetInitiate"), (0, "createUser")]
    init = sim.received("replSetInitiate")[0]
    assert init["client"] == sim.members[0].ip and init["user"] is None
    # No member ever ran a command for an unauthenticated client of another host.
    assert unauthenticated_remote_successes(sim) == []
    # The user exists on every member (replicated), with the role root.
    assert [sim.users(index) for index in range(3)] == [{"admin@admin"}] * 3
    assert sim.user(2, "admin")["roles"] == [{"role": "root", "db": "admin"}]
    # The config the module returns is JSON, BSON types converted: replicaSetId is the ObjectId's text.
    replica_set_id = sim.config()["settings"]["replicaSetId"]
    assert isinstance(replica_set_id, ObjectId)
    assert initiator["config"]["settings"]["replicaSetId"] == str(replica_set_id)
    assert json.loads(json.dumps(initiator["config"])) == initiator["config"]


def test_second_run_changes_nothing_and_writes_nothing(simulation):
    sim = bootstrapped(simulation)
    mark = len(sim.log)
    results = on_every_member(sim, **BOOTSTRAP)
    assert all(code == 0 and not result["changed"] and result["action"] == "none" and result["auth"] == "credentials"
               for code, result in results.values()), results
    assert writes(sim, mark) == []


def test_set_without_access_control_is_initiated_unauthenticated(simulation):
    sim = simulation(3, auth="none")
    results = on_every_member(sim)
    assert results[0][1]["action"] == "initiated"
    # A follower either waited for the set ("joined") or, started later, found it there already.
    assert all(results[index][1]["action"] in ("joined", "none") and not results[index][1]["changed"]
               for index in (1, 2))
    assert {result["auth"] for dummy, result in results.values()} == {"none"}
    assert succeeded_writes(sim) == [(0, "replSetInitiate")]
    assert sim.users() == set()


def test_initiator_without_create_login_user_stops_at_what_the_exception_allows(simulation):
    """Without a user to create, the module initiates and waits for a primary - replSetGetConfig, which the
    exception does not allow, is never needed."""
    sim = simulation(3)
    results = on_every_member(sim, **ADMIN)
    assert all(code == 0 for code, dummy in results.values()), results
    assert {result["auth"] for dummy, result in results.values()} == {"localhost_exception"}
    assert results[0][1]["action"] == "initiated" and results[0][1]["primary"] == sim.hosts[0]
    assert succeeded_writes(sim) == [(0, "replSetInitiate")]
    assert sim.users() == set()


def test_arbiter_finishes_on_hello_since_it_never_holds_users(simulation):
    sim = simulation(3)
    members = sim.hosts[:2] + [{"host": sim.hosts[2], "arbiter": True}]
    results = on_every_member(sim, members=members, **BOOTSTRAP)
    assert all(code == 0 for code, dummy in results.values()), results
    assert results[2][1]["auth"] == "localhost_exception" and results[2][1]["member_state"] == "ARBITER"
    assert results[1][1]["auth"] == "credentials"
    assert sim.users(2) == set() and sim.users(1) == {"admin@admin"}


def test_already_initialized_is_a_race_to_join(simulation):
    sim = simulation(3, auth="none")
    sim.initiate_directly({"_id": "rs0", "members": [{"_id": i, "host": host} for i, host in enumerate(sim.hosts)]})
    code, result = run(sim, 0)
    assert code == 0 and result["action"] == "none" and not result["changed"]
    assert writes(sim) == []


# -- authentication failures ----------------------------------------------------------------------
def test_wrong_admin_password_is_named_as_such_with_the_user_and_host(simulation):
    sim = bootstrapped(simulation)
    mark = len(sim.log)
    code, result = run(sim, 1, login_user="admin", login_password="not-the-password", create_login_user=True)
    assert code == 1
    assert result["msg"].startswith("authentication as admin@admin failed on %s (error 18" % sim.hosts[1])
    assert "the password is wrong" in result["msg"] and "localhost exception is closed" in result["msg"]
    assert writes(sim, mark) == []


def test_follower_with_another_password_fails_once_the_user_reaches_it(simulation):
    """During the bootstrap a follower cannot tell a wrong password from a user still on its way; once the
    user has replicated to it (the exception closes), it can - and says so, without waiting for the timeout."""
    sim = simulation(3)
    clients = {index: task(sim, index, **{**BOOTSTRAP, "login_password": password})
               for index, password in ((2, "not-the-password"), (1, ADMIN["login_password"]),
                                       (0, ADMIN["login_password"]))}
    results = {index: client.result() for index, client in clients.items()}
    assert results[0][0] == 0 and results[1][0] == 0
    code, result = results[2]
    assert code == 1
    assert result["msg"] == ("authentication as admin@admin failed on %s (error 18 AuthenticationFailed): users exist "
                             "there now (the localhost exception is closed), so the password is wrong" % sim.hosts[2])
    assert sim.users(2) == {"admin@admin"}


def test_user_lacking_privileges_gets_error_13_named(simulation):
    sim = bootstrapped(simulation)
    sim.create_user("reporter", "Reporter-1", [{"role": "read", "db": "shop"}])
    sim.wait_until(lambda: sim.users(1) == {"admin@admin", "reporter@admin"}, what="the user to replicate")
    code, result = run(sim, 1, login_user="reporter", login_password="Reporter-1")
    assert code == 1
    assert "reporter@admin is not authorized to run replSetGetConfig on %s" % sim.hosts[0] in result["msg"]
    assert "error 13 Unauthorized" in result["msg"]


def test_no_credentials_once_users_exist_is_refused_with_advice(simulation):
    sim = bootstrapped(simulation)
    code, result = run(sim, 0)
    assert code == 1
    assert result["msg"].startswith("%s requires authentication (error 13 Unauthorized)" % sim.hosts[0])


def test_remote_login_host_gets_no_localhost_exception(simulation):
    """The exception is for loopback only: from member 1, member 0 refuses everything."""
    sim = simulation(3)
    member = sim.members[0]
    code, result = run(sim, 1, login_host=member.ip, login_port=member.port, member=sim.hosts[0], **BOOTSTRAP)
    assert code == 1 and "this connection does not come from loopback" in result["msg"]
    assert writes(sim) == []


def test_wrong_password_for_an_existing_user_without_access_control(simulation):
    """transitionToAuth (or no access control): unauthenticated clients may do anything, so a failed login must
    not be mistaken for "no user yet" - the user exists, the password is wrong."""
    sim = simulation(3, auth="transition")
    sim.initiate_directly({"_id": "rs0", "members": [{"_id": i, "host": host} for i, host in enumerate(sim.hosts)]})
    sim.create_user("admin", "the-real-one", ["root"])
    code, result = run(sim, 0, **BOOTSTRAP)
    assert code == 1 and "the user exists, so the password is wrong" in result["msg"]
    assert writes(sim) == []


# -- members that do not find themselves ----------------------------------------------------------
def test_member_listed_under_a_name_that_resolves_elsewhere_on_itself(simulation):
    """mongo3.internal resolves to member 2 everywhere but on member 2 itself, where /etc/hosts maps it to
    127.0.1.1: the initiate succeeds, member 2 receives the config, does not find itself (REMOVED) and
    answers error 93; its task fails with advice, the others complete."""
    sim = simulation(3)
    name = "mongo3.internal"
    sim.dns[name] = sim.members[2].ip
    sim.members[2].resolver[name] = "127.0.1.1"
    listed = "%s:%d" % (name, sim.members[2].port)
    members = sim.hosts[:2] + [listed]
    clients = {index: task(sim, index, members=members, **dict(BOOTSTRAP, member=member))
               for index, member in ((2, listed), (1, sim.hosts[1]), (0, sim.hosts[0]))}
    results = {index: client.result() for index, client in clients.items()}
    code, result = results[2]
    assert code == 1
    assert "error 93 InvalidReplicaSetConfig" in result["msg"]
    assert "listed as %s" % listed in result["msg"] and "127.0.1.1 mongo3.internal" in result["msg"]
    assert results[0][0] == 0 and results[1][0] == 0
    assert sim.state(2) == "REMOVED"


def test_initiator_that_does_not_recognise_its_own_name(simulation):
    sim = simulation(3)
    name = "mongo1.internal"
    sim.dns[name] = sim.members[0].ip
    sim.members[0].resolver[name] = "127.0.1.1"
    listed = "%s:%d" % (name, sim.members[0].port)
    code, result = run(sim, 0, members=[listed] + sim.hosts[1:], member=listed, **BOOTSTRAP)
    assert code == 1
    assert "error 74 NodeNotFound" in result["msg"] and "does not recognise that name as its own" in result["msg"]
    assert sim.config(0) is None


def test_initiate_with_a_member_down_names_it(simulation):
    sim = simulation(3)
    sim.stop_member(2)
    code, result = run(sim, 0, **BOOTSTRAP)
    assert code == 1
    assert "quorum check failed" in result["msg"] and sim.hosts[2] in result["msg"]
    assert "replication.replSetName rs0" in result["msg"]


# -- reconfigs ------------------------------------------------------------------------------------
def test_adding_members_with_access_control_waits_for_each_newly_added_one(simulation):
    """Two voting members join a running set with access control: each is added alone, mongod marks it
    newlyAdded until its initial sync ends and bumps the version itself; the module reads the config again
    before the next step instead of sending a stale version. The new members' own tasks wait, get the
    admin user by replication and finish with the credentials."""
    sim = simulation(5)
    initial = on_every_member(sim, order=(0, 1, 2), members=sim.hosts[:3], **BOOTSTRAP)
    assert all(code == 0 for code, dummy in initial.values()), initial
    mark = len(sim.log)
    results = on_every_member(sim, order=(3, 4, 1, 2, 0), **BOOTSTRAP)

    assert all(code == 0 for code, dummy in results.values()), results
    # Every task may take a step (mongod serialises them; a stale version is refused and read again): the
    # steps taken, all tasks together, are the two additions, one voter each.
    steps = sorted(step for dummy, result in results.values() for step in result["steps"])
    assert steps == ["version 2: add %s" % sim.hosts[3], "version 4: add %s" % sim.hosts[4]]
    accepted = [entry for entry in sim.received("replSetReconfig") if entry["code"] is None]
    reconfigs = [entry["document"]["replSetReconfig"] for entry in accepted]
    assert [config["version"] for config in reconfigs] == [2, 4]  # version 3 was the primary's own
    assert {entry["code"] for entry in sim.received("replSetReconfig")} <= {None, 103, 109}
    assert all("newlyAdded" not in member for config in reconfigs for member in config["members"])
    assert all(entry["document"]["maxTimeMS"] == 60000 for entry in sim.received("replSetReconfig"))
    final = sim.config()
    assert [member["host"] for member in final["members"]] == sim.hosts
    assert all("newlyAdded" not in member and member["votes"] == 1 for member in final["members"])
    assert final["version"] == 5
    assert {results[index][1]["auth"] for index in (3, 4)} == {"credentials"}
    assert [sim.users(index) for index in range(5)] == [{"admin@admin"}] * 5
    assert succeeded_writes(sim, mark) == [(0, "replSetReconfig"), (0, "replSetReconfig")]


def test_adding_a_non_voting_member_is_one_step(simulation):
    sim = simulation(4, auth="none")
    on_every_member(sim, order=(0, 1, 2), members=sim.hosts[:3])
    members = sim.hosts[:3] + [{"host": sim.hosts[3], "votes": 0}]
    code, result = run(sim, 0, members=members)
    assert code == 0 and result["action"] == "reconfigured"
    assert result["steps"] == ["version 2: add %s" % sim.hosts[3]]
    assert config_member(sim, sim.hosts[3])["votes"] == 0 and config_member(sim, sim.hosts[3])["priority"] == 0


def test_two_existing_members_gain_their_vote_one_at_a_time(simulation):
    """mongod refuses two voting changes in one reconfig (93); the module never sends one."""
    sim = simulation(5, auth="none")
    passive = [{"host": host, "votes": 0} for host in sim.hosts[3:]]
    on_every_member(sim, order=(0, 1, 2), members=sim.hosts[:3] + passive)
    code, result = run(sim, 0)
    assert code == 0
    assert result["steps"] == ["version 2: change %s (priority, votes)" % sim.hosts[3],
                               "version 3: change %s (priority, votes)" % sim.hosts[4]]
    assert [entry["code"] for entry in sim.received("replSetReconfig")] == [None, None]
    assert all(member["votes"] == 1 for member in sim.config()["members"])


def test_priority_and_settings_change_in_one_step_keeping_unmanaged_fields(simulation):
    """buildIndexes, horizons and tags the module does not manage stay as the server has them."""
    sim = simulation(3, auth="none")
    sim.initiate_directly({"_id": "rs0", "members": [
        {"_id": 0, "host": sim.hosts[0], "tags": {"dc": "east"}},
        {"_id": 1, "host": sim.hosts[1], "horizons": {"outside": "db2.example.com:27017"}},
        {"_id": 2, "host": sim.hosts[2], "priority": 0, "buildIndexes": False}]})
    members = [{"host": sim.hosts[0], "priority": 2}, sim.hosts[1], {"host": sim.hosts[2], "priority": 0}]
    code, result = run(sim, 0, members=members, settings={"electionTimeoutMillis": 5000})
    assert code == 0, result
    assert result["steps"] == ["version 2: change %s (priority); change settings" % sim.hosts[0]]
    config = sim.config()
    assert config["settings"]["electionTimeoutMillis"] == 5000
    assert config_member(sim, sim.hosts[0])["tags"] == {"dc": "east"}
    assert config_member(sim, sim.hosts[1])["horizons"] == {"outside": "db2.example.com:27017"}
    assert config_member(sim, sim.hosts[2])["buildIndexes"] is False
    assert run(sim, 0, members=members, settings={"electionTimeoutMillis": 5000})[1]["changed"] is False


def test_reconfig_is_sent_to_the_primary_from_any_member(simulation):
    sim = bootstrapped(simulation, 4)
    members = sim.hosts[:3] + [{"host": sim.hosts[3], "hidden": True, "votes": 0}]
    code, result = run(sim, 2, members=members, **BOOTSTRAP)
    assert code == 0 and result["changed"]
    assert {entry["member"] for entry in sim.received("replSetReconfig")} == {0}
    assert {entry["user"] for entry in sim.received("replSetReconfig")} == {("admin", "admin")}


def test_even_number_of_voters_is_refused_before_anything_is_sent(simulation, capsys):
    sim = simulation(4)
    code, result = run_module(module, capsys, replica_set="rs0", members=sim.hosts, member=sim.hosts[0],
                              login_host=sim.members[0].ip, login_port=sim.members[0].port)
    assert code == 1
    assert "4 voting members" in result["msg"] and "nothing was sent" in result["msg"]
    assert sim.log == []


def test_no_primary_is_refused_without_force_and_forced_with_it(simulation):
    """Two of three members gone for good: no majority, no primary. The module says so and names force; with
    force it applies the surviving member list with a forced reconfig on this member."""
    sim = bootstrapped(simulation)
    sim.stop_member(1, graceful=False)
    sim.stop_member(2, graceful=False)
    sim.wait_until(lambda: sim.primary() is None, what="the primary to step down")
    code, result = run(sim, 0, members=[sim.hosts[0]], timeout=1, **BOOTSTRAP)
    assert code == 1
    assert result["msg"].startswith("no primary within 1s")
    assert "%s (not reachable/healthy)" % sim.hosts[1] in result["msg"] and "force: true" in result["msg"]
    assert writes(sim) == [(0, "replSetInitiate"), (0, "createUser")]

    code, result = run(sim, 0, members=[sim.hosts[0]], timeout=1, force=True, **BOOTSTRAP)
    assert code == 0, result
    forced = sim.received("replSetReconfig")[-1]
    assert forced["document"]["force"] is True and forced["code"] is None
    assert [member["host"] for member in sim.config(0)["members"]] == [sim.hosts[0]]
    sim.wait_until(lambda: sim.primary() == sim.hosts[0], what="the survivor to become primary")


# -- turning access control on --------------------------------------------------------------------
def test_turning_access_control_on_for_a_running_set_keeps_a_primary(simulation):
    """The role's procedure on a set that runs without access control: keyFile + transitionToAuth on each member
    in turn, secondaries first, each back in the set before the next; the admin user created while every client
    is still accepted; then access control on, member by member again. The module proves each member is back
    (wait_for: member, reading hello only) before the next restart."""
    sim = simulation(3, auth="none", time_scale=0.1)
    assert all(code == 0 for code, dummy in on_every_member(sim).values())

    def rolling_restart(auth):
        primary = sim.hosts.index(sim.primary())
        order = [index for index in range(3) if index != primary] + [primary]
        for index in order:
            sim.restart_member(index, auth=auth)
            code, result = run(sim, index, reconcile=False, wait_for="member", **ADMIN)
            assert code == 0 and result["member_state"] in ("PRIMARY", "SECONDARY"), result
            assert sim.state(index) in ("PRIMARY", "SECONDARY")
        return order

    first = rolling_restart("transition")
    results = on_every_member(sim, **BOOTSTRAP)
    assert all(code == 0 for code, dummy in results.values()), results
    assert sum(result["user_created"] for dummy, result in results.values()) == 1
    # Without access control yet: unauthenticated, unless the user had reached a member when its task began.
    assert {result["auth"] for dummy, result in results.values()} <= {"none", "credentials"}
    second = rolling_restart("enforced")
    results = on_every_member(sim, **BOOTSTRAP)
    assert all(code == 0 and result["auth"] == "credentials" and not result["changed"]
               for code, result in results.values()), results

    # Each restart began only once the member restarted before it was back, and a majority was up throughout.
    events = [event for event in sim.events if event[1] in ("stop", "start", "state")]
    restarted = []
    for moment, kind, index, detail in events:
        if kind == "stop":
            if restarted:
                state_of_previous = [e for e in events if e[2] == restarted[-1] and e[1] == "state" and e[0] < moment]
                assert state_of_previous[-1][3] in ("PRIMARY", "SECONDARY"), (restarted[-1], state_of_previous)
            restarted.append(index)
    assert restarted == first + second
    # Unauthenticated clients are refused now, and the only user is the admin.
    assert run(sim, 1)[1]["msg"].startswith("%s requires authentication" % sim.hosts[1])
    assert [sim.users(index) for index in range(3)] == [{"admin@admin"}] * 3


# -- wrong input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("members, message", [
    ([{"priority": 2}], "members[0]: no host in {'priority': 2}"),
    (["a:1", {"host": "b:1", "votes": True}, "c:1"], "members[1] (b:1): votes must be 0 or 1, got True (a boolean"),
    (["a:1", {"host": "b:1", "priority": "high"}, "c:1"], "members[1] (b:1): priority must be a number, got 'high'"),
    (["a:1", ["b:1"], "c:1"], "members[1]: a member is a host string or a dict with host, got list ['b:1']"),
    (["a:1", 27017, "c:1"], "members[1]: a member is a host string or a dict with host, got int 27017"),
    (["a:1", {"host": "b:1", "priority": 1001}, "c:1"], "members[1] (b:1): priority must be from 0 to 1000, got 1001"),
    (["a:1", {"host": "b:1", "priority": -1}, "c:1"], "members[1] (b:1): priority must be from 0 to 1000, got -1"),
    (["a:1", "b:1", {"host": "c:1", "arbiter": True, "votes": 0}], "members[2] (c:1): an arbiter must vote"),
    (["a:1", "b:1", {"host": "c:1", "arbiter": True, "priority": 1}], "members[2] (c:1): an arbiter has priority 0"),
    (["a:1"] + [{"host": "h%d:1" % i, "votes": 0} for i in range(50)], "a replica set has at most 50 members, got 51"),
    (["a:1", {"host": "b:1", "hidden": "maybe"}, "c:1"], "members[1] (b:1): hidden must be true or false"),
    (["a:1", {"host": "b:1", "secondary_delay_secs": -5, "priority": 0}, "c:1"],
     "members[1] (b:1): secondary_delay_secs must be a whole number of seconds >= 0, got -5"),
    (["a:1", {"host": "b:1", "tags": ["east"]}, "c:1"], "members[1] (b:1): tags must be a dict of strings"),
    (["a:1", {"host": "b:1", "colour": "red"}, "c:1"], "members[1]: unknown keys colour"),
    (["a:1", {"host": ""}, "c:1"], "members[1]: host must be a non-empty string"),
    (["a:1", "b:99999", "c:1"], "members[1]: host 'b:99999' has no valid port"),
])
def test_malformed_members_are_refused_naming_the_option_and_the_value(members, message, capsys):
    code, result = run_module(module, capsys, replica_set="rs0", members=members, member="a:1", login_port=1)
    assert code == 1
    assert result["msg"].startswith("invalid members, nothing was sent: " + message), result


@pytest.mark.parametrize("members, message", [
    (["a:1", "b:1", "a:1"], "more than once"),
    (["a:1", "b:1", "c:1", {"host": "d:1", "hidden": True, "votes": 0, "priority": 1}], "needs priority 0"),
    ([f"h{i}:1" for i in range(9)], "at most 7 voting"),
    (["b:1", "c:1", "d:1"], "is not in members"),
    ([{"host": "a:1", "votes": 0}], "no member votes"),
    (["a:1", {"host": "b:1", "priority": 0}, {"host": "c:1", "priority": 0}], None),
])
def test_member_lists_mongod_would_refuse(members, message):
    normalized = [module.normalize_member(member, index) for index, member in enumerate(members)]
    if message is None:
        module.validate_members(normalized, "a:1")
    else:
        with pytest.raises(module.InvalidMembers, match=message):
            module.validate_members(normalized, "a:1")


def test_initiate_from_a_member_that_cannot_be_primary_is_refused(capsys):
    code, result = run_module(module, capsys, replica_set="rs0", members=["a:1", {"host": "b:1", "priority": 0}, "c:1"],
                              member="a:1", initiate_from="b:1", login_port=1)
    assert code == 1
    assert result["msg"] == ("invalid members, nothing was sent: initiate_from b:1 cannot become primary (priority 0 "
                             "or arbiter): mongod refuses to initiate from it")


def test_unreachable_login_host_is_one_line_with_host_port_and_timeouts(capsys):
    code, result = run_module(module, capsys, replica_set="rs0", members=["127.0.0.1:9"], member="127.0.0.1:9",
                              login_host="127.0.0.1", login_port=9, connect_timeout=1, timeout=1)
    assert code == 1
    assert result["msg"].startswith("cannot connect to mongod at 127.0.0.1:9 within 1s: ")
    assert result["msg"].endswith(", for 1s (timeout)")
    assert "\n" not in result["msg"] and "Topology" not in result["msg"] and "Connection refused" in result["msg"]


@pytest.mark.parametrize("version, found", [(None, None), ((3, 11, 0), "3.11.0")])
def test_missing_or_old_pymongo_is_reported_like_missing_required_lib(monkeypatch, capsys, version, found):
    if version is None:
        monkeypatch.setattr(_mongodb, "pymongo", None)
    else:
        monkeypatch.setattr(_mongodb, "pymongo", type("OldDriver", (), {"version_tuple": version, "version": found}))
    code, result = run_module(module, capsys, replica_set="rs0", members=["a:1"])
    assert code == 1
    assert "Failed to import the required Python library (pymongo >= 4.0)" in result["msg"]
    if found:
        assert "found pymongo 3.11.0" in result["msg"]


# -- check mode -----------------------------------------------------------------------------------
def test_check_mode_sends_no_write_command(simulation):
    sim = simulation(5, auth="none")
    code, result = run(sim, 0, members=sim.hosts[:3], _ansible_check_mode=True)
    assert code == 0 and result["changed"] and result["action"] == "initiated"
    assert writes(sim) == []

    on_every_member(sim, order=(0, 1, 2), members=sim.hosts[:3])
    mark = len(sim.log)
    code, result = run(sim, 0, _ansible_check_mode=True, _ansible_diff=True)
    assert result["steps"] == ["version 2: add %s" % sim.hosts[3], "version 3: add %s" % sim.hosts[4]]
    assert {member["host"] for member in result["diff"]["after"]["members"]} == set(sim.hosts)
    assert writes(sim, mark) == []


def test_check_mode_under_the_localhost_exception_creates_nothing(simulation):
    sim = simulation(3)
    sim.initiate_directly({"_id": "rs0", "members": [{"_id": i, "host": host} for i, host in enumerate(sim.hosts)]})
    code, result = run(sim, 0, _ansible_check_mode=True, **BOOTSTRAP)
    assert code == 0 and result["changed"] and result["user_created"]
    code, result = run(sim, 1, _ansible_check_mode=True, **BOOTSTRAP)  # does not wait for a user never created
    assert code == 0 and not result["changed"] and result["auth"] == "localhost_exception"
    assert writes(sim) == [] and sim.users() == set()


# -- standalone and foreign sets ------------------------------------------------------------------
def test_standalone_node_is_a_clear_error(simulation):
    sim = simulation(1, standalone=True, auth="none")
    code, result = run(sim, 0)
    assert code == 1
    assert "standalone" in result["msg"] and "replSetName: rs0" in result["msg"]


def test_member_of_another_set_is_a_clear_error(simulation):
    sim = simulation(3, name="other", auth="none")
    sim.initiate_directly({"_id": "other", "members": [{"_id": i, "host": h} for i, h in enumerate(sim.hosts)]})
    code, result = run(sim, 0)
    assert code == 1 and "belongs to the replica set 'other'" in result["msg"]
    assert writes(sim) == []


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
