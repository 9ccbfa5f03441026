"""The set as an app sees it: writes through the replica set URI survive stopping the primary."""

from __future__ import annotations

import json

import testinfra

testinfra_hosts = ["ansible://mongodb-app"]

URI = "mongodb://shop:shop-Secret'1@mongodb-1,mongodb-2,mongodb-3/shop?replicaSet=rs0&authSource=shop"
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
"""


def client(host, *args):
    quoted = " ".join("'%s'" % arg.replace("'", "'\\''") for arg in args)
    return json.loads(host.check_output("python3 -c '%s' %s" % (CLIENT.replace("'", "'\\''"), quoted)))


def test_writes_reach_the_set(host):
    assert client(host, URI, "write", "10", "first") == 10
    assert client(host, URI, "count", "first") == 10


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
