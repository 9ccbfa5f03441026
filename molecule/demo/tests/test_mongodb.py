"""The replica set, where MongoDB's repository was reachable; otherwise the demo left MongoDB out."""

import json
import os

import pytest

from conftest import other_host

testinfra_hosts = ["ansible://demo-lb1"]
MEMBERS = ["demo-mongo1", "demo-mongo2", "demo-mongo3"]


def test_the_replica_set_has_a_primary_and_two_secondaries(host):
    member = other_host(host, MEMBERS[0])
    if not member.package("mongodb-org-server").is_installed:
        pytest.skip("MongoDB was left out: its apt repository was unreachable (the converge output says so)")
    with open(os.path.expanduser("~/.cache/scalable-webstack/demo-secrets/mongodb_admin_password")) as secret:
        password = secret.read().strip()
    status = member.check_output(
        "mongosh --quiet -u admin -p %s --authenticationDatabase admin --eval %s", password,
        "JSON.stringify(rs.status().members.map(m => m.stateStr))")
    assert sorted(json.loads(status)) == ["PRIMARY", "SECONDARY", "SECONDARY"]
