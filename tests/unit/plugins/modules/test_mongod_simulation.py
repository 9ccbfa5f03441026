"""The simulation itself, held to mongod's documented and source behaviour with pymongo as the client.

Each check runs in a process whose connections leave from one member's address (see replset_simulation.py):
from member i's address a connection is loopback to member i and remote to the others.
"""

from __future__ import annotations

import time

import pymongo
import pytest
from bson import Int64, ObjectId
from pymongo.errors import NotPrimaryError, OperationFailure, PyMongoError

from .mongodb_harness import simulation  # noqa: F401 pylint: disable=unused-import
from .replset_simulation import Client, run_as


def commands(host, port, calls, **options):
    """Run (database, command, value, fields) calls; each result is "ok", the reply, or (code, errmsg)."""
    client = pymongo.MongoClient(host=host, port=port, directConnection=True, serverSelectionTimeoutMS=3000,
                                 retryReads=False, retryWrites=False, **options)
    results = []
    try:
        for database, name, value, fields in calls:
            try:
                reply = client[database].command(name, value, **fields)
                results.append(reply if fields.get("_keep") else "ok")
            except (OperationFailure, NotPrimaryError) as error:  # the driver raises 10107 as NotPrimaryError
                results.append((error.details.get("code"), error.details.get("errmsg")))
    finally:
        client.close()
    return results


def call(sim, source, target, *calls, **options):
    """``calls`` run from member ``source``'s address against member ``target``."""
    member = sim.members[target]
    return run_as(sim.members[source].ip, commands, member.ip, member.port,
                  [(c[0], c[1], c[2] if len(c) > 2 else 1, c[3] if len(c) > 3 else {}) for c in calls], **options)


def initiated(sim, options=None):
    """The set initiated by someone else, with ``options`` per member index."""
    options = options or {}
    members = [dict({"_id": i, "host": h}, **options.get(i, {})) for i, h in enumerate(sim.hosts)]
    sim.initiate_directly({"_id": "rs0", "members": members})
    return sim


ROOT = [{"role": "root", "db": "admin"}]


def test_localhost_exception_grants_exactly_mongods_default_privileges(simulation):
    sim = simulation(3)
    local = call(sim, 0, 0,
                 ("admin", "replSetGetStatus"),
                 ("admin", "replSetGetConfig"),
                 ("shop", "createUser", "shop", {"pwd": "x", "roles": ["readWrite"]}),
                 ("admin", "getCmdLineOpts"))
    assert local[0] == (94, "no replset config has been received")
    assert local[1][0] == 13 and local[1][1].startswith("not authorized on admin to execute command { replSetGetConfig: 1")
    assert local[2][0] == 13 and local[2][1].startswith('not authorized on shop to execute command { createUser: "shop"')
    assert 'pwd: "xxx"' in local[2][1]  # secrets snipped, as mongod logs them
    assert local[3][0] == 13
    remote = call(sim, 1, 0, ("admin", "replSetGetStatus"), ("admin", "replSetInitiate", {}))
    assert remote == [(13, "Command replSetGetStatus requires authentication"),
                      (13, "Command replSetInitiate requires authentication")]
    # What the exception allows: initiate, status, and the first user on admin, from loopback only.
    config = {"_id": "rs0", "members": [{"_id": i, "host": host} for i, host in enumerate(sim.hosts)]}
    assert call(sim, 0, 0, ("admin", "replSetInitiate", config)) == ["ok"]
    sim.wait_until(lambda: sim.primary() == sim.hosts[0], what="a primary")
    assert call(sim, 0, 0, ("admin", "createUser", "admin", {"pwd": "Admin-1", "roles": ROOT}),
                ("admin", "replSetGetStatus")) == ["ok", (13, "Command replSetGetStatus requires authentication")]
    assert sim.users(0) == {"admin@admin"}


def test_exception_closes_on_each_member_when_the_user_reaches_it(simulation):
    sim = initiated(simulation(3, time_scale=0.5))
    sim.create_user("admin", "Admin-1", ROOT)
    assert sim.users(1) == set()  # not replicated yet: member 1 still has no user
    assert call(sim, 1, 1, ("admin", "replSetGetStatus")) == ["ok"]
    sim.wait_until(lambda: sim.users(1) == {"admin@admin"}, what="the user to replicate")
    assert call(sim, 1, 1, ("admin", "replSetGetStatus")) == [(13, "Command replSetGetStatus requires authentication")]


def test_arbiter_keeps_the_exception_with_its_extra_privileges(simulation):
    sim = initiated(simulation(3), {2: {"arbiterOnly": True}})
    sim.create_user("admin", "Admin-1", ROOT)
    sim.wait_until(lambda: sim.users(1) == {"admin@admin"}, what="the user to replicate")
    assert sim.users(2) == set()
    assert call(sim, 2, 2, ("admin", "replSetGetStatus"), ("admin", "getCmdLineOpts"),
                ("admin", "replSetGetConfig"))[:2] == ["ok", "ok"]


@pytest.mark.parametrize("mechanism", [None, "SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram_as_pymongo_speaks_it(simulation, mechanism):
    sim = initiated(simulation(3))
    sim.create_user("admin", "Admin-1'é", ROOT)
    options = {"authMechanism": mechanism} if mechanism else {}
    good = call(sim, 0, 0, ("admin", "replSetGetConfig"), username="admin", password="Admin-1'é", **options)
    assert good == ["ok"]
    failed = [(18, "Authentication failed.")]
    assert call(sim, 0, 0, ("admin", "ping"), username="admin", password="wrong", **options) == failed
    assert call(sim, 0, 0, ("admin", "ping"), username="nobody", password="Admin-1'é", **options) == failed
    handshakes = [entry for entry in sim.log if entry["command"].lower() in ("ismaster", "hello")
                  and "speculativeAuthenticate" in entry["document"]]
    if mechanism != "SCRAM-SHA-1":  # the driver speculates SCRAM-SHA-256 in its first hello
        assert handshakes and handshakes[0]["document"]["speculativeAuthenticate"]["mechanism"] == "SCRAM-SHA-256"


def test_scram_sha_256_saslpreps_the_password_and_sha_1_does_not(simulation):
    """RFC 4013: U+00AD (soft hyphen) maps to nothing, so "I\u00adX" and "IX" are one SCRAM-SHA-256 password."""
    sim = initiated(simulation(3))
    sim.create_user("admin", "I\u00adX", ROOT)
    assert call(sim, 0, 0, ("admin", "ping"), username="admin", password="IX", authMechanism="SCRAM-SHA-256") == ["ok"]
    assert call(sim, 0, 0, ("admin", "ping"), username="admin", password="IX", authMechanism="SCRAM-SHA-1") == \
        [(18, "Authentication failed.")]


def test_replset_initiate_stores_mongods_defaults(simulation):
    sim = simulation(3, auth="none")
    config = {"_id": "rs0", "members": [{"_id": i, "host": host} for i, host in enumerate(sim.hosts)]}
    assert call(sim, 0, 0, ("admin", "replSetInitiate", config)) == ["ok"]
    stored = sim.config(0)
    assert list(stored) == ["_id", "version", "term", "members", "protocolVersion",
                            "writeConcernMajorityJournalDefault", "settings"]
    assert list(stored["members"][0]) == ["_id", "host", "arbiterOnly", "buildIndexes", "hidden", "priority", "tags",
                                          "secondaryDelaySecs", "votes"]
    assert stored["members"][0]["secondaryDelaySecs"] == Int64(0) and stored["members"][0]["priority"] == 1.0
    assert stored["protocolVersion"] == Int64(1) and stored["term"] == 0
    assert isinstance(stored["settings"]["replicaSetId"], ObjectId)
    assert stored["settings"]["electionTimeoutMillis"] == 10000 and stored["settings"]["chainingAllowed"] is True
    sim.wait_until(lambda: sim.primary() is not None, what="a primary")
    assert sim.config()["term"] == 1  # the new primary writes its term into the config
    again = call(sim, 0, 0, ("admin", "replSetInitiate", config))
    assert again == [(23, "already initialized")]


def test_replset_initiate_refusals(simulation):
    sim = simulation(3, auth="none")
    hosts = sim.hosts
    members = [{"_id": i, "host": host} for i, host in enumerate(hosts)]
    answers = call(
        sim, 0, 0,
        ("admin", "replSetInitiate", {"_id": "other", "members": members}),
        ("admin", "replSetInitiate", {"_id": "rs0", "members": members[1:]}),
        ("admin", "replSetInitiate", {"_id": "rs0", "members": members, "settings": {"replicaSetId": ObjectId()}}),
        ("admin", "replSetInitiate", {"_id": "rs0", "members": [dict(members[0], priority=2000)] + members[1:]}),
        ("admin", "replSetInitiate", {"_id": "rs0", "members": [dict(members[0], votes=0)] + members[1:]}),
        ("admin", "replSetInitiate", {"_id": "rs0",
                                      "members": members[:2] + [dict(members[2], arbiterOnly=True, votes=0)]}))
    assert answers[0][0] == 93 and "with name other, but command line reports rs0" in answers[0][1]
    assert answers[1] == (74, "No host described in new configuration with {version: 1, term: 0} for replica set rs0 "
                              "maps to this node")
    assert answers[2][0] == 93 and "cannot contain 'replicaSetId'" in answers[2][1]
    assert answers[3] == (2, "BSON field 'MemberConfig.priority' value must be <= 1000, actual value '2000'")
    assert answers[4] == (2, "priority must be 0 when non-voting (votes:0)")
    assert answers[5] == (2, "Arbiter must vote (cannot have 0 votes)")
    sim.stop_member(2)
    refused = call(sim, 0, 0, ("admin", "replSetInitiate", {"_id": "rs0", "members": members}))
    assert refused[0][0] == 74 and "quorum check failed" in refused[0][1] and hosts[2] in refused[0][1]


def test_reconfig_as_mongod_4_4_and_later(simulation):
    sim = initiated(simulation(5, auth="none"), {3: {"votes": 0, "priority": 0}, 4: {"votes": 0, "priority": 0}})
    current = sim.config()
    members = [dict(member) for member in current["members"][:3]]

    def config(version, member_list):
        return {"_id": "rs0", "version": version, "members": member_list}

    two_votes = [dict(member) for member in current["members"]]
    for member in two_votes[3:]:
        member.update(votes=1, priority=1)
    answers = call(sim, 0, 0,
                   ("admin", "replSetReconfig", config(current["version"], members)),
                   ("admin", "replSetReconfig", config(current["version"] + 1, two_votes)),
                   ("admin", "replSetReconfig", config(current["version"] + 1, [dict(members[0], newlyAdded=True)]
                                                       + members[1:])))
    assert answers[0][0] == 103 and "must be greater than old" in answers[0][1]
    assert answers[1] == (93, "Non force replica set reconfig can only add or remove at most 1 voting member.")
    assert answers[2] == (93, "Cannot provide newlyAdded field to member config during reconfig.")
    assert call(sim, 1, 1, ("admin", "replSetReconfig", config(current["version"] + 1, members)))[0][0] == 10107
    renumbered = [dict(member) for member in current["members"]]
    renumbered[3]["_id"] = 9
    answer = call(sim, 0, 0, ("admin", "replSetReconfig", config(current["version"] + 1, renumbered)))[0]
    assert answer[0] == 103 and "the _id field is 9 and in the old configuration it is 3" in answer[1]
    # A new voting member is marked newlyAdded; once it is SECONDARY the primary removes the field itself,
    # in a reconfig of its own that bumps the version.
    sim.stop_member(3)
    assert call(sim, 0, 0, ("admin", "replSetReconfig", config(current["version"] + 1, members))) == ["ok"]
    readded = members + [{"_id": 3, "host": sim.hosts[3]}]
    assert call(sim, 0, 0, ("admin", "replSetReconfig", config(current["version"] + 2, readded))) == ["ok"]
    stored = sim.config()
    assert stored["version"] == current["version"] + 2
    assert [member.get("newlyAdded") for member in stored["members"]] == [None, None, None, True]
    assert list(stored["members"][3])[:4] == ["_id", "host", "arbiterOnly", "newlyAdded"]
    sim.start_member(3)
    sim.wait_until(lambda: not any(m.get("newlyAdded") for m in sim.config()["members"]), what="newlyAdded removed")
    assert sim.config()["version"] == current["version"] + 3
    assert [event[1] for event in sim.events if event[1] == "automatic reconfig"] == ["automatic reconfig"]


def test_hello_reports_the_wire_version_of_the_release_it_claims(simulation):
    for version, wire in (("6.0", 17), ("7.0", 21), ("8.0", 25)):
        sim = simulation(1, standalone=True, auth="none", version=version)
        hello, build = call(sim, 0, 0, ("admin", "hello", 1, {"_keep": 1}), ("admin", "buildInfo", 1, {"_keep": 1}))
        assert hello["maxWireVersion"] == wire and hello["isWritablePrimary"] is True
        assert build["version"].startswith(version + ".")


def test_transition_to_auth_accepts_everyone_but_still_checks_passwords(simulation):
    sim = initiated(simulation(3, auth="transition"))
    sim.create_user("admin", "Admin-1", ROOT)
    assert call(sim, 1, 0, ("admin", "replSetGetConfig"), ("admin", "createUser", "x", {"pwd": "y", "roles": []})) \
        == ["ok", "ok"]
    assert call(sim, 0, 0, ("admin", "ping"), username="admin", password="wrong") == [(18, "Authentication failed.")]


def test_member_that_does_not_find_itself_goes_removed_with_error_93(simulation):
    sim = simulation(3, auth="none")
    sim.dns["mongo3.internal"] = sim.members[2].ip
    sim.members[2].resolver["mongo3.internal"] = "127.0.1.1"
    hosts = sim.hosts[:2] + ["mongo3.internal:%d" % sim.members[2].port]
    assert call(sim, 0, 0, ("admin", "replSetInitiate",
                            {"_id": "rs0", "members": [{"_id": i, "host": h} for i, h in enumerate(hosts)]})) == ["ok"]
    sim.wait_until(lambda: sim.state(2) == "REMOVED", what="member 2 to find itself removed")
    status, hello = call(sim, 2, 2, ("admin", "replSetGetStatus"), ("admin", "hello", 1, {"_keep": 1}))
    assert status == (93, "Our replica set config is invalid or we are not a member of it")
    assert hello["isreplicaset"] is True and "setName" not in hello


def watch_until_primary(host, port):
    client = pymongo.MongoClient(host=host, port=port, directConnection=True)
    seen = []
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            kind = list(client.topology_description.server_descriptions().values())[0].server_type_name
            if kind != "Unknown" and (not seen or seen[-1] != kind):
                seen.append(kind)
            if kind == "RSPrimary":
                break
            time.sleep(0.01)
    except PyMongoError:
        pass
    finally:
        client.close()
    return seen


def test_awaitable_hello_streams_topology_changes_to_the_drivers_monitor(simulation):
    """The driver's monitor asks once (awaitable hello, exhaustAllowed) and mongod streams every change."""
    sim = simulation(3, auth="none")
    watcher = Client(sim.members[0].ip, watch_until_primary, sim.members[0].ip, sim.members[0].port)
    sim.wait_until(lambda: any("maxAwaitTimeMS" in entry["document"] for entry in sim.log), what="an awaitable hello")
    initiated(sim)
    assert watcher.result() == ["RSGhost", "RSSecondary", "RSPrimary"]
    assert sim.members[0].listener.streamed_replies >= 2
