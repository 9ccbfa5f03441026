"""The rules of scalable.webstack.firehol, checked and turned into statements, on plain data."""

from __future__ import annotations

from ansible_collections.scalable.webstack.plugins.plugin_utils import _firehol

GROUPS = {"all": ["lb1", "app1", "app2", "db1"], "frontends": ["lb1"], "appservers": ["app1", "app2"],
          "mariadb": ["db1"], "ungrouped": []}
INTERFACES = [{"name": "world", "device": "any"}]


def checked(**layers):
    layers.setdefault("interfaces", INTERFACES)
    layers.setdefault("protection_limit", "10000/sec 2000")
    return _firehol.check(layers, GROUPS)


def test_rules_of_every_layer_are_filled_in_in_order_and_deduplicated():
    result = checked(rules=[{"name": "web", "service": "http"}],
                     group_rules={"appservers": [{"name": "app", "service": "tcp/8080", "sources": "frontends"}],
                                  "mariadb": [{"name": "db", "service": "mysql"}]},
                     group_names=["appservers"], host_rules=[{"name": "web", "service": "http"}],
                     exported_rules={"uwsgi_emperor": [{"name": "uwsgi_8080", "service": "tcp/8080",
                                                        "sources": ["frontends"]}]})
    assert result["errors"] == []
    assert [(rule["name"], rule["origin"]) for rule in result["server"]] == [
        ("web", "firehol_rules[0]"), ("app", "firehol_group_rules.appservers[0]"),
        ("uwsgi_8080", "exported by uwsgi_emperor")]
    assert result["server"][1]["sources"] == ["frontends"] and result["server"][1]["action"] == "accept"
    assert result["named_hosts"] == {"frontends": ["lb1"]} and result["hosts"] == ["lb1"]


def test_each_problem_is_named_with_its_rule_origin_and_value():
    result = checked(rules=[{"name": "web", "service": "htps"}, {"name": "big", "service": "tcp/70000"},
                            {"name": "range", "service": "tcp/9000:8000"}, "not a rule",
                            {"name": "net", "service": "ssh", "networks": ["10.0.0.0/33"], "action": "allow"}],
                     exported_rules={"uwsgi_emperor": [{"name": "uwsgi_8080", "service": "tcp/8080",
                                                        "sources": ["frontend"]}]},
                     group_rules={"frontend": []})
    errors = result["errors"][1:]
    assert "firehol_group_rules has rules for 'frontend', which is not an inventory group" in result["errors"][0]
    assert "rule 'web' (firehol_rules[0]): service 'htps' is neither a firehol service" in errors[0]
    assert "(did you mean https" in errors[0]
    assert "rule 'big' (firehol_rules[1]): service 'tcp/70000': ports are 1-65535" in errors[1]
    assert "service 'tcp/9000:8000'" in errors[2]
    assert "firehol_rules[3]: every rule is a dict with at least name and service" in errors[3]
    assert any("action 'allow' is not one of accept, reject, drop" in error for error in errors)
    assert any("networks entry '10.0.0.0/33' is not an address or network" in error for error in errors)
    assert any("rule 'uwsgi_8080' (exported by uwsgi_emperor): sources names 'frontend', which is neither an "
               "inventory group nor a host (did you mean frontends?)" in error for error in errors)


def test_interfaces_routers_and_limits_are_checked():
    result = checked(interfaces=[{"name": "world", "device": "any"}, {"name": "world", "device": "eth0"},
                                 {"name": "9bad", "device": "eth 1;"}],
                     rules=[{"name": "web", "service": "http", "interfaces": ["lan"]}],
                     protection_limit="fast", admin_networks=["nowhere"],
                     routers=[{"name": "internal", "routes": [{"name": "r", "service": "tcp/1", "sources": ["x"]}]}])
    errors = " | ".join(result["errors"])
    for expected in ("names 'world' more than once", "'9bad' is not a letter", "'eth 1;' is not a device name",
                     "names the interface 'lan', which firehol_interfaces does not define",
                     "firehol_protection_limit 'fast' is not RATE/PERIOD", "firehol_admin_networks entry 'nowhere'",
                     "rule 'r' (firehol_routers.internal.routes[0]): sources names 'x'"):
        assert expected in errors


def test_a_role_export_alone_is_checked_without_interfaces():
    result = _firehol.check({"exported_rules": {"nginx": [{"name": "https", "service": "https"}]}}, GROUPS)
    assert result["errors"] == []


def test_addresses_come_from_facts_then_ansible_host_and_the_rest_is_left_to_look_up():
    hostvars = {"lb1": {"ansible_facts": {"all_ipv4_addresses": ["10.0.0.2"],
                                          "all_ipv6_addresses": ["fe80::1", "2001:db8::2"]}},
                "app1": {"ansible_host": "10.0.0.3"}, "app2": {"ansible_host": "app2.example.org"}}
    found = _firehol.addresses_from_inventory(["lb1", "app1", "app2"], hostvars)
    assert found == {"lb1": {"addresses": ["10.0.0.2", "2001:db8::2"], "found_by": "facts"},
                     "app1": {"addresses": ["10.0.0.3"], "found_by": "ansible_host"}}


FACTS = {"interfaces": ["lo", "eth0"], "eth0": {"ipv4": {"address": "10.0.0.5"}, "ipv6": [{"address": "fe80::5"}]},
         "default_ipv4": {"gateway": "10.0.0.1", "interface": "eth0"}}


def test_the_connection_is_read_from_ssh_or_from_the_container_gateway():
    over_ssh = _firehol.connection("::ffff:10.0.0.9 51000 ::ffff:10.0.0.5 22", FACTS, False, INTERFACES)
    assert over_ssh == dict(over_ssh=True, controller_addresses=["10.0.0.9"], local_port=22, interface="eth0",
                            interface_covered=True)
    container = _firehol.connection("", FACTS, True, [{"name": "lan", "device": "eth1"}])
    assert container["controller_addresses"] == ["10.0.0.1"] and not container["interface_covered"]
    assert _firehol.connection("", FACTS, True, [{"name": "lan", "device": "eth+"}])["interface_covered"]


def ssh(**overrides):
    settings = dict(port=22, from_controller=True, admin_networks=[],
                    connection=_firehol.connection("10.0.0.9 51000 10.0.0.5 22", FACTS, False, INTERFACES))
    settings.update(overrides)
    return settings


def test_statements_split_families_and_never_widen_a_side_that_resolves_to_nothing():
    rules = checked(rules=[{"name": "app", "service": "tcp/8080", "sources": ["appservers"]},
                           {"name": "db", "service": "mysql", "sources": ["mariadb"]},
                           {"name": "open", "service": "http"}])
    resolved = {"app1": {"addresses": ["10.0.0.3", "2001:db8::3"]}, "app2": {"addresses": ["10.0.0.4"]},
                "db1": {"addresses": []}}
    result = _firehol.statements(rules, resolved, ssh())
    by_name = {rule["name"]: rule for rule in result["server"]}
    assert by_name["ssh"]["networks"] == ["10.0.0.9"] and result["ssh_paths"] == ["ssh"]
    assert (by_name["app"]["src4"], by_name["app"]["src6"]) == (["10.0.0.3", "10.0.0.4"], ["2001:db8::3"])
    assert not by_name["db"]["src_any"] and by_name["db"]["src4"] == [] and by_name["db"]["src6"] == []
    assert by_name["open"]["src_any"]
    assert result["unresolved"] == ["db1"]


def test_no_ssh_path_is_reported():
    result = _firehol.statements(checked(), {}, ssh(from_controller=False))
    assert result["ssh_paths"] == [] and [rule["name"] for rule in result["server"]] == []
    result = _firehol.statements(checked(), {}, ssh(from_controller=False, admin_networks=["192.0.2.0/24"]))
    assert result["ssh_paths"] == ["ssh"]


def test_excluded_hosts_are_in_no_group_any_more():
    result = checked(rules=[{"name": "app", "service": "tcp/8080", "sources": ["appservers"]},
                            {"name": "old", "service": "ssh", "sources": ["app2"]}], excluded_hosts=["app2"])
    assert result["errors"] == []
    assert result["named_hosts"] == {"appservers": ["app1"], "app2": []} and result["hosts"] == ["app1"]
