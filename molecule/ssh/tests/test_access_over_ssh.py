"""What an operator relies on after site.yml ran over SSH (converge, then idempotence, both over SSH):
firehol is active on every host, and SSH still answers from the controller's address and from
firehol_admin_networks, while other networks get no answer on port 22. A play that would close SSH is
refused and changes nothing."""

import re

import pytest

from conftest import (ADMIN_PROBE, DB1, HOSTS, OUTSIDER, WEB1, ansible_playbook, firewall_state, knock, read,
                      ssh)


@pytest.mark.parametrize("name", HOSTS)
def test_firehol_is_active_with_a_default_deny_policy(name):
    assert read(name, "systemctl is-active firehol").strip() == "active"
    assert "-P INPUT DROP" in read(name, "iptables-legacy -S INPUT")


@pytest.mark.parametrize("name", HOSTS)
def test_ssh_answers_from_the_controller_address(name, controller):
    result = ssh(name, 'echo "$SSH_CONNECTION"')
    assert result.returncode == 0, result.stderr
    # The address the host sees the controller's connection come from, and the one firehol.conf keeps open.
    assert result.stdout.split()[0] == controller
    ssh_rule = [line for line in read(name, "cat /etc/firehol/firehol.conf").splitlines()
                if line.strip().startswith("server4 ssh ")]
    assert ssh_rule and controller in ssh_rule[0].replace('"', " ").split(), ssh_rule


def test_sudo_is_password_less_where_the_inventory_gives_no_become_password():
    assert ssh(WEB1, "sudo -n true").returncode == 0
    # stage-db1's sudo asks for the password that only ansible_become_password gave the converge.
    refused = ssh(DB1, "sudo -n true")
    assert refused.returncode != 0 and "password" in refused.stderr


@pytest.mark.parametrize("name", HOSTS)
def test_firehol_admin_networks_reach_ssh(name):
    state, banner = knock(ADMIN_PROBE, name, 22)
    assert state == "open" and banner.startswith("SSH-2.0-"), (state, banner)


@pytest.mark.parametrize("name", HOSTS)
def test_other_networks_get_no_answer_on_the_ssh_port(name):
    # sshd listens (the admin network's knock above gets its banner, and here it is bound to port 22) ...
    assert ":22 " in read(name, "ss --listening --tcp --numeric --no-header")
    assert knock(ADMIN_PROBE, name, 22)[0] == "open"
    # ... yet from ssh-outsider nothing comes back: dropped, not refused.
    assert knock(OUTSIDER, name, 22) == ("no answer", "")


def test_the_outsider_reaches_what_is_open_to_everyone():
    # The same path to stage-web1 carries HTTPS: only SSH is closed to ssh-outsider.
    assert knock(OUTSIDER, WEB1, 443)[0] == "open"


@pytest.mark.parametrize("extra_vars, reason", [
    ('{"firehol_admin_networks": [], "firehol_ssh_from_controller": false}', "They leave no SSH path"),
    ('{"firehol_ssh_port": 2222}', "The Ansible connection arrives on port 22, not on firehol_ssh_port (2222)"),
], ids=["no-ssh-path", "other-ssh-port"])
def test_a_play_that_would_close_ssh_is_refused_and_changes_nothing(extra_vars, reason):
    before = {name: firewall_state(name) for name in HOSTS}
    result = ansible_playbook("firewall.yml", "-e", extra_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for name in HOSTS:
        assert re.search(rf"fatal: \[{name}\]: FAILED! => .*Refused, nothing was changed: these rules would lock"
                         rf" the operator out of {name}\.", output), output[-3000:]
    assert " ".join(reason.split()) in " ".join(output.split())
    assert {name: firewall_state(name) for name in HOSTS} == before
    for name in HOSTS:
        assert ssh(name, "true").returncode == 0


def test_become_forced_on_every_task_still_finds_the_controller_address():
    # sudo drops SSH_CONNECTION: the role reads it as the login user even when -e ansible_become=true (which
    # beats any task keyword), so it still knows the controller's address and changes nothing.
    before = {name: firewall_state(name) for name in HOSTS}
    result = ansible_playbook("firewall.yml", "-e", '{"ansible_become": true}')
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "SSH_CONNECTION was empty" not in result.stdout
    assert {name: firewall_state(name) for name in HOSTS} == before
    for name in HOSTS:
        assert ssh(name, "true").returncode == 0
