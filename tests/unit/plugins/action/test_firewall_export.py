# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scalable.webstack.firewall_export's action plugin: the rules checked against the inventory before any
write, then one config_files run with the file the firehol role reads."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible_collections.scalable.webstack.plugins.action import firewall_export
from ansible_collections.scalable.webstack.plugins.plugin_utils import _firewall_exports

GROUPS = {"all": ["web1", "app1"], "frontends": ["web1"], "backends": ["app1"], "ungrouped": []}
TASK_VARS = {"groups": GROUPS, "inventory_hostname": "app1"}
RULE = {"name": "uwsgi", "service": "tcp/8080", "sources": ["frontends"]}


def run(args, written=None):
    task = Task()
    task.args = args
    action = firewall_export.ActionModule(task, mock.MagicMock(), PlayContext(), loader=None, templar=None,
                                          shared_loader_obj=None)
    execute = mock.MagicMock(return_value=written or {"changed": False, "changed_paths": [], "results": []})
    with mock.patch.object(action, "_execute_module", execute):
        result = action.run(task_vars=dict(TASK_VARS))
    return result, execute


def test_rules_are_written_to_the_role_file_by_config_files():
    result, execute = run({"role": "uwsgi_emperor", "rules": [RULE]},
                          written={"changed": True, "changed_paths": ["/etc/scalable-webstack/firewall.d/uwsgi_emperor.json"]})
    assert result["changed"] and not result.get("failed")
    module, arguments = execute.call_args.args[0], execute.call_args.kwargs["module_args"]
    assert module == "scalable.webstack.config_files"
    (written,) = arguments["files"]
    assert written["dest"] == "/etc/scalable-webstack/firewall.d/uwsgi_emperor.json"
    assert json.loads(written["content"]) == {"role": "uwsgi_emperor", "rules": [RULE]}
    assert [entry["path"] for entry in arguments["directories"]] == [
        "/etc/scalable-webstack", "/etc/scalable-webstack/firewall.d"]
    assert (written["owner"], written["group"], written["mode"]) == ("root", "root", "0644")
    assert {(entry["owner"], entry["mode"]) for entry in arguments["directories"]} == {("root", "0755")}
    assert result["invocation"]["module_args"] == {"role": "uwsgi_emperor", "rules": [RULE]}


def test_content_is_what_ansibles_to_json_wrote_before():
    # The earlier export tasks wrote {{ {'role': ..., 'rules': ...} | to_json }} and a newline: the same
    # bytes, so hosts converged by them see no change.
    from ansible.plugins.filter.core import to_json

    rules = [RULE, {"name": "ssh", "service": "ssh", "sources": ["backends"], "networks": ["10.0.0.0/8"]}]
    (written,) = _firewall_exports.export_entries("haproxy", rules)["files"]
    assert written["content"] == to_json({"role": "haproxy", "rules": rules}) + "\n"


@pytest.mark.parametrize("rule, expected", [
    ({"name": "db", "service": "mysql", "sources": ["apservers"]}, "apservers"),
    ({"name": "db", "service": "tcp/99999", "sources": ["backends"]}, "ports are 1-65535"),
    ({"name": "db", "service": "nosuchservice", "sources": ["backends"]}, "nosuchservice"),
])
def test_bad_rules_are_refused_before_anything_is_written(rule, expected):
    result, execute = run({"role": "mariadb_master_master", "rules": [rule]})
    assert result["failed"] and expected in result["msg"]
    assert result["msg"].startswith("Refused, nothing was changed on app1: ")
    execute.assert_not_called()


def test_a_role_name_that_is_not_a_file_name_is_refused():
    result, execute = run({"role": "../etc/passwd", "rules": []})
    assert result["failed"] and "letters, digits and underscores" in result["msg"]
    execute.assert_not_called()


def test_an_empty_rule_list_is_written_so_that_the_role_closes_what_it_opened():
    result, execute = run({"role": "varnish", "rules": []})
    (written,) = execute.call_args.kwargs["module_args"]["files"]
    assert json.loads(written["content"]) == {"role": "varnish", "rules": []}


def test_a_failed_write_fails_the_task():
    result, _execute = run({"role": "nginx", "rules": [RULE]},
                           written={"failed": True, "msg": "Permission denied"})
    assert result["failed"] and result["msg"] == "Permission denied"
