"""file_state on real files, directories, links and this machine's user and group databases."""

from __future__ import annotations

import hashlib
import pwd

from ansible_collections.scalable.webstack.plugins.modules import file_state as module

from .module_runner import run_module


def run_main(capsys, **args):
    return run_module(module, capsys, **args)


def test_describes_files_directories_links_and_missing_paths(tmp_path, capsys):
    settings = tmp_path / "app.ini"
    settings.write_text("workers = 4\n")
    settings.chmod(0o640)
    (tmp_path / "link").symlink_to(settings)
    code, result = run_main(capsys, paths=[str(tmp_path), str(tmp_path / "link"), str(tmp_path / "missing")],
                            checksums=[str(settings)])
    assert code == 0 and result["changed"] is False
    paths = result["paths"]
    assert paths[str(tmp_path)]["type"] == "directory"
    assert paths[str(tmp_path / "link")]["type"] == "link"
    assert paths[str(tmp_path / "missing")] == {"exists": False}
    described = paths[str(settings)]
    assert described["type"] == "file" and described["mode"] == "0640" and described["size"] == 12
    assert described["checksum"] == hashlib.sha1(b"workers = 4\n").hexdigest()
    assert described["owner"] and described["group"]


def test_reads_the_text_of_small_files_only(tmp_path, capsys):
    small, big = tmp_path / "record.json", tmp_path / "big.log"
    small.write_text('{"version": 2}\n')
    big.write_bytes(b"x" * 65537)
    code, result = run_main(capsys, contents=[str(small), str(big)])
    assert code == 0
    assert result["paths"][str(small)]["content"] == '{"version": 2}\n'
    assert "content" not in result["paths"][str(big)] and result["paths"][str(big)]["size"] == 65537


def test_lists_a_tree_with_relative_paths_and_checksums_without_following_links(tmp_path, capsys):
    top = tmp_path / "src"
    (top / "pkg").mkdir(parents=True)
    (top / "pkg" / "app.py").write_text("app = 1\n")
    (top / ".hidden").write_text("")
    (top / "outside").symlink_to(tmp_path)
    code, result = run_main(capsys, trees=[str(top), str(tmp_path / "none")])
    assert code == 0
    tree = result["trees"][str(top)]
    assert sorted(tree) == [".hidden", "outside", "pkg", "pkg/app.py"]
    assert tree["pkg/app.py"]["checksum"] == hashlib.sha1(b"app = 1\n").hexdigest()
    assert tree["pkg"]["type"] == "directory" and "checksum" not in tree["pkg"]
    assert tree["outside"]["type"] == "link"
    assert result["trees"][str(tmp_path / "none")] == {}


def test_reports_the_users_and_groups_that_exist(capsys):
    code, result = run_main(capsys, users=["root", "no-such-user-here"], groups=["root", "no-such-group-here"])
    assert code == 0
    root = pwd.getpwnam("root")
    assert result["users"] == {"root": {"uid": 0, "gid": 0, "group": "root", "home": root.pw_dir,
                                        "shell": root.pw_shell, "comment": root.pw_gecos}}
    assert result["groups"] == {"root": {"gid": 0}}


def test_a_path_that_cannot_be_read_fails_with_its_name(tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.write_text("x")
    code, result = run_main(capsys, paths=[str(plain / "child")])
    assert code == 1 and result["failed"]
    assert result["msg"] == "could not read %s: Not a directory" % (plain / "child")
