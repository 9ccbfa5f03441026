"""The set as an app sees it: writes through the replica set URI survive stopping the primary; access control
is on (the admin user was created through the localhost exception, unauthenticated clients are refused); the
modules run with the role's pymongo 4."""

from __future__ import annotations

import json

import testinfra

testinfra_hosts = ["ansible://mongodb-app"]

URI = "mongodb://shop:shop-Secret'1@mongodb-1,mongodb-2,mongodb-3/shop?replicaSet=rs0&authSource=shop"
ADMIN_URI = "mongodb://admin:admin-Secret'1@mongodb-1,mongodb-2,mongodb-3/admin?replicaSet=rs0"
ANONYMOUS_URI = "mongodb://mongodb-1,mongodb-2,mongodb-3/admin?replicaSet=rs0"
CLIENT = """
import json, sys, time
from pymongo import MongoClient
client = MongoClient(sys.argv[1], serverSelectionTimeoutMS=30000, retryWrites=True)
action = sys.argv[2]
if action == "primary":
    print(json.dumps(client.admin.command("hello")["primary"]))
elif action == "write":
    ok = 0
    for number in range(int(sys.argv[3])):
        client.shop.products.insert_one({"name": "p%d" % number, "batch": sys.argv[4]})
        ok += 1
        time.sleep(0.05)
    print(json.dumps(ok))
elif action == "count":
    print(json.dumps(client.shop.products.count_documents({"batch": sys.argv[3]})))
elif action == "status":
    try:
        status = client.admin.command("replSetGetStatus")
        print(json.dumps(sorted(member["stateStr"] for member in status["members"])))
    except Exception as error:
        print(json.dumps(str(error)))
elif action == "users":
    print(json.dumps(sorted(user["_id"] for user in client.admin.command("usersInfo", {"forAllDBs": True})["users"])))
"""


def client(host, *args):
    quoted = " ".join("'%s'" % arg.replace("'", "'\\''") for arg in args)
    return json.loads(host.check_output("python3 -c '%s' %s" % (CLIENT.replace("'", "'\\''"), quoted)))


def test_writes_reach_the_set(host):
    assert client(host, URI, "write", "10", "first") == 10
    assert client(host, URI, "count", "first") == 10


def test_access_control_is_on_and_the_admin_user_works(host):
    assert client(host, ADMIN_URI, "status") == ["PRIMARY", "SECONDARY", "SECONDARY"]
    assert "requires authentication" in client(host, ANONYMOUS_URI, "status")
    assert client(host, ADMIN_URI, "users") == ["admin.admin", "shop.shop"]


def test_the_modules_run_with_pymongo_4_from_the_role(request):
    member = testinfra.get_host("ansible://mongodb-1", ansible_inventory=request.config.option.ansible_inventory)
    version = member.check_output("/opt/scalable-webstack/mongodb-python/bin/python -c 'import pymongo; "
                                  "print(pymongo.version)'")
    assert int(version.split(".")[0]) >= 4


def test_writes_survive_stopping_the_primary(host, request):
    primary = client(host, URI, "primary").split(":")[0]
    member = testinfra.get_host("ansible://" + primary, ansible_inventory=request.config.option.ansible_inventory)
    member.check_output("systemctl stop mongod")
    try:
        assert client(host, URI, "write", "40", "failover") == 40
        assert client(host, URI, "primary").split(":")[0] != primary
    finally:
        member.check_output("systemctl start mongod")
    assert client(host, URI, "count", "failover") == 40
