"""What the role left on the cache host."""

import json
from pathlib import Path

import yaml
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://varnish-cache"]

SCENARIO_VARS = yaml.safe_load((Path(__file__).parents[1] / "vars" / "main.yml").read_text())


def varnishd_arguments(host):
    pid = host.check_output("systemctl show -p MainPID --value varnish")
    return host.file(f"/proc/{pid}/cmdline").content.decode().split("\0")


def parameter(host, name):
    return json.loads(host.check_output(f"varnishadm param.show -j {name}"))[3]["value"]


def test_varnish_running_and_enabled(host):
    varnish = host.service("varnish")
    assert varnish.is_running
    assert varnish.is_enabled


def test_command_line_comes_from_the_drop_in(host):
    assert host.file("/etc/systemd/system/varnish.service.d/webstack.conf").exists
    arguments = " ".join(varnishd_arguments(host))
    assert "-a :6081" in arguments
    assert "-T 127.0.0.1:6082" in arguments
    assert "-S /etc/varnish/secret" in arguments


def test_varnishncsa_tries_again_when_varnishd_is_not_up_yet(host):
    # Debian's unit gives up after 5 s without varnishd's shared memory (a boot under load).
    assert host.check_output("systemctl show -p Restart --value varnishncsa") == "on-failure"
    ncsa = host.service("varnishncsa")
    # Debian 12's package enables varnishncsa, Debian 13's does not; the role keeps the package's choice.
    assert ncsa.is_running == ncsa.is_enabled


def test_storage_is_a_quarter_of_the_memory_at_most_8g(host):
    memtotal_kb = int(host.check_output("awk '/^MemTotal:/ {print $2}' /proc/meminfo"))
    expected = min(memtotal_kb // 1024 // 4, 8192)
    assert f"malloc,{expected}M" in varnishd_arguments(host)


def test_parameters_from_the_variables_are_in_effect(host):
    assert parameter(host, "thread_pool_min") == 20  # varnish_thread_pool_min
    assert parameter(host, "default_ttl") == 60  # varnish_parameters


def test_admin_interface_listens_on_localhost_only(host):
    listeners = host.check_output("ss -ltnH 'sport = :6082'").split("\n")
    assert [line.split()[3] for line in listeners] == ["127.0.0.1:6082"]


def test_secret_file_is_private_and_holds_the_variable(host):
    secret = host.file("/etc/varnish/secret")
    assert secret.mode == 0o600
    assert secret.user == "root"
    assert secret.content_string == SCENARIO_VARS["varnish_secret"] + "\n"
    assert host.run("varnishadm ping").rc == 0


def test_vcl_change_was_loaded_without_a_restart(host):
    before = host.file("/root/varnishd-pid-before-vcl-change.txt").content_string.strip()
    assert host.check_output("systemctl show -p MainPID --value varnish") == before
    active = [line.split() for line in host.check_output("varnishadm vcl.list").splitlines()]
    assert [fields[-1] for fields in active if fields[0] == "active"][0].startswith("reload_")
    # The side effect ends with the converged VCL; what the changed one held was recorded by the client.
    client = host.get_host("ansible://varnish-backend", ansible_inventory=host.backend.ansible_inventory)
    assert json.loads(client.file("/root/after-vcl-change.json").content_string)["fresh_in_vcl"]


def test_broken_vcl_was_refused_before_it_replaced_the_file(host):
    refusal = host.file("/root/broken-vcl-refusal.txt")
    assert refusal.exists, "the side effect's broken VCL was not refused"
    assert "no_such_function" in refusal.content_string
    assert "no_such_function" not in host.file("/etc/varnish/default.vcl").content_string


def test_role_refuses_to_run_without_a_usable_secret(host):
    missing = host.file("/root/missing-secret-refusal.txt")
    assert missing.exists, "the role ran without varnish_secret"
    assert "varnish_secret" in missing.content_string
    short = host.file("/root/short-secret-refusal.txt")
    assert short.exists, "the role ran with a 6-character secret"
    assert "at least 32 characters" in short.content_string
    # Refused before any change: the secret is still the scenario's.
    assert host.file("/etc/varnish/secret").content_string == SCENARIO_VARS["varnish_secret"] + "\n"


def test_hand_edits_are_put_back_by_the_next_run_and_the_service_reloaded(host):
    assert_drift_repaired(host, "varnish")
