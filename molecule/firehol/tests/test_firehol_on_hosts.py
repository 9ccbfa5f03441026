"""What the role left on the hosts, and what the refused side effects left untouched."""

from __future__ import annotations

import pytest
import testinfra
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://firehol-frontend", "ansible://firehol-app", "ansible://firehol-db"]

CONFIG = "/etc/firehol/firehol.conf"


@pytest.fixture(scope="module")
def container(request):
    def get(name):
        return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.option.ansible_inventory)
    return get


def test_firehol_active_and_enabled(host):
    assert host.service("firehol").is_running
    assert host.service("firehol").is_enabled
    assert host.file("/etc/default/firehol").contains("^START_FIREHOL=YES$")


def test_policy_is_default_deny(host):
    config = host.file(CONFIG).content_string
    assert "    policy drop\n    protection strong 10000/sec 2000\n" in config
    assert "-P INPUT DROP" in host.check_output("iptables-legacy -S INPUT")


def test_hosts_found_by_dns_or_facts(container):
    # The database play ran before the app server had facts; the app play after the frontend's.
    app_address = container("firehol-app").check_output("hostname -I").split()[0]
    frontend_address = container("firehol-frontend").check_output("hostname -I").split()[0]
    assert f"#   firehol-app: {app_address} (DNS)" in container("firehol-db").file(CONFIG).content_string
    assert f"#   firehol-frontend: {frontend_address} (facts)" in container("firehol-app").file(CONFIG).content_string


def test_unknown_service_was_refused_and_the_old_file_kept(container):
    app = container("firehol-app")
    refusal = app.file("/root/firehol-refused-unknown-service.txt")
    assert refusal.exists, "the side effect's unknown service was not refused"
    assert "Refused, nothing was changed" in refusal.content_string
    assert "service 'nosuchservice' is neither a firehol service" in refusal.content_string
    assert "nosuchservice" not in app.file(CONFIG).content_string


def test_line_firehol_cannot_compile_was_refused_and_the_old_file_kept(container):
    app = container("firehol-app")
    refusal = app.file("/root/firehol-refused-by-debug.txt")
    assert refusal.exists, "the side effect's line outside any interface was not refused"
    assert "firehol debug refused" in refusal.content_string
    assert "every file was put back" in refusal.content_string
    assert "nosuchservice" not in app.file(CONFIG).content_string


def test_refused_activation_put_the_old_file_back(container):
    app = container("firehol-app")
    refusal = app.file("/root/firehol-refused-activation.txt")
    assert refusal.exists, "the side effect's failing line was not refused"
    assert "nosuchmatch" in refusal.content_string
    assert "nosuchmatch" not in app.file(CONFIG).content_string
    assert app.service("firehol").is_running


def test_play_without_ssh_path_was_refused_before_any_change(container):
    db = container("firehol-db")
    refusal = db.file("/root/firehol-refused-no-ssh-path.txt")
    assert refusal.exists, "the side effect without an SSH path was not refused"
    assert "Refused, nothing was changed" in refusal.content_string
    assert "They leave no SSH path" in refusal.content_string
    assert "9999" not in db.file(CONFIG).content_string


@pytest.mark.parametrize("name", ["firehol-app", "firehol-db"])
def test_active_rules_are_those_from_before_the_refusals(container, name):
    target = container(name)
    before = target.file("/root/firehol-rules-before-side-effect.txt").content_string
    assert target.check_output("iptables-legacy -S") + "\n" == before


def test_host_without_net_admin_is_left_alone(container):
    nocap = container("firehol-nocap")
    bounding_set = int(nocap.check_output("awk '/^CapBnd/ {print $2}' /proc/self/status"), 16)
    assert not bounding_set & (1 << 12), "the container has CAP_NET_ADMIN: this test would prove nothing"
    assert not nocap.package("firehol").is_installed


def test_router_routes_between_groups(container):
    frontend = container("firehol-frontend")
    app_address = container("firehol-app").check_output("hostname -I").split()[0]
    db_address = container("firehol-db").check_output("hostname -I").split()[0]
    route = f'route4 custom mongodb tcp/27017 default accept src "{app_address}" dst "{db_address}"'
    assert route in frontend.file(CONFIG).content_string
    forwarded = frontend.check_output("iptables-legacy -S in_internal")
    assert f"-s {app_address}/32 -d {db_address}/32 -p tcp -m tcp --sport 1024:65535 --dport 27017" in forwarded


def test_hand_edits_are_put_back_by_the_next_run_and_activated(container):
    assert_drift_repaired(container("firehol-app"), "firehol")
