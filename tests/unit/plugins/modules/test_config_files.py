"""config_files on real files in a temporary directory: one run writes, checks and, when a check refuses,
puts everything back."""

from __future__ import annotations

import hashlib
import os
import stat

from ansible_collections.scalable.webstack.plugins.modules import config_files as module

from .module_runner import run_module


def run(capsys, **args):
    args.setdefault("_ansible_diff", True)
    return run_module(module, capsys, **args)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tree(path):
    """Every path under path with its content (files) or None (directories)."""
    found = {}
    for root, dirnames, filenames in os.walk(path):
        for name in dirnames:
            found[os.path.relpath(os.path.join(root, name), path)] = None
        for name in filenames:
            full = os.path.join(root, name)
            found[os.path.relpath(full, path)] = (open(full, "rb").read(), mode_of(full))
    return found


def test_new_directories_and_files_get_their_attributes_then_nothing_changes(tmp_path, capsys):
    conf = tmp_path / "etc" / "app"
    args = dict(mode="0640", directory_mode="0750",
                directories=[dict(path=str(conf)), dict(path=str(conf / "sites"), mode="0755")],
                files=[dict(dest=str(conf / "main.conf"), content="a = 1\n"),
                       dict(dest=str(conf / "sites" / "shop.conf"), content="shop\n", mode="0644")])
    code, result = run(capsys, **args)
    assert code == 0 and result["changed"], result
    assert (conf / "main.conf").read_text() == "a = 1\n" and mode_of(conf / "main.conf") == 0o640
    assert mode_of(conf) == 0o750 and mode_of(conf / "sites") == 0o755
    assert mode_of(conf / "sites" / "shop.conf") == 0o644
    assert sorted(result["changed_paths"]) == sorted([str(conf), str(conf / "sites"), str(conf / "main.conf"),
                                                      str(conf / "sites" / "shop.conf")])
    code, result = run(capsys, **args)
    assert code == 0 and not result["changed"] and result["changed_paths"] == [] and result["diff"] == []
    assert sorted(os.listdir(conf)) == ["main.conf", "sites"]


def test_a_changed_content_is_reported_with_its_diff_and_a_secret_without_it(tmp_path, capsys):
    (tmp_path / "app.conf").write_text("old\n")
    (tmp_path / "app.env").write_text("PASSWORD=old\n")
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "app.conf"), content="new\n"),
                                      dict(dest=str(tmp_path / "app.env"), content="PASSWORD=n3w\n", secret=True)])
    assert code == 0 and result["changed"]
    assert [entry["state"] for entry in result["results"]] == ["content", "content"]
    assert {"before": "old\n", "after": "new\n"}.items() <= result["diff"][0].items()
    shown = {key: value for key, value in result.items() if key != "invocation"}
    assert "n3w" not in str(shown) and "old" not in str(result["diff"][1])
    assert (tmp_path / "app.env").read_text() == "PASSWORD=n3w\n"


def test_a_file_its_own_check_refuses_is_not_written_and_nothing_else_changes(tmp_path, capsys):
    (tmp_path / "good.conf").write_text("good\n")
    (tmp_path / "other.conf").write_text("other\n")
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "other.conf"), content="changed\n"),
                                      dict(dest=str(tmp_path / "good.conf"), content="bad\n",
                                           validate="grep -q ^good %s")])
    assert code == 1, result
    assert "refused the new %s" % (tmp_path / "good.conf") in result["msg"] and result["rc"] == 1
    assert (tmp_path / "good.conf").read_text() == "good\n" and (tmp_path / "other.conf").read_text() == "other\n"
    assert sorted(os.listdir(tmp_path)) == ["good.conf", "other.conf"]


def test_a_set_the_final_check_refuses_is_put_back_byte_for_byte(tmp_path, capsys):
    etc = tmp_path / "etc"
    sites = etc / "sites"
    sites.mkdir(parents=True)
    (etc / "main.conf").write_bytes(b"main\n")
    os.chmod(etc / "main.conf", 0o600)
    (sites / "old.conf").write_bytes(b"old site\n")
    (sites / "README").write_bytes(b"not pruned\n")
    before = tree(etc)
    # The check sees the new set in place: the new site is there and the old one gone.
    check = "sh -c 'test -f %s && test ! -f %s && echo \"[emerg] unknown directive bad\" >&2 && exit 1'" % (
        sites / "new.conf", sites / "old.conf")
    code, result = run(capsys, validate=check, mode="0644",
                       directories=[dict(path=str(sites), prune=True, prune_patterns=["*.conf"]),
                                    dict(path=str(etc / "conf.d"))],
                       files=[dict(dest=str(etc / "main.conf"), content="main changed\n"),
                              dict(dest=str(sites / "new.conf"), content="new site\n")])
    assert code == 1, result
    assert "[emerg] unknown directive bad" in result["msg"] and "put back" in result["msg"]
    assert tree(etc) == before


def test_files_no_longer_listed_are_pruned_by_pattern(tmp_path, capsys):
    sites = tmp_path / "sites"
    sites.mkdir()
    for name in ("keep.conf", "stale.conf", "notes.txt"):
        (sites / name).write_text(name)
    code, result = run(capsys, directories=[dict(path=str(sites), prune=True, prune_patterns=["*.conf"])],
                       files=[dict(dest=str(sites / "keep.conf"), content="keep.conf")])
    assert code == 0 and result["changed"]
    assert result["results"] == [dict(path=str(sites / "stale.conf"), type="file", state="pruned")]
    assert sorted(os.listdir(sites)) == ["keep.conf", "notes.txt"]


def test_a_recursive_prune_removes_stale_files_and_directories(tmp_path, capsys):
    code_dir = tmp_path / "src"
    (code_dir / "pkg" / "old").mkdir(parents=True)
    (code_dir / "pkg" / "old" / "gone.py").write_text("")
    (code_dir / "pkg" / "mod.py").write_text("x = 1\n")
    code, result = run(capsys, directories=[dict(path=str(code_dir), prune=True, recursive=True),
                                            dict(path=str(code_dir / "pkg"))],
                       files=[dict(dest=str(code_dir / "pkg" / "mod.py"), content="x = 1\n")])
    assert code == 0 and result["changed"], result
    assert tree(code_dir) == {"pkg": None, "pkg/mod.py": (b"x = 1\n", mode_of(code_dir / "pkg" / "mod.py"))}


def test_check_mode_reports_every_change_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "a.conf").write_text("a\n")
    code, result = run(capsys, _ansible_check_mode=True, mode="0600",
                       directories=[dict(path=str(tmp_path / "new"))],
                       files=[dict(dest=str(tmp_path / "a.conf"), content="b\n"),
                              dict(dest=str(tmp_path / "new" / "c.conf"), content="c\n")])
    assert code == 0 and result["changed"]
    assert [entry["state"] for entry in result["results"]] == ["created", "content", "created"]
    assert (tmp_path / "a.conf").read_text() == "a\n" and not (tmp_path / "new").exists()


def test_the_first_pass_names_the_files_whose_content_it_needs(tmp_path, capsys):
    (tmp_path / "same.conf").write_text("same\n")
    (tmp_path / "other.conf").write_text("other\n")
    files = [dict(dest=str(tmp_path / name), checksum=hashlib.sha1(b"same\n").hexdigest())
             for name in ("same.conf", "other.conf")]
    code, result = run(capsys, plan_only=True, files=files)
    assert code == 0 and result["changed"] and result["needs_content"] == [str(tmp_path / "other.conf")]
    assert (tmp_path / "other.conf").read_text() == "other\n"


def test_exists_creates_an_empty_file_and_leaves_a_content_alone(tmp_path, capsys):
    log = tmp_path / "app.log"
    code, result = run(capsys, files=[dict(dest=str(log), state="exists", mode="0640")])
    assert code == 0 and result["changed"] and log.read_text() == "" and mode_of(log) == 0o640
    log.write_text("a line\n")
    code, result = run(capsys, files=[dict(dest=str(log), state="exists", mode="0640")])
    assert code == 0 and not result["changed"] and log.read_text() == "a line\n"


def test_touch_reports_a_change_and_moves_the_modification_time(tmp_path, capsys):
    vassal = tmp_path / "app.ini"
    vassal.write_text("[uwsgi]\n")
    os.utime(vassal, (1000, 1000))
    code, result = run(capsys, files=[dict(dest=str(vassal), content="[uwsgi]\n", touch=True)])
    assert code == 0 and result["changed"] and result["results"][0]["state"] == "touched"
    assert os.stat(vassal).st_mtime > 1000


def test_backup_keeps_the_replaced_and_the_removed_files(tmp_path, capsys):
    (tmp_path / "a.conf").write_text("a\n")
    (tmp_path / "b.conf").write_text("b\n")
    code, result = run(capsys, backup=True, files=[dict(dest=str(tmp_path / "a.conf"), content="A\n"),
                                                   dict(dest=str(tmp_path / "b.conf"), state="absent")])
    assert code == 0 and result["changed"]
    backups = result["backups"]
    assert open(backups[str(tmp_path / "a.conf")]).read() == "a\n"
    assert open(backups[str(tmp_path / "b.conf")]).read() == "b\n"
    assert not (tmp_path / "b.conf").exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_a_link_at_dest_is_replaced_by_the_file(tmp_path, capsys):
    (tmp_path / "target").write_text("x\n")
    os.symlink(tmp_path / "target", tmp_path / "app.conf")
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "app.conf"), content="x\n")])
    assert code == 0 and result["changed"]
    assert not os.path.islink(tmp_path / "app.conf") and (tmp_path / "target").read_text() == "x\n"


def test_bad_arguments_are_refused_with_what_is_wrong(tmp_path, capsys):
    dest = str(tmp_path / "a.conf")
    code, result = run(capsys, files=[dict(dest=dest, content="1"), dict(dest=dest, content="2")])
    assert code == 1 and result["msg"] == "files lists %s more than once" % dest
    code, result = run(capsys, files=[dict(dest=dest, template="a.j2")])
    assert code == 1 and "only the action plugin reads" in result["msg"]
    code, result = run(capsys, files=[dict(dest=dest, content="1", mode="rw-r")])
    assert code == 1 and "mode 'rw-r' is not an octal number" in result["msg"]
    code, result = run(capsys, files=[dict(dest=dest, content="1", owner="no-such-user-here")])
    assert code == 1 and "no such user no-such-user-here" in result["msg"]
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "missing" / "a.conf"), content="1")])
    assert code == 1 and "does not exist: add it to directories" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_keep_previous_returns_what_a_changed_or_removed_file_held(tmp_path, capsys):
    (tmp_path / "names").write_text("A B\n")
    (tmp_path / "marker").write_text("1234\n")
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "names"), content="A\n", keep_previous=True),
                                      dict(dest=str(tmp_path / "marker"), state="absent", keep_previous=True)])
    assert code == 0 and [entry["previous"] for entry in result["results"]] == ["A B\n", "1234\n"]
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "names"), content="A\n", keep_previous=True),
                                      dict(dest=str(tmp_path / "marker"), state="absent", keep_previous=True)])
    assert code == 0 and result["results"] == []


def test_report_size_gives_the_size_before_the_run(tmp_path, capsys):
    (tmp_path / "app.log").write_text("twelve bytes")
    code, result = run(capsys, files=[dict(dest=str(tmp_path / "app.log"), state="exists", report_size=True),
                                      dict(dest=str(tmp_path / "new.log"), state="exists", report_size=True)])
    assert code == 0 and result["sizes"] == {str(tmp_path / "app.log"): 12, str(tmp_path / "new.log"): 0}


def test_read_returns_small_text_files_and_changes_nothing(tmp_path, capsys):
    (tmp_path / "requirements.lock").write_text("bottle==0.13.2\n")
    (tmp_path / "binary").write_bytes(b"\x00\x01")
    paths = [str(tmp_path / name) for name in ("requirements.lock", "binary", "missing")]
    code, result = run(capsys, read=paths)
    assert code == 0 and not result["changed"]
    assert result["contents"] == dict(zip(paths, ["bottle==0.13.2\n", None, None]))
