"""system_users on this machine's account databases, with accounts made for the test and removed after it."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.scalable.webstack.plugins.modules import system_users as module

from .module_runner import run_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                                reason="needs root and useradd to make and remove accounts")


@pytest.fixture
def names():
    made = ["wst%s" % uuid.uuid4().hex[:8], "wst%s" % uuid.uuid4().hex[:8]]
    yield made
    for name in made:
        subprocess.run(["userdel", name], capture_output=True, check=False)
        subprocess.run(["groupdel", name], capture_output=True, check=False)


def run(capsys, **args):
    return run_module(module, capsys, **args)


def test_users_and_groups_are_made_then_left_alone(capsys, names):
    users = [dict(name=name, group=name, home="/opt/%s" % name, comment="app %s" % name) for name in names]
    groups = [dict(name=name) for name in names]
    code, result = run(capsys, groups=groups, users=users)
    assert code == 0 and result["changed"]
    assert result["changed_accounts"] == ["group %s added" % n for n in names] + ["user %s added" % n for n in names]
    entry = pwd.getpwnam(names[0])
    assert (entry.pw_dir, entry.pw_shell, entry.pw_gecos) == ("/opt/%s" % names[0], "/usr/sbin/nologin", "app " + names[0])
    assert grp.getgrgid(entry.pw_gid).gr_name == names[0] and not os.path.exists("/opt/%s" % names[0])
    code, result = run(capsys, groups=groups, users=users)
    assert code == 0 and not result["changed"] and result["changed_accounts"] == []


def test_a_differing_user_is_changed_and_absent_ones_removed(capsys, names):
    run(capsys, groups=[dict(name=n) for n in names], users=[dict(name=names[0], group=names[0])])
    code, result = run(capsys, users=[dict(name=names[0], group=names[1], shell="/bin/false")])
    assert code == 0 and result["changed_accounts"] == ["user %s changed (group, shell)" % names[0]]
    assert pwd.getpwnam(names[0]).pw_shell == "/bin/false"
    code, result = run(capsys, users=[dict(name=names[0], state="absent")],
                       groups=[dict(name=names[0], state="absent")])
    assert result["changed_accounts"] == ["user %s removed" % names[0], "group %s removed" % names[0]]
    with pytest.raises(KeyError):
        pwd.getpwnam(names[0])


def test_a_missing_group_and_check_mode_change_nothing(capsys, names):
    code, result = run(capsys, users=[dict(name=names[0], group=names[1])])
    assert code == 1 and "the group %s of %s does not exist" % (names[1], names[0]) in result["msg"]
    code, result = run(capsys, _ansible_check_mode=True, groups=[dict(name=names[0])],
                       users=[dict(name=names[0], group=names[0])])
    assert code == 0 and result["changed"]
    with pytest.raises(KeyError):
        grp.getgrnam(names[0])
