"""scalable.webstack.firehol_plan: the host read, the checks, the lookup and the refusals, in one action,
against a fake connection (what _low_level_execute_command prints, what the resolve module answers)."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

from ansible_collections.scalable.webstack.plugins.action import firehol_plan
from ansible_collections.scalable.webstack.plugins.action.firehol_plan import ActionModule

GROUPS = {"all": ["lb1", "app1", "db1"], "frontends": ["lb1"], "appservers": ["app1"], "mariadb": ["db1"],
          "ungrouped": []}
FACTS = {"interfaces": ["lo", "eth0"], "eth0": {"ipv4": {"address": "192.0.2.11"}},
         "default_ipv4": {"gateway": "172.18.0.1", "interface": "eth0"}}
LAYERS = {"rules": [], "group_rules": {}, "host_rules": [], "dependent_rules": [], "client_rules": [],
          "routers": [], "interfaces": [{"name": "lan", "device": "eth0"}], "admin_networks": [],
          "protection_limit": "10000/sec 2000", "custom_services": [], "excluded_hosts": [],
          "group_names": ["appservers"]}
SSH = "198.51.100.7 50000 192.0.2.11 22"
UWSGI = {"role": "uwsgi_emperor", "rules": [{"name": "uwsgi", "service": "tcp/8080", "sources": ["frontends"]}]}


def hostvars(**extra):
    variables = {"lb1": {"webstack_facts": {"all_ipv4_addresses": ["192.0.2.10"]}},
                 "app1": {"ansible_host": "192.0.2.11"}, "db1": {"ansible_host": "192.0.2.12"}}
    for host, values in extra.items():
        variables[host] = values
    return variables


def run(stdout="%s\n" % SSH, exports=(), connection="ssh", resolved=None, task_vars=None, module_result=None,
        **args):
    """The action's result, with the calls it made: (result, low-level commands, module runs)."""
    read = stdout + "".join(json.dumps(export) + "\n" for export in exports)
    task = mock.MagicMock(async_val=0, check_mode=False, diff=False, action="scalable.webstack.firehol_plan")
    task.args = dict(dict(layers=LAYERS, ssh_port=22, ssh_from_controller=True, admin_networks=[], facts=FACTS),
                     **args)
    shell = mock.MagicMock(tmpdir=None)
    action = ActionModule(task, mock.MagicMock(_shell=shell), PlayContext(), DataLoader(),
                          Templar(loader=DataLoader()), None)
    commands, modules = [], []

    def low_level(cmd, sudoable=True, **_):
        commands.append((cmd, sudoable))
        return dict(rc=0, stdout=read, stdout_lines=read.splitlines(), stderr="")

    def execute_module(name, module_args=None, task_vars=None, **_):
        modules.append((name, module_args))
        if module_result is not None:
            return module_result
        addresses = {name: list(found) for name, found in (resolved or {}).items()}
        return dict(changed=False, addresses=addresses,
                    unresolved=[name for name in module_args["names"] if name not in addresses])

    variables = dict(inventory_hostname="app1", groups=GROUPS, hostvars=hostvars(), ansible_connection=connection)
    variables.update(task_vars or {})
    with mock.patch.object(action, "_low_level_execute_command", side_effect=low_level), \
            mock.patch.object(action, "_execute_module", side_effect=execute_module), \
            mock.patch.object(action, "_remove_tmp_path"):
        result = action.run(task_vars=variables)
    return result, commands, modules


def test_one_read_without_become_gives_the_exports_checks_and_statements_and_no_change():
    result, commands, modules = run(exports=[UWSGI])
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert commands == [(firehol_plan.read_command("/etc/scalable-webstack/firewall.d"), False)]
    assert "${SSH_CONNECTION:-}" in commands[0][0] and "/etc/scalable-webstack/firewall.d/*.json" in commands[0][0]
    assert modules == []
    assert result["exports"] == {"uwsgi_emperor": UWSGI["rules"]}
    assert [rule["origin"] for rule in result["checked"]["server"]] == ["exported by uwsgi_emperor"]
    assert result["checked"]["interfaces"][0]["device"] == "eth0"
    statements = result["statements"]
    assert [rule["name"] for rule in statements["server"]] == ["ssh", "uwsgi"]
    assert statements["server"][0]["src4"] == ["198.51.100.7"]
    assert statements["server"][1]["src4"] == ["192.0.2.10"]
    assert statements["resolved"] == {"lb1": {"addresses": ["192.0.2.10"], "found_by": "facts"}}
    assert statements["connection"] == dict(over_ssh=True, controller_addresses=["198.51.100.7"], local_port=22,
                                            interface="eth0", interface_covered=True)


def test_every_export_line_is_read_and_blank_lines_are_skipped():
    nginx = {"role": "nginx", "rules": [{"name": "web", "service": "http"}]}
    result, _commands, _modules = run(stdout="%s\n\n" % SSH, exports=[UWSGI, nginx])
    assert result["exports"] == {"uwsgi_emperor": UWSGI["rules"], "nginx": nginx["rules"]}
    assert [rule["origin"] for rule in result["checked"]["server"]] == ["exported by nginx", "exported by uwsgi_emperor"]


def test_a_rule_the_checks_refuse_fails_with_every_error_and_no_lookup():
    bad = {"role": "uwsgi_emperor", "rules": [{"name": "uwsgi", "service": "nosuchservice", "sources": ["frontend"]}]}
    result, _commands, modules = run(exports=[bad])
    assert result["failed"] is True
    assert result["msg"].startswith("Refused, nothing was changed on app1: rule 'uwsgi' (exported by uwsgi_emperor): "
                                    "service 'nosuchservice' is neither a firehol service")
    assert "; rule 'uwsgi' (exported by uwsgi_emperor): sources names 'frontend'" in result["msg"]
    assert modules == [] and set(result) == {"changed", "failed", "msg"}


def test_hosts_without_an_address_are_looked_up_once_by_their_ansible_host_or_name():
    layers = dict(LAYERS, rules=[{"name": "db", "service": "mysql", "sources": ["mariadb", "appservers", "lb1"]}])
    variables = dict(hostvars=hostvars(db1={"ansible_host": "db1.example.org"}, app1={}))
    result, _commands, modules = run(layers=layers, task_vars=variables,
                                     resolved={"db1.example.org": ["192.0.2.12", "fe80::1", "2001:db8::12"]})
    assert modules == [("scalable.webstack.resolve", dict(names=["app1", "db1.example.org"],
                                                          fail_on_unresolved=False))]
    # db1.example.org resolved, app1 not: refused, naming app1.
    assert result["failed"] is True
    assert result["msg"] == (
        "Refused, nothing was changed: no address for app1: no facts gathered in this run, ansible_host is not an "
        "address, and app1 cannot resolve the name. Gather facts for them first (a play on all hosts with "
        "ansible.builtin.setup), or set ansible_host to their address.")


def test_addresses_found_by_dns_are_used_without_link_local_ones():
    layers = dict(LAYERS, rules=[{"name": "db", "service": "mysql", "sources": ["mariadb"]}])
    variables = dict(hostvars=hostvars(db1={"ansible_host": "db1.example.org"}))
    result, _commands, modules = run(layers=layers, task_vars=variables,
                                     resolved={"db1.example.org": ["192.0.2.12", "fe80::1", "2001:db8::12"]})
    assert not result.get("failed"), result
    assert modules == [("scalable.webstack.resolve", dict(names=["db1.example.org"], fail_on_unresolved=False))]
    assert result["checked"]["to_look_up"] == ["db1"]
    assert result["statements"]["resolved"] == {"db1": {"addresses": ["192.0.2.12", "2001:db8::12"],
                                                        "found_by": "DNS"}}
    assert result["statements"]["server"][1]["src4"] == ["192.0.2.12"]
    assert result["statements"]["server"][1]["src6"] == ["2001:db8::12"]


def test_a_failed_lookup_fails_the_task_with_the_module_result():
    layers = dict(LAYERS, rules=[{"name": "db", "service": "mysql", "sources": ["mariadb"]}])
    result, _commands, modules = run(layers=layers, task_vars=dict(hostvars=hostvars(db1={})),
                                     module_result=dict(failed=True, msg="MODULE FAILURE"))
    assert len(modules) == 1
    assert result["failed"] is True and result["msg"] == "MODULE FAILURE" and "statements" not in result


def test_no_module_runs_when_the_inventory_gives_every_address():
    layers = dict(LAYERS, rules=[{"name": "db", "service": "mysql", "sources": ["mariadb", "frontends"]}])
    result, _commands, modules = run(layers=layers)
    assert not result.get("failed"), result
    assert modules == []
    assert result["statements"]["resolved"]["db1"] == {"addresses": ["192.0.2.12"], "found_by": "ansible_host"}


# Word for word, spaces included, what the role's assert said: its folded message put each reason between
# spaces and the four places side by side, a space apart.
REFUSED = "Refused, nothing was changed: these rules would lock the operator out of app1."
LOCKOUTS = {
    "no-ssh-path": (dict(ssh_from_controller=False), {},
                    REFUSED + " " * 2 + "They leave no SSH path: SSH (tcp/22) opens to the Ansible controller (off: "
                    "firehol_ssh_from_controller is false) and to firehol_admin_networks (empty), and no other rule "
                    "accepts it. Set firehol_admin_networks." + " " * 4),
    "other-port": (dict(ssh_port=2222), {},
                   REFUSED + " " * 3 + "The Ansible connection arrives on port 22, not on firehol_ssh_port (2222)."
                   + " " * 3),
    "controller-unknown": (dict(admin_networks=["10.0.0.0/8"]), dict(stdout="\n"),
                           REFUSED + " " * 4 + "Ansible reaches it over SSH (ssh), yet SSH_CONNECTION was empty in "
                           "the login session (a become or a login wrapper that drops it?): the controller's address "
                           "is unknown, so its next SSH connection could be dropped." + " " * 2),
    "interface-uncovered": (dict(layers=dict(LAYERS, interfaces=[{"name": "lan", "device": "eth1"}])), {},
                            REFUSED + " " * 5 + "The Ansible connection arrives through eth0, which no device of "
                            "firehol_interfaces covers. "),
}


@pytest.mark.parametrize("case", sorted(LOCKOUTS))
def test_rules_that_would_lock_the_operator_out_are_refused_with_the_reason(case):
    args, run_args, message = LOCKOUTS[case]
    result, _commands, _modules = run(**dict(run_args, **args))
    assert result["failed"] is True
    assert result["msg"] == message
    assert set(result) == {"changed", "failed", "msg"} and result["changed"] is False


def test_every_reason_is_given_at_once():
    result, _commands, _modules = run(stdout="\n", ssh_from_controller=True, admin_networks=[], connection="ssh",
                                      layers=dict(LAYERS, interfaces=[{"name": "lan", "device": "eth1"}]))
    assert "They leave no SSH path" in result["msg"] and "(not known for this connection)" in result["msg"]
    assert "yet SSH_CONNECTION was empty" in result["msg"]
    assert "arrives on port" not in result["msg"]  # no SSH session, no port to compare


def test_an_admin_network_is_an_ssh_path_where_the_controller_is_off():
    result, _commands, _modules = run(ssh_from_controller=False, admin_networks=["10.0.0.0/8"])
    assert not result.get("failed"), result
    assert result["statements"]["ssh_paths"] == ["ssh"]
    assert result["statements"]["server"][0]["src4"] == ["10.0.0.0/8"]


def test_a_container_without_cap_net_admin_is_planned_from_its_gateway_without_ssh_connection():
    # Through docker exec there is no SSH session: the controller is the container's default gateway, and a
    # host without CAP_NET_ADMIN is checked all the same (the role only skips installing and activating).
    result, commands, _modules = run(stdout="\n", connection="community.docker.docker", exports=[UWSGI],
                                     task_vars=dict(inventory_hostname="nocap"))
    assert not result.get("failed"), result
    assert commands[0][1] is False
    connection = result["statements"]["connection"]
    assert connection == dict(over_ssh=False, controller_addresses=["172.18.0.1"], local_port=None, interface="eth0",
                              interface_covered=True)
    assert result["statements"]["server"][0]["src4"] == ["172.18.0.1"]


def test_a_failed_read_fails_the_task():
    task_result = dict(rc=255, stdout="", stdout_lines=[], stderr="connection closed")
    task = mock.MagicMock(async_val=0, check_mode=True, action="scalable.webstack.firehol_plan")
    task.args = dict(layers=LAYERS, exports_dir="/x")
    action = ActionModule(task, mock.MagicMock(_shell=mock.MagicMock(tmpdir=None)), PlayContext(), DataLoader(),
                          Templar(loader=DataLoader()), None)
    with mock.patch.object(action, "_low_level_execute_command", return_value=task_result), \
            mock.patch.object(action, "_remove_tmp_path"):
        with pytest.raises(Exception, match="connection closed"):
            action.run(task_vars=dict(inventory_hostname="app1", groups=GROUPS, hostvars=hostvars()))
