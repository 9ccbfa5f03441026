# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of scalable.webstack.firewall_export: checks a role's firewall rules against the inventory
here, then leaves them on the host with one run of scalable.webstack.config_files."""

from __future__ import annotations

import json
import re

from ansible.plugins.action import ActionBase

from ansible_collections.scalable.webstack.plugins.plugin_utils import _firehol

WRITER = "scalable.webstack.config_files"
ROLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
ARGUMENT_SPEC = dict(
    role=dict(type="str", required=True),
    rules=dict(type="list", elements="dict", required=True),
)


def export_content(role: str, rules: list) -> str:
    """The file's content: the same JSON the role's earlier runs wrote, so a re-run changes nothing."""
    return json.dumps({"role": role, "rules": rules}) + "\n"


def write_arguments(role: str, rules: list) -> dict:
    """What config_files gets: the exports directory and the role's file, root's and world-readable (the
    firehol role reads them without become)."""
    directory = _firehol.EXPORTS_DIR
    return dict(
        owner="root", group="root", mode="0644", directory_mode="0755",
        directories=[dict(path=directory.rsplit("/", 1)[0]), dict(path=directory)],
        files=[dict(dest="%s/%s.json" % (directory, role), content=export_content(role, rules))],
    )


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        role, rules = args["role"], args["rules"]
        if not ROLE_NAME.match(role):
            return dict(result, failed=True, msg="role %r: letters, digits and underscores only (it names the file)"
                        % role)
        groups = {name: list(hosts) for name, hosts in (task_vars.get("groups") or {}).items()}
        errors = _firehol.check({"exported_rules": {role: rules}}, groups)["errors"]
        if errors:
            return dict(result, failed=True, msg="Refused, nothing was changed on %s: %s"
                        % (task_vars.get("inventory_hostname"), "; ".join(errors)))
        written = self._execute_module(WRITER, module_args=write_arguments(role, rules), task_vars=task_vars)
        written["invocation"] = dict(module_args=args)
        result.update(written)
        return result
