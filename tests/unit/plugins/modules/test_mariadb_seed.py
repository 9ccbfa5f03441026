"""mariadb_seed without a server: input checks, client option files, the streamed copy (see tests/servers)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.scalable.webstack.plugins.modules import mariadb_seed as module

from .module_runner import run_module

REQUIRED = dict(donor_host="db1", donor_user="replicator", donor_password="pw")


@pytest.mark.parametrize("args, message", [
    (dict(donor_port=0), "donor_port=0 is not valid: a TCP port is between 1 and 65535"),
    (dict(login_port=99999), "login_port=99999 is not valid"),
    (dict(donor_host=""), "donor_host='' is not valid"),
    (dict(donor_user=" replicator"), "donor_user=' replicator' is not valid"),
    (dict(connect_timeout=0), "connect_timeout=0 is not valid"),
    (dict(login_ssl_cert="/c.pem", login_ssl_key="/k.pem"), "login_ssl_cert='/c.pem' is set but login_ssl is false"),
    (dict(donor_ssl=False, donor_ssl_ca="/ca.pem"), "donor_ssl_ca='/ca.pem' is set but donor_ssl is false"),
])
def test_malformed_input_is_refused_by_name_before_any_connection(capsys, monkeypatch, args, message):
    def no_connection(*args, **kwargs):
        raise AssertionError("the module connected despite a malformed option")

    monkeypatch.setattr(module.Server, "connect", no_connection)
    code, result = run_module(module, capsys, **dict(REQUIRED, **args))
    assert code == 1
    assert message in result["msg"]


def test_client_options_keep_secrets_off_the_command_line_and_quote_them():
    text = module.client_options('it\'s "quoted" \\ #', True, "/etc/mysql/tls/ca.pem", None, None, True)
    assert text == ('[client]\npassword="it\'s \\"quoted\\" \\\\ #"\nssl\nssl-ca="/etc/mysql/tls/ca.pem"\n'
                    'ssl-verify-server-cert\n')
    assert "skip-ssl" in module.client_options("pw", False, None, None, None, True)
    assert "ssl" not in module.client_options("pw", None, None, None, None, True)


def python_command(code):
    return [sys.executable, "-c", code]


def run_command(args, environ_update=None):
    """What AnsibleModule.run_command does, for these tests."""
    done = subprocess.run(args, capture_output=True, env=dict(os.environ, **(environ_update or {})), check=False)
    return done.returncode, done.stdout, done.stderr


def copy(tmp_path, dump, load):
    workdir = tmp_path / "work"
    workdir.mkdir()
    return module.stream_copy(run_command, python_command(dump), python_command(load), str(workdir))


def test_the_copy_streams_everything_and_finds_the_gtid_line(tmp_path):
    target = tmp_path / "loaded.sql"
    dump = ("import sys\n"
            "sys.stdout.write('-- header\\nINSERT INTO t VALUES (1);\\n' * 5000)\n"
            "sys.stdout.write('-- SET GLOBAL gtid_slave_pos=\\'1-1-10455,2-2-310\\';\\n-- done\\n')\n")
    load = "import sys\nopen(%r, 'wb').write(sys.stdin.buffer.read())\n" % str(target)
    assert copy(tmp_path, dump, load) == "1-1-10455,2-2-310"
    loaded = target.read_text()
    assert loaded.startswith("SET SESSION sql_log_bin = 0;\n-- header\n")
    assert loaded.count("INSERT INTO t VALUES (1);") == 5000
    assert loaded.endswith("-- done\n")


def test_a_value_that_only_looks_like_the_gtid_line_is_not_taken(tmp_path):
    dump = ("import sys\nsys.stdout.write(\"INSERT INTO t VALUES ('x -- SET GLOBAL gtid_slave_pos=\\'9-9-9\\';');\\n\")\n"
            "sys.stdout.write(\"-- SET GLOBAL gtid_slave_pos='1-1-5';\\n\")\n")
    assert copy(tmp_path, dump, "import sys; sys.stdin.read()") == "1-1-5"


def test_a_failed_load_is_reported_with_the_clients_output(tmp_path):
    dump = "import sys\nsys.stdout.write('x' * 100000)\n"
    load = "import sys\nsys.stderr.write('ERROR 1064 at line 1: syntax')\nsys.exit(1)\n"
    with pytest.raises(module.SeedError, match="loading the copy into this server failed .*ERROR 1064"):
        copy(tmp_path, dump, load)


def test_a_failed_dump_is_reported_with_its_output(tmp_path):
    dump = "import sys\nsys.stderr.write('mariadb-dump: Got error: 1045: Access denied')\nsys.exit(2)\n"
    with pytest.raises(module.SeedError, match="mariadb-dump on the donor failed \\(exit 2\\): .*1045"):
        copy(tmp_path, dump, "import sys; sys.stdin.read()")


def test_a_dump_without_a_gtid_position_is_refused(tmp_path):
    with pytest.raises(module.SeedError, match="names no GTID position"):
        copy(tmp_path, "print('-- nothing')", "import sys; sys.stdin.read()")


def test_channels_that_point_at_the_donor_are_recognised():
    channels = {"": {"Master_Host": "db1", "Master_Port": "3306", "Master_Server_Id": "1"}}
    assert module.replicates_from(channels, "db1", 3306)
    assert not module.replicates_from(channels, "db2", 3306)
    assert module.replicates_from(channels, "10.0.0.1", 3306, server_id=1)


@pytest.mark.parametrize("position, donor_slave_pos, expected", [
    ("1-1-500,2-2-300", "", "1-1-500,2-2-300"),
    # The donor's channel from the seeded server will ask for 1-1-480: the binary log starts there in domain 1.
    ("1-1-500,2-2-300", "1-1-480,2-2-300", "1-1-480,2-2-300"),
    # Never later than the copy, and never a domain the copy lacks.
    ("1-1-500", "1-1-600,7-7-1", "1-1-500"),
])
def test_the_binlog_state_starts_where_the_donors_channel_will_ask(position, donor_slave_pos, expected):
    assert module.binlog_state_for(position, donor_slave_pos) == expected
