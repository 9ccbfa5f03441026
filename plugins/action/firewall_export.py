# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of scalable.webstack.firewall_export: checks a role's firewall rules against the inventory
here, then leaves them on the host with one run of scalable.webstack.config_files."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.scalable.webstack.plugins.plugin_utils import _firehol, _firewall_exports

WRITER = "scalable.webstack.config_files"
ARGUMENT_SPEC = dict(
    role=dict(type="str", required=True),
    rules=dict(type="list", elements="dict", required=True),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        role, rules = args["role"], args["rules"]
        if not _firewall_exports.ROLE_NAME.match(role):
            return dict(result, failed=True, msg="role %r: letters, digits and underscores only (it names the file)"
                        % role)
        groups = {name: list(hosts) for name, hosts in (task_vars.get("groups") or {}).items()}
        errors = _firehol.check({"exported_rules": {role: rules}}, groups)["errors"]
        if errors:
            return dict(result, failed=True, msg="Refused, nothing was changed on %s: %s"
                        % (task_vars.get("inventory_hostname"), "; ".join(errors)))
        written = self._execute_module(WRITER, module_args=_firewall_exports.export_entries(role, rules),
                                       task_vars=task_vars)
        written["invocation"] = dict(module_args=args)
        result.update(written)
        return result
