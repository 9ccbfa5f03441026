"""The example inventories (production, staging) load, hold the expected hosts and pass preflight.yml
once their vault example is filled in; preflight names the host and the secret when one is missing or
still the example's placeholder."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess

import pytest
import yaml

from pathlib import Path

from ansible_commands import ROOT, run

# Every group of each inventory and the hosts in it, children's hosts included.
EXPECTED = {
    "production": {
        "frontends": {"lb1"},
        "appservers": {"backend1", "backend2", "backoffice1"},
        "backends": {"backend1", "backend2"},
        "backoffice": {"backoffice1"},
        "mongodb": {"mongo1", "mongo2", "mongo3"},
        "mariadb": {"db1", "db2"},
    },
    "staging": {
        "frontends": {"stage-web1"},
        "appservers": {"stage-web1"},
        "backends": {"stage-web1"},
        "backoffice": {"stage-web1"},
        "mongodb": {"stage-db1"},
        "mariadb": {"stage-db1"},
    },
}
ENVIRONMENTS = sorted(EXPECTED)


def inventory(env: str) -> Path:
    return ROOT / "inventories" / env


def vault_example(env: str) -> Path:
    return inventory(env) / "group_vars" / "all" / "vault.yml.example"


@functools.lru_cache(maxsize=None)
def inventory_list(env: str) -> dict:
    result = run("ansible-inventory", "-i", str(inventory(env)), "--list")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def members(listing: dict, group: str) -> set[str]:
    """The hosts of a group and of its children, from `ansible-inventory --list`."""
    entry = listing.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= members(listing, child)
    return hosts


def preflight(env: str, secrets: Path) -> subprocess.CompletedProcess:
    return run("ansible-playbook", "-i", str(inventory(env)), str(ROOT / "playbooks" / "preflight.yml"),
               "-e", "webstack_preflight_connect=false", "-e", "ansible_connection=local", "-e", f"@{secrets}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_graph_shows_every_group_and_host(env):
    result = run("ansible-inventory", "-i", str(inventory(env)), "--graph")
    assert result.returncode == 0, result.stderr
    assert "[WARNING]" not in result.stderr, result.stderr
    for group, hosts in EXPECTED[env].items():
        assert f"@{group}:" in result.stdout
        for host in hosts:
            assert f"--{host}\n" in result.stdout


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_groups_hold_the_expected_hosts(env):
    listing = inventory_list(env)
    for group, hosts in EXPECTED[env].items():
        assert members(listing, group) == hosts, group
    everyone = set().union(*EXPECTED[env].values())
    assert members(listing, "all") == everyone
    assert not members(listing, "ungrouped")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_vault_example_holds_placeholders_and_is_not_loaded(env):
    example = yaml.safe_load(vault_example(env).read_text())
    assert example, "the vault example is empty"
    assert all("CHANGE-ME" in str(value) for value in example.values()), "a vault example value is not a placeholder"
    hostvars = inventory_list(env)["_meta"]["hostvars"]
    assert set(hostvars) == set().union(*EXPECTED[env].values())
    for host, variables in hostvars.items():
        loaded = set(example) & set(variables)
        assert not loaded, f"{host} got {sorted(loaded)} from vault.yml.example"


def filled_vault(env: str, tmp_path: Path, without: str | None = None) -> Path:
    """The vault example with every placeholder replaced by a value the roles accept (long enough, base64
    letters only, as a keyfile needs), optionally leaving one key out."""
    secrets = {name: str(value).replace("CHANGE-ME", "Filled" + hashlib.sha256(name.encode()).hexdigest()[:34])
               for name, value in yaml.safe_load(vault_example(env).read_text()).items() if name != without}
    (tmp_path / "vault.yml").write_text(yaml.safe_dump(secrets))
    return tmp_path / "vault.yml"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_preflight_passes_once_the_vault_is_filled_in(env, tmp_path):
    result = preflight(env, filled_vault(env, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_preflight_refuses_the_placeholders_of_the_example(env):
    result = preflight(env, vault_example(env))
    assert result.returncode != 0
    assert "are unset or still CHANGE-ME" in result.stdout, result.stdout
    assert "varnish_secret, haproxy_stats_user, haproxy_stats_password" in result.stdout, result.stdout


def test_preflight_refuses_a_frontend_without_its_certificate(tmp_path):
    result = preflight("production", filled_vault("production", tmp_path, without="webstack_tls_key"))
    assert result.returncode != 0
    assert "Refused, nothing was changed: webstack_tls_key (listed in" in result.stdout, result.stdout


@pytest.mark.parametrize(("env", "secret"), [
    ("production", "varnish_secret"),
    ("production", "mariadb_master_master_replication_password"),
    ("production", "mongodb_replset_keyfile"),
    ("staging", "haproxy_stats_password"),
    ("staging", "mongodb_replset_admin_password"),
])
def test_a_missing_secret_is_named(tmp_path, env, secret):
    result = preflight(env, filled_vault(env, tmp_path, without=secret))
    assert result.returncode != 0
    assert re.search(rf"Refused, nothing was changed: {secret} \(listed in .*vault.yml.example\) are unset", result.stdout), \
        result.stdout


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_site_syntax_check(env):
    result = run("ansible-playbook", "--syntax-check", str(ROOT / "playbooks" / "site.yml"), "-i", str(inventory(env)))
    assert result.returncode == 0, result.stdout + result.stderr
