"""The pure parts of _mongodb: member input, planning, JSON-safety and SCRAM keys."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import uuid

import pytest
from bson import Binary, Decimal128, Int64, ObjectId, Timestamp

from ansible_collections.scalable.webstack.plugins.module_utils._mongodb import (
    desired_config,
    json_safe,
    managed_view,
    next_step,
    password_matches,
    plan_reconfig,
    scram_stored_key,
)
from ansible_collections.scalable.webstack.plugins.module_utils._mongodb_members import (
    InvalidMembers,
    normalize_member,
)


def members(*given):
    return [normalize_member(member, index) for index, member in enumerate(given)]


def test_member_input_as_ansible_gives_it():
    member = normalize_member({"host": "db2", "hidden": "yes", "votes": "0", "priority": "0",
                               "secondary_delay_secs": "3600", "tags": {"dc": "east"}})
    assert member == {"host": "db2:27017", "arbiterOnly": False, "hidden": True, "votes": 0, "priority": 0.0,
                      "secondaryDelaySecs": 3600, "tags": {"dc": "east"}}
    assert normalize_member("db1")["priority"] == 1.0 and normalize_member("db1")["tags"] is None
    assert normalize_member({"host": "arb", "arbiter": True})["priority"] == 0.0
    assert normalize_member("[2001:db8::1]")["host"] == "[2001:db8::1]:27017"


@pytest.mark.parametrize("member, message", [
    ({"host": "a", "votes": 2}, "members[0] (a:27017): votes must be 0 or 1, got 2"),
    ({"host": "a", "votes": "yes"}, "members[0] (a:27017): votes must be 0 or 1, got 'yes'"),
    ({"host": "a", "priority": None, "votes": 1.5}, "votes must be 0 or 1, got 1.5"),
    ({"host": "a", "priority": [1]}, "members[0] (a:27017): priority must be a number, got [1]"),
    ({"host": 5}, "members[0]: host must be a non-empty string like db1.example.com:27017, got 5"),
    (None, "members[0]: a member is a host string or a dict with host, got NoneType None"),
])
def test_member_input_errors_name_the_option_and_the_value(member, message):
    with pytest.raises(InvalidMembers) as raised:
        normalize_member(member)
    assert message in str(raised.value)


def test_desired_config_keeps_what_the_module_does_not_manage():
    current = {"_id": "rs0", "version": 7, "term": 3, "protocolVersion": Int64(1),
               "settings": {"electionTimeoutMillis": 10000, "replicaSetId": ObjectId()},
               "members": [
                   {"_id": 0, "host": "a:1", "arbiterOnly": False, "buildIndexes": True, "hidden": False,
                    "priority": 1.0, "tags": {"dc": "east"}, "secondaryDelaySecs": Int64(0), "votes": 1},
                   {"_id": 1, "host": "b:1", "arbiterOnly": False, "newlyAdded": True, "buildIndexes": False,
                    "hidden": False, "priority": 0.0, "tags": {}, "horizons": {"out": "b.example.com:1"},
                    "secondaryDelaySecs": Int64(0), "votes": 1}]}
    target = desired_config("rs0", members("a:1", {"host": "b:1", "priority": 0}, "c:1"),
                            {"chainingAllowed": False}, current)
    a, b, c = target["members"]
    assert a["tags"] == {"dc": "east"} and a["_id"] == 0
    assert b["buildIndexes"] is False and b["horizons"] == {"out": "b.example.com:1"} and "newlyAdded" not in b
    assert c == {"_id": 2, "host": "c:1", "arbiterOnly": False, "hidden": False, "priority": 1.0, "tags": {},
                 "secondaryDelaySecs": 0, "votes": 1}
    assert target["settings"]["replicaSetId"] == current["settings"]["replicaSetId"]
    assert target["settings"]["chainingAllowed"] is False and target["version"] == 8
    assert list(b)[:3] == ["_id", "host", "arbiterOnly"]


def test_steps_read_again_from_a_config_the_primary_bumped_itself():
    """After adding a voter, mongod marks it newlyAdded and later bumps the version on its own; the next step
    starts from that version and never carries newlyAdded."""
    start = {"_id": "rs0", "version": 1, "members": [{"_id": 0, "host": "a:1"}]}
    target = desired_config("rs0", members("a:1", "b:1", "c:1"), {}, start)
    first = next_step(start, target)
    assert first["version"] == 2 and [m["host"] for m in first["members"]] == ["a:1", "b:1"]
    as_stored = dict(first, members=[first["members"][0], dict(first["members"][1], newlyAdded=True)])
    after_auto = dict(as_stored, version=3, members=[first["members"][0], first["members"][1]])
    second = next_step(after_auto, target)
    assert second["version"] == 4 and [m["host"] for m in second["members"]] == ["a:1", "b:1", "c:1"]
    assert all("newlyAdded" not in m for m in next_step(as_stored, target)["members"])
    assert next_step(dict(second, version=5), target) is None


def test_removals_come_after_additions_and_non_voting_changes_first():
    hosts = ["a:1", "b:1", "c:1"]
    current = {"_id": "rs0", "version": 1, "members": [{"_id": i, "host": h} for i, h in enumerate(hosts)]}
    target = desired_config("rs0", members({"host": "a:1", "priority": 5}, "b:1", "d:1"), {}, current)
    steps = plan_reconfig(current, target)
    described = [sorted(m["host"] for m in step["members"]) for step in steps]
    assert described == [["a:1", "b:1", "c:1"], ["a:1", "b:1", "c:1", "d:1"], ["a:1", "b:1", "d:1"]]
    assert steps[0]["members"][0]["priority"] == 5
    assert managed_view(steps[-1]) == managed_view(target)


def test_json_safe_turns_every_bson_type_into_json():
    moment = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
    identifier = uuid.UUID("12345678-1234-5678-1234-567812345678")
    document = {"replicaSetId": ObjectId("65a1b2c3d4e5f60718293a4b"), "opTime": {"ts": Timestamp(1700000000, 3),
                                                                                 "t": Int64(7)},
                "date": moment, "userId": Binary.from_uuid(identifier), "uuid": identifier,
                "amount": Decimal128("1.5"), "raw": b"\x00\x01", "list": (1, 2)}
    safe = json_safe(document)
    assert json.loads(json.dumps(safe)) == safe
    assert safe["replicaSetId"] == "65a1b2c3d4e5f60718293a4b"
    assert safe["opTime"] == {"ts": {"t": 1700000000, "i": 3}, "t": 7} and not isinstance(safe["opTime"]["t"], Int64)
    assert safe["date"] == "2026-11-30T12:00:00+00:00" and safe["uuid"] == str(identifier)
    assert safe["amount"] == "1.5" and safe["raw"] == "AAE=" and safe["list"] == [1, 2]


def test_scram_sha_256_stored_key_verifies_rfc_7677s_exchange():
    """RFC 7677 section 3: user "user", password "pencil"; the client proof must check against our StoredKey."""
    stored = base64.b64decode(scram_stored_key("SCRAM-SHA-256", "user", "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096))
    client_first = b"n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    without_proof = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored, b",".join((client_first, server_first, without_proof)), hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature))
    assert hashlib.sha256(client_key).digest() == stored


def test_password_matches_the_credentials_mongod_would_store():
    from ansible_collections.scalable.webstack.tests.unit.plugins.modules.mongod_sim.scram import make_credentials

    credentials = {mechanism: make_credentials(mechanism, "shop", "Shop-Secret'1")
                   for mechanism in ("SCRAM-SHA-1", "SCRAM-SHA-256")}
    assert password_matches("shop", "Shop-Secret'1", credentials) is True
    assert password_matches("shop", "shop-secret'1", credentials) is False
    only_sha1 = {"SCRAM-SHA-1": credentials["SCRAM-SHA-1"]}
    assert password_matches("shop", "Shop-Secret'1", only_sha1) is True
    assert password_matches("other", "Shop-Secret'1", only_sha1) is False  # SHA-1 salts "user:mongo:password"
    assert password_matches("shop", "x", {}) is None
