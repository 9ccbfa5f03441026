"""mongodb_users against the simulated replica set (see replset_simulation.py)."""

from __future__ import annotations

from ansible_collections.scalable.webstack.plugins.modules import mongodb_users as module

from .mongodb_harness import ADMIN, on_every_member, run, simulation, writes  # noqa: F401 pylint: disable=unused-import
from .module_runner import run_module

SHOP = {"name": "shop", "password": "Shop-Secret'1", "database": "shop", "roles": ["readWrite"]}


def ready(make, **kwargs):
    sim = make(3, **kwargs)
    results = on_every_member(sim, create_login_user=True, **ADMIN)
    assert all(code == 0 for code, dummy in results.values()), results
    return sim


def users(sim, index, *entries, **args):
    return run(sim, index, module, users=list(entries), **dict(ADMIN, **args))


def logins(sim, user):
    """The SCRAM conversations a member was asked for as ``user`` (saslStart or speculative hello)."""
    found = []
    for entry in sim.log:
        document = entry["document"]
        start = document if entry["command"] == "saslStart" else document.get("speculativeAuthenticate")
        if isinstance(start, dict) and b"n=%s," % user.encode() in bytes(start.get("payload", b"")):
            found.append(entry)
    return found


def test_users_are_created_on_the_primary_and_a_second_run_changes_nothing(simulation):
    sim = ready(simulation)
    code, result = users(sim, 2, SHOP, {"name": "ops", "password": "Ops-1", "roles": [{"role": "read", "db": "shop"}]})
    assert code == 0 and result["changed"], result
    assert result["created"] == ["shop@shop", "ops@admin"] and result["primary"] == sim.hosts[0]
    assert [(member, command) for member, command in writes(sim) if command == "createUser"][1:] == \
        [(0, "createUser"), (0, "createUser")]
    sim.wait_until(lambda: sim.users(2) == {"admin@admin", "shop@shop", "ops@admin"}, what="the users to replicate")
    assert sim.user(1, "shop", "shop")["roles"] == [{"role": "readWrite", "db": "shop"}]

    mark = len(sim.log)
    code, result = users(sim, 1, SHOP, {"name": "ops", "password": "Ops-1", "roles": [{"role": "read", "db": "shop"}]})
    assert code == 0 and not result["changed"] and result["created"] == result["updated"] == []
    assert writes(sim, mark) == []
    # The passwords were compared with the stored keys, never by logging in as the users.
    assert logins(sim, "shop") == [] and logins(sim, "ops") == []


def test_a_changed_password_or_roles_is_updated_and_only_then(simulation):
    sim = ready(simulation)
    users(sim, 0, SHOP)
    mark = len(sim.log)
    code, result = users(sim, 0, dict(SHOP, password="Another-2"), _ansible_diff=True)
    assert code == 0 and result["updated"] == ["shop@shop"]
    update = sim.received("updateUser")[-1]["document"]
    assert update["pwd"] == "Another-2" and "roles" not in update
    assert result["diff"]["after"]["shop@shop"]["password"] == "changed"
    assert "Another-2" not in str(result["diff"])

    code, result = users(sim, 0, dict(SHOP, password="Another-2", roles=["read"]))
    assert result["updated"] == ["shop@shop"]
    update = sim.received("updateUser")[-1]["document"]
    assert update["roles"] == [{"role": "read", "db": "shop"}] and "pwd" not in update
    assert sim.user(0, "shop", "shop")["roles"] == [{"role": "read", "db": "shop"}]
    assert [command for dummy, command in writes(sim, mark)] == ["updateUser", "updateUser"]

    code, result = users(sim, 0, dict(SHOP, password="Third-3", roles=["read"]), update_password="on_create")
    assert code == 0 and not result["changed"]


def test_absent_users_are_dropped_and_check_mode_changes_nothing(simulation):
    sim = ready(simulation)
    users(sim, 0, SHOP)
    mark = len(sim.log)
    code, result = users(sim, 0, dict(SHOP, state="absent"), {"name": "new", "password": "New-1", "roles": []},
                         _ansible_check_mode=True)
    assert code == 0 and result["removed"] == ["shop@shop"] and result["created"] == ["new@admin"]
    assert writes(sim, mark) == []
    code, result = users(sim, 0, dict(SHOP, state="absent"))
    assert result["removed"] == ["shop@shop"]
    assert "shop@shop" not in sim.users(0)


def test_wrong_admin_password_and_missing_privileges_are_named(simulation):
    sim = ready(simulation)
    sim.create_user("reader", "Reader-1", ["readAnyDatabase"])
    sim.wait_until(lambda: "reader@admin" in sim.users(1), what="the user to replicate")
    mark = len(sim.log)
    code, result = users(sim, 1, SHOP, login_password="wrong")
    assert code == 1
    # Logged in to on the primary only: a user just created there may not have reached member 1 yet.
    assert result["msg"].startswith("authentication as admin@admin failed on %s (error 18" % sim.hosts[0])
    code, result = users(sim, 1, SHOP, login_user="reader", login_password="Reader-1")
    assert code == 1 and result["msg"].startswith("reader@admin may not run usersInfo on %s" % sim.hosts[0])
    assert "error 13 Unauthorized: not authorized on shop to execute command" in result["msg"]
    assert writes(sim, mark) == []


def test_bad_entries_are_refused_before_anything_is_sent(simulation, capsys):
    sim = ready(simulation)
    mark = len(sim.log)
    code, result = users(sim, 0, {"name": "x", "roles": ["read"]})
    assert code == 1 and result["msg"] == "users[x@admin]: password is required to create the user"
    code, result = run_module(module, capsys, users=[{"name": "x", "password": "p", "roles": [{"role": "read"}]}])
    assert code == 1
    assert result["msg"] == "users[x@admin].roles[0]: a role is a name or a dict with role and db, got {'role': 'read'}"
    code, result = run_module(module, capsys, users=[{"password": "p"}])
    assert code == 1 and "name" in result["msg"]
    assert writes(sim, mark) == []
