"""playbooks/preflight.yml refuses a bad inventory before anything changes, naming what is wrong."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = textwrap.dedent("""\
    varnish_secret: test-varnish-secret-of-at-least-32-characters
    webstack_tls: {self_signed: true}
    haproxy_stats_user: admin
    haproxy_stats_password: x
    mariadb_master_master_replication_password: x
    """)


def preflight(tmp_path, hosts_yaml: str, group_vars: str = SECRETS):
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "group_vars" / "all" / "vars.yml").write_text("ansible_connection: local\n" + group_vars)
    (tmp_path / "hosts.yml").write_text(textwrap.dedent(hosts_yaml))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "hosts.yml"), str(ROOT / "playbooks" / "preflight.yml"),
         "-e", "webstack_preflight_connect=false"],
        capture_output=True, text=True, env=env, check=False)


GOOD = """
    all:
      children:
        frontends: {hosts: {lb: }}
        backends: {hosts: {app1: }}
        backoffice: {hosts: {app2: }}
        appservers: {children: {backends: , backoffice: }}
        mariadb: {hosts: {db1: , db2: }}
    """


def test_a_sound_inventory_passes(tmp_path):
    result = preflight(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout


def test_host_in_no_tier_is_named(tmp_path):
    result = preflight(tmp_path, GOOD.replace("  children:", "  hosts: {stray: }\n      children:"))
    assert result.returncode != 0
    assert "stray is in none of the tier groups" in result.stdout


def test_missing_secret_is_named(tmp_path):
    result = preflight(tmp_path, GOOD, SECRETS.replace("varnish_secret: test-varnish-secret-of-at-least-32-characters\n", ""))
    assert result.returncode != 0
    assert "missing required arguments: varnish_secret" in result.stdout


@pytest.mark.parametrize("ids", [("1", "1"), ("0", "2")])
def test_duplicate_or_zero_mariadb_server_id_is_refused(tmp_path, ids):
    hosts = GOOD.replace("mariadb: {hosts: {db1: , db2: }}",
                         "mariadb: {hosts: {db1: {mariadb_master_master_server_id: %s}, "
                         "db2: {mariadb_master_master_server_id: %s}}}" % ids)
    result = preflight(tmp_path, hosts)
    assert result.returncode != 0
    assert "server ids of group 'mariadb' must be unique and non-zero" in result.stdout
