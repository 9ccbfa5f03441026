"""config_file on real files in a temporary directory."""

from __future__ import annotations

import os
import stat

from ansible_collections.scalable.webstack.plugins.modules import config_file as module

from .module_runner import run_module


def run(capsys, **args):
    return run_module(module, capsys, **args)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_its_content_and_mode_then_nothing_changes(tmp_path, capsys):
    dest = str(tmp_path / "app.conf")
    code, result = run(capsys, dest=dest, content="a = 1\n", mode="0640")
    assert code == 0 and result["changed"]
    assert open(dest).read() == "a = 1\n" and mode_of(dest) == 0o640
    code, result = run(capsys, dest=dest, content="a = 1\n", mode="0640")
    assert code == 0 and not result["changed"]
    assert os.listdir(tmp_path) == ["app.conf"]


def test_content_refused_by_validate_leaves_the_old_file_and_no_temporary_file(tmp_path, capsys):
    dest = tmp_path / "app.conf"
    dest.write_text("good\n")
    code, result = run(capsys, dest=str(dest), content="bad\n", validate="grep -q ^good %s")
    assert code == 1 and result["msg"] == "failed to validate" and result["exit_status"] == 1
    assert dest.read_text() == "good\n"
    assert os.listdir(tmp_path) == ["app.conf"]


def test_validate_sees_the_new_content_with_its_final_mode(tmp_path, capsys):
    dest = tmp_path / "app.conf"
    dest.write_text("old\n")
    code, result = run(capsys, dest=str(dest), content="new\n", mode="0600",
                       validate="sh -c 'grep -q ^new \"$0\" && test \"$(stat -c %%a \"$0\")\" = 600' %s")
    assert code == 0 and result["changed"], result
    assert dest.read_text() == "new\n" and mode_of(dest) == 0o600


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path, capsys):
    dest = tmp_path / "app.conf"
    dest.write_text("old\n")
    code, result = run(capsys, dest=str(dest), content="new\n", _ansible_check_mode=True, _ansible_diff=True)
    assert code == 0 and result["changed"]
    assert result["diff"][0]["before"] == "old\n" and result["diff"][0]["after"] == "new\n"
    assert dest.read_text() == "old\n"
    code, result = run(capsys, dest=str(tmp_path / "new.conf"), content="x\n", _ansible_check_mode=True)
    assert code == 0 and result["changed"] and not (tmp_path / "new.conf").exists()


def test_a_mode_change_alone_is_a_change_with_its_diff(tmp_path, capsys):
    dest = tmp_path / "app.conf"
    dest.write_text("same\n")
    os.chmod(dest, 0o644)
    code, result = run(capsys, dest=str(dest), content="same\n", mode="0600", _ansible_diff=True)
    assert code == 0 and result["changed"] and mode_of(dest) == 0o600
    assert result["diff"] == [{"before": {"mode": "0644"}, "after": {"mode": "0600"}}]


def test_backup_keeps_the_previous_file(tmp_path, capsys):
    dest = tmp_path / "app.conf"
    dest.write_text("old\n")
    code, result = run(capsys, dest=str(dest), content="new\n", backup=True)
    assert code == 0 and open(result["backup_file"]).read() == "old\n"
    assert dest.read_text() == "new\n"


def test_a_missing_directory_is_an_error(tmp_path, capsys):
    code, result = run(capsys, dest=str(tmp_path / "nowhere" / "app.conf"), content="x\n")
    assert code == 1 and "does not exist" in result["msg"]


def test_a_link_at_dest_is_replaced_by_the_file_and_its_target_left_alone(tmp_path, capsys):
    target = tmp_path / "target.conf"
    target.write_text("same\n")
    dest = tmp_path / "app.conf"
    dest.symlink_to(target)
    code, result = run(capsys, dest=str(dest), content="same\n")
    assert code == 0 and result["changed"]
    assert not dest.is_symlink() and dest.read_text() == "same\n"
    assert target.read_text() == "same\n"
